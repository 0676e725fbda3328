-- Passwords and email: change-password ids, one-time passwords, email verification ids (all
-- stored as SHA-256 hashes of the value), and the outbox of sent emails.

CREATE TABLE change_password_ids (
    id_hash        TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expiry         INTEGER NOT NULL,
    -- 1 when the id was sent by email (using it verifies the email implicitly).
    emailed        INTEGER NOT NULL,
    -- The forgot-password request's `state` (JSON object), or NULL.
    state          TEXT
);
CREATE INDEX change_password_ids_user ON change_password_ids (user_id);

CREATE TABLE one_time_passwords (
    id_hash        TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expiry         INTEGER NOT NULL
);

CREATE TABLE email_verification_ids (
    id_hash        TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The `FormField` strategy's code (hashed), or NULL for `ClickableLink`.
    code_hash      TEXT,
    expiry         INTEGER NOT NULL
);
CREATE INDEX email_verification_ids_user ON email_verification_ids (user_id);

-- Every email the emulator sends, as rendered (`delivery`: `outbox`, `smtp` or `smtp-failed`).
CREATE TABLE outbox (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL,
    template       TEXT NOT NULL,
    to_address     TEXT NOT NULL,
    from_address   TEXT NOT NULL,
    subject        TEXT NOT NULL,
    text_body      TEXT NOT NULL,
    html_body      TEXT NOT NULL,
    delivery       TEXT NOT NULL,
    create_instant INTEGER NOT NULL
);
CREATE INDEX outbox_instant ON outbox (create_instant);
