//! The HTTP layer of newsdex: an axum [`Router`] over a [`newsdex::NewsIndex`].
//!
//! The server is thin: each handler extracts the request, calls the library inside
//! `spawn_blocking` and maps the library's error to a status in one place ([`ApiError`]).
//! Every decision about search lives in the library.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use newsdex::{Analyzer, NewsIndex};
//!
//! let index = NewsIndex::open("news-index").expect("an index");
//! let app = newsdex_server::router(newsdex_server::AppState::new(index));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:7700").await?;
//! newsdex_server::serve(listener, app, std::future::pending()).await
//! # }
//! ```

mod error;
mod routes;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use newsdex::NewsIndex;

pub use crate::error::ApiError;
pub use crate::routes::router;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    index: Arc<NewsIndex>,
}

impl AppState {
    /// State serving `index`.
    pub fn new(index: NewsIndex) -> AppState {
        AppState { index: Arc::new(index) }
    }

    /// The index being served.
    pub fn index(&self) -> &Arc<NewsIndex> {
        &self.index
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
