-- WebAuthn (passkeys): registered credentials and pending ceremonies.

-- `data` is FusionAuth's WebAuthnCredential JSON; `passkey` the relying-party library's record
-- (public key, counter) used to verify assertions.
CREATE TABLE webauthn_credentials (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    data          TEXT NOT NULL,
    passkey       TEXT NOT NULL
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- A started ceremony, keyed by its challenge (base64url); used once, until `expires_instant`.
CREATE TABLE webauthn_challenges (
    challenge       TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_instant INTEGER NOT NULL,
    data            TEXT NOT NULL
);
