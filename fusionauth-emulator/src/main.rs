//! `fusionauth-emulator`: a FusionAuth-compatible server for development and tests.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use fusionauth_emulator::{Application, Kickstart, Settings};

/// mimalloc rather than the system allocator: a refresh makes many small, short-lived
/// allocations across threads (HTTP, JSON, SQLite rows), where it is markedly faster than
/// glibc's (about a fifth more refreshes per second in `cargo xtask bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A FusionAuth-compatible server: Login, JWT, user and Kickstart APIs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(
        long,
        env = "FUSIONAUTH_EMULATOR_LISTEN",
        default_value = "127.0.0.1:9011"
    )]
    listen: SocketAddr,
    /// FusionAuth Kickstart file, applied once to an empty database.
    #[arg(long, env = "FUSIONAUTH_EMULATOR_KICKSTART")]
    kickstart: Option<PathBuf>,
    /// Overrides one of the Kickstart file's `variables`, as `NAME=VALUE` (repeatable).
    #[arg(long = "kickstart-var", value_name = "NAME=VALUE", value_parser = parse_variable, requires = "kickstart")]
    kickstart_vars: Vec<(String, String)>,
    /// SQLite database URL (`sqlite::memory:` for a throwaway one).
    #[arg(
        long = "database",
        env = "FUSIONAUTH_EMULATOR_DATABASE_URL",
        default_value = "sqlite:fusionauth-emulator.db?mode=rwc"
    )]
    database_url: String,
    /// Enable `POST /_emulator/clock` (loopback addresses only).
    #[arg(long)]
    test_hooks: bool,
    /// Leave `sid` out of the Login API's access tokens (FusionAuth documents it for OAuth
    /// tokens only).
    #[arg(long, env = "FUSIONAUTH_EMULATOR_OMIT_LOGIN_SID")]
    omit_login_sid: bool,
    /// Leave `email`, `email_verified` and `preferred_username` out of the Login API's access
    /// tokens of applications with `scopeHandlingPolicy: Strict` (as for OAuth tokens).
    #[arg(long, env = "FUSIONAUTH_EMULATOR_STRICT_LOGIN_CLAIMS")]
    strict_login_claims: bool,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let mut kickstart = cli
        .kickstart
        .as_deref()
        .map(Kickstart::from_path)
        .transpose()?;
    if let Some(kickstart) = &mut kickstart {
        for (name, value) in &cli.kickstart_vars {
            kickstart.set_variable(name, value.as_str());
        }
    }
    let application = Application::build(Settings {
        listen: cli.listen,
        database_url: cli.database_url,
        kickstart,
        test_hooks: cli.test_hooks,
        omit_login_sid: cli.omit_login_sid,
        strict_login_claims: cli.strict_login_claims,
    })
    .await?;
    println!(
        "FusionAuth emulator listening on {}",
        application.base_url()
    );
    application.run_until_stopped().await?;
    Ok(())
}

/// `NAME=VALUE` → (`NAME`, `VALUE`).
fn parse_variable(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}
