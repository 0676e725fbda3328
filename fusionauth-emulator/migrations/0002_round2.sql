-- Webhooks, user actions (failed-login lockout), two-factor challenges.

CREATE TABLE webhooks (
    id   TEXT PRIMARY KEY NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE user_actions (
    id   TEXT PRIMARY KEY NOT NULL,
    data TEXT NOT NULL
);

-- Consecutive failed logins: each failure within resetCountInSeconds of the previous one counts.
CREATE TABLE failed_logins (
    user_id              TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    count                INTEGER NOT NULL,
    last_failure_instant INTEGER NOT NULL
);

-- User actions applied to users (e.g. the lockout action); `expiry` NULL = until cancelled.
CREATE TABLE user_action_log (
    id             TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action_id      TEXT NOT NULL,
    create_instant INTEGER NOT NULL,
    expiry         INTEGER,
    data           TEXT NOT NULL
);
CREATE INDEX user_action_log_user ON user_action_log (user_id);

-- Pending two-factor logins (`twoFactorId`), with the original login request's options.
CREATE TABLE two_factor_challenges (
    id             TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    create_instant INTEGER NOT NULL,
    data           TEXT NOT NULL
);
