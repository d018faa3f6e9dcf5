//! `serve` (the HTTP API and the delivery worker, until SIGTERM or Ctrl-C) and `demo`.

use std::net::SocketAddr;

use clap::Args;
use serde_json::{json, Value};

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::{demo, server};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; else ENGAGE_LISTEN, else 127.0.0.1:8787.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Base URL clients use to reach this server (used in the copied curls); else
    /// ENGAGE_PUBLIC_URL, else http://<listen address>.
    #[arg(long)]
    pub public_url: Option<String>,
}

/// Runs the server until a signal → `{"stopped", "listen"}`.
pub async fn serve(config: ServerConfig) -> Result<Value, ServerError> {
    let running = server::start(config).await?;
    let addr = running.local_addr();
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(json!({ "stopped": true, "listen": addr.to_string() }))
}

/// Seeds the sandbox workspace → its credentials (the same every time).
pub async fn demo(config: &ServerConfig) -> Result<Value, ServerError> {
    let key = config.load_secret_key()?;
    let store = super::open(config).await?;
    let result = demo::seed(&store, &key).await;
    store.close().await;
    Ok(serde_json::to_value(result?).expect("credentials serialise"))
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
