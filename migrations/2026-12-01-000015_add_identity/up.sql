-- Identity, matching and merging (../shared/API.md "Identity, matching and merging").

-- A merged duplicate is archived and names its survivor; partners follow `merged_into`.
ALTER TABLE suppliers ADD COLUMN merged_into uuid REFERENCES suppliers (id);
ALTER TABLE suppliers ADD CONSTRAINT suppliers_merged_is_archived
    CHECK (merged_into IS NULL OR (status = 'archived' AND merged_into <> id));

ALTER TABLE change_events DROP CONSTRAINT change_events_type_check;
ALTER TABLE change_events ADD CONSTRAINT change_events_type_check CHECK (type IN
    ('supplier.created', 'supplier.updated', 'supplier.status_changed', 'supplier.archived',
     'supplier.merged'));
ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_check CHECK (
    cardinality(events) > 0
    AND events <@ ARRAY['supplier.created', 'supplier.updated', 'supplier.status_changed',
                        'supplier.archived', 'supplier.merged']);

-- The matcher's lookups (`POST /v1/suppliers/match`): the website's host (scheme, `www.`, port
-- and path dropped, as `domain::matching::website_host` does), a contact's phone and e-mail domain.
ALTER TABLE suppliers ADD COLUMN website_host text GENERATED ALWAYS AS
    (lower(substring(website FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/@]*@)?(?:www\.)?([^/:?#]+)'))) STORED;
CREATE INDEX suppliers_website_host_idx ON suppliers (website_host) WHERE website_host IS NOT NULL;
CREATE INDEX supplier_contacts_phone_idx ON supplier_contacts (phone) WHERE phone IS NOT NULL;
CREATE INDEX supplier_contacts_email_domain_idx ON supplier_contacts (lower(split_part(email, '@', 2)))
    WHERE email IS NOT NULL;

-- External references: `(system, value)` is unique among suppliers that are not archived. The
-- flag `active` — the supplier is not archived and the system is not a `legacy_` one (below) —
-- carries that condition into a partial unique index, which also settles two concurrent
-- registrations of the same reference. The write path sets it on every insert and status change.
ALTER TABLE supplier_external_refs ADD COLUMN active boolean NOT NULL DEFAULT true;
UPDATE supplier_external_refs r SET active = false
FROM suppliers s WHERE s.id = r.supplier_id AND s.status = 'archived';

-- Rows written before the formats were checked. Nothing is deleted:
-- 1. values of the formatted systems are normalised as the service now stores them (upper case,
--    no spaces, `-` or `.`);
-- 2. a value that still breaks its system's format (its shape, and an LEI's check digits), and
--    any later copy of a `(system, value)` an older active supplier holds, moves to the
--    free-form system `legacy_<system>` with the same value — still in the document, still
--    found by the matcher, and easy to find and fix (`external_ref=legacy_lei:…`);
--    `external_refs_moved` lists what moved, for the operator.
UPDATE supplier_external_refs
SET value = upper(regexp_replace(value, '[[:space:].-]', '', 'g'))
WHERE system IN ('lei', 'sam_uei', 'cage', 'duns', 'os_id', 'mx_rfc', 'cr_cedula', 'pa_ruc', 'us_ein')
  AND value <> upper(regexp_replace(value, '[[:space:].-]', '', 'g'))
  AND NOT EXISTS (SELECT 1 FROM supplier_external_refs o
                  WHERE o.supplier_id = supplier_external_refs.supplier_id AND o.system = supplier_external_refs.system
                    AND o.value = upper(regexp_replace(supplier_external_refs.value, '[[:space:].-]', '', 'g')));

CREATE FUNCTION pg_temp.lei_ok(v text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE r int := 0; c text;
BEGIN
    IF v !~ '^[0-9A-Z]{18}[0-9]{2}$' THEN RETURN false; END IF;
    FOR i IN 1..20 LOOP
        c := substr(v, i, 1);
        IF c ~ '[0-9]' THEN r := (r * 10 + c::int) % 97;
        ELSE r := (r * 100 + ascii(c) - 55) % 97; END IF;
    END LOOP;
    RETURN r = 1;
END $$;

CREATE TABLE external_refs_moved (
    supplier_id uuid NOT NULL,
    system      text NOT NULL,
    value       text NOT NULL,
    reason      text NOT NULL,
    moved_at    timestamptz NOT NULL DEFAULT now()
);

WITH broken AS (
    SELECT supplier_id, position, system, value,
           CASE WHEN NOT CASE system
                    WHEN 'lei' THEN pg_temp.lei_ok(value)
                    WHEN 'sam_uei' THEN value ~ '^[1-9A-HJ-NP-Z][0-9A-HJ-NP-Z]{11}$'
                    WHEN 'cage' THEN value ~ '^[0-9A-Z]{5}$'
                    WHEN 'duns' THEN value ~ '^[0-9]{9}$'
                    WHEN 'os_id' THEN value ~ '^[A-Z]{2}[0-9]{7}[0-9A-Z]{6}$'
                    WHEN 'mx_rfc' THEN value ~ '^[A-ZÑ&]{3,4}[0-9]{6}[0-9A-Z]{3}$'
                    WHEN 'cr_cedula' THEN value ~ '^[0-9]{9,12}$'
                    WHEN 'pa_ruc' THEN value ~ '^[0-9A-Z]{4,20}$'
                    WHEN 'us_ein' THEN value ~ '^[0-9]{9}$'
                    ELSE true END
                THEN 'does not match the format of ' || system
                WHEN active AND EXISTS (
                    SELECT 1 FROM supplier_external_refs o JOIN suppliers os ON os.id = o.supplier_id
                    JOIN suppliers s ON s.id = r.supplier_id
                    WHERE o.active AND o.system = r.system AND o.value = r.value
                      AND (os.created_at, os.id) < (s.created_at, s.id))
                THEN 'an older supplier holds the same reference'
           END AS reason
    FROM supplier_external_refs r
), moved AS (
    INSERT INTO external_refs_moved (supplier_id, system, value, reason)
    SELECT supplier_id, system, value, reason FROM broken WHERE reason IS NOT NULL
    RETURNING supplier_id, system, value
)
UPDATE supplier_external_refs r SET system = left('legacy_' || r.system, 40), active = false
FROM moved m
WHERE r.supplier_id = m.supplier_id AND r.system = m.system AND r.value = m.value;

CREATE UNIQUE INDEX supplier_external_refs_active_key ON supplier_external_refs (system, value)
    WHERE active;
-- Lookups (`external_ref=<system>:<value>`) that may also find archived suppliers.
CREATE INDEX supplier_external_refs_lookup_idx ON supplier_external_refs (system, value);

-- An import lists the rows it created that may duplicate a supplier already there (or another
-- row): `possible_duplicates` of `GET /v1/imports/{id}`.
CREATE TABLE import_duplicates (
    import_id   uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row         integer NOT NULL,
    supplier_id uuid NOT NULL,
    score       double precision NOT NULL,
    PRIMARY KEY (import_id, row, supplier_id)
);

-- A subnormal latitude or longitude (5e-324, found by the fuzzer) underflowed `radians()` in the
-- geo index's expression: a registration answered 500. Coordinates stay as written; the earth
-- point reads them to 1e-10 degrees (far below a millimetre), where nothing underflows.
CREATE OR REPLACE FUNCTION sr_earth(lat double precision, lon double precision) RETURNS public.cube
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.cube(public.cube(public.cube(
        6371008.8 * cos(radians(round(lat::numeric, 10)::float8)) * cos(radians(round(lon::numeric, 10)::float8))),
        6371008.8 * cos(radians(round(lat::numeric, 10)::float8)) * sin(radians(round(lon::numeric, 10)::float8))),
        6371008.8 * sin(radians(round(lat::numeric, 10)::float8)));
REINDEX INDEX suppliers_earth_idx;
