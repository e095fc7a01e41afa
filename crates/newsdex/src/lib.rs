//! newsdex: search for bilingual news.
//!
//! newsdex builds [tantivy] indexes over news articles in Simplified Chinese, Traditional
//! Chinese and English — often mixed in one article or one query — and searches them with
//! ranked, highlighted results. Chinese is segmented with jieba after folding Traditional
//! to Simplified, so either script finds both; English is stemmed; model numbers such as
//! `iPhone15` or `COVID-19` stay searchable as typed.
//!
//! ```
//! use newsdex::{Analyzer, Article, NewsIndex, SearchRequest, WriterSettings};
//!
//! # fn main() -> newsdex::Result<()> {
//! let index = NewsIndex::create_in_ram(Analyzer::new())?;
//! let mut writer = index.writer(WriterSettings::default())?;
//! writer.upsert(&Article {
//!     id: "hant-1".into(),
//!     title: "華為發布Mate 70手機".into(),
//!     body: "新機搭載自研晶片，預購人數已超過三百萬。".into(),
//!     ..Article::default()
//! })?;
//! writer.upsert(&Article {
//!     id: "en-1".into(),
//!     title: "Exporters brace for new tariffs".into(),
//!     body: "Shipping firms said the tariffs would hit electronics first.".into(),
//!     ..Article::default()
//! })?;
//! writer.commit()?;
//!
//! // A Simplified query with an English model name finds the Traditional article…
//! let response = index.search(&SearchRequest::new("华为 mate"))?;
//! assert_eq!(response.hits[0].id, "hant-1");
//! // …and highlights it in its own script.
//! assert_eq!(response.hits[0].title_html, "<mark>華為</mark>發布<mark>Mate</mark> 70手機");
//!
//! // English is stemmed: the singular finds the plural.
//! let response = index.search(&SearchRequest::new("tariff"))?;
//! assert_eq!(response.hits[0].id, "en-1");
//! assert!(response.hits[0].snippet.contains("<mark>tariffs</mark>"));
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - `analysis`: the bilingual [`Analyzer`] — normalisation, script runs, Traditional →
//!   Simplified folding, jieba segmentation, alphanumeric blocks, English stemming — and
//!   its tantivy adapter [`NewsTokenizer`].
//! - `article`: the [`Article`] schema shared by input, HTTP and storage.
//! - `backend`: the [`SearchBackend`] trait, one interface over the local index
//!   ([`LocalBackend`]) and Quickwit ([`QuickwitBackend`]).
//! - `ingest`: [`JsonlReader`], JSON Lines with line-numbered errors.
//! - `language`: [`detect_language`] for articles without `lang`.
//! - `schema`: the tantivy fields of an index.
//! - `index`: [`NewsIndex`], created in memory or a directory, reopened with its analyzer
//!   checked.
//! - `writer`: [`NewsWriter`], upserts and deletes by id, bulk ingestion, commits.
//! - `commit_queue`: [`CommitQueue`], a writer thread that groups concurrent submissions
//!   into shared, durable commits (what a server needs).
//! - `batch`: [`read_article_batch`], the articles of a request body (one object, an
//!   array or JSON Lines) with line-numbered errors.
//! - `stats`: [`IndexStats`], articles, segments and bytes of an index.
//! - `quickwit`: newsdex on a Quickwit cluster: the exported layout, [`export_to_quickwit`],
//!   query translation and [`QuickwitBackend`].
//! - `query`: the query language (words, `"phrases"~slop`, `-exclusion`, `OR`, `title:`).
//! - `search`: [`SearchRequest`] → [`SearchResponse`]: BM25 with field boosts, filters,
//!   facets, date sort, recency.
//! - `exclusion`: the wrapper that lets `-` clauses exclude phrases.
//! - `evaluation`: segmentation scores against gold data, MRR/Recall/nDCG for search.
//! - `related`: [`NewsIndex::related`], articles like a given one.
//! - `scale`: [`SentencePool`], scale corpora for benchmarks recombined from real sentences.
//! - `snippet`: highlights and sentence-aware fragments with byte, char and UTF-16 offsets.

#[macro_use]
mod object_only;
mod analysis;
mod article;
mod backend;
mod batch;
mod bonus;
mod commit_queue;
mod date_filter;
mod error;
mod evaluation;
mod exclusion;
mod filtered;
mod fingerprint;
mod index;
mod ingest;
mod language;
mod max_score;
mod merge_policy;
mod phrase_prefix;
mod pinyin;
mod query;
mod quickwit;
mod recency;
mod related;
mod scale;
mod schema;
mod search;
mod seekable_union;
mod snippet;
mod stats;
mod storage;
mod suggest;
mod unpruned;
mod value_filter;
mod writer;

pub use crate::analysis::{
    ANALYZER_VERSION, AnalysisBuffer, AnalysisMode, Analyzer, AnalyzerBuilder, AnalyzerIdentity,
    NewsTokenStream, NewsTokenizer, SENTENCE_POSITION_GAP, Synonyms, Token, TokenKind, TokenRef,
    UserDictionary,
};
pub use crate::article::{Article, ArticleDate, DATE_YEARS, Lang, MAX_ID_BYTES, MAX_NAME_BYTES};
pub use crate::backend::{
    BackendStats, CommitObserver, LocalBackend, SearchBackend, Visibility, WriteCallback, WriteReceipt,
    WriteState,
};
pub use crate::batch::{ArticleBatch, BatchFormat, read_article_batch};
pub use crate::commit_queue::{CommitInfo, CommitQueue, CommitQueueSettings, CommitReceipt, WriteOp};
pub use crate::error::{Error, Result};
pub use crate::evaluation::{
    KnownItemOptions, KnownItemQuery, KnownItemSet, RetrievalScore, Segmentation, SegmentationScore, SlipSet,
    build_known_items, build_slips, score_retrieval, score_segmentation,
};
pub use crate::index::NewsIndex;
pub use crate::ingest::{JsonlReader, LineError, MAX_LINE_BYTES, OnError, Record};
pub use crate::language::detect_language;
pub use crate::query::{MAX_CLAUSES, MAX_FUZZY_EDITS, MAX_QUERY_CHARS, MAX_SLOP, QueryField};
pub use crate::quickwit::{
    CommitMode, ExportIdentity, ExportOptions, ExportProgress, ExportReport, QuickwitBackend, QuickwitClient,
    QuickwitDocument, QuickwitStats, RECENCY_RERANK_WINDOW, export_to_quickwit, quickwit_index_config,
    quickwit_query_string,
};
pub use crate::related::RelatedResponse;
pub use crate::scale::{GeneratedCorpus, SentencePool};
pub use crate::search::{
    AppliedOptions, FacetCount, Facets, Hit, MAX_FILTER_VALUES, MAX_LIMIT, MAX_PREFIX_WORDS, MAX_PREFIXES,
    MAX_QUERY_WORDS, MAX_RESULT_WINDOW, MIN_PREFIX_CHARS, Matching, RankingConfig, Recency, SearchRequest,
    SearchResponse, SortOrder, TOTAL_COUNT_LIMIT,
};
pub use crate::snippet::{Fragment, MAX_HIGHLIGHTED_BYTES, SnippetOptions, TextRange};
pub use crate::stats::{IndexStats, Preloaded};
pub use crate::writer::{IngestOptions, IngestProgress, IngestReport, NewsWriter, WriterSettings};
