//! One error type for every handler: the caller's mistakes are 4xx with the message,
//! ours are a generic 500 with the details in the log.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// An error answered as `{"error": {"code", "message"}}` (plus, for some, fields beside
/// `error` such as a write report).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    extra: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A 401 asking for a bearer token.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"newsdex\""))
    }

    /// A 503 telling the caller to come back shortly.
    pub fn overloaded(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", message)
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    }

    /// A generic 500; the cause is logged, not shown.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal server error")
    }

    /// Any status with a code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), extra: Map::new(), headers: Vec::new() }
    }

    /// Adds fields beside `error` in the body.
    pub fn with_fields(mut self, fields: Map<String, Value>) -> ApiError {
        self.extra.extend(fields.into_iter().filter(|(name, _)| name != "error"));
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message shown to the caller.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<newsdex::Error> for ApiError {
    fn from(error: newsdex::Error) -> ApiError {
        use newsdex::Error;
        let (status, code) = match &error {
            Error::InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            Error::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Error::InvalidArticle(_) => (StatusCode::BAD_REQUEST, "invalid_article"),
            Error::InvalidDate(_) => (StatusCode::BAD_REQUEST, "invalid_date"),
            Error::ArticleNotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::IndexLocked(_) => (StatusCode::SERVICE_UNAVAILABLE, "index_locked"),
            Error::WriterClosed => (StatusCode::SERVICE_UNAVAILABLE, "writer_closed"),
            Error::Unsupported(_) => (StatusCode::NOT_IMPLEMENTED, "not_implemented"),
            // The search backend (Quickwit) failed: not the caller's doing, and its address
            // and messages stay in the log.
            Error::QuickwitUnreachable { .. } => {
                tracing::error!(%error, "the search backend does not answer");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "backend_unavailable",
                    "the search backend does not answer; retry later",
                )
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            Error::QuickwitStatus { .. } | Error::QuickwitResponse { .. } => {
                tracing::error!(%error, "the search backend failed");
                return ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "backend_error",
                    "the search backend failed; the server log has the details",
                );
            }
            _ => return ApiError::internal(error),
        };
        // The code already says what kind of mistake it is; the message says what is wrong.
        let message = match error {
            Error::InvalidQuery(message)
            | Error::InvalidRequest(message)
            | Error::InvalidArticle(message) => message,
            error => error.to_string(),
        };
        ApiError::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        let detail = ErrorDetail { code: self.code, message: &self.message };
        body.insert("error".to_string(), serde_json::to_value(detail).unwrap_or(Value::Null));
        body.extend(self.extra);
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
