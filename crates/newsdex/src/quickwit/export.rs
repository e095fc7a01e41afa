//! Exporting a newsdex index to Quickwit, resumably.
//!
//! Articles go out in id order, in batches. A checkpoint file records, before each batch
//! is sent, which articles are in flight, and after Quickwit acknowledges it, how many are
//! done. An interrupted export run again with the same checkpoint skips what was
//! acknowledged; for the batch that was in flight it waits for Quickwit's commit timeout,
//! asks which of its articles arrived, and sends only the others: Quickwit has no primary
//! key, so sending an article twice would make it two documents.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocSet, TERMINATED, TantivyDocument};

use crate::article::Article;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::index::NewsIndex;
use crate::language::detect_language;

use super::backend::{CommitMode, MAX_INGEST_BYTES, ingest, revision_now};
use super::client::QuickwitClient;
use super::mapping::{
    COMMIT_TIMEOUT_SECS, DocumentBuilder, ExportIdentity, field, quickwit_index_config, validate_index_id,
};

/// Bumped when the checkpoint file changes incompatibly.
const CHECKPOINT_FORMAT: u32 = 1;

/// How an export runs.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Most articles per ingest request (requests also stay under 8 MiB).
    pub batch_articles: usize,
    /// Where to record progress, to resume after an interruption (`None`: not resumable).
    pub checkpoint: Option<PathBuf>,
    /// Commit mode of the last batch; earlier batches use [`CommitMode::Auto`]. The default
    /// [`CommitMode::WaitFor`] returns once everything is searchable.
    pub final_commit: CommitMode,
    /// How long to wait, on resuming, for the batch that was in flight to be committed
    /// before asking which of its articles arrived (default: the index's commit timeout
    /// plus 5 seconds).
    pub settle: Option<Duration>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            batch_articles: 1000,
            checkpoint: None,
            final_commit: CommitMode::WaitFor,
            settle: None,
        }
    }
}

/// Where an export stands, after each acknowledged batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExportProgress {
    /// Articles acknowledged by Quickwit, including those of earlier runs.
    pub done: u64,
    /// Articles to export in all.
    pub total: u64,
    /// Bytes sent in this run.
    pub bytes_sent: u64,
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    /// Articles in the local index.
    pub total: u64,
    /// Articles sent and acknowledged in this run.
    pub exported: u64,
    /// Articles an earlier, interrupted run had already exported.
    pub resumed_from: u64,
    /// Articles of the batch in flight at the interruption that had arrived and were not
    /// sent again.
    pub already_present: u64,
    /// Ingest requests sent.
    pub batches: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Whether this run created the Quickwit index.
    pub created_index: bool,
}

/// The checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    format: u32,
    quickwit_url: String,
    index_id: String,
    identity: ExportIdentity,
    source: SourceFingerprint,
    /// Revision stamped on every document of this export.
    revision: u64,
    /// Articles acknowledged, in id order.
    exported: u64,
    /// The batch sent but not acknowledged: articles `exported..exported + in_flight`.
    in_flight: Option<u64>,
    completed: bool,
}

/// What was exported: the local index at one commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SourceFingerprint {
    articles: u64,
    opstamp: u64,
    ids: String,
}

/// Exports every article of `index` to the Quickwit index `index_id`, creating it with
/// the config of [`quickwit_index_config`](crate::quickwit_index_config) when it does not exist.
///
/// Refuses to add to an existing index that already holds documents unless resuming
/// from this export's checkpoint: Quickwit has no primary key, so exporting twice would
/// duplicate every article.
pub fn export_to_quickwit(
    index: &NewsIndex,
    client: &QuickwitClient,
    index_id: &str,
    options: &ExportOptions,
    progress: &mut dyn FnMut(ExportProgress),
) -> Result<ExportReport> {
    validate_index_id(index_id)?;
    if options.batch_articles == 0 {
        return Err(Error::InvalidRequest("the export batch size must be at least 1".to_string()));
    }
    let analyzer = index.analyzer();
    let identity = ExportIdentity::new(analyzer);
    let entries = sorted_articles(index)?;
    let source = source_fingerprint(index, &entries)?;
    let total = entries.len() as u64;
    let mut report = ExportReport { total, ..ExportReport::default() };
    let saved = match &options.checkpoint {
        Some(path) => read_checkpoint(path)?,
        None => None,
    };
    let mut checkpoint = match saved {
        Some(saved) => {
            let same_export = saved.format == CHECKPOINT_FORMAT
                && saved.quickwit_url == client.url()
                && saved.index_id == index_id
                && saved.identity == identity
                && saved.source == source;
            if !same_export {
                return Err(Error::InvalidRequest(format!(
                    "the checkpoint {} belongs to another export (another index, cluster, analyzer or commit of \
                     the local index); delete it to export from the start",
                    display(options.checkpoint.as_deref())
                )));
            }
            saved
        }
        None => Checkpoint {
            format: CHECKPOINT_FORMAT,
            quickwit_url: client.url().to_string(),
            index_id: index_id.to_string(),
            identity: identity.clone(),
            source,
            revision: revision_now(),
            exported: 0,
            in_flight: None,
            completed: false,
        },
    };
    report.resumed_from = checkpoint.exported;
    if checkpoint.completed {
        progress(ExportProgress { done: total, total, bytes_sent: 0 });
        return Ok(report);
    }
    let metadata = client.get::<Value>(&format!("/api/v1/indexes/{index_id}"))?;
    let resuming = checkpoint.exported > 0 || checkpoint.in_flight.is_some();
    let commit_timeout = match &metadata {
        None if resuming => {
            return Err(Error::InvalidRequest(format!(
                "the checkpoint {} says the export had started, but quickwit has no index {index_id:?} any more; \
                 delete the checkpoint to export from the start",
                display(options.checkpoint.as_deref())
            )));
        }
        None => {
            client.post_json::<Value>("/api/v1/indexes", &[], &quickwit_index_config(index_id, analyzer)?)?;
            report.created_index = true;
            COMMIT_TIMEOUT_SECS
        }
        Some(metadata) => {
            let config = metadata.get("index_config").unwrap_or(metadata);
            if ExportIdentity::from_index_config(config).as_ref() != Some(&identity) {
                return Err(Error::InvalidRequest(format!(
                    "quickwit index {index_id:?} exists but was not exported by newsdex with this analyzer and \
                     layout; choose another index id or delete it"
                )));
            }
            if !resuming {
                let documents = count_documents(client, index_id)?;
                if documents > 0 {
                    return Err(Error::InvalidRequest(format!(
                        "quickwit index {index_id:?} already holds {documents} documents and there is no checkpoint \
                         of an interrupted export to resume: exporting again would duplicate them (quickwit has no \
                         primary key); delete the index first, or resume with the earlier export's checkpoint"
                    )));
                }
            }
            config.pointer("/indexing_settings/commit_timeout_secs").and_then(Value::as_u64).unwrap_or(60)
        }
    };
    let mut skip_present: HashSet<String> = HashSet::new();
    if let Some(in_flight) = checkpoint.in_flight {
        let settle = options.settle.unwrap_or(Duration::from_secs(commit_timeout + 5));
        tracing::info!(
            articles = in_flight,
            seconds = settle.as_secs(),
            "waiting for the interrupted batch to settle"
        );
        std::thread::sleep(settle);
        let start = checkpoint.exported as usize;
        let end = (start + in_flight as usize).min(entries.len());
        let ids: Vec<String> = entries[start..end].iter().map(|(id, _)| id.clone()).collect();
        skip_present = present_ids(client, index_id, &ids)?.into_iter().collect();
        report.already_present = skip_present.len() as u64;
    }
    let searcher = index.reader().searcher();
    let mut builder = DocumentBuilder::new(analyzer);
    let mut position = checkpoint.exported as usize;
    while position < entries.len() {
        let mut batch = Vec::new();
        let mut count = 0usize;
        while position + count < entries.len() && count < options.batch_articles {
            let (id, address) = &entries[position + count];
            count += 1;
            if skip_present.contains(id) {
                continue;
            }
            let document: TantivyDocument = searcher.doc(*address)?;
            let article: Article = index.schema().article(&document);
            let lang = article
                .lang
                .unwrap_or_else(|| detect_language(&format!("{}\n{}", article.title, article.body)));
            let line = serde_json::to_vec(&builder.document(&article, lang, checkpoint.revision))
                .map_err(|error| Error::InvalidArticle(error.to_string()))?;
            if line.len() + 1 > MAX_INGEST_BYTES {
                return Err(Error::InvalidArticle(format!(
                    "article {id:?} is {:.1} MB once analysed; quickwit accepts at most {} MB per request",
                    line.len() as f64 / 1e6,
                    MAX_INGEST_BYTES >> 20
                )));
            }
            if !batch.is_empty() && batch.len() + line.len() + 1 > MAX_INGEST_BYTES {
                count -= 1;
                break;
            }
            batch.extend_from_slice(&line);
            batch.push(b'\n');
        }
        let last = position + count >= entries.len();
        checkpoint.in_flight = Some(count as u64);
        write_checkpoint(options.checkpoint.as_deref(), &checkpoint)?;
        if !batch.is_empty() {
            let commit = if last { options.final_commit } else { CommitMode::Auto };
            ingest(client, index_id, &batch, commit)?;
            report.batches += 1;
            report.bytes_sent += batch.len() as u64;
        }
        position += count;
        report.exported += count as u64;
        checkpoint.exported = position as u64;
        checkpoint.in_flight = None;
        checkpoint.completed = last;
        write_checkpoint(options.checkpoint.as_deref(), &checkpoint)?;
        progress(ExportProgress { done: checkpoint.exported, total, bytes_sent: report.bytes_sent });
    }
    if entries.is_empty() {
        checkpoint.completed = true;
        write_checkpoint(options.checkpoint.as_deref(), &checkpoint)?;
    }
    report.exported -= report.already_present.min(report.exported);
    Ok(report)
}

/// Every live article's id and address, sorted by id: a stable order whatever the
/// segments, read from the id field's term dictionaries without loading documents.
fn sorted_articles(index: &NewsIndex) -> Result<Vec<(String, DocAddress)>> {
    let searcher = index.reader().searcher();
    let mut entries = Vec::with_capacity(searcher.num_docs() as usize);
    for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(index.schema().id)?;
        let io = |source| Error::Io { context: "cannot read the id terms of the index".to_string(), source };
        let mut terms = inverted.terms().stream().map_err(io)?;
        while terms.advance() {
            let id = String::from_utf8_lossy(terms.key()).into_owned();
            let mut postings =
                inverted.read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic).map_err(io)?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    entries.push((id.clone(), DocAddress::new(segment_ord as u32, doc)));
                }
                doc = postings.advance();
            }
        }
    }
    entries.sort();
    Ok(entries)
}

fn source_fingerprint(index: &NewsIndex, entries: &[(String, DocAddress)]) -> Result<SourceFingerprint> {
    let mut fingerprint = Fingerprint::new();
    for (id, _) in entries {
        fingerprint.write_str(id);
    }
    let opstamp = index.tantivy_index().load_metas()?.opstamp;
    Ok(SourceFingerprint {
        articles: entries.len() as u64,
        opstamp,
        ids: format!("{:016x}", fingerprint.finish()),
    })
}

/// Documents in a Quickwit index.
fn count_documents(client: &QuickwitClient, index_id: &str) -> Result<u64> {
    let body = json!({"query": {"match_all": {}}, "size": 0, "track_total_hits": true});
    let response: Value = client.post_json(&format!("/api/v1/_elastic/{index_id}/_search"), &[], &body)?;
    Ok(response.pointer("/hits/total/value").and_then(Value::as_u64).unwrap_or(0))
}

/// Which of `ids` have a document in the index.
fn present_ids(client: &QuickwitClient, index_id: &str, ids: &[String]) -> Result<Vec<String>> {
    let mut present = Vec::new();
    for chunk in ids.chunks(200) {
        let terms: Vec<Value> = chunk.iter().map(|id| json!({"term": {field::ID: {"value": id}}})).collect();
        let body = json!({"query": {"bool": {"should": terms}}, "size": chunk.len() * 2, "sort": [{"_score": {"order": "desc"}}]});
        let response: Value =
            client.post_json(&format!("/api/v1/_elastic/{index_id}/_search"), &[], &body)?;
        let hits = response.pointer("/hits/hits").and_then(Value::as_array).cloned().unwrap_or_default();
        for hit in hits {
            if let Some(id) = hit.pointer("/_source/id").and_then(Value::as_str)
                && !present.iter().any(|known: &String| known == id)
            {
                present.push(id.to_string());
            }
        }
    }
    Ok(present)
}

fn display(path: Option<&Path>) -> String {
    path.map_or_else(|| "(none)".to_string(), |path| path.display().to_string())
}

fn read_checkpoint(path: &Path) -> Result<Option<Checkpoint>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|error| {
            Error::InvalidRequest(format!(
                "the checkpoint {} is unreadable ({error}); delete it to export from the start",
                path.display()
            ))
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => {
            Err(Error::Io { context: format!("cannot read the checkpoint {}", path.display()), source })
        }
    }
}

/// Writes the checkpoint atomically: a crash leaves the old one or the new one.
fn write_checkpoint(path: Option<&Path>, checkpoint: &Checkpoint) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let bytes =
        serde_json::to_vec_pretty(checkpoint).map_err(|error| Error::InvalidRequest(error.to_string()))?;
    let temporary = path.with_extension("tmp");
    let io =
        |source| Error::Io { context: format!("cannot write the checkpoint {}", path.display()), source };
    std::fs::write(&temporary, bytes).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}
