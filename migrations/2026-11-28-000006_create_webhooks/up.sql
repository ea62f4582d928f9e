-- Webhook endpoints, and the transactional outbox of their deliveries: a change's event and one
-- delivery row per subscribed endpoint are written in the change's own transaction, so a
-- committed change is always delivered (at least once) and a rolled-back one never is.

CREATE TABLE webhooks (
    id         uuid PRIMARY KEY,
    url        text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    events     text[] NOT NULL CHECK (
                   cardinality(events) > 0
                   AND events <@ ARRAY['supplier.created', 'supplier.updated',
                                       'supplier.status_changed', 'supplier.archived']),
    -- `whsec_` + base64 of 32 random bytes; needed in the clear to sign, never shown again.
    secret     text NOT NULL,
    -- `failing`: a delivery used up its retries (back to `active` on the next success);
    -- `disabled`: the receiver answered 410 Gone; no more deliveries.
    status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'failing', 'disabled')),
    owner_kind text NOT NULL CHECK (owner_kind IN ('user', 'client')),
    owner_id   uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_owner_idx ON webhooks (owner_id, id);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL REFERENCES change_events (id),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    -- When a pending delivery is next due. A worker that claims it pushes this forward by a
    -- lease, so a worker that dies mid-attempt leaves it to be retried, never lost.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    delivery_id     bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt         integer NOT NULL CHECK (attempt > 0),
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    -- The receiver's status code, if it answered; its body is never kept.
    response_status smallint,
    -- Our own classification: `success`, `http_status`, `timeout`, `connect`, `refused_address`.
    outcome         text NOT NULL,
    duration_ms     integer NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
