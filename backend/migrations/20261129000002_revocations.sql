-- Revocations learnt from FusionAuth's `jwt.refresh-token.revoke` webhook (attack steps 19–20).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Instants are epoch milliseconds.
-- A row can be forgotten after `expires_at`: no JWT it refuses can still be unexpired by then.

-- One session (`sid` = the refresh token's id): every JWT carrying it is refused.
CREATE TABLE revoked_sessions (
    sid        TEXT   NOT NULL PRIMARY KEY,
    revoked_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- All of one user's sessions: JWTs of that user issued before `revoked_before` are refused.
CREATE TABLE revoked_users (
    issuer         TEXT   NOT NULL,
    subject        TEXT   NOT NULL,
    revoked_before BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

-- All of the application's sessions: every JWT issued before `revoked_before` is refused.
CREATE TABLE revoked_applications (
    application_id TEXT   NOT NULL PRIMARY KEY,
    revoked_before BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
