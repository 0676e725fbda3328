//! `backend`: the store API and the PWA's web server. Configuration: `backend --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    backend::telemetry::init();
    let settings = backend::Settings::parse();
    let app = backend::Application::build(settings).await?;
    tracing::info!(url = %app.base_url(), "listening");
    app.run_until_stopped().await?;
    Ok(())
}
