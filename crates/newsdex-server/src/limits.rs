//! Load shedding, and JSON bodies for the errors that middleware and routing raise.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{ALLOW, CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::OwnedSemaphorePermit;

use crate::{ApiError, AppState};

/// Middleware: answers 503 at once when `max_concurrent_requests` requests are already
/// being served, rather than queueing without bound.
pub(crate) async fn shed_load(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Ok(permit) = Arc::clone(state.permits()).try_acquire_owned() else {
        state.metrics().record_shed();
        return ApiError::overloaded(format!(
            "the server is at its limit of {} concurrent requests; retry shortly",
            state.config().max_concurrent_requests
        ))
        .into_response();
    };
    let slot = Slot { _permit: Some(Arc::new(permit)) };
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    drop(slot);
    response
}

/// A request's place among the `max_concurrent_requests`, held by the request and by the
/// blocking work it starts. A request past the timeout is answered 503 at once, but its
/// work on a blocking thread cannot be stopped and runs to its end; it keeps the place
/// until then, so the limit counts the work the server is really doing.
#[derive(Clone)]
pub(crate) struct Slot {
    /// Released when the last holder drops it.
    _permit: Option<Arc<OwnedSemaphorePermit>>,
}

impl Slot {
    /// Runs `work` on a blocking thread, holding the place until it ends; `what` names
    /// the work in the error if the thread fails.
    pub(crate) async fn run<T: Send + 'static>(
        self,
        what: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        tokio::task::spawn_blocking(move || {
            let _held = self;
            work()
        })
        .await
        .map_err(|join_error| ApiError::internal(format!("{what} task failed: {join_error}")))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Slot {
    type Rejection = Infallible;

    /// The place `shed_load` took; none on the routes it does not guard.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Slot, Infallible> {
        Ok(parts.extensions.get::<Slot>().cloned().unwrap_or(Slot { _permit: None }))
    }
}

/// Request map: content codings are case-insensitive (RFC 9110), so `Content-Encoding:
/// GZIP` is read as `gzip` by the decompression layer, which compares exactly.
pub(crate) async fn lowercase_content_encoding(mut request: Request) -> Request {
    if let Some(value) = request.headers_mut().get_mut(CONTENT_ENCODING)
        && let Ok(text) = value.to_str()
        && text.bytes().any(|byte| byte.is_ascii_uppercase() || byte.is_ascii_whitespace())
        && let Ok(lowered) = HeaderValue::from_str(&text.trim().to_ascii_lowercase())
    {
        *value = lowered;
    }
    request
}

/// Middleware: gives every error answered without a JSON body (no route, wrong method,
/// a body over the limit, a timeout) the `{"error": {"code", "message"}}` shape.
pub(crate) async fn json_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let encoding = request
        .headers()
        .get(CONTENT_ENCODING)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", format!("no route for {method} {path}; see /openapi.json")),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", format!("{method} is not allowed on {path}"))
        }
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            format!("the body is larger than the limit of {} bytes", state.config().max_body_bytes),
        ),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            format!(
                "the request took longer than the server's limit of {:.1} s",
                state.config().request_timeout.as_secs_f64()
            ),
        ),
        // Handlers answer a wrong content type themselves, in JSON; this is the body's
        // encoding, refused before any handler runs.
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            match encoding {
                Some(encoding) => {
                    format!(
                        "Content-Encoding {encoding:?} is not supported; send the body as it is or with gzip"
                    )
                }
                None => "unsupported content type".to_string(),
            },
        ),
        other if other.is_server_error() => {
            return ApiError::internal(format!("{other} from {method} {path}")).into_response();
        }
        other => ("bad_request", other.canonical_reason().unwrap_or("bad request").to_lowercase()),
    };
    let allow: Option<HeaderValue> = response.headers().get(ALLOW).cloned();
    let mut error = ApiError::new(status, code, message);
    if let Some(allow) = allow {
        error = error.with_header(ALLOW, allow);
    }
    error.into_response()
}
