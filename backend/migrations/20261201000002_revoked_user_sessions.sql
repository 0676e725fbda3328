-- One of a user's sessions was revoked (FusionAuth's single-token event names its user): the
-- user's JWTs issued before `revoked_before` that carry no `sid` (FusionAuth documents `sid`
-- for OAuth tokens only) cannot be told apart from the revoked session's, so each must come
-- with a refresh token FusionAuth still honours. Portable SQL, epoch milliseconds.
CREATE TABLE revoked_user_sessions (
    issuer         TEXT   NOT NULL,
    subject        TEXT   NOT NULL,
    revoked_before BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
