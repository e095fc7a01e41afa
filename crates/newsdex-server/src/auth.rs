//! API keys, sent as `Authorization: Bearer KEY`. A handler states the access it needs
//! by taking [`ReadAccess`] or [`WriteAccess`]; both run before the body is read.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use crate::{ApiError, AppState};

/// Proof that the request may read: no read key is configured, or it carries the read
/// key or the write key. Otherwise the request is answered 401.
#[derive(Debug, Clone, Copy)]
pub struct ReadAccess;

/// Proof that the request may write: it carries the API key and the server has a writer.
/// Answered 401 without the key, 403 when the server accepts no writes.
#[derive(Debug, Clone, Copy)]
pub struct WriteAccess;

impl FromRequestParts<AppState> for ReadAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ReadAccess, ApiError> {
        let config = state.config();
        let Some(read_key) = &config.read_api_key else {
            return Ok(ReadAccess);
        };
        let token = bearer_token(&parts.headers)?;
        let accepted = keys_match(token, read_key)
            || config.api_key.as_deref().is_some_and(|key| keys_match(token, key));
        if accepted { Ok(ReadAccess) } else { Err(ApiError::unauthorized("the API key is not valid")) }
    }
}

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<WriteAccess, ApiError> {
        let (Some(key), true) = (&state.config().api_key, state.writes_enabled()) else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "writes_disabled",
                "this server accepts no writes: start it with an API key (--api-key or NEWSDEX_API_KEY)",
            ));
        };
        let token = bearer_token(&parts.headers)?;
        if keys_match(token, key) {
            Ok(WriteAccess)
        } else {
            Err(ApiError::unauthorized("the API key is not valid for writing"))
        }
    }
}

/// The token of `Authorization: Bearer TOKEN`, or a 401 saying what to send.
fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(ApiError::unauthorized("this request needs an API key: send Authorization: Bearer KEY"));
    };
    let text = value.to_str().unwrap_or_default().trim();
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::unauthorized("the Authorization header must be \"Bearer KEY\""));
    }
    Ok(token)
}

/// Compares in time independent of where the keys differ.
fn keys_match(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    let mut difference = given.len() ^ expected.len();
    for (index, &byte) in expected.iter().enumerate() {
        difference |= usize::from(given.get(index).copied().unwrap_or(0) ^ byte);
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_only_when_equal() {
        assert!(keys_match("secret", "secret"));
        for other in ["", "secre", "secret2", "Secret", "secreT"] {
            assert!(!keys_match(other, "secret"), "{other}");
        }
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively_and_checked() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers).map_err(|e| e.status()), Err(StatusCode::UNAUTHORIZED));
        for (value, expected) in [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            ("Basic abc", None),
            ("Bearer", None),
        ] {
            headers.insert(AUTHORIZATION, value.parse().expect("header"));
            assert_eq!(bearer_token(&headers).ok(), expected, "{value}");
        }
    }
}
