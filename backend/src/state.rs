//! What every handler can reach.

use shared::store::AppConfig;
use sqlx::AnyPool;

use crate::auth::Authenticator;
use crate::clock::Clock;

/// Shared by every worker through `web::Data<AppState>`.
#[derive(Debug)]
pub struct AppState {
    pub pool: AnyPool,
    pub auth: Authenticator,
    pub clock: Clock,
    pub app_config: AppConfig,
}
