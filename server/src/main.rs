use std::process::ExitCode;
use std::sync::Arc;

use leptos::config::get_configuration;
use server::config::Config;
use server::db::Db;
use server::edge_sync::publisher::run_edge_sync;
use server::email::dispatcher::run_dispatcher;
use server::notifications::run_digests;
use server::sdi::mailbox::run_mailboxes;
use server::sending::reminders::run_reminders;
use server::services::Services;
use server::state::AppState;
use server::verifactu::sender::run_verifactu;

/// `server` serves; `server verify-verifactu [--organisation ID]` checks the
/// VERI*FACTU chains, prints its verdict (nothing else) and exits.
#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.split_first() {
        None => serve().await.map(|()| ExitCode::SUCCESS),
        Some((command, rest)) if command == "verify-verifactu" => {
            Ok(server::verify_verifactu::run(rest).await)
        }
        Some((command, _)) => {
            eprintln!("unknown command {command:?}; the commands are: (none) to serve, verify-verifactu [--organisation ID]");
            Ok(ExitCode::from(2))
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let config = Config::from_env()?;
    let leptos_options = get_configuration(None)?.leptos_options;
    let address = leptos_options.site_addr;

    let db = Db::connect(&config.database_url).await?;
    let services = Arc::new(Services::new(db, config)?);
    tokio::spawn(run_dispatcher(services.clone()));
    tokio::spawn(run_reminders(services.clone()));
    tokio::spawn(run_digests(services.clone()));
    tokio::spawn(run_edge_sync(services.clone()));
    tokio::spawn(run_mailboxes(services.clone()));
    tokio::spawn(run_verifactu(services.clone()));
    let app = server::router(AppState {
        leptos_options,
        services,
    });

    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!("admin listening on http://{address}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
