-- Fidelity with FusionAuth's documentation: each code tried against a pending two-factor login.
ALTER TABLE two_factor_challenges ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- Usernames are unique, and found, regardless of case (FusionAuth's user request body); the
-- column holds the username lower-cased by the emulator (Unicode-aware for new rows).
ALTER TABLE users ADD COLUMN username_key TEXT;
UPDATE users SET username_key = lower(username) WHERE username IS NOT NULL;
CREATE UNIQUE INDEX users_tenant_username_key ON users (tenant_id, username_key)
    WHERE username_key IS NOT NULL;
