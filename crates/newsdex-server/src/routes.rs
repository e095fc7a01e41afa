//! The router: every route, the access it needs, and the middleware around it.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{from_fn_with_state, map_request};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::{AppState, articles, limits, metrics, operations, page, search};

/// The application: routes, keys, limits, CORS and metrics, all from `state`'s
/// [`ServerConfig`](crate::ServerConfig).
///
/// | route | access |
/// | --- | --- |
/// | `GET /`, `GET /health`, `GET /ready`, `GET /openapi.json` | open |
/// | `GET /search`, `POST /search`, `GET /articles/{id}`, `GET /articles/{id}/related`, `GET /stats`, `GET /metrics` | read key, when one is set |
/// | `POST /articles`, `DELETE /articles/{id}` | the API key |
///
/// Requests beyond `max_concurrent_requests` are answered 503 at once; `/health`,
/// `/ready` and `/metrics` are exempt, so a loaded server can still be watched.
///
/// Bodies sent with `Content-Encoding: gzip` are decompressed before the body limit, which
/// so bounds what they expand to; responses are gzip-compressed for clients that accept it.
pub fn router(state: AppState) -> Router {
    let config = state.config().clone();
    // The API: counted against the concurrency limit.
    let api = Router::new()
        .route("/search", get(search::search_get).post(search::search_post))
        .route("/articles", axum::routing::post(articles::post_articles))
        .route("/articles/{id}", get(articles::get_article).delete(articles::delete_article))
        .route("/articles/{id}/related", get(articles::related_articles))
        .route("/stats", get(operations::stats))
        .route("/", get(page::index))
        .route_layer(from_fn_with_state(state.clone(), limits::shed_load));
    let operations = Router::new()
        .route("/health", get(operations::health))
        .route("/ready", get(operations::ready))
        .route("/metrics", get(operations::metrics))
        .route("/openapi.json", get(operations::openapi));
    let mut app = api
        .merge(operations)
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(RequestDecompressionLayer::new())
        .layer(map_request(limits::lowercase_content_encoding))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, config.request_timeout));
    if let Some(cors) = cors_layer(&config.cors_origins) {
        app = app.layer(cors);
    }
    app.layer(from_fn_with_state(state.clone(), limits::json_errors))
        .layer(CompressionLayer::new())
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}

/// CORS for the configured origins, or none (the default) when there are none.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([HeaderName::from_static("retry-after")])
            .max_age(std::time::Duration::from_secs(600)),
    )
}
