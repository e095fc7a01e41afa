//! Load shedding, and JSON bodies for the errors that middleware and routing raise.

use axum::extract::{Request, State};
use axum::http::header::{ALLOW, CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// Middleware: answers 503 at once when `max_concurrent_requests` requests are already
/// being served, rather than queueing without bound.
pub(crate) async fn shed_load(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Ok(_permit) = state.permits().try_acquire() else {
        state.metrics().record_shed();
        return ApiError::overloaded(format!(
            "the server is at its limit of {} concurrent requests; retry shortly",
            state.config().max_concurrent_requests
        ))
        .into_response();
    };
    next.run(request).await
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
