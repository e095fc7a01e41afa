//! [`QuickwitBackend`]: newsdex searches answered by a Quickwit cluster.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::analysis::{Analyzer, AnalyzerIdentity, UserDictionary};
use crate::article::{Article, ArticleDate};
use crate::backend::{
    BackendStats, CommitObserver, ObserverSlot, SearchBackend, Visibility, WriteCallback, WriteReceipt,
    WriteState,
};
use crate::commit_queue::{CommitInfo, WriteOp};
use crate::error::{Error, Result};
use crate::language::detect_language;
use crate::recency::recency_factor;
use crate::related::RelatedResponse;
use crate::search::{
    AnalyzedQuery, AppliedOptions, FacetCount, Facets, Hit, MAX_RESULT_WINDOW, Matching, RankingConfig,
    SearchRequest, SearchResponse, SortOrder, analyze_query, parse_request,
};
use crate::snippet::Highlighter;

use super::client::QuickwitClient;
use super::mapping::{
    DocumentBuilder, ExportIdentity, MAPPING_VERSION, MATURATION_PERIOD, field, validate_index_id,
};
use super::translate::{Page, filters, query_string, quoted, search_body};

/// Largest ingest request body, in bytes: Quickwit refuses more than 10 MB by default.
pub(crate) const MAX_INGEST_BYTES: usize = 8 << 20;

/// Ids per delete-task query: each is one `id:"…" OR …` query string.
const IDS_PER_DELETE: usize = 100;

/// Hits reranked when blending recency: Quickwit cannot multiply scores by a date
/// function, so newsdex takes this many best BM25 hits (at least the requested page)
/// and reorders them itself.
pub const RECENCY_RERANK_WINDOW: usize = 200;

/// When Quickwit commits an ingest request ([its `commit` parameter]).
///
/// [its `commit` parameter]: https://quickwit.io/docs/reference/rest-api#ingest-data-into-an-index
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommitMode {
    /// Return as soon as the documents are queued; they become searchable at the next
    /// commit (within the index's `commit_timeout_secs`).
    Auto,
    /// Return once the documents are committed by the normal rules: searchable on return.
    #[default]
    WaitFor,
    /// Commit right after this request and return once done: searchable on return, but
    /// costly on small batches.
    Force,
}

impl CommitMode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CommitMode::Auto => "auto",
            CommitMode::WaitFor => "wait_for",
            CommitMode::Force => "force",
        }
    }
}

/// Searches a Quickwit index exported by newsdex (`newsdex export quickwit`), with the
/// same requests and responses as a local index.
///
/// newsdex analyses the query (with the analyzer the index was exported with, which
/// [`QuickwitBackend::connect`] checks), Quickwit matches and ranks it with BM25, and
/// newsdex highlights the hits on their original text exactly as the local backend does.
///
/// Differences from the local backend, all inherent to Quickwit:
/// - BM25 statistics are per split, so scores of equal matches in different splits differ
///   until merges bring them together;
/// - recency blending reranks only the best [`RECENCY_RERANK_WINDOW`] BM25 hits;
/// - writes are eventually consistent: see [`QuickwitBackend::write`];
/// - related articles are not available ([`Error::Unsupported`]): "more like this" needs
///   each word's document frequency, which Quickwit's search API does not expose.
#[derive(Debug, Clone)]
pub struct QuickwitBackend {
    client: QuickwitClient,
    index_id: String,
    analyzer: Analyzer,
    ranking: RankingConfig,
    commit: CommitMode,
    observer: ObserverSlot,
    /// Writes made, to number them for the observer.
    writes_made: Arc<AtomicU64>,
}

/// What a Quickwit index exported by newsdex holds, for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuickwitStats {
    /// Documents searches see: every article, plus replaced or deleted versions whose
    /// delete task has not applied yet.
    pub articles: u64,
    /// The Quickwit cluster's address.
    pub quickwit_url: String,
    /// The Quickwit index.
    pub index_id: String,
    /// Published splits (Quickwit's `num_published_splits`).
    pub splits: u64,
    /// Bytes of the published splits (`size_published_splits`).
    pub split_bytes: u64,
    /// The analyzer that produced the exported words.
    pub analyzer: AnalyzerIdentity,
}

/// The answer of `GET /api/v1/indexes/{index}/describe`.
#[derive(Debug, Deserialize)]
struct IndexDescription {
    #[serde(default)]
    num_published_splits: u64,
    #[serde(default)]
    size_published_splits: u64,
}

impl QuickwitBackend {
    /// Connects to the index `index_id` with the analyzer it was exported with: its options
    /// are read from the index, its user dictionary is `dictionary` (which must be the one
    /// the export used; Quickwit stores only its fingerprint).
    pub fn open(
        client: QuickwitClient,
        index_id: &str,
        dictionary: Option<UserDictionary>,
    ) -> Result<QuickwitBackend> {
        let identity = read_identity(&client, index_id)?;
        let mut builder = Analyzer::builder()
            .remove_english_stop_words(identity.analyzer.english_stop_words_removed)
            .index_sub_words(identity.analyzer.sub_words_indexed)
            .hmm(identity.analyzer.hmm);
        match dictionary {
            Some(dictionary) => builder = builder.user_dictionary(dictionary),
            None if identity.analyzer.dictionary != "none" => {
                return Err(Error::InvalidRequest(format!(
                    "quickwit index {index_id:?} was exported with a user dictionary (fingerprint {}); \
                     give the same dictionary (--user-dict)",
                    identity.analyzer.dictionary
                )));
            }
            None => {}
        }
        QuickwitBackend::checked(client, index_id, &identity, builder.build())
    }

    /// Connects to the index `index_id`: checks that it exists, that newsdex exported it
    /// with the current layout, and that `analyzer` is the analyzer it was exported with
    /// ([`Error::AnalyzerMismatch`] otherwise).
    pub fn connect(client: QuickwitClient, index_id: &str, analyzer: Analyzer) -> Result<QuickwitBackend> {
        let identity = read_identity(&client, index_id)?;
        QuickwitBackend::checked(client, index_id, &identity, analyzer)
    }

    /// The backend, once `analyzer` is checked against the export's `identity`.
    fn checked(
        client: QuickwitClient,
        index_id: &str,
        identity: &ExportIdentity,
        analyzer: Analyzer,
    ) -> Result<QuickwitBackend> {
        if &identity.analyzer != analyzer.identity() {
            return Err(identity.analyzer.mismatch(
                analyzer.identity(),
                format!("{}/{index_id}", client.url()),
                "`newsdex export quickwit`",
            ));
        }
        Ok(QuickwitBackend {
            client,
            index_id: index_id.to_string(),
            analyzer,
            ranking: RankingConfig::default(),
            commit: CommitMode::default(),
            observer: ObserverSlot::default(),
            writes_made: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The ranking configuration (field boosts, proximity bonus).
    pub fn ranking(&self) -> &RankingConfig {
        &self.ranking
    }

    /// Replaces the ranking configuration.
    pub fn set_ranking(&mut self, ranking: RankingConfig) {
        self.ranking = ranking;
    }

    /// Searches with `synonyms`, as [`NewsIndex::set_synonyms`](crate::NewsIndex::set_synonyms)
    /// does locally.
    pub fn set_synonyms(&mut self, synonyms: &crate::Synonyms) {
        self.analyzer = self.analyzer.clone().with_synonyms(synonyms);
    }

    /// When writes are committed (default [`CommitMode::WaitFor`]: searchable on return).
    pub fn set_commit_mode(&mut self, commit: CommitMode) {
        self.commit = commit;
    }

    /// The index searched.
    pub fn index_id(&self) -> &str {
        &self.index_id
    }

    fn search_path(&self) -> String {
        format!("/api/v1/_elastic/{}/_search", self.index_id)
    }

    /// One search request to Quickwit.
    fn execute(&self, body: &Value, score_at: usize) -> Result<QuickwitPage> {
        let path = self.search_path();
        let response: EsSearchResponse = self.client.post_json(&path, &[], body)?;
        let url = format!("{}{path}", self.client.url());
        let mut hits = Vec::with_capacity(response.hits.hits.len());
        for hit in response.hits.hits {
            let score = hit.sort.get(score_at).and_then(Value::as_f64).or(hit.score).ok_or_else(|| {
                Error::QuickwitResponse {
                    method: "POST",
                    url: url.clone(),
                    message: "a hit has no score: the request must sort on _score".to_string(),
                }
            })?;
            hits.push((score as f32, hit.source));
        }
        let total = match response.hits.total {
            Some(total) => total.value,
            None => hits.len() as u64,
        };
        Ok(QuickwitPage { hits, total, facets: response.aggregations.map(|aggs| facets_from(&aggs)) })
    }

    fn run(
        &self,
        analyzed: &AnalyzedQuery,
        matching: Matching,
        request: &SearchRequest,
    ) -> Result<QuickwitPage> {
        let query = query_string(analyzed, matching, &self.ranking)?;
        let filters = filters(request);
        let recency = request.recency.filter(|_| request.sort == SortOrder::Relevance);
        let page = match recency {
            Some(_) => Page {
                from: 0,
                size: (request.offset + request.limit).clamp(RECENCY_RERANK_WINDOW, MAX_RESULT_WINDOW),
                sort: SortOrder::Relevance,
                facets: request.facets,
            },
            None => {
                Page { from: request.offset, size: request.limit, sort: request.sort, facets: request.facets }
            }
        };
        let score_at = if page.sort == SortOrder::Date { 1 } else { 0 };
        let mut result = self.execute(&search_body(&query, &filters, &page), score_at)?;
        dedupe_versions(&mut result.hits);
        if let Some(recency) = recency {
            let reference = recency.reference.map_or_else(
                || time::OffsetDateTime::now_utc().unix_timestamp(),
                |reference| reference.unix_timestamp(),
            );
            for (score, stored) in &mut result.hits {
                let published = stored.date().map_or(reference, |date| date.unix_timestamp());
                *score *= recency_factor(reference - published, &recency);
            }
            result.hits.sort_by(|a, b| b.0.total_cmp(&a.0));
            result.hits = result.hits.into_iter().skip(request.offset).take(request.limit).collect();
        }
        Ok(result)
    }

    /// The ids among `ids` that have a version in the index.
    fn existing(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(IDS_PER_DELETE) {
            let terms: Vec<Value> =
                chunk.iter().map(|id| json!({"term": {field::ID: {"value": id}}})).collect();
            let body = json!({
                "query": {"bool": {"should": terms}},
                "size": chunk.len() * 4,
                "sort": [{field::REVISION: {"order": "desc"}}],
                "track_total_hits": true,
            });
            let response: EsSearchResponse = self.client.post_json(&self.search_path(), &[], &body)?;
            for hit in response.hits.hits {
                if chunk.contains(&hit.source.id) && !found.contains(&hit.source.id) {
                    found.push(hit.source.id);
                }
            }
        }
        Ok(found)
    }

    /// Creates delete tasks for every version of `ids`; returns their opstamps.
    fn delete_versions(&self, ids: &[String]) -> Result<Vec<u64>> {
        let mut opstamps = Vec::new();
        for chunk in ids.chunks(IDS_PER_DELETE) {
            opstamps.push(create_delete_task(&self.client, &self.index_id, chunk)?);
        }
        Ok(opstamps)
    }

    /// Applies `operations` in order, each run of upserts or of deletes as one step.
    ///
    /// Quickwit has no primary key and deletes asynchronously, so an upsert is a delete
    /// task (a delete-by-query on `id`) for the ids that already have a version, then an
    /// ingest of the new versions, and a delete is a delete task for the ids that have a
    /// version. Writes are eventually consistent: new versions are searchable when the call
    /// returns (with the default [`CommitMode::WaitFor`]); replaced and deleted versions keep
    /// matching until Quickwit applies the delete tasks ([`Visibility::DeletesPending`]).
    /// Meanwhile a page of hits shows only the newest version of an article, but totals
    /// and facets count both.
    pub fn write(&self, operations: &[WriteOp]) -> Result<WriteReceipt> {
        let started = Instant::now();
        let mut total = WriteReceipt { upserted: 0, deleted: 0, visibility: Visibility::Immediate };
        let mut delete_tasks = Vec::new();
        let mut rest = operations;
        while let Some(first) = rest.first() {
            let is_upsert = matches!(first, WriteOp::Upsert(_));
            let run = rest.iter().take_while(|op| matches!(op, WriteOp::Upsert(_)) == is_upsert).count();
            let (batch, after) = rest.split_at(run);
            rest = after;
            let outcome = if is_upsert {
                let articles: Vec<Article> = batch
                    .iter()
                    .filter_map(|op| match op {
                        WriteOp::Upsert(article) => Some(article.clone()),
                        WriteOp::Delete(_) => None,
                    })
                    .collect();
                self.write_versions(&articles)
            } else {
                let ids: Vec<String> = batch
                    .iter()
                    .filter_map(|op| match op {
                        WriteOp::Delete(id) => Some(id.clone()),
                        WriteOp::Upsert(_) => None,
                    })
                    .collect();
                self.delete_ids(&ids)
            };
            let receipt = match outcome {
                Ok(receipt) => receipt,
                Err(error) => {
                    self.notify(&total, started, false);
                    return Err(error);
                }
            };
            total.upserted += receipt.upserted;
            total.deleted += receipt.deleted;
            if let Visibility::DeletesPending { delete_tasks: tasks, .. } = receipt.visibility {
                delete_tasks.extend(tasks);
            }
        }
        if !delete_tasks.is_empty() {
            total.visibility = self.pending(delete_tasks);
        }
        self.notify(&total, started, true);
        Ok(total)
    }

    fn notify(&self, receipt: &WriteReceipt, started: Instant, succeeded: bool) {
        self.observer.notify(&CommitInfo {
            commit: self.writes_made.fetch_add(1, Ordering::Relaxed) + 1,
            submissions: 1,
            upserted: receipt.upserted,
            deleted: receipt.deleted,
            duration: started.elapsed(),
            succeeded,
        });
    }

    /// Writes new versions of `articles`: a delete task on the ids that already have a
    /// version, then an ingest of the new versions.
    fn write_versions(&self, articles: &[Article]) -> Result<WriteReceipt> {
        for article in articles {
            article.validate()?;
        }
        let ids: Vec<String> = articles.iter().map(|article| article.id.clone()).collect();
        let existing = self.existing(&ids)?;
        let delete_tasks = self.delete_versions(&existing)?;
        let revision = revision_now();
        let mut builder = DocumentBuilder::new(&self.analyzer);
        let mut batch = Vec::new();
        for article in articles {
            let lang = article
                .lang
                .unwrap_or_else(|| detect_language(&format!("{}\n{}", article.title, article.body)));
            let line = serde_json::to_vec(&builder.document(article, lang, revision))
                .map_err(|error| Error::InvalidArticle(error.to_string()))?;
            if !batch.is_empty() && batch.len() + line.len() + 1 > MAX_INGEST_BYTES {
                ingest(&self.client, &self.index_id, &batch, self.commit)?;
                batch.clear();
            }
            batch.extend_from_slice(&line);
            batch.push(b'\n');
        }
        if !batch.is_empty() {
            ingest(&self.client, &self.index_id, &batch, self.commit)?;
        }
        let visibility =
            if delete_tasks.is_empty() { Visibility::Immediate } else { self.pending(delete_tasks) };
        Ok(WriteReceipt { upserted: articles.len() as u64, deleted: 0, visibility })
    }

    /// Deletes every version of `ids` with delete tasks: they keep matching until Quickwit
    /// applies them ([`Visibility::DeletesPending`]).
    fn delete_ids(&self, ids: &[String]) -> Result<WriteReceipt> {
        let existing = self.existing(ids)?;
        let delete_tasks = self.delete_versions(&existing)?;
        let visibility =
            if delete_tasks.is_empty() { Visibility::Immediate } else { self.pending(delete_tasks) };
        Ok(WriteReceipt { upserted: 0, deleted: existing.len() as u64, visibility })
    }

    fn pending(&self, delete_tasks: Vec<u64>) -> Visibility {
        Visibility::DeletesPending {
            delete_tasks,
            detail: format!(
                "replaced and deleted versions match until quickwit applies the delete tasks: within minutes \
                 on mature splits, and once splits mature (after {MATURATION_PERIOD} in the config newsdex \
                 generates) on recent ones"
            ),
        }
    }
}

/// Reads the export identity of the index `index_id`, checking that it exists and that
/// newsdex exported it with the current layout.
fn read_identity(client: &QuickwitClient, index_id: &str) -> Result<ExportIdentity> {
    validate_index_id(index_id)?;
    let path = format!("/api/v1/indexes/{index_id}");
    let Some(metadata) = client.get::<Value>(&path)? else {
        return Err(Error::QuickwitStatus {
            status: 404,
            method: "GET",
            url: format!("{}{path}", client.url()),
            message: format!("index {index_id:?} does not exist; create it with `newsdex export quickwit`"),
        });
    };
    let config = metadata.get("index_config").unwrap_or(&metadata);
    let Some(identity) = ExportIdentity::from_index_config(config) else {
        return Err(Error::InvalidRequest(format!(
            "quickwit index {index_id:?} was not exported by newsdex; export one with `newsdex export quickwit`"
        )));
    };
    if identity.mapping != MAPPING_VERSION {
        return Err(Error::InvalidRequest(format!(
            "quickwit index {index_id:?} has newsdex layout {}, this newsdex reads layout {MAPPING_VERSION}; \
             export it again",
            identity.mapping
        )));
    }
    Ok(identity)
}

/// Creates a delete task for every version of `ids` (at most a few hundred); returns its
/// opstamp.
pub(crate) fn create_delete_task(client: &QuickwitClient, index_id: &str, ids: &[String]) -> Result<u64> {
    let query: Vec<String> = ids.iter().map(|id| format!("{}:{}", field::ID, quoted(id))).collect();
    let task: DeleteTask = client.post_json(
        &format!("/api/v1/{index_id}/delete-tasks"),
        &[],
        &json!({"query": query.join(" OR ")}),
    )?;
    Ok(task.opstamp)
}

/// Sends one NDJSON ingest request and checks that nothing was rejected.
pub(crate) fn ingest(
    client: &QuickwitClient,
    index_id: &str,
    ndjson: &[u8],
    commit: CommitMode,
) -> Result<u64> {
    let path = format!("/api/v1/{index_id}/ingest");
    let response: IngestResponse =
        client.post_ndjson(&path, &[("commit", commit.as_str()), ("detailed_response", "true")], ndjson)?;
    let rejected = response.num_rejected_docs.unwrap_or(0);
    if rejected > 0 {
        let first = response.parse_failures.first().map_or_else(String::new, |failure| {
            format!(": {} ({})", failure.message, failure.reason.as_deref().unwrap_or("unspecified"))
        });
        return Err(Error::QuickwitResponse {
            method: "POST",
            url: format!("{}{path}", client.url()),
            message: format!(
                "quickwit rejected {rejected} of {} documents{first}",
                response.num_docs_for_processing
            ),
        });
    }
    Ok(response.num_ingested_docs.unwrap_or(response.num_docs_for_processing))
}

/// Microseconds since the epoch: the revision of a version written now.
pub(crate) fn revision_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_micros() as u64)
}

impl SearchBackend for QuickwitBackend {
    fn name(&self) -> &'static str {
        "quickwit"
    }

    fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        request.validate()?;
        let (request, parsed) = parse_request(request)?;
        let request = request.as_ref();
        let analyzed = analyze_query(&parsed, &self.analyzer)?;
        let mut matching = Matching::All;
        let mut page = self.run(&analyzed, Matching::All, request)?;
        if page.total == 0 && analyzed.relaxable && self.ranking.relax_when_nothing_matches {
            let relaxed = self.run(&analyzed, Matching::Any, request)?;
            if relaxed.total > 0 {
                matching = Matching::Any;
                page = relaxed;
            }
        }
        let mut highlighter = Highlighter::new(&self.analyzer);
        let specs = (&analyzed.title_spec, &analyzed.body_spec);
        let hits = page
            .hits
            .into_iter()
            .take(request.limit)
            .map(|(score, stored)| {
                Hit::new(stored.into_article(), score, &mut highlighter, specs, &request.snippet)
            })
            .collect();
        Ok(SearchResponse {
            query: request.query.clone(),
            total: page.total,
            // Quickwit is asked to track every hit.
            total_exact: true,
            took_ms: started.elapsed().as_millis() as u64,
            hits,
            facets: page.facets,
            applied: AppliedOptions::new(request, matching, analyzed.terms, self.ranking, analyzed.notes),
            // Spelling suggestions need the index's words, which Quickwit does not list.
            suggestion: None,
        })
    }

    fn get(&self, id: &str) -> Result<Option<Article>> {
        let body = json!({
            "query": {"term": {field::ID: {"value": id}}},
            "size": 1,
            "sort": [{field::REVISION: {"order": "desc"}}],
        });
        let response: EsSearchResponse = self.client.post_json(&self.search_path(), &[], &body)?;
        Ok(response.hits.hits.into_iter().next().map(|hit| hit.source.into_article()))
    }

    fn related(&self, id: &str, _limit: usize) -> Result<RelatedResponse> {
        Err(Error::Unsupported(format!(
            "related articles are not available with the quickwit backend (asked for {id:?}): they need each \
             word's document frequency, which quickwit's search API does not give; serve a local index for them"
        )))
    }

    fn writes(&self) -> WriteState {
        WriteState::Accepting
    }

    /// Applies `operations` in order, each run of upserts or deletes as one write (see
    /// [`QuickwitBackend::write`]), and calls `on_done` before returning.
    fn submit_with(&self, operations: Vec<WriteOp>, on_done: WriteCallback) {
        on_done(self.write(&operations));
    }

    fn num_articles(&self) -> Result<u64> {
        let body = json!({"query": {"match_all": {}}, "size": 0, "track_total_hits": true});
        let response: EsSearchResponse = self.client.post_json(&self.search_path(), &[], &body)?;
        Ok(response.hits.total.map_or(0, |total| total.value))
    }

    fn stats(&self) -> Result<BackendStats> {
        let path = format!("/api/v1/indexes/{}/describe", self.index_id);
        let description: IndexDescription = self.client.get(&path)?.ok_or_else(|| Error::QuickwitStatus {
            status: 404,
            method: "GET",
            url: format!("{}{path}", self.client.url()),
            message: format!("index {:?} does not exist any more", self.index_id),
        })?;
        Ok(BackendStats::Quickwit(QuickwitStats {
            articles: self.num_articles()?,
            quickwit_url: self.client.url().to_string(),
            index_id: self.index_id.clone(),
            splits: description.num_published_splits,
            split_bytes: description.size_published_splits,
            analyzer: self.analyzer.identity().clone(),
        }))
    }

    fn observe_commits(&self, observer: CommitObserver) {
        self.observer.set(observer);
    }

    /// Nothing to do: every acknowledged write is already in Quickwit.
    fn close(&self) -> Result<()> {
        Ok(())
    }
}

/// One page of hits as Quickwit returned them.
struct QuickwitPage {
    hits: Vec<(f32, StoredArticle)>,
    total: u64,
    facets: Option<Facets>,
}

/// Keeps one version per article id on a page: the newest (largest revision), in the
/// place of the best-ranked version.
fn dedupe_versions(hits: &mut Vec<(f32, StoredArticle)>) {
    let mut newest: HashMap<&str, u64> = HashMap::new();
    for (_, stored) in hits.iter() {
        let revision = newest.entry(stored.id.as_str()).or_insert(0);
        *revision = (*revision).max(stored.revision.unwrap_or(0));
    }
    let newest: HashMap<String, u64> =
        newest.into_iter().map(|(id, revision)| (id.to_string(), revision)).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<(f32, StoredArticle)> = Vec::with_capacity(hits.len());
    for (score, stored) in hits.drain(..) {
        let is_newest = stored.revision.unwrap_or(0) == newest.get(&stored.id).copied().unwrap_or(0);
        match seen.get(&stored.id) {
            Some(&place) if is_newest => kept[place].1 = stored,
            Some(_) => {}
            None => {
                seen.insert(stored.id.clone(), kept.len());
                kept.push((score, stored));
            }
        }
    }
    *hits = kept;
}

/// The `aggregations` of a search answer as facet counts.
fn facets_from(aggregations: &Value) -> Facets {
    let counts = |name: &str| -> Vec<FacetCount> {
        let Some(buckets) = aggregations.pointer(&format!("/{name}/buckets")).and_then(Value::as_array)
        else {
            return Vec::new();
        };
        buckets
            .iter()
            .filter_map(|bucket| {
                let value = match bucket.get("key")? {
                    Value::String(key) => key.clone(),
                    other => other.to_string(),
                };
                Some(FacetCount { value, count: bucket.get("doc_count")?.as_u64()? })
            })
            .collect()
    };
    Facets {
        lang: counts("lang"),
        source: counts("source"),
        category: counts("category"),
        month: counts("month"),
    }
}

/// The answer of `_elastic/{index}/_search`.
#[derive(Debug, Deserialize)]
struct EsSearchResponse {
    hits: EsHits,
    #[serde(default)]
    aggregations: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct EsHits {
    #[serde(default)]
    total: Option<EsTotal>,
    #[serde(default)]
    hits: Vec<EsHit>,
}

#[derive(Debug, Deserialize)]
struct EsTotal {
    value: u64,
}

#[derive(Debug, Deserialize)]
struct EsHit {
    #[serde(rename = "_source")]
    source: StoredArticle,
    #[serde(default)]
    sort: Vec<Value>,
    #[serde(rename = "_score", default)]
    score: Option<f64>,
}

/// The stored fields of an exported document.
#[derive(Debug, Clone, Deserialize)]
struct StoredArticle {
    id: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    date_text: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    revision: Option<u64>,
}

impl StoredArticle {
    fn date(&self) -> Option<ArticleDate> {
        self.date_text.as_deref().and_then(|text| text.parse().ok())
    }

    fn into_article(self) -> Article {
        Article {
            date: self.date(),
            lang: self.lang.as_deref().and_then(|tag| tag.parse().ok()),
            id: self.id,
            title: self.title,
            body: self.body,
            source: self.source,
            category: self.category,
            url: self.url,
        }
    }
}

/// The answer of `POST /api/v1/{index}/ingest`: Quickwit 0.8 sends the first field only,
/// 0.9 the others too.
#[derive(Debug, Deserialize)]
pub(crate) struct IngestResponse {
    pub(crate) num_docs_for_processing: u64,
    #[serde(default)]
    pub(crate) num_ingested_docs: Option<u64>,
    #[serde(default)]
    pub(crate) num_rejected_docs: Option<u64>,
    #[serde(default)]
    pub(crate) parse_failures: Vec<ParseFailure>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ParseFailure {
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// The answer of `POST /api/v1/{index}/delete-tasks`.
#[derive(Debug, Deserialize)]
struct DeleteTask {
    opstamp: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: &str, revision: u64) -> StoredArticle {
        serde_json::from_value(json!({"id": id, "revision": revision})).expect("stored")
    }

    #[test]
    fn a_page_keeps_the_newest_version_in_the_best_place() {
        let mut hits = vec![(3.0, stored("a", 1)), (2.0, stored("b", 5)), (1.0, stored("a", 9))];
        dedupe_versions(&mut hits);
        let kept: Vec<(f32, &str, Option<u64>)> =
            hits.iter().map(|(score, s)| (*score, s.id.as_str(), s.revision)).collect();
        assert_eq!(kept, [(3.0, "a", Some(9)), (2.0, "b", Some(5))]);
    }

    #[test]
    fn facets_read_string_and_number_keys() {
        let facets = facets_from(&json!({
            "lang": {"buckets": [{"key": "en", "doc_count": 3}, {"key": "zh-Hans", "doc_count": 1}]},
            "month": {"buckets": [{"key": 2024, "doc_count": 2}]}
        }));
        assert_eq!(facets.lang.len(), 2);
        assert_eq!(facets.lang[0], FacetCount { value: "en".into(), count: 3 });
        assert_eq!(facets.month[0].value, "2024");
        assert!(facets.source.is_empty());
    }
}
