//! `POST /articles`, `GET /articles/{id}`, `DELETE /articles/{id}` and
//! `GET /articles/{id}/related`.
//!
//! Writes go through the backend: a request is answered once its articles are durable
//! and searchable (the local backend's concurrent requests share commits). The answer's
//! `visibility` says when replaced or deleted versions stop matching: at once locally,
//! once Quickwit applies its delete tasks with the Quickwit backend.

use axum::Json;
use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use newsdex::{
    Article, BatchFormat, LineError, RelatedResponse, Visibility, WriteOp, WriteReceipt, read_article_batch,
};
use serde::Serialize;

use crate::limits::Slot;
use crate::params::{Params, refuse_repeats};
use crate::{ApiError, AppState, ReadAccess, WriteAccess};

/// How many rejected items a write report lists (all are counted).
pub(crate) const MAX_REPORTED_ERRORS: usize = 100;

/// The answer to `POST /articles`.
#[derive(Debug, Serialize)]
pub(crate) struct WriteReport {
    /// Articles written and committed.
    indexed: u64,
    /// Items rejected as invalid.
    rejected: u64,
    /// The first rejected items, in body order.
    errors: Vec<LineError>,
    /// When replaced versions stop matching (absent when nothing was written).
    #[serde(skip_serializing_if = "Option::is_none")]
    visibility: Option<Visibility>,
}

/// The answer to `DELETE /articles/{id}`.
#[derive(Debug, Serialize)]
pub(crate) struct Deleted {
    id: String,
    deleted: bool,
    /// When the article stops matching.
    visibility: Visibility,
}

/// `POST /articles[?on_error=skip|fail]`: one article, a JSON array or JSON Lines.
pub(crate) async fn post_articles(
    _access: WriteAccess,
    slot: Slot,
    State(state): State<AppState>,
    Params(params): Params,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<WriteReport>, ApiError> {
    let all_or_nothing = all_or_nothing(&params)?;
    let format = body_format(&headers)?;
    let body = body.map_err(|rejection| {
        let code = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "bad_request"
        };
        let message = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the body is larger than the limit of {} bytes", state.config().max_body_bytes)
        } else {
            // What went wrong, without axum's preamble: a gzip body that is not gzip, a
            // connection closed part way.
            let cause = std::error::Error::source(&rejection)
                .and_then(std::error::Error::source)
                .map_or_else(|| rejection.body_text(), ToString::to_string);
            format!("the body could not be read: {cause}")
        };
        ApiError::new(rejection.status(), code, message)
    })?;
    let batch = slot.run("parsing", move || read_article_batch(&body, format)).await?;
    let rejected = batch.errors.len() as u64;
    let mut errors = batch.errors;
    errors.truncate(MAX_REPORTED_ERRORS);
    if batch.articles.is_empty() && errors.is_empty() {
        return Err(ApiError::bad_request(
            "the body holds no articles: send one JSON object, a JSON array or JSON Lines",
        ));
    }
    if !errors.is_empty() && (all_or_nothing || batch.articles.is_empty()) {
        state.metrics().record_written(0, rejected, 0);
        let report = WriteReport { indexed: 0, rejected, errors, visibility: None };
        let first = report.errors.first().map(ToString::to_string).unwrap_or_default();
        let fields = match serde_json::to_value(&report) {
            Ok(serde_json::Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        };
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_articles",
            format!("no article was written; {first}"),
        )
        .with_fields(fields));
    }
    let operations = batch.articles.into_iter().map(WriteOp::Upsert).collect();
    let receipt = submit(&state, operations).await?;
    state.metrics().record_written(receipt.upserted, rejected, 0);
    Ok(Json(WriteReport {
        indexed: receipt.upserted,
        rejected,
        errors,
        visibility: Some(receipt.visibility),
    }))
}

/// The id in an `/articles/{id}` path, or a 400 saying why it cannot be read.
fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    match id {
        Ok(Path(id)) => Ok(id),
        Err(PathRejection::FailedToDeserializePathParams(error))
            if matches!(error.kind(), ErrorKind::InvalidUtf8InPathParam { .. }) =>
        {
            Err(ApiError::bad_request(
                "the article id in the path is not UTF-8 once percent-decoded; percent-encode the id's \
                 UTF-8 bytes (encodeURIComponent)",
            ))
        }
        Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
    }
}

/// `GET /articles/{id}`: the stored article.
pub(crate) async fn get_article(
    _access: ReadAccess,
    slot: Slot,
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Article>, ApiError> {
    let id = path_id(id)?;
    match find(&state, slot, &id).await? {
        Some(article) => Ok(Json(article)),
        None => Err(newsdex::Error::ArticleNotFound(id).into()),
    }
}

/// How many related articles `GET /articles/{id}/related` answers unless told.
const DEFAULT_RELATED_LIMIT: usize = 5;

/// `GET /articles/{id}/related?limit=K`: the articles most like this one, 404 when there
/// is no such article.
pub(crate) async fn related_articles(
    _access: ReadAccess,
    slot: Slot,
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    Params(params): Params,
) -> Result<Json<RelatedResponse>, ApiError> {
    let id = path_id(id)?;
    let mut limit = DEFAULT_RELATED_LIMIT;
    for (name, value) in &params {
        match name.as_str() {
            "limit" => {
                limit = value.trim().parse().map_err(|_| {
                    ApiError::bad_request(format!(
                        "parameter \"limit\" must be a non-negative whole number, not {value:?}"
                    ))
                })?;
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?}: GET /articles/{{id}}/related takes only \"limit\""
                )));
            }
        }
    }
    refuse_repeats(&params, &[], &[])?;
    let window = state.config().max_result_window;
    if limit > window {
        return Err(ApiError::bad_request(format!(
            "limit must be at most {window} (the result window), not {limit}"
        )));
    }
    let backend = state.backend().clone();
    let response = slot.run("related", move || backend.related(&id, limit)).await??;
    Ok(Json(response))
}

/// `DELETE /articles/{id}`: 404 when there is no such article.
pub(crate) async fn delete_article(
    _access: WriteAccess,
    slot: Slot,
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Deleted>, ApiError> {
    let id = path_id(id)?;
    if find(&state, slot, &id).await?.is_none() {
        return Err(newsdex::Error::ArticleNotFound(id).into());
    }
    let receipt = submit(&state, vec![WriteOp::Delete(id.clone())]).await?;
    state.metrics().record_written(0, 0, receipt.deleted);
    Ok(Json(Deleted { id, deleted: true, visibility: receipt.visibility }))
}

async fn find(state: &AppState, slot: Slot, id: &str) -> Result<Option<Article>, ApiError> {
    let backend = state.backend().clone();
    let id = id.to_string();
    Ok(slot.run("lookup", move || backend.get(&id)).await??)
}

/// Hands `operations` to the backend and waits, without holding a runtime thread, for
/// them to be durable. The hand-over runs on a blocking thread: the local backend only
/// queues there, the Quickwit backend writes there.
async fn submit(state: &AppState, operations: Vec<WriteOp>) -> Result<WriteReceipt, ApiError> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let backend = state.backend().clone();
    // Detached: the outcome arrives through the callback, whichever thread calls it.
    let _handed_over = tokio::task::spawn_blocking(move || {
        backend.submit_with(
            operations,
            Box::new(move |outcome| {
                // The request may have timed out and gone; the write stands either way.
                let _ = sender.send(outcome);
            }),
        );
    });
    match receiver.await {
        Ok(outcome) => Ok(outcome?),
        Err(_) => Err(newsdex::Error::WriterClosed.into()),
    }
}

fn all_or_nothing(params: &[(String, String)]) -> Result<bool, ApiError> {
    let mut fail = false;
    for (name, value) in params {
        match (name.as_str(), value.as_str()) {
            ("on_error", "skip") => fail = false,
            ("on_error", "fail") => fail = true,
            ("on_error", other) => {
                return Err(ApiError::bad_request(format!(
                    "parameter \"on_error\" must be \"skip\" or \"fail\", not {other:?}"
                )));
            }
            (other, _) => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?}: POST /articles takes only \"on_error\""
                )));
            }
        }
    }
    refuse_repeats(params, &[], &[])?;
    Ok(fail)
}

/// JSON (one object or an array, or JSON Lines sent as JSON) or JSON Lines.
fn body_format(headers: &HeaderMap) -> Result<BatchFormat, ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(BatchFormat::Auto);
    };
    let media_type =
        value.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match media_type.as_str() {
        "application/json" => Ok(BatchFormat::Auto),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/jsonlines"
        | "application/json-lines" => Ok(BatchFormat::JsonLines),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "content type {other:?} is not accepted: send application/json (an article or an array) \
                 or application/x-ndjson (JSON Lines)"
            ),
        )),
    }
}
