//! What operators call: `/health`, `/ready`, `/stats`, `/metrics`, `/openapi.json`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use newsdex::IndexStats;
use serde::Serialize;

use crate::{ApiError, AppState, ReadAccess};

#[derive(Serialize)]
pub(crate) struct Health {
    status: &'static str,
}

/// `GET /health`: the process answers.
pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize)]
pub(crate) struct Ready {
    status: &'static str,
    articles: u64,
    writes: &'static str,
}

/// `GET /ready`: the index is open, and the writer is running when writes are enabled.
pub(crate) async fn ready(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let writes_enabled = state.config().writes_enabled() && state.writer().is_some();
    if writes_enabled && !state.writer().is_some_and(|queue| queue.is_running()) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the index writer has stopped",
        ));
    }
    Ok(Json(Ready {
        status: "ready",
        articles: state.index().num_articles(),
        writes: if writes_enabled { "enabled" } else { "disabled" },
    }))
}

#[derive(Serialize)]
pub(crate) struct Stats {
    #[serde(flatten)]
    index: IndexStats,
    uptime_seconds: f64,
    version: &'static str,
    writes: &'static str,
}

/// `GET /stats`: what the index holds, what built it, how long the server has run.
pub(crate) async fn stats(
    _access: ReadAccess,
    State(state): State<AppState>,
) -> Result<Json<Stats>, ApiError> {
    let index = state.index().clone();
    let index_stats = tokio::task::spawn_blocking(move || index.stats())
        .await
        .map_err(|join_error| ApiError::internal(format!("stats task failed: {join_error}")))??;
    let writes_enabled = state.config().writes_enabled() && state.writer().is_some();
    Ok(Json(Stats {
        index: index_stats,
        uptime_seconds: state.started().elapsed().as_secs_f64(),
        version: env!("CARGO_PKG_VERSION"),
        writes: if writes_enabled { "enabled" } else { "disabled" },
    }))
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(_access: ReadAccess, State(state): State<AppState>) -> impl IntoResponse {
    let text = state.metrics().render(&state);
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::openapi_document())
}
