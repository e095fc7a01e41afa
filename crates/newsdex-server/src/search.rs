//! `GET /search` and `POST /search`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use newsdex::{ArticleDate, Lang, SearchRequest, SearchResponse, SortOrder};

use crate::limits::Slot;
use crate::params::{Params, refuse_repeats};
use crate::{ApiError, AppState, ReadAccess};

/// `GET /search?q=…&limit=&offset=&lang=&source=&category=&from=&to=&sort=&facets=…`
pub(crate) async fn search_get(
    _access: ReadAccess,
    slot: Slot,
    State(state): State<AppState>,
    Params(params): Params,
) -> Result<Json<SearchResponse>, ApiError> {
    let request = search_request_from_params(&params)?;
    run_search(state, slot, request).await
}

/// `POST /search` with a JSON [`SearchRequest`] body.
pub(crate) async fn search_post(
    _access: ReadAccess,
    slot: Slot,
    State(state): State<AppState>,
    body: Result<Json<SearchRequest>, JsonRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Json(request) = body.map_err(|rejection| json_rejection(rejection, state.config().max_body_bytes))?;
    if request.query.trim().is_empty() {
        return Err(ApiError::bad_request("the request needs a non-empty \"query\""));
    }
    run_search(state, slot, request).await
}

/// A body `POST /search` cannot use, with a code saying why: the wrong content type
/// (415), too large (413), not JSON (400) or not a search request (422).
fn json_rejection(rejection: JsonRejection, max_body_bytes: usize) -> ApiError {
    let status = rejection.status();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            format!("the body is larger than the limit of {max_body_bytes} bytes"),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "POST /search takes a JSON body: send Content-Type: application/json",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::new(
            status,
            "invalid_request",
            format!("the body is not a search request: {}", cause(&rejection)),
        ),
        _ => ApiError::new(status, "bad_request", format!("the body is not JSON: {}", cause(&rejection))),
    }
}

/// What serde_json said, without the extractor's own preamble. serde_json says column 0
/// for a value refused before its first character is read; columns are counted from 1.
fn cause(rejection: &JsonRejection) -> String {
    let message =
        std::error::Error::source(rejection).map_or_else(|| rejection.body_text(), |cause| cause.to_string());
    match message.strip_suffix(" column 0") {
        Some(start) => format!("{start} column 1"),
        None => message,
    }
}

async fn run_search(
    state: AppState,
    slot: Slot,
    request: SearchRequest,
) -> Result<Json<SearchResponse>, ApiError> {
    check_limits(&state, &request)?;
    let backend = state.backend().clone();
    let response = slot.run("search", move || backend.search(&request)).await??;
    Ok(Json(response))
}

/// The server's own limits, which may be tighter than the library's.
fn check_limits(state: &AppState, request: &SearchRequest) -> Result<(), ApiError> {
    let config = state.config();
    let query_chars = request.query.chars().count();
    if query_chars > config.max_query_chars {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "query_too_long",
            format!(
                "the query is {query_chars} characters long; this server accepts at most {}",
                config.max_query_chars
            ),
        ));
    }
    let window = request.offset.saturating_add(request.limit);
    if window > config.max_result_window {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_request",
            format!(
                "offset + limit must be at most {} (the result window), not {window}",
                config.max_result_window
            ),
        ));
    }
    Ok(())
}

/// What `GET /search` takes; anything else is a 400, so a misspelt option is never
/// silently ignored.
const SEARCH_PARAMETERS: &str = "q, limit, offset, lang, source, category, from, to, sort, facets, \
    exact_total, synonyms, recency_half_life, recency_weight, fragments, fragment_size, pre_tag, post_tag";

/// Builds a search request from query parameters, with a 400 naming any bad one.
/// List filters take repeated or comma-separated values (`lang=en&lang=zh-Hans`,
/// `lang=en,zh-Hans`).
pub(crate) fn search_request_from_params(params: &[(String, String)]) -> Result<SearchRequest, ApiError> {
    let mut request = SearchRequest::default();
    let mut query = None;
    for (name, value) in params {
        let number = |value: &str| {
            value.trim().parse::<usize>().map_err(|_| {
                ApiError::bad_request(format!(
                    "parameter \"{name}\" must be a non-negative integer, not {value:?}"
                ))
            })
        };
        let date = |value: &str| {
            value
                .parse::<ArticleDate>()
                .map_err(|error| ApiError::bad_request(format!("parameter \"{name}\": {error}")))
        };
        let list = |value: &str| {
            value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect::<Vec<_>>()
        };
        match name.as_str() {
            "q" | "query" => query = Some(value.clone()),
            "limit" => request.limit = number(value)?,
            "offset" => request.offset = number(value)?,
            "lang" => {
                for tag in list(value) {
                    let lang: Lang = tag.parse().map_err(|_| {
                        ApiError::bad_request(format!(
                            "parameter \"lang\": unknown language {tag:?}; use zh-Hans, zh-Hant or en"
                        ))
                    })?;
                    request.lang.push(lang);
                }
            }
            "source" => request.source.extend(list(value)),
            "category" => request.category.extend(list(value)),
            "from" => request.from = Some(date(value)?),
            "to" => request.to = Some(date(value)?),
            "sort" => {
                request.sort = match value.trim().to_ascii_lowercase().as_str() {
                    "relevance" => SortOrder::Relevance,
                    "date" => SortOrder::Date,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "parameter \"sort\" must be \"relevance\" or \"date\", not {other:?}"
                        )));
                    }
                }
            }
            "facets" => request.facets = parse_bool(name, value)?,
            "exact_total" => request.exact_total = parse_bool(name, value)?,
            "synonyms" => request.synonyms = parse_bool(name, value)?,
            "fragments" => request.snippet.fragments = number(value)?,
            "fragment_size" | "fragment_chars" => request.snippet.fragment_chars = number(value)?,
            "pre_tag" => request.snippet.pre_tag = value.clone(),
            "post_tag" => request.snippet.post_tag = value.clone(),
            "recency_half_life" | "recency" => {
                let days = value.trim().parse::<f64>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "parameter \"{name}\" must be a number of days, not {value:?}"
                    ))
                })?;
                let recency = request.recency.get_or_insert(newsdex::Recency {
                    half_life_days: days,
                    weight: 0.5,
                    reference: None,
                });
                recency.half_life_days = days;
            }
            "recency_weight" => {
                let weight = value.trim().parse::<f64>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "parameter \"recency_weight\" must be a number, not {value:?}"
                    ))
                })?;
                let recency = request.recency.get_or_insert(newsdex::Recency {
                    half_life_days: 30.0,
                    weight,
                    reference: None,
                });
                recency.weight = weight;
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {name:?}: GET /search takes {SEARCH_PARAMETERS}"
                )));
            }
        }
    }
    refuse_repeats(
        params,
        &["lang", "source", "category"],
        &[("query", "q"), ("recency", "recency_half_life"), ("fragment_chars", "fragment_size")],
    )?;
    match query {
        Some(query) if !query.trim().is_empty() => request.query = query,
        Some(_) => return Err(ApiError::bad_request("parameter \"q\" is empty")),
        None => return Err(ApiError::bad_request("missing query parameter \"q\"")),
    }
    Ok(request)
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" | "1" | "yes" | "" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ApiError::bad_request(format!("parameter \"{name}\" must be true or false, not {value:?}"))),
    }
}
