-- FusionAuth event ids already processed by POST /webhooks/fusionauth (any instance), kept for
-- as long as a delivery with that id could still pass the signature's `iat` window.
CREATE TABLE processed_webhook_events (
    event_id TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
