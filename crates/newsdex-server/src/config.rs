//! Keys and limits of the HTTP layer. The CLI fills this from flags, `NEWSDEX_*`
//! variables and a TOML file; embedders build it directly.

use std::time::Duration;

/// Access keys and limits. [`ServerConfig::default`] is read-only (no API key), with CORS off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The key writes need (`Authorization: Bearer KEY`). Without one, the server accepts
    /// no writes.
    pub api_key: Option<String>,
    /// The key reads need, when set (the write key is accepted too). `/`, `/health`,
    /// `/ready` and `/openapi.json` never need a key.
    pub read_api_key: Option<String>,
    /// Largest request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Longest query, in characters (400 beyond); at most [`newsdex::MAX_QUERY_CHARS`].
    pub max_query_chars: usize,
    /// Deepest hit reachable by paging, `offset + limit` (400 beyond); at most
    /// [`newsdex::MAX_RESULT_WINDOW`].
    pub max_result_window: usize,
    /// Longest time a request may take (503 beyond).
    pub request_timeout: Duration,
    /// Requests served at once; more are answered 503 at once rather than queued.
    /// `/health`, `/ready` and `/metrics` are not counted.
    pub max_concurrent_requests: usize,
    /// Origins allowed to call the API from a browser (CORS). Empty: CORS is off; `*`:
    /// any origin.
    pub cors_origins: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            api_key: None,
            read_api_key: None,
            max_body_bytes: 16 << 20,
            max_query_chars: newsdex::MAX_QUERY_CHARS,
            max_result_window: newsdex::MAX_RESULT_WINDOW,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 256,
            cors_origins: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// Checks the settings, with a message naming the bad one.
    pub fn validate(&self) -> Result<(), String> {
        for (name, key) in [("api key", &self.api_key), ("read api key", &self.read_api_key)] {
            if let Some(key) = key {
                if key.trim().is_empty() {
                    return Err(format!("the {name} is empty; give a key or leave it unset"));
                }
                if !key.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(format!(
                        "the {name} must be printable ASCII without spaces (it travels in a header)"
                    ));
                }
            }
        }
        if self.max_body_bytes == 0 {
            return Err("max body size must be positive".to_string());
        }
        if !(1..=newsdex::MAX_QUERY_CHARS).contains(&self.max_query_chars) {
            return Err(format!(
                "max query length must be between 1 and {} characters, not {}",
                newsdex::MAX_QUERY_CHARS,
                self.max_query_chars
            ));
        }
        if !(1..=newsdex::MAX_RESULT_WINDOW).contains(&self.max_result_window) {
            return Err(format!(
                "max result window must be between 1 and {}, not {}",
                newsdex::MAX_RESULT_WINDOW,
                self.max_result_window
            ));
        }
        if self.request_timeout.is_zero() {
            return Err("request timeout must be positive".to_string());
        }
        if self.max_concurrent_requests == 0 {
            return Err("max concurrent requests must be positive".to_string());
        }
        for origin in &self.cors_origins {
            let valid = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && axum::http::HeaderValue::from_str(origin).is_ok()
                    && !origin.ends_with('/'));
            if !valid {
                return Err(format!(
                    "CORS origin {origin:?} must be \"*\" or scheme://host[:port] without a trailing slash"
                ));
            }
        }
        Ok(())
    }

    /// Whether writes are possible at all (an API key is set).
    pub fn writes_enabled(&self) -> bool {
        self.api_key.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_named() {
        let cases: [(ServerConfig, &str); 5] = [
            (ServerConfig { api_key: Some(" ".into()), ..ServerConfig::default() }, "api key is empty"),
            (ServerConfig { read_api_key: Some("a b".into()), ..ServerConfig::default() }, "read api key"),
            (ServerConfig { max_query_chars: 100_000, ..ServerConfig::default() }, "max query length"),
            (ServerConfig { max_result_window: 0, ..ServerConfig::default() }, "max result window"),
            (ServerConfig { cors_origins: vec!["example.com".into()], ..ServerConfig::default() }, "CORS"),
        ];
        for (config, named) in cases {
            let error = config.validate().expect_err(named);
            assert!(error.contains(named), "{error}");
        }
        ServerConfig::default().validate().expect("the defaults are valid");
    }
}
