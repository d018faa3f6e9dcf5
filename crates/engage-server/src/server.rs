//! [`start`]: migrate, bind, spawn the message writer, the delivery worker and the HTTP
//! server; [`RunningServer::shutdown`] stops them gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::http::{self, AppState};
use crate::store::writer::MessageWriter;
use crate::store::{QueueListener, Store};
use crate::whatsapp::provider::Providers;
use crate::worker;

/// How often expired tokens and idempotency keys older than 24 h are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// A server started by [`start`].
pub struct RunningServer {
    local_addr: SocketAddr,
    base_url: String,
    store: Store,
    shutdown_http: watch::Sender<bool>,
    shutdown_background: watch::Sender<bool>,
    http: JoinHandle<()>,
    worker: JoinHandle<()>,
    writer: JoinHandle<()>,
    /// Kept to give up this instance's leases after the worker stops.
    writer_handle: MessageWriter,
    purge: JoinHandle<()>,
    /// Status callbacks (issue 11).
    callbacks: JoinHandle<()>,
    /// The integration log's writer (issue 15).
    integration_log: JoinHandle<()>,
}

/// How long a graceful shutdown waits for requests in flight, then for the worker's
/// deliveries in flight (SIGTERM to exit stays within 10 s).
const HTTP_DRAIN: Duration = Duration::from_secs(4);
const WORKER_DRAIN: Duration = Duration::from_secs(4);

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addr", &self.local_addr)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Loads the secret key (refusing a missing one before connecting), opens and migrates the
/// database, binds `config.listen`, and runs the API, the message writer and the delivery
/// worker until [`RunningServer::shutdown`].
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    crate::metrics::install();
    let secret_key = config.load_secret_key()?;
    let store = Store::connect(&config.database_url).await?;
    crate::store::name_keys::recompute_once(&store).await?;
    if config.limits.load_phone_metadata_at_start {
        tokio::task::spawn_blocking(engage_core::PhoneNumber::load_metadata).await?;
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.listen,
        source,
    })?;
    let base_url = format!("http://{local_addr}");
    let public_url = config
        .public_url
        .clone()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| base_url.clone());

    let committed = Arc::new(Notify::new());
    // This instance's name on the leases it takes (several instances share one PostgreSQL).
    let instance = format!("{}-{}", local_addr, uuid::Uuid::new_v4().simple());
    let (writer_handle, writer) =
        MessageWriter::spawn(store.clone(), instance.clone(), committed.clone());
    let providers = Providers::from_config(
        store.clone(),
        secret_key.clone(),
        &config.whatsapp,
        &writer_handle,
    );
    let callback_key = secret_key.clone();
    let retry = worker::RetryPolicy::with_base(config.whatsapp.retry_base);
    let (integration_log, integration_log_task) = if config.integration_log {
        crate::integration_log::IntegrationLog::spawn(store.clone())
    } else {
        crate::integration_log::IntegrationLog::off()
    };
    let state = AppState::new(
        store.clone(),
        writer_handle.clone(),
        secret_key,
        public_url,
        &config,
        integration_log,
    );
    let app = http::router(state);

    let (shutdown_http, http_signal) = watch::channel(false);
    let (shutdown_background, background_signal) = watch::channel(false);
    let http = tokio::spawn(crate::listener::serve(
        listener,
        app,
        config.limits.clone(),
        http_signal,
    ));
    let listener = store.pg_pool().cloned().map(QueueListener::new);
    let worker = tokio::spawn(worker::run(
        store.clone(),
        writer_handle.clone(),
        providers,
        retry,
        i64::try_from(config.delivery_lease.as_millis()).unwrap_or(i64::MAX),
        committed,
        listener,
        background_signal.clone(),
    ));
    let dispatcher = crate::callbacks::Dispatcher::new(
        store.clone(),
        callback_key,
        config.callbacks,
        instance.clone(),
        i64::try_from(config.delivery_lease.as_millis()).unwrap_or(i64::MAX),
    );
    let callbacks = tokio::spawn(dispatcher.run(background_signal.clone()));
    let purge = tokio::spawn(purge_loop(store.clone(), background_signal));
    tracing::info!("listening on {base_url}");
    Ok(RunningServer {
        local_addr,
        base_url,
        store,
        shutdown_http,
        shutdown_background,
        http,
        worker,
        writer,
        writer_handle,
        purge,
        callbacks,
        integration_log: integration_log_task,
    })
}

async fn purge_loop(store: Store, mut shutdown: watch::Receiver<bool>) {
    loop {
        match store.purge_idempotency_keys().await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "purged old idempotency keys"),
            Err(error) => tracing::warn!(%error, "purging idempotency keys failed"),
        }
        if let Err(error) = store.purge_expired_tokens().await {
            tracing::warn!(%error, "purging expired tokens failed");
        }
        if let Err(error) = store.purge_expired_sessions().await {
            tracing::warn!(%error, "purging expired sessions failed");
        }
        if let Err(error) = store.purge_callbacks().await {
            tracing::warn!(%error, "purging old status callbacks failed");
        }
        if let Err(error) = store.purge_integration_calls().await {
            tracing::warn!(%error, "purging the integration log failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_INTERVAL) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<bound address>`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The server's store (the desktop sandbox signs its demo user in through it).
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Stops accepting connections, lets in-flight requests finish (their messages are
    /// committed before they answer; at most [`HTTP_DRAIN`]), lets the worker finish the
    /// deliveries in flight (at most [`WORKER_DRAIN`]), gives up this instance's leases so
    /// other instances deliver its claimed messages at once, and closes the database.
    pub async fn shutdown(self) {
        let _ = self.shutdown_http.send(true);
        join_within("HTTP server", self.http, HTTP_DRAIN).await;
        // The router held the integration log's only handle: its task writes what is queued.
        join_within(
            "integration log",
            self.integration_log,
            Duration::from_secs(1),
        )
        .await;
        let _ = self.shutdown_background.send(true);
        join_within("delivery worker", self.worker, WORKER_DRAIN).await;
        join_within("purge", self.purge, WORKER_DRAIN).await;
        join_within("callback dispatcher", self.callbacks, WORKER_DRAIN).await;
        match self.writer_handle.release_leases().await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "released this instance's delivery leases"),
            Err(error) => tracing::warn!(%error, "releasing delivery leases failed"),
        }
        // Once the router, the worker and this handle are gone, the writer commits what it
        // still holds and stops.
        drop(self.writer_handle);
        join_within("message writer", self.writer, WORKER_DRAIN).await;
        self.store.close().await;
        tracing::info!("server stopped");
    }
}

/// Waits for a task up to `limit`, then aborts it.
async fn join_within(what: &str, mut task: JoinHandle<()>, limit: Duration) {
    match tokio::time::timeout(limit, &mut task).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "{what} task failed"),
        Err(_) => {
            tracing::warn!("{what} did not stop within {limit:?}; aborting it");
            task.abort();
        }
    }
}
