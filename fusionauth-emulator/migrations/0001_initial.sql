-- The emulator's whole state. JSON configuration objects (tenants, applications, system
-- configuration) are stored as TEXT and merged in Rust; secrets are stored as hashes.

CREATE TABLE emulator_meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE signing_keys (
    id             TEXT PRIMARY KEY NOT NULL,
    kid            TEXT NOT NULL UNIQUE,
    algorithm      TEXT NOT NULL,
    name           TEXT NOT NULL,
    private_pkcs8  BLOB NOT NULL,
    insert_instant INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY NOT NULL,
    key_hash       TEXT NOT NULL UNIQUE,
    description    TEXT,
    tenant_id      TEXT,
    permissions    TEXT,
    insert_instant INTEGER NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY NOT NULL,
    is_default INTEGER NOT NULL,
    data       TEXT NOT NULL
);

CREATE TABLE applications (
    id        TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    data      TEXT NOT NULL
);

CREATE TABLE system_configuration (
    id   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    data TEXT NOT NULL
);

CREATE TABLE users (
    id                           TEXT PRIMARY KEY NOT NULL,
    tenant_id                    TEXT NOT NULL REFERENCES tenants (id),
    email                        TEXT,
    username                     TEXT,
    active                       INTEGER NOT NULL,
    verified                     INTEGER NOT NULL,
    password_scheme              TEXT NOT NULL,
    password_factor              INTEGER NOT NULL,
    password_salt                TEXT NOT NULL,
    password_hash                TEXT NOT NULL,
    data                         TEXT NOT NULL,
    insert_instant               INTEGER NOT NULL,
    last_login_instant           INTEGER,
    last_update_instant          INTEGER NOT NULL,
    password_last_update_instant INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, username) WHERE username IS NOT NULL;

CREATE TABLE registrations (
    id                 TEXT PRIMARY KEY NOT NULL,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    roles              TEXT NOT NULL,
    data               TEXT NOT NULL,
    verified           INTEGER NOT NULL,
    insert_instant     INTEGER NOT NULL,
    last_login_instant INTEGER,
    UNIQUE (user_id, application_id)
);

-- One row per session. `current_hash` is the SHA-256 of the value the client holds now;
-- `previous_hash`/`rotated_instant` describe the value it replaced (one-time-use grace period).
CREATE TABLE refresh_tokens (
    id                TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id    TEXT NOT NULL,
    tenant_id         TEXT NOT NULL,
    current_hash      TEXT NOT NULL UNIQUE,
    previous_hash     TEXT,
    rotated_instant   INTEGER,
    insert_instant    INTEGER NOT NULL,
    start_instant     INTEGER NOT NULL,
    last_used_instant INTEGER NOT NULL,
    auth_time         INTEGER NOT NULL,
    meta_data         TEXT NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id, application_id);
CREATE INDEX refresh_tokens_application ON refresh_tokens (application_id);

-- Every value a one-time-use token has had, so reuse of an old value is recognised.
CREATE TABLE refresh_token_history (
    hash            TEXT PRIMARY KEY NOT NULL,
    token_id        TEXT NOT NULL REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    rotated_instant INTEGER NOT NULL
);
CREATE INDEX refresh_token_history_token ON refresh_token_history (token_id);
