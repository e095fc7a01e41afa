//! What operators call: `/health`, `/ready`, `/stats`, `/metrics`, `/openapi.json`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use newsdex::{BackendStats, WriteState};
use serde::Serialize;

use crate::limits::Slot;
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
    backend: &'static str,
    articles: u64,
    writes: &'static str,
}

/// `GET /ready`: the backend answers (the local index is open; Quickwit answers a count
/// of the index), and the writer runs when writes are enabled.
pub(crate) async fn ready(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let writes_enabled = state.writes_enabled();
    if writes_enabled && state.backend().writes() != WriteState::Accepting {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the index writer has stopped",
        ));
    }
    let backend = state.backend().clone();
    let counted = tokio::task::spawn_blocking(move || backend.num_articles())
        .await
        .map_err(|join_error| ApiError::internal(format!("readiness task failed: {join_error}")))?;
    let articles = counted.map_err(|error| {
        tracing::warn!(%error, backend = state.backend().name(), "not ready");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("the {} backend does not answer; the server log has the details", state.backend().name()),
        )
    })?;
    Ok(Json(Ready {
        status: "ready",
        backend: state.backend().name(),
        articles,
        writes: if writes_enabled { "enabled" } else { "disabled" },
    }))
}

#[derive(Serialize)]
pub(crate) struct Stats {
    #[serde(flatten)]
    backend: BackendStats,
    uptime_seconds: f64,
    version: &'static str,
    writes: &'static str,
}

/// `GET /stats`: what the backend holds, what built it, how long the server has run.
pub(crate) async fn stats(
    _access: ReadAccess,
    slot: Slot,
    State(state): State<AppState>,
) -> Result<Json<Stats>, ApiError> {
    let backend = state.backend().clone();
    let backend_stats = slot.run("stats", move || backend.stats()).await??;
    Ok(Json(Stats {
        backend: backend_stats,
        uptime_seconds: state.started().elapsed().as_secs_f64(),
        version: env!("CARGO_PKG_VERSION"),
        writes: if state.writes_enabled() { "enabled" } else { "disabled" },
    }))
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(_access: ReadAccess, State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.backend().clone();
    // A backend that does not answer leaves the article gauge out rather than failing
    // the scrape: newsdex_backend_up says so.
    let articles =
        tokio::task::spawn_blocking(move || backend.num_articles()).await.ok().and_then(|counted| {
            counted.map_err(|error| tracing::warn!(%error, "cannot count articles for /metrics")).ok()
        });
    let text = state.metrics().render(&state, articles);
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::openapi_document())
}
