//! The HTTP layer of newsdex: an axum [`Router`] over a [`newsdex::NewsIndex`].
//!
//! The server is thin: each handler extracts the request, calls the library (inside
//! `spawn_blocking`, or through the library's [`newsdex::CommitQueue`] for writes) and maps
//! the library's error to a status in one place ([`ApiError`]). Every decision about search
//! lives in the library.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use newsdex::{NewsIndex, WriterSettings};
//! use newsdex_server::{AppState, ServerConfig};
//!
//! let index = NewsIndex::open("news-index")?;
//! let config = ServerConfig { api_key: Some("write-secret".into()), ..ServerConfig::default() };
//! let state = AppState::new(index).with_config(config)?.with_writer(WriterSettings::default())?;
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
use newsdex::{CommitQueue, CommitQueueSettings, NewsIndex, WriterSettings};
use tokio::sync::Semaphore;

pub use crate::auth::{ReadAccess, WriteAccess};
pub use crate::config::ServerConfig;
pub use crate::error::ApiError;
pub use crate::openapi::openapi_document;
pub use crate::routes::router;

use crate::metrics::Metrics;

/// What every handler shares: the index, its writer (when writes are enabled), the
/// configuration and the metrics. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    index: Arc<NewsIndex>,
    writer: Option<Arc<CommitQueue>>,
    config: Arc<ServerConfig>,
    metrics: Arc<Metrics>,
    permits: Arc<Semaphore>,
    started: Instant,
}

impl AppState {
    /// Read-only state serving `index` with the default [`ServerConfig`].
    pub fn new(index: NewsIndex) -> AppState {
        let config = ServerConfig::default();
        AppState {
            index: Arc::new(index),
            writer: None,
            permits: Arc::new(Semaphore::new(config.max_concurrent_requests)),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
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

    /// Opens the index's writer behind a [`CommitQueue`], so `POST /articles` and
    /// `DELETE /articles/{id}` are served (to callers with the API key). Fails if another
    /// writer holds the index.
    pub fn with_writer(mut self, settings: WriterSettings) -> newsdex::Result<AppState> {
        let writer = self.index.writer(settings)?;
        let metrics = Arc::clone(&self.metrics);
        let queue = CommitQueue::start_observed(writer, CommitQueueSettings::default(), move |commit| {
            metrics.record_commit(commit);
        });
        self.writer = Some(Arc::new(queue));
        Ok(self)
    }

    /// The index being served.
    pub fn index(&self) -> &Arc<NewsIndex> {
        &self.index
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The commit queue, when writes are enabled.
    pub fn writer(&self) -> Option<&Arc<CommitQueue>> {
        self.writer.as_ref()
    }

    /// Stops the writer: refuses further writes, commits what is queued and releases the
    /// index. Call it after [`serve`] returns, when no request is in flight.
    pub fn close_writer(&self) -> newsdex::Result<()> {
        match &self.writer {
            Some(queue) => queue.close(),
            None => Ok(()),
        }
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub(crate) fn permits(&self) -> &Semaphore {
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
