//! The HTTP layer of newsdex: an axum [`Router`] over a [`newsdex::SearchBackend`] — a
//! local index ([`newsdex::LocalBackend`]) or a Quickwit cluster
//! ([`newsdex::QuickwitBackend`]); no handler knows which.
//!
//! The server is thin: each handler extracts the request, calls the backend (inside
//! `spawn_blocking`; writes are answered from the backend's callback, so a local group
//! commit holds no thread) and maps the library's error to a status in one place
//! ([`ApiError`]). Every decision about search lives in the library.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use newsdex::{LocalBackend, NewsIndex, WriterSettings};
//! use newsdex_server::{AppState, ServerConfig};
//!
//! let index = NewsIndex::open("news-index")?;
//! let backend = LocalBackend::with_writer(index, WriterSettings::default())?;
//! let config = ServerConfig { api_key: Some("write-secret".into()), ..ServerConfig::default() };
//! let state = AppState::with_backend(Arc::new(backend)).with_config(config)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:7700").await?;
//! newsdex_server::serve(listener, newsdex_server::router(state.clone()), std::future::pending()).await?;
//! state.close_writer()?; // commits what is pending and releases the index
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - `routes`: the router — which route needs which key, and the middleware stack.
//! - `search`, `articles`, `operations`, `page`: the handlers.
//! - `params`: query strings, decoded strictly (not UTF-8: a 400).
//! - `auth`: the [`ReadAccess`] and [`WriteAccess`] extractors (`Authorization: Bearer`).
//! - `limits`: load shedding and JSON bodies for errors raised by middleware.
//! - `metrics`: Prometheus counters and histograms, rendered by hand.
//! - `openapi`: the OpenAPI document served at `/openapi.json`.
//! - `config`: [`ServerConfig`], keys and limits.
//! - `error`: [`ApiError`], the one place a library error becomes a status.

mod articles;
mod auth;
mod config;
mod error;
mod limits;
mod metrics;
mod openapi;
mod operations;
mod page;
mod params;
mod routes;
mod search;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use newsdex::{LocalBackend, NewsIndex, SearchBackend, WriteState};
use tokio::sync::Semaphore;

pub use crate::auth::{ReadAccess, WriteAccess};
pub use crate::config::ServerConfig;
pub use crate::error::ApiError;
pub use crate::openapi::openapi_document;
pub use crate::routes::router;

use crate::metrics::Metrics;

/// What every handler shares: the search backend, the configuration and the metrics.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    backend: Arc<dyn SearchBackend>,
    config: Arc<ServerConfig>,
    metrics: Arc<Metrics>,
    permits: Arc<Semaphore>,
    started: Instant,
}

impl AppState {
    /// Read-only state serving a local `index` with the default [`ServerConfig`].
    pub fn new(index: NewsIndex) -> AppState {
        AppState::with_backend(Arc::new(LocalBackend::new(index)))
    }

    /// State serving `backend` with the default [`ServerConfig`]. Writes are served (to
    /// callers with the API key) when the backend accepts them: a
    /// [`LocalBackend::with_writer`], or Quickwit.
    pub fn with_backend(backend: Arc<dyn SearchBackend>) -> AppState {
        // Now, not on the first Chinese query, which would wait for it.
        backend.analyzer().load_dictionary();
        let config = ServerConfig::default();
        let metrics = Arc::new(Metrics::new());
        let observed = Arc::clone(&metrics);
        backend.observe_commits(Arc::new(move |commit| observed.record_commit(commit)));
        AppState {
            backend,
            permits: Arc::new(Semaphore::new(config.max_concurrent_requests)),
            config: Arc::new(config),
            metrics,
            started: Instant::now(),
        }
    }

    /// Replaces the configuration, after checking it.
    pub fn with_config(mut self, config: ServerConfig) -> Result<AppState, String> {
        config.validate()?;
        self.permits = Arc::new(Semaphore::new(config.max_concurrent_requests));
        self.config = Arc::new(config);
        Ok(self)
    }

    /// The backend answering searches and taking writes.
    pub fn backend(&self) -> &Arc<dyn SearchBackend> {
        &self.backend
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether this server serves writes: an API key is set and the backend is not
    /// read-only (it may still have stopped: see [`SearchBackend::writes`]).
    pub fn writes_enabled(&self) -> bool {
        self.config.writes_enabled() && self.backend.writes() != WriteState::ReadOnly
    }

    /// Stops the backend's writes: refuses further writes, commits what is queued and
    /// releases the index (nothing to do for Quickwit). Call it after [`serve`] returns,
    /// when no request is in flight.
    pub fn close_writer(&self) -> newsdex::Result<()> {
        self.backend.close()
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub(crate) fn permits(&self) -> &Arc<Semaphore> {
        &self.permits
    }

    pub(crate) fn started(&self) -> Instant {
        self.started
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in
/// flight. Pending writes are committed by [`AppState::close_writer`] afterwards.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
