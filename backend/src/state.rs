//! What every handler can reach: the services, built once at start by
//! [`crate::startup::Application::build`]. Nothing below this module imports it.

use shared::store::AppConfig;
use sqlx::AnyPool;

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::device::DeviceSessions;
use crate::login_proxy::LoginProxy;
use crate::settings::Secret;

/// Shared by every worker through `web::Data<AppState>`.
#[derive(Debug)]
pub struct AppState {
    pub pool: AnyPool,
    pub auth: Authenticator,
    pub clock: Clock,
    pub app_config: AppConfig,
    /// `APP_FUSIONAUTH_WEBHOOK_SECRET`, when set.
    pub webhook_secret: Option<Secret>,
    /// `POST /api/login`, when `APP_FUSIONAUTH_API_KEY` is set.
    pub login_proxy: Option<LoginProxy>,
    /// Device-bound sessions, when `APP_DEVICE_BINDING=required`.
    pub(crate) device: Option<DeviceSessions>,
}
