//! Plumbing that knows nothing of FusionAuth's domain: HTTP requests and responses, the one
//! error type and its mapping to statuses, the CORS filter, outbound HTTP clients, batched SQL
//! statements and cryptography. Nothing here imports the domain, the store or the routes.

pub mod batch;
pub mod cors;
pub mod crypto;
pub mod error;
pub mod http;
pub mod outbound;
