-- Device-bound sessions (issue #11): one row per signed-in device, holding FusionAuth's refresh
-- token sealed (AES-256-GCM under APP_SESSION_KEY), and the hashes of the JWTs it handed out.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Instants are epoch milliseconds.

CREATE TABLE device_sessions (
    -- A UUID.
    id                   TEXT   NOT NULL PRIMARY KEY,
    -- The JWT's `iss` and `sub`, and the FusionAuth application (the JWT's `aud`).
    issuer               TEXT   NOT NULL,
    subject              TEXT   NOT NULL,
    application_id       TEXT   NOT NULL,
    -- RFC 7638 thumbprint of the device key: one key, one session.
    jkt                  TEXT   NOT NULL UNIQUE,
    -- FusionAuth's id of the refresh token (stable across one-time-use rotations), when known.
    refresh_token_id     TEXT,
    -- Base64 of nonce ‖ ciphertext ‖ tag; additional data = what it is + this row's id.
    sealed_refresh_token TEXT   NOT NULL,
    -- The latest JWT handed out, sealed the same way (requests that lost a refresh race use it).
    sealed_access_token  TEXT   NOT NULL,
    -- Short, from the User-Agent ("Safari on iPhone"); never the raw header.
    device_label         TEXT   NOT NULL,
    created_at           BIGINT NOT NULL,
    last_used_at         BIGINT NOT NULL,
    -- Bumped by every refresh.
    generation           BIGINT NOT NULL DEFAULT 0,
    -- The one instance allowed to refresh, until when (a conditional UPDATE takes it).
    refresh_lease_until  BIGINT,
    refresh_lease_owner  TEXT
);

CREATE INDEX device_sessions_by_user ON device_sessions (issuer, subject);
CREATE INDEX device_sessions_by_refresh_token ON device_sessions (refresh_token_id);
CREATE INDEX device_sessions_by_application ON device_sessions (application_id);

-- Every JWT a session handed out (the hand-off's and each refresh's), by its SHA-256
-- (base64url, as a DPoP proof's `ath`), until it expires.
CREATE TABLE device_session_tokens (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    session_id TEXT   NOT NULL REFERENCES device_sessions (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);

CREATE INDEX device_session_tokens_by_session ON device_session_tokens (session_id);
CREATE INDEX device_session_tokens_by_expiry ON device_session_tokens (expires_at);
