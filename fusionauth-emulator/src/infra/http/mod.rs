//! HTTP plumbing shared by the handlers: reading requests (JSON bodies, cookies, credentials
//! in headers) and writing responses.

pub mod request;
pub mod response;

pub use request::{Json, MAX_BODY_BYTES, authorization, bearer_jwt, client_ip, cookie, set_cookie};
pub use response::{empty_ok, json_builder, json_response, ok_json};
