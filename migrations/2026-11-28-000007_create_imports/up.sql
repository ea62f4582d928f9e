-- Bulk imports: the uploaded file is kept here until a worker has gone through it, batch by batch;
-- each batch commits its suppliers, audit entries, events and the import's progress together, so a
-- worker that dies resumes with the batches not yet committed.

CREATE TABLE imports (
    id           uuid PRIMARY KEY,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    format       text NOT NULL CHECK (format IN ('csv', 'ndjson')),
    actor_kind   text NOT NULL CHECK (actor_kind IN ('user', 'client')),
    actor_id     uuid NOT NULL,
    actor_name   text NOT NULL,
    -- The importer's role and countries when it uploaded (agencies import only in their countries).
    actor_role   text NOT NULL,
    actor_countries text[] NOT NULL DEFAULT '{}',
    request_id   text,
    body         bytea,
    -- Batches (of 2,000 rows, numbered from 0) committed so far, and the rows in them; batches
    -- commit in any order, two at a time.
    batches_done integer[] NOT NULL DEFAULT '{}',
    -- Rows committed one by one (when their batch's transaction was refused), by row number.
    rows_alone   integer[] NOT NULL DEFAULT '{}',
    -- Claims so far: an import that keeps failing is given up after a few.
    attempts     integer NOT NULL DEFAULT 0,
    rows_done    integer NOT NULL DEFAULT 0,
    rows_total   integer,
    created      integer NOT NULL DEFAULT 0,
    updated      integer NOT NULL DEFAULT 0,
    unchanged    integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    lease_until  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz
);
CREATE INDEX imports_due_idx ON imports (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE import_errors (
    id        bigserial PRIMARY KEY,
    import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row       integer NOT NULL,
    field     text NOT NULL,
    message   text NOT NULL
);
CREATE INDEX import_errors_import_idx ON import_errors (import_id, row);
