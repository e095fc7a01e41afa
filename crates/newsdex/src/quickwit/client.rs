//! A small blocking client for the parts of Quickwit's REST API newsdex uses.
//!
//! Every call maps failures to typed errors: [`Error::QuickwitUnreachable`] when nothing
//! answers, [`Error::QuickwitStatus`] for a 4xx or 5xx (with Quickwit's own message), and
//! [`Error::QuickwitResponse`] when the answer is not the JSON the documentation promises.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// Longest answer read, in bytes: a search page of 100 long articles fits many times.
const MAX_RESPONSE_BYTES: u64 = 256 << 20;

/// Statuses worth retrying a write for: Quickwit's ingest queue is full (429) or the
/// cluster is momentarily unavailable (503).
const RETRYABLE: [u16; 2] = [429, 503];

/// A Quickwit cluster's REST API, at its base address (`http://host:7280`).
#[derive(Clone)]
pub struct QuickwitClient {
    base: String,
    agent: ureq::Agent,
    retries: u32,
    retry_pause: Duration,
}

impl std::fmt::Debug for QuickwitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuickwitClient").field("url", &self.base).finish()
    }
}

/// What was sent, for error messages.
struct Call<'a> {
    method: &'static str,
    url: &'a str,
}

impl QuickwitClient {
    /// A client for the cluster at `url` (`http://host:7280`, with or without a trailing
    /// `/`), with a 60-second timeout per call.
    pub fn new(url: &str) -> Result<QuickwitClient> {
        QuickwitClient::with_timeout(url, Duration::from_secs(60))
    }

    /// A client whose calls give up after `timeout`.
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<QuickwitClient> {
        let base = url.trim().trim_end_matches('/').to_string();
        let Some(rest) = base.strip_prefix("http://").or_else(|| base.strip_prefix("https://")) else {
            return Err(Error::InvalidRequest(format!(
                "the quickwit url {url:?} must start with http:// or https://, e.g. http://localhost:7280"
            )));
        };
        if rest.is_empty() {
            return Err(Error::InvalidRequest(format!("the quickwit url {url:?} has no host")));
        }
        if base.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(Error::InvalidRequest(format!(
                "the quickwit url {url:?} uses https, but this newsdex was built without TLS: \
                 rebuild with the `tls` feature, or use http://"
            )));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(QuickwitClient { base, agent, retries: 6, retry_pause: Duration::from_millis(500) })
    }

    /// Retries writes answered 429 or 503 up to `retries` times, pausing `pause`, then
    /// twice as long, and so on.
    pub fn with_retries(mut self, retries: u32, pause: Duration) -> QuickwitClient {
        self.retries = retries;
        self.retry_pause = pause;
        self
    }

    /// The base address.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Deletes the index `index_id` and its data; `false` when there was none.
    pub fn delete_index(&self, index_id: &str) -> Result<bool> {
        super::mapping::validate_index_id(index_id)?;
        self.delete(&format!("/api/v1/indexes/{index_id}"))
    }

    /// `GET path`; `None` when Quickwit answers 404.
    pub(crate) fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        let url = format!("{}{path}", self.base);
        let call = Call { method: "GET", url: &url };
        let response = self.agent.get(&url).call().map_err(|error| unreachable(&call, error))?;
        let (status, text) = read(&call, response)?;
        if status == 404 {
            return Ok(None);
        }
        check_status(&call, status, &text)?;
        parse(&call, &text).map(Some)
    }

    /// `POST path` with a JSON body and query parameters.
    pub(crate) fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &impl Serialize,
    ) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let call = Call { method: "POST", url: &url };
        let body = serde_json::to_string(body).map_err(|error| Error::InvalidRequest(error.to_string()))?;
        let (status, text) = self.post(&call, query, "application/json", body.as_bytes(), false)?;
        check_status(&call, status, &text)?;
        parse(&call, &text)
    }

    /// `POST path` with a newline-delimited JSON body, retrying on 429 and 503.
    pub(crate) fn post_ndjson<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let call = Call { method: "POST", url: &url };
        let (status, text) = self.post(&call, query, "application/x-ndjson", body, true)?;
        check_status(&call, status, &text)?;
        parse(&call, &text)
    }

    /// `DELETE path`; `false` when there was nothing to delete (404).
    pub(crate) fn delete(&self, path: &str) -> Result<bool> {
        let url = format!("{}{path}", self.base);
        let call = Call { method: "DELETE", url: &url };
        let response = self.agent.delete(&url).call().map_err(|error| unreachable(&call, error))?;
        let (status, text) = read(&call, response)?;
        if status == 404 {
            return Ok(false);
        }
        check_status(&call, status, &text)?;
        Ok(true)
    }

    fn post(
        &self,
        call: &Call<'_>,
        query: &[(&str, &str)],
        content_type: &str,
        body: &[u8],
        retry: bool,
    ) -> Result<(u16, String)> {
        let mut pause = self.retry_pause;
        let mut attempt = 0;
        loop {
            let mut request = self.agent.post(call.url).header("content-type", content_type);
            for (name, value) in query {
                request = request.query(*name, *value);
            }
            let response = request.send(body).map_err(|error| unreachable(call, error))?;
            let (status, text) = read(call, response)?;
            if !(retry && RETRYABLE.contains(&status) && attempt < self.retries) {
                return Ok((status, text));
            }
            tracing::warn!(status, attempt, url = call.url, "quickwit is busy; retrying");
            std::thread::sleep(pause);
            pause = pause.saturating_mul(2).min(Duration::from_secs(30));
            attempt += 1;
        }
    }
}

fn unreachable(call: &Call<'_>, error: ureq::Error) -> Error {
    Error::QuickwitUnreachable { url: call.url.to_string(), message: error.to_string() }
}

fn read(call: &Call<'_>, mut response: ureq::http::Response<ureq::Body>) -> Result<(u16, String)> {
    let status = response.status().as_u16();
    let text =
        response.body_mut().with_config().limit(MAX_RESPONSE_BYTES).read_to_string().map_err(|error| {
            Error::QuickwitResponse {
                method: call.method,
                url: call.url.to_string(),
                message: format!("cannot read the answer: {error}"),
            }
        })?;
    Ok((status, text))
}

/// A 4xx or 5xx as [`Error::QuickwitStatus`], with Quickwit's message: `{"message": …}`
/// from the native API, `{"error": {"reason": …}}` from the Elasticsearch-compatible one.
fn check_status(call: &Call<'_>, status: u16, text: &str) -> Result<()> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(Error::QuickwitStatus {
        status,
        method: call.method,
        url: call.url.to_string(),
        message: error_message(text),
    })
}

/// The message of an error answer.
pub(crate) fn error_message(text: &str) -> String {
    let from_json = serde_json::from_str::<Value>(text).ok().and_then(|value| {
        let message = value.get("message").and_then(Value::as_str).map(str::to_string);
        let reason = || {
            let error = value.get("error")?;
            error.get("reason").and_then(Value::as_str).or_else(|| error.as_str()).map(str::to_string)
        };
        message.or_else(reason)
    });
    from_json.unwrap_or_else(|| {
        let trimmed = text.trim();
        if trimmed.is_empty() { "(empty answer)".to_string() } else { trimmed.chars().take(300).collect() }
    })
}

fn parse<T: DeserializeOwned>(call: &Call<'_>, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|error| Error::QuickwitResponse {
        method: call.method,
        url: call.url.to_string(),
        message: format!("{error} in {:?}", text.chars().take(200).collect::<String>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert!(QuickwitClient::new("localhost:7280").is_err());
        assert!(QuickwitClient::new("http://").is_err());
        let client = QuickwitClient::new("http://localhost:7280/").expect("valid");
        assert_eq!(client.url(), "http://localhost:7280");
    }

    #[test]
    fn error_messages_come_from_either_api() {
        assert_eq!(error_message(r#"{"message": "index `news` not found"}"#), "index `news` not found");
        assert_eq!(
            error_message(r#"{"status": 400, "error": {"type": "illegal_argument", "reason": "bad query"}}"#),
            "bad query"
        );
        assert_eq!(error_message("upstream timed out"), "upstream timed out");
        assert_eq!(error_message(""), "(empty answer)");
    }
}
