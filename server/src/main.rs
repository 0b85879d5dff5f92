use std::sync::Arc;

use leptos::config::get_configuration;
use server::config::Config;
use server::db::Db;
use server::edge_sync::EdgeClient;
use server::email::{run_dispatcher, Mailer};
use server::services::Services;
use server::state::AppState;
use tokio::sync::Notify;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    let mailer = Mailer::new(&config.smtp_url, &config.mail_from_address)?;
    let outbox_wake = Arc::new(Notify::new());
    tokio::spawn(run_dispatcher(
        db.clone(),
        mailer.clone(),
        outbox_wake.clone(),
    ));

    let services = Arc::new(Services {
        edge: EdgeClient::new(&config.edge_url, config.edge_secret.clone()),
        db,
        config,
        mailer,
        outbox_wake,
    });
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
