//! One error type for every handler: the caller's mistakes are 4xx with the message,
//! ours are a generic 500 with the details in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered as `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, code: "bad_request", message: message.into() }
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: message.into() }
    }

    /// Any status with a code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<newsdex::Error> for ApiError {
    fn from(error: newsdex::Error) -> ApiError {
        use newsdex::Error;
        let (status, code) = match &error {
            Error::InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            Error::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Error::InvalidArticle(_) => (StatusCode::BAD_REQUEST, "invalid_article"),
            Error::ArticleNotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::IndexLocked(_) => (StatusCode::SERVICE_UNAVAILABLE, "index_locked"),
            _ => {
                tracing::error!(error = %error, "internal error");
                return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal server error");
            }
        };
        ApiError { status, code, message: error.to_string() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: &self.message } };
        (self.status, Json(body)).into_response()
    }
}
