CREATE OR REPLACE FUNCTION sr_earth(lat double precision, lon double precision) RETURNS public.cube
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.cube(public.cube(public.cube(
        6371008.8 * cos(radians(lat)) * cos(radians(lon))),
        6371008.8 * cos(radians(lat)) * sin(radians(lon))),
        6371008.8 * sin(radians(lat)));
REINDEX INDEX suppliers_earth_idx;
DROP TABLE import_duplicates;
DROP INDEX supplier_external_refs_lookup_idx;
DROP INDEX supplier_external_refs_active_key;
DROP TABLE external_refs_moved;
ALTER TABLE supplier_external_refs DROP COLUMN active;
DROP INDEX supplier_contacts_email_domain_idx;
DROP INDEX supplier_contacts_phone_idx;
ALTER TABLE suppliers DROP COLUMN website_host;
ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_check CHECK (
    cardinality(events) > 0
    AND events <@ ARRAY['supplier.created', 'supplier.updated', 'supplier.status_changed', 'supplier.archived']);
ALTER TABLE change_events DROP CONSTRAINT change_events_type_check;
ALTER TABLE change_events ADD CONSTRAINT change_events_type_check CHECK (type IN
    ('supplier.created', 'supplier.updated', 'supplier.status_changed', 'supplier.archived'));
ALTER TABLE suppliers DROP CONSTRAINT suppliers_merged_is_archived;
ALTER TABLE suppliers DROP COLUMN merged_into;
