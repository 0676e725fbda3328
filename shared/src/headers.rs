//! Header names the PWA and the backend agree on for moving tokens (workflow steps 4–9).

/// Request header: the refresh token, sent by the PWA only when its JWT has expired or is about to.
pub const REFRESH_TOKEN: &str = "X-Refresh-Token";
/// Response header: the JWT the backend obtained from FusionAuth; it replaces the PWA's stored JWT.
pub const NEW_ACCESS_TOKEN: &str = "X-New-Access-Token";
/// Response header: the rotated refresh token, present when FusionAuth issued a new value.
pub const NEW_REFRESH_TOKEN: &str = "X-New-Refresh-Token";
