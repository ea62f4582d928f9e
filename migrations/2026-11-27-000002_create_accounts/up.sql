-- People (users) and partner systems (API clients), their refresh tokens, and failed logins for
-- throttling. Roles and country lists are checked here as well as in Rust.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name          text CHECK (length(name) BETWEEN 1 AND 200),
    role          text NOT NULL CHECK (role IN ('admin', 'agency', 'supplier', 'viewer')),
    countries     text[] NOT NULL DEFAULT '{}'
                  CHECK (array_to_string(countries, ',') ~ '^([A-Z]{2}(,[A-Z]{2})*)?$'),
    password_hash text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
SELECT diesel_manage_updated_at('users');

CREATE TABLE api_clients (
    id            uuid PRIMARY KEY,
    client_id     text NOT NULL UNIQUE CHECK (length(client_id) BETWEEN 8 AND 64),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role          text NOT NULL CHECK (role IN ('admin', 'agency', 'supplier', 'viewer')),
    countries     text[] NOT NULL DEFAULT '{}'
                  CHECK (array_to_string(countries, ',') ~ '^([A-Z]{2}(,[A-Z]{2})*)?$'),
    -- HMAC-SHA256 of the secret under the server's SECRET_DIGEST_KEY; the secret itself is never stored.
    secret_digest bytea NOT NULL CHECK (length(secret_digest) = 32),
    disabled      boolean NOT NULL DEFAULT false,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
SELECT diesel_manage_updated_at('api_clients');

-- Rotating refresh tokens. A family is one login; using a rotated token again revokes the family.
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    family_id    uuid NOT NULL,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_digest bytea NOT NULL UNIQUE CHECK (length(token_digest) = 32),
    scope        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    rotated_at   timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Failed logins by key (`account:<email>`, `client:<client_id>`, `ip:<address>`), counted over a
-- sliding window so that every instance of the service sees the same count.
CREATE TABLE login_failures (
    id        bigserial PRIMARY KEY,
    key       text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_idx ON login_failures (key, failed_at);
CREATE INDEX login_failures_failed_at_idx ON login_failures (failed_at);
