-- Suppliers and their parts, owners, the audit log, the change feed and idempotency keys. Rules
-- that the API checks are checked here too, so no other writer can break them.

CREATE TABLE suppliers (
    id                    uuid PRIMARY KEY,
    legal_name            text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 300),
    trade_name            text CHECK (length(trade_name) BETWEEN 1 AND 300),
    tax_id                text NOT NULL CHECK (tax_id ~ '^[A-Z0-9&Ñ]{4,20}$'),
    -- An RFC whose check character does not verify is kept (SAT issued some) but flagged.
    tax_id_check_ok       boolean NOT NULL DEFAULT true,
    country               char(2) NOT NULL REFERENCES countries (code),
    subdivision           text,
    city                  text CHECK (length(city) BETWEEN 1 AND 200),
    address               text CHECK (length(address) BETWEEN 1 AND 500),
    lat                   double precision CHECK (lat BETWEEN -90 AND 90),
    lon                   double precision CHECK (lon BETWEEN -180 AND 180),
    website               text CHECK (website ~ '^https?://' AND length(website) <= 2048),
    founded_year          smallint CHECK (founded_year BETWEEN 1800 AND 2100),
    sector                text NOT NULL CHECK (sector IN ('manufacturing', 'commerce', 'services')),
    employees             integer NOT NULL CHECK (employees >= 0),
    annual_sales_amount   numeric(20, 2) CHECK (annual_sales_amount >= 0),
    annual_sales_currency char(3) CHECK (annual_sales_currency ~ '^[A-Z]{3}$'),
    size_class            text NOT NULL CHECK (size_class IN ('micro', 'small', 'medium', 'large')),
    size_rule             text NOT NULL REFERENCES size_rules (id),
    status                text NOT NULL DEFAULT 'draft'
                          CHECK (status IN ('draft', 'pending', 'verified', 'rejected', 'suspended', 'archived')),
    status_reason         text,
    verified_at           timestamptz,
    version               integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT suppliers_country_tax_id_key UNIQUE (country, tax_id),
    -- The subdivision belongs to the supplier's country.
    FOREIGN KEY (country, subdivision) REFERENCES subdivisions (country, code),
    CHECK ((lat IS NULL) = (lon IS NULL)),
    CHECK ((annual_sales_amount IS NULL) = (annual_sales_currency IS NULL)),
    CHECK ((status = 'verified') <= (verified_at IS NOT NULL))
);
SELECT diesel_manage_updated_at('suppliers');

CREATE TABLE supplier_contacts (
    supplier_id uuid NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    position    smallint NOT NULL CHECK (position >= 0),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role        text CHECK (length(role) BETWEEN 1 AND 200),
    email       text CHECK (length(email) BETWEEN 3 AND 254),
    phone       text CHECK (phone ~ '^\+[1-9][0-9]{1,14}$'),
    PRIMARY KEY (supplier_id, position)
);

-- Codes in use are never deleted: no cascade from capabilities.
CREATE TABLE supplier_capabilities (
    supplier_id uuid NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    code        text NOT NULL REFERENCES capabilities (code),
    position    smallint NOT NULL CHECK (position >= 0),
    details     text CHECK (length(details) BETWEEN 1 AND 2000),
    parameters  jsonb CHECK (parameters IS NULL OR jsonb_typeof(parameters) = 'object'),
    PRIMARY KEY (supplier_id, code),
    UNIQUE (supplier_id, position)
);
CREATE INDEX supplier_capabilities_code_idx ON supplier_capabilities (code);

CREATE TABLE supplier_certifications (
    supplier_id uuid NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    position    smallint NOT NULL CHECK (position >= 0),
    scheme      text NOT NULL REFERENCES certification_schemes (code),
    number      text CHECK (length(number) BETWEEN 1 AND 100),
    issuer      text CHECK (length(issuer) BETWEEN 1 AND 200),
    issued_on   date,
    expires_on  date,
    -- As of the last write or run of the expiry job (`valid`, `expiring` within 60 days, `expired`).
    status      text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'expiring', 'expired')),
    PRIMARY KEY (supplier_id, position),
    CHECK (expires_on IS NULL OR issued_on IS NULL OR expires_on > issued_on)
);
CREATE INDEX supplier_certifications_scheme_idx ON supplier_certifications (scheme, expires_on);
CREATE INDEX supplier_certifications_expires_idx ON supplier_certifications (expires_on) WHERE expires_on IS NOT NULL;

CREATE TABLE supplier_external_refs (
    supplier_id uuid NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    position    smallint NOT NULL CHECK (position >= 0),
    system      text NOT NULL CHECK (system ~ '^[a-z0-9_]{1,40}$'),
    value       text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    PRIMARY KEY (supplier_id, position),
    UNIQUE (supplier_id, system, value)
);

-- Supplier users who may edit a profile (the creator, and those an agency or admin adds).
CREATE TABLE supplier_owners (
    supplier_id uuid NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (supplier_id, user_id)
);
CREATE INDEX supplier_owners_user_idx ON supplier_owners (user_id);

-- One entry per change, written in the same transaction as the change. Append-only: the trigger
-- refuses every UPDATE and DELETE, whatever the role.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    supplier_id uuid NOT NULL REFERENCES suppliers (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'client', 'system')),
    actor_id    uuid,
    actor_name  text NOT NULL,
    action      text NOT NULL,
    request_id  text,
    -- field → [old, new]
    changes     jsonb NOT NULL CHECK (jsonb_typeof(changes) = 'object')
);
CREATE INDEX audit_log_supplier_idx ON audit_log (supplier_id, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

-- The change feed (GET /v1/events), written in the same transaction as the change.
CREATE TABLE change_events (
    id          bigserial PRIMARY KEY,
    type        text NOT NULL CHECK (type IN ('supplier.created', 'supplier.updated', 'supplier.status_changed', 'supplier.archived')),
    supplier_id uuid NOT NULL REFERENCES suppliers (id),
    occurred_at timestamptz NOT NULL DEFAULT now(),
    data        jsonb NOT NULL
);
CREATE INDEX change_events_supplier_idx ON change_events (supplier_id);

-- Idempotency-Key: the first response to (caller, key) is stored in the same transaction as the
-- resource it created, and replayed for the same key and body.
CREATE TABLE idempotency_keys (
    caller       text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,
    status       smallint NOT NULL,
    location     text,
    etag         text,
    body         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
