//! Searching: requests, ranking, filters, facets, and hits with snippets.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::{AggregationResult, AggregationResults, BucketResult};
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard, Key};
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::query::{
    AllQuery, Bm25StatisticsProvider, BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, Scorer, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{
    DateTime, DocAddress, DocSet, InvertedIndexReader, Order, Score, Searcher, TantivyDocument, Term,
};
use tantivy_fst::Automaton;
use tantivy_fst::automaton::AlwaysMatch;

use crate::analysis::{AnalysisMode, Analyzer, OtherWording, Synonym, Token, is_han};
use crate::article::{Article, ArticleDate, Lang};
use crate::bonus::{Bonus, MatchCount, WithBonus};
use crate::date_filter::{DateFilter, date_at, index_dates};
use crate::error::{Error, Result};
use crate::exclusion::Excluded;
use crate::filtered::{Filtered, under_filters};
use crate::index::NewsIndex;
use crate::max_score::MaxScoreUnion;
use crate::phrase_prefix::PhraseEndingInAny;
use crate::query::{Atom, MAX_FUZZY_EDITS, ParsedQuery, QueryField, parse};
use crate::recency::{Blend, blended_top};
use crate::schema::NewsSchema;
use crate::seekable_union::SeekableUnion;
use crate::snippet::{Fragment, HighlightSpec, Highlighter, PhraseSpec, SnippetOptions, TextRange};
use crate::unpruned::Unpruned;
use crate::value_filter::ValueFilter;

/// Most hits one page may hold.
pub const MAX_LIMIT: usize = 100;
/// Deepest result reachable by paging: `offset + limit` may not exceed it.
pub const MAX_RESULT_WINDOW: usize = 1000;
/// Most values one filter (`lang`, `source` or `category`) may list.
pub const MAX_FILTER_VALUES: usize = 1024;
/// Matches counted exactly before `total` becomes a lower bound (unless the request asks
/// for `exact_total`).
pub const TOTAL_COUNT_LIMIT: u64 = 10_000;

/// Most query words the proximity bonus considers; longer queries go without it.
pub(crate) const MAX_PROXIMITY_WORDS: usize = 12;

/// Most analysed words a query searches, all clauses together; the rest are dropped with
/// a note. A pasted paragraph of 1,000 Chinese words took 111 s on 1,000,000 articles
/// (when no article has every word, any of them may match, and ranking the union slows
/// with every word); 64 words took 0.3–0.6 s and 32 0.1–0.25 s ranked by block-max WAND,
/// 32 take 20–38 ms scored throughout (as unions of more than 12 terms now are).
pub const MAX_QUERY_WORDS: usize = 32;
/// Most indexed words one prefix (`semicond*`) or fuzzy word (`tarif~`) stands for: the
/// most frequent, the rest left out with a note.
pub const MAX_PREFIX_WORDS: usize = 50;
/// Fewest characters a prefix may have; a shorter one is searched as a word.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Most prefixes and fuzzy words one query may have, together; further ones are searched
/// as words.
pub const MAX_PREFIXES: usize = 3;
/// Most terms (a word in each field it is searched in) a flat union is ranked by
/// block-max WAND with; one with more scores every match instead ([`Unpruned`]).
const WAND_TERMS: usize = 12;
/// How far the query's words may move and still earn the proximity bonus.
pub(crate) const PROXIMITY_SLOP: u32 = 3;

/// Field boosts and the bonus for query words found side by side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RankingConfig {
    /// Multiplier of BM25 scores in titles.
    pub title_boost: f32,
    /// Multiplier of BM25 scores in bodies.
    pub body_boost: f32,
    /// Multiplier of the proximity bonus: the query's plain words found in order within
    /// a few positions of each other.
    pub proximity_boost: f32,
    /// When no article has every word, search again for articles with any of them.
    pub relax_when_nothing_matches: bool,
}

impl RankingConfig {
    /// Checks the weights: finite, not negative, and not both field boosts 0.
    pub fn validate(&self) -> Result<()> {
        for (name, weight) in [
            ("title boost", self.title_boost),
            ("body boost", self.body_boost),
            ("proximity boost", self.proximity_boost),
        ] {
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(Error::InvalidRequest(format!(
                    "the {name} must be a number of at least 0, not {weight}"
                )));
            }
        }
        if self.title_boost == 0.0 && self.body_boost == 0.0 {
            return Err(Error::InvalidRequest("the title and body boosts cannot both be 0".to_string()));
        }
        Ok(())
    }
}

impl Default for RankingConfig {
    fn default() -> Self {
        RankingConfig {
            title_boost: 2.0,
            body_boost: 1.0,
            proximity_boost: 2.0,
            relax_when_nothing_matches: true,
        }
    }
}

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

/// Blends BM25 with the article's age: `score × (1 − weight + weight × 0.5^(age / half_life))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Recency {
    /// Age, in days, at which the recency factor halves.
    pub half_life_days: f64,
    /// How much the factor counts, from 0 (not at all) to 1 (fully).
    #[serde(default = "default_recency_weight")]
    pub weight: f64,
    /// The instant ages are measured from (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<ArticleDate>,
}

object_only_serde!(Recency, "a recency setting (a JSON object)");

fn default_recency_weight() -> f64 {
    0.5
}

/// A search: the query, filters, paging, ordering and what to return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct SearchRequest {
    /// The query, in the query language (see the `query` module docs).
    #[serde(alias = "q")]
    pub query: String,
    /// Hits per page.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Only these languages (empty: any).
    pub lang: Vec<Lang>,
    /// Only these sources (empty: any).
    pub source: Vec<String>,
    /// Only these categories (empty: any).
    pub category: Vec<String>,
    /// Only articles published at or after this date.
    pub from: Option<ArticleDate>,
    /// Only articles published at or before this date (a whole day for a date).
    pub to: Option<ArticleDate>,
    /// Ordering.
    pub sort: SortOrder,
    /// Whether to count matches per language, source, category and month.
    pub facets: bool,
    /// Prefer newer articles (relevance ordering only).
    pub recency: Option<Recency>,
    /// Snippet fragments and highlight tags.
    pub snippet: SnippetOptions,
    /// Count every match. Otherwise a query ranked without visiting every match (words
    /// any of which may match, several words all required or one phrase; filters
    /// allowed; recency or not; no facets), and a date-sorted search without facets, stop
    /// counting after [`TOTAL_COUNT_LIMIT`] and say so in `total_exact`; every other query
    /// counts exactly anyway.
    pub exact_total: bool,
    /// Whether query words also find their synonyms (see [`Synonyms`]) and the other
    /// region's wording of a Chinese word (`软件` finding Taiwan's `軟體`), and a query
    /// finding nothing is searched respelt (see [`NewsIndex::search`]); `false` searches
    /// the words as typed.
    ///
    /// [`Synonyms`]: crate::Synonyms
    pub synonyms: bool,
}

object_only_serde!(SearchRequest, "a search request (a JSON object)");

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            limit: 10,
            offset: 0,
            lang: Vec::new(),
            source: Vec::new(),
            category: Vec::new(),
            from: None,
            to: None,
            sort: SortOrder::Relevance,
            facets: false,
            recency: None,
            snippet: SnippetOptions::default(),
            exact_total: false,
            synonyms: true,
        }
    }
}

impl SearchRequest {
    /// A request for `query` with every other option at its default.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest { query: query.into(), ..SearchRequest::default() }
    }

    /// Checks paging, filters, dates and snippet options.
    pub fn validate(&self) -> Result<()> {
        for (name, values) in
            [("lang", self.lang.len()), ("source", self.source.len()), ("category", self.category.len())]
        {
            if values > MAX_FILTER_VALUES {
                return Err(Error::InvalidRequest(format!(
                    "the {name} filter lists {values} values; the limit is {MAX_FILTER_VALUES}"
                )));
            }
        }
        if self.limit > MAX_LIMIT {
            return Err(Error::InvalidRequest(format!(
                "limit must be at most {MAX_LIMIT}, not {}",
                self.limit
            )));
        }
        if self.offset.saturating_add(self.limit) > MAX_RESULT_WINDOW {
            return Err(Error::InvalidRequest(format!(
                "offset + limit must be at most {MAX_RESULT_WINDOW} (the result window), not {}",
                self.offset.saturating_add(self.limit)
            )));
        }
        if let (Some(from), Some(to)) = (&self.from, &self.to)
            && from > to
        {
            return Err(Error::InvalidRequest(format!("from ({from}) is after to ({to})")));
        }
        if let Some(recency) = &self.recency {
            if !(recency.half_life_days.is_finite() && recency.half_life_days > 0.0) {
                return Err(Error::InvalidRequest(format!(
                    "recency half-life must be a positive number of days, not {}",
                    recency.half_life_days
                )));
            }
            if !(0.0..=1.0).contains(&recency.weight) {
                return Err(Error::InvalidRequest(format!(
                    "recency weight must be between 0 and 1, not {}",
                    recency.weight
                )));
            }
        }
        self.snippet.validate()
    }
}

/// A search result page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// The query as given.
    pub query: String,
    /// Articles matching (all pages); a lower bound when `total_exact` is false.
    pub total: u64,
    /// Whether `total` is the exact count. Counting stops at [`TOTAL_COUNT_LIMIT`] where
    /// ranking does not visit every match, unless the request asks for `exact_total`.
    #[serde(default = "exact_by_default")]
    pub total_exact: bool,
    /// Time spent in the engine, in milliseconds.
    pub took_ms: u64,
    /// This page's hits.
    pub hits: Vec<Hit>,
    /// Counts per language, source, category and month over all matches, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// How the request was understood.
    pub applied: AppliedOptions,
    /// "Did you mean": the query with the words no article holds, or far fewer than a
    /// word one or two letters away, respelt (`goverment` → `government`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

fn exact_by_default() -> bool {
    true
}

/// One article in a result page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Article id.
    pub id: String,
    /// Ranking score (BM25 with boosts, times the recency factor if any).
    pub score: f32,
    /// The stored title.
    pub title: String,
    /// The title HTML-escaped with matches in the highlight tags.
    pub title_html: String,
    /// The best fragment of the body as HTML (see `fragments`).
    pub snippet: String,
    /// Body fragments around matches, best first, with offsets.
    pub fragments: Vec<Fragment>,
    /// Where the title's highlights are.
    pub title_highlights: Vec<TextRange>,
    /// Language.
    pub lang: Option<Lang>,
    /// Source.
    pub source: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Publication date as stored.
    pub date: Option<ArticleDate>,
    /// Address of the original.
    pub url: Option<String>,
}

impl Hit {
    /// The hit for a stored article: title and body highlighted for the query's words.
    pub(crate) fn new(
        article: Article,
        score: f32,
        highlighter: &mut Highlighter<'_>,
        (title_spec, body_spec): (&HighlightSpec, &HighlightSpec),
        options: &SnippetOptions,
    ) -> Hit {
        let title = highlighter.highlight_all(&article.title, title_spec, options);
        let fragments = highlighter.fragments(&article.body, body_spec, options);
        Hit {
            id: article.id,
            score,
            snippet: fragments.first().map(|f| f.html.clone()).unwrap_or_default(),
            fragments,
            title_html: title.html,
            title_highlights: title.highlights,
            title: article.title,
            lang: article.lang,
            source: article.source,
            category: article.category,
            date: article.date,
            url: article.url,
        }
    }
}

/// Match counts per field value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Facets {
    /// Per language.
    pub lang: Vec<FacetCount>,
    /// Per source.
    pub source: Vec<FacetCount>,
    /// Per category.
    pub category: Vec<FacetCount>,
    /// Per month (`YYYY-MM`), newest first.
    pub month: Vec<FacetCount>,
}

/// One facet value and how many matching articles have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    /// The value.
    pub value: String,
    /// Matching articles with it.
    pub count: u64,
}

/// How the engine read the request: what a client needs to explain the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedOptions {
    /// Hits per page.
    pub limit: usize,
    /// Hits skipped.
    pub offset: usize,
    /// Ordering.
    pub sort: SortOrder,
    /// `all`: every word had to match; `any`: nothing matched every word, so articles
    /// matching any of them are returned.
    pub matching: Matching,
    /// The analysed words searched, per clause.
    pub terms: Vec<String>,
    /// Language filter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lang: Vec<Lang>,
    /// Source filter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<String>,
    /// Category filter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<String>,
    /// Date filter start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<ArticleDate>,
    /// Date filter end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<ArticleDate>,
    /// Recency blending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recency: Option<Recency>,
    /// Field boosts used.
    pub ranking: RankingConfig,
    /// What was read differently from how it was typed (a lone quote, a large slop…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The hits are those of [`SearchResponse::suggestion`]: the query as given found
    /// nothing, and its respelling did. A request with `synonyms: false` is never
    /// respelt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub respelt: bool,
}

impl AppliedOptions {
    /// How `request` was understood, by either backend.
    pub(crate) fn new(
        request: &SearchRequest,
        matching: Matching,
        terms: Vec<String>,
        ranking: RankingConfig,
        mut notes: Vec<String>,
    ) -> AppliedOptions {
        // Newest first leaves no order for recency to change: say so rather than echo it.
        let recency = match (request.sort, request.recency) {
            (SortOrder::Date, Some(_)) => {
                notes.push("recency was not applied: the hits are sorted by date, newest first".to_string());
                None
            }
            (_, recency) => recency,
        };
        AppliedOptions {
            limit: request.limit,
            offset: request.offset,
            sort: request.sort,
            matching,
            terms,
            lang: request.lang.clone(),
            source: request.source.clone(),
            category: request.category.clone(),
            from: request.from,
            to: request.to,
            recency,
            ranking,
            notes,
            respelt: false,
        }
    }
}

/// Whether every query word had to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matching {
    /// Every word (the default).
    All,
    /// Any word (the fallback when nothing matched every word).
    Any,
}

/// A query analysed for searching: what each clause looks for, as analysed words, apart
/// from any engine and from the matching mode. The local backend compiles it to tantivy
/// queries ([`QueryCompiler`]); the Quickwit backend translates it to Quickwit's query
/// language. Both highlight with the same specs, so snippets agree.
#[derive(Debug, Clone)]
pub(crate) struct AnalyzedQuery {
    /// Clauses with something searchable left after analysis, in the order typed.
    pub(crate) clauses: Vec<AnalyzedClause>,
    /// The query only excludes: every other article matches.
    pub(crate) match_all: bool,
    /// The words of plain clauses (unquoted, unfielded, no alternatives), in order, when
    /// there are 2 to [`MAX_PROXIMITY_WORDS`] of them: articles where they stand close
    /// together earn a bonus.
    pub(crate) proximity_words: Vec<String>,
    /// What to highlight in titles.
    pub(crate) title_spec: HighlightSpec,
    /// What to highlight in bodies.
    pub(crate) body_spec: HighlightSpec,
    /// The analysed words of each positive clause, for `applied.terms`.
    pub(crate) terms: Vec<String>,
    /// Whether matching any word could find more than matching every word.
    pub(crate) relaxable: bool,
    /// The parser's notes and the analysis's own, for `applied.notes`.
    pub(crate) notes: Vec<String>,
}

/// Alternatives joined by `OR`, required or excluded as a whole.
#[derive(Debug, Clone)]
pub(crate) struct AnalyzedClause {
    /// No matching article is returned.
    pub(crate) excluded: bool,
    /// Any of these matches the clause (never empty).
    pub(crate) alternatives: Vec<AnalyzedAtom>,
}

/// One searchable unit, limited to a field or not.
#[derive(Debug, Clone)]
pub(crate) struct AnalyzedAtom {
    /// `title:` or `body:`, or both fields.
    pub(crate) field: Option<QueryField>,
    /// What to look for.
    pub(crate) kind: AtomKind,
}

/// What an atom looks for.
#[derive(Debug, Clone)]
pub(crate) enum AtomKind {
    /// One word.
    Word(QueryWord),
    /// Several words typed together: each must match (any of them, when relaxed).
    Words(Vec<QueryWord>),
    /// Words in order, each with its offset from the first, within `slop` moves.
    Phrase { words: Vec<(usize, String)>, slop: u32 },
    /// The indexed words a prefix or a fuzzy word stands for: `words` are filled in from
    /// the index before the query is compiled.
    Expanded {
        /// The prefix or fuzzy word as typed, for notes.
        typed: String,
        /// What the words are found by.
        expansion: Expansion,
        /// The indexed words it stands for, most frequent first, each with its weight:
        /// 1 for a prefix's, and for a fuzzy word's how likely it is the word meant
        /// (see `QueryCompiler::expand_words`).
        words: Vec<(String, f32)>,
        /// For a phrase ending in the prefix (`"trade wa"*`), the words before it: each
        /// word found is searched as the end of that phrase.
        lead: Option<PhraseLead>,
        /// Which reading of a phrase prefix it is (every other prefix and fuzzy word is
        /// read as typed).
        reading: Reading,
    },
}

/// The readings of a phrase prefix, each an [`AtomKind::Expanded`] alternative of its
/// clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// As typed.
    Typed,
    /// The last two words of a Chinese one typed together as the start of one word still
    /// being typed (`"人工智"*` as the words beginning `人工智`, not `人工` and a word
    /// beginning `智`). Its note names the words it found, if any.
    WordStarted,
    /// The words before the prefix in the other region's wording (`"软件 更"*` as
    /// `软体 更*`, as analysis reads Taiwan's `軟體更新`). Noted with the words' other
    /// wordings.
    OtherWording,
}

/// The words of a phrase prefix (`"trade wa"*`) before its prefix, where the prefix
/// stands, and the phrase's slop.
#[derive(Debug, Clone)]
pub(crate) struct PhraseLead {
    /// The words before the prefix, each at its offset from the first.
    pub(crate) words: Vec<(usize, String)>,
    /// The prefix's offset from the first word.
    pub(crate) offset: usize,
    /// Allowed position moves.
    pub(crate) slop: u32,
}

impl PhraseLead {
    /// The phrase with `word` in the prefix's place.
    pub(crate) fn ending_in(&self, word: &str) -> PhraseSpec {
        let mut words = self.words.clone();
        words.push((self.offset, word.to_string()));
        PhraseSpec { words, slop: self.slop }
    }
}

/// How the words of an [`AtomKind::Expanded`] are found in the index.
#[derive(Debug, Clone)]
pub(crate) enum Expansion {
    /// Words beginning with one of these forms (see [`Analyzer::prefix_forms`]).
    Prefix(Vec<String>),
    /// Words within `edits` edits of `word`, an analysed word (a swap of neighbours is
    /// one edit).
    Fuzzy { word: String, edits: u8 },
}

/// The edits a fuzzy word typed without a number (`tarif~`) allows, by its length in
/// characters once analysed, as Elasticsearch's `AUTO`: none up to 2, one up to 5, two
/// beyond.
pub(crate) fn fuzzy_edits(word: &str) -> u8 {
    match word.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => MAX_FUZZY_EDITS,
    }
}

/// What a prefix or fuzzy word of the query is searched as, before the query's limits.
enum ExpansionPlan {
    /// The indexed words it stands for (at the end of `lead`, for a phrase prefix), and
    /// for a phrase prefix its other readings, if any (see [`Reading`]); `term` is how
    /// `applied.terms` shows it.
    Expand {
        term: String,
        expansion: Expansion,
        lead: Option<PhraseLead>,
        others: Vec<(Reading, Expansion, Option<PhraseLead>)>,
    },
    /// As typed: a fuzzy word allowing no edits, a phrase prefix with no word in it.
    Word,
    /// The word itself, for this reason, given in a note.
    Refused(String),
}

/// A prefix, phrase prefix or fuzzy word `atom` as typed (`semi*`, `"trade wa"*`,
/// `tarif~1`) and what it is searched as; `None` for other atoms. `wordings` gives a
/// query word's other regional wordings (none when the search asks for none).
fn expansion_plan(
    atom: &Atom,
    analyzer: &Analyzer,
    wordings: &mut dyn FnMut(&Token) -> Vec<OtherWording>,
) -> Option<(String, ExpansionPlan)> {
    let prefix_plan = |text: &str, lead: Option<PhraseLead>, lead_terms: &[&str], min_chars: usize| {
        let forms = analyzer.prefix_forms(text, min_chars);
        match forms.first() {
            None => ExpansionPlan::Refused(format!(
                "a prefix needs at least {MIN_PREFIX_CHARS} letters or digits"
            )),
            Some(form) => {
                let mut term = lead_terms.join(" ");
                if !term.is_empty() {
                    term.push(' ');
                }
                term.push_str(form);
                term.push('*');
                ExpansionPlan::Expand { term, expansion: Expansion::Prefix(forms), lead, others: Vec::new() }
            }
        }
    };
    match atom {
        Atom::Prefix { text, .. } => {
            Some((format!("{text}*"), prefix_plan(text, None, &[], MIN_PREFIX_CHARS)))
        }
        Atom::PhrasePrefix { text, slop, .. } => {
            let typed = format!("\"{text}\"*");
            let tokens = analyzer.analyze(text, AnalysisMode::Query);
            let plan = match tokens.split_last() {
                None => ExpansionPlan::Word,
                Some((last, before)) => {
                    let typed_of = |from: &Token, to: &Token| text.get(from.offset_from..to.offset_to);
                    let spec = phrase_spec(&tokens, *slop);
                    let phrase = &spec.words;
                    // The phrase's words before `count` of them, and where the next stands.
                    let lead_of = |count: usize| {
                        (count > 0).then(|| PhraseLead {
                            words: phrase[..count].to_vec(),
                            offset: phrase[count].0,
                            slop: *slop,
                        })
                    };
                    let lead_terms: Vec<&str> = before.iter().map(|token| token.text.as_str()).collect();
                    let chinese = |token: &Token| token.text.chars().all(is_han);
                    // After other words, one Chinese character is prefix enough (a
                    // phrase of them is no walk through every word).
                    let min_chars = if !before.is_empty() && chinese(last) { 1 } else { MIN_PREFIX_CHARS };
                    let last_typed = typed_of(last, last).unwrap_or(&last.text);
                    let mut plan = prefix_plan(last_typed, lead_of(before.len()), &lead_terms, min_chars);
                    if let ExpansionPlan::Expand { expansion, others, .. } = &mut plan
                        && !before.is_empty()
                    {
                        // The words before the prefix in the other region's wording.
                        let mut per_token: Vec<Vec<OtherWording>> =
                            before.iter().map(&mut *wordings).collect();
                        per_token.push(Vec::new());
                        if let Some(mut other) = phrase_in_other_wording(&spec, &tokens, per_token)
                            && let Some((offset, _)) = other.words.pop()
                        {
                            let lead = PhraseLead { words: other.words, offset, slop: *slop };
                            others.push((Reading::OtherWording, expansion.clone(), Some(lead)));
                        }
                        // A Chinese word still being typed is cut in two by segmentation
                        // (`人工智` is `人工` and `智`): its two parts, typed together, are
                        // also read as the start of one word.
                        if let Some(previous) = before.last()
                            && chinese(previous)
                            && chinese(last)
                            && previous.offset_to == last.offset_from
                            && let Some(joined) = typed_of(previous, last)
                        {
                            let forms = analyzer.prefix_forms(joined, MIN_PREFIX_CHARS);
                            if !forms.is_empty() {
                                let lead = lead_of(before.len() - 1);
                                others.push((Reading::WordStarted, Expansion::Prefix(forms), lead));
                            }
                        }
                    }
                    plan
                }
            };
            Some((typed, plan))
        }
        Atom::Fuzzy { text, edits, .. } => {
            let typed = match edits {
                Some(edits) => format!("{text}~{edits}"),
                None => format!("{text}~"),
            };
            let plan = match analyzer.analyze(text, AnalysisMode::Query).as_slice() {
                [token] if token.text.chars().any(|c| c.is_alphabetic() && !is_han(c)) => {
                    match edits.unwrap_or_else(|| fuzzy_edits(&token.text)) {
                        0 => ExpansionPlan::Word,
                        edits => ExpansionPlan::Expand {
                            term: typed.clone(),
                            expansion: Expansion::Fuzzy { word: token.text.clone(), edits },
                            lead: None,
                            others: Vec::new(),
                        },
                    }
                }
                _ => ExpansionPlan::Refused("fuzzy matching is for one word in Latin letters".to_string()),
            };
            Some((typed, plan))
        }
        Atom::Words { .. } | Atom::Phrase { .. } => None,
    }
}

/// An analysed query word, with the other forms an article may hold it in.
#[derive(Debug, Clone)]
pub(crate) struct QueryWord {
    /// The analysed word.
    pub(crate) text: String,
    /// Other forms that match as the word does, each one word or several to match as a
    /// phrase: an alphanumeric word's parts (`iphone15` → `iphon 15`, so that `iPhone 15`
    /// typed apart matches), the other region's wording of a Chinese word (`软件` →
    /// `软体`, as analysis reads Taiwan's `軟體`).
    pub(crate) alternatives: Vec<Vec<String>>,
}

impl QueryWord {
    /// The word and its one-word alternatives: terms, each matching as the word does.
    pub(crate) fn terms(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.text.as_str()).chain(self.alternatives.iter().filter_map(|words| {
            match words.as_slice() {
                [word] => Some(word.as_str()),
                _ => None,
            }
        }))
    }

    /// The alternatives of several words, matched as phrases.
    pub(crate) fn phrases(&self) -> impl Iterator<Item = &[String]> {
        self.alternatives.iter().map(Vec::as_slice).filter(|words| words.len() > 1)
    }
}

impl QueryField {
    /// Both fields, or the one given.
    pub(crate) fn either(field: Option<QueryField>) -> &'static [QueryField] {
        match field {
            None => &[QueryField::Title, QueryField::Body],
            Some(QueryField::Title) => &[QueryField::Title],
            Some(QueryField::Body) => &[QueryField::Body],
        }
    }
}

impl RankingConfig {
    /// The boost of a field.
    pub(crate) fn boost(&self, field: QueryField) -> f32 {
        match field {
            QueryField::Title => self.title_boost,
            QueryField::Body => self.body_boost,
        }
    }
}

/// Parses the request's query and adds the filters typed into it (`lang:en`) to the
/// request's own: a filter the request already sets by parameter wins, with a note.
///
/// A query with nothing to rank by — filters or exclusions only (`lang:en`, `-足球`) —
/// lists the articles it keeps newest first, unless recency is asked for: every one
/// matches equally, and index order means nothing to a reader.
///
/// `source` and `category` values are read as articles store theirs: without the
/// whitespace around them, blank ones left out, each once (so `" Reuters"` finds the
/// articles of `Reuters`).
pub(crate) fn parse_request(request: &SearchRequest) -> Result<(Cow<'_, SearchRequest>, ParsedQuery)> {
    let mut parsed = parse(&request.query)?;
    parsed.literal = !request.synonyms;
    // A query of operators alone (`AND`, `OR`) is refused by query analysis, not listed.
    let matches_any = !parsed.clauses.is_empty() || parsed.everything || !parsed.filters.is_empty();
    let unranked = matches_any
        && parsed.clauses.iter().all(|clause| clause.excluded)
        && request.sort == SortOrder::Relevance
        && request.recency.is_none();
    let untidy = !(tidy_names(&request.source) && tidy_names(&request.category));
    if parsed.filters.is_empty() && !unranked && !untidy {
        return Ok((Cow::Borrowed(request), parsed));
    }
    let mut resolved = request.clone();
    if untidy {
        tidy_up_names(&mut resolved.source);
        tidy_up_names(&mut resolved.category);
    }
    let typed = &parsed.filters;
    let notes = &mut parsed.notes;
    merge_filter("lang", &mut resolved.lang, &typed.lang, notes);
    merge_filter("source", &mut resolved.source, &typed.source, notes);
    merge_filter("category", &mut resolved.category, &typed.category, notes);
    if unranked {
        resolved.sort = SortOrder::Date;
        notes.push("nothing in the query ranks the articles, so they are listed newest first".to_string());
    }
    Ok((Cow::Owned(resolved), parsed))
}

/// Whether every name is trimmed, not blank and given once.
fn tidy_names(names: &[String]) -> bool {
    names.iter().enumerate().all(|(index, name)| {
        !name.is_empty() && name.trim().len() == name.len() && !names[..index].contains(name)
    })
}

/// Trims the names, leaves out blank ones and keeps each once, in order.
fn tidy_up_names(names: &mut Vec<String>) {
    let mut tidy: Vec<String> = Vec::with_capacity(names.len());
    for name in names.drain(..) {
        let name = name.trim();
        if !name.is_empty() && !tidy.iter().any(|kept| kept == name) {
            tidy.push(name.to_string());
        }
    }
    *names = tidy;
}

/// Sets a filter of the request from the query, unless the request sets it already.
fn merge_filter<T: Clone + std::fmt::Display>(
    name: &str,
    set: &mut Vec<T>,
    typed: &[T],
    notes: &mut Vec<String>,
) {
    if typed.is_empty() {
        return;
    }
    if set.is_empty() {
        set.extend_from_slice(typed);
        return;
    }
    let typed: Vec<String> = typed.iter().map(|value| format!("{name}:{value}")).collect();
    notes.push(format!(
        "{} in the query was ignored: the {name} parameter already filters the search",
        typed.join(" ")
    ));
}

/// Analyses a parsed query with `analyzer`. Fails when nothing searchable is left: no
/// clause at all, or positive clauses none of which keeps a word.
pub(crate) fn analyze_query(parsed: &ParsedQuery, analyzer: &Analyzer) -> Result<AnalyzedQuery> {
    let mut clauses = Vec::new();
    let mut title_spec = HighlightSpec::default();
    let mut body_spec = HighlightSpec::default();
    let mut terms = Vec::new();
    let mut positive_typed = 0;
    let mut positive_kept = 0;
    let mut relaxable = false;
    let mut proximity_words: Vec<String> = Vec::new();
    let mut words_left = MAX_QUERY_WORDS;
    let mut words_dropped = false;
    let mut prefixes = 0;
    let mut analysis_notes = Vec::new();
    for clause in &parsed.clauses {
        let plain = !clause.excluded && clause.alternatives.len() == 1;
        let mut alternatives = Vec::new();
        for atom in &clause.alternatives {
            let (field, text, phrase_slop) = match atom {
                Atom::Words { field, text }
                | Atom::Prefix { field, text }
                | Atom::Fuzzy { field, text, .. } => (*field, text, None),
                Atom::Phrase { field, text, slop } | Atom::PhrasePrefix { field, text, slop } => {
                    (*field, text, Some(*slop))
                }
            };
            let wordings = |token: &Token, notes: &mut Vec<String>| {
                if parsed.literal {
                    return Vec::new();
                }
                let wordings = analyzer.other_wordings(&token.text);
                for wording in &wordings {
                    let typed = text.get(token.offset_from..token.offset_to).unwrap_or(&token.text);
                    let note = format!(
                        "\"{typed}\" also stands for {} \"{}\"",
                        wording.region.possessive(),
                        wording.written
                    );
                    push_note(notes, note);
                }
                wordings
            };
            if let Some((typed, plan)) =
                expansion_plan(atom, analyzer, &mut |token| wordings(token, &mut analysis_notes))
            {
                let plan = match plan {
                    ExpansionPlan::Refused(_) => plan,
                    _ if prefixes == MAX_PREFIXES => ExpansionPlan::Refused(format!(
                        "a query may have at most {MAX_PREFIXES} prefixes and fuzzy words"
                    )),
                    _ => plan,
                };
                match plan {
                    ExpansionPlan::Expand { term, expansion, lead, others }
                        if words_left > lead.as_ref().map_or(0, |lead| lead.words.len()) =>
                    {
                        prefixes += 1;
                        words_left -= 1 + lead.as_ref().map_or(0, |lead| lead.words.len());
                        if !clause.excluded {
                            terms.push(term);
                        }
                        let readings = std::iter::once((Reading::Typed, expansion, lead)).chain(others);
                        for (reading, expansion, lead) in readings {
                            let typed = typed.clone();
                            let kind =
                                AtomKind::Expanded { typed, expansion, words: Vec::new(), lead, reading };
                            alternatives.push(AnalyzedAtom { field, kind });
                        }
                        continue;
                    }
                    ExpansionPlan::Refused(why_not) => {
                        let note = match atom {
                            Atom::PhrasePrefix { .. } => {
                                format!("{why_not}: {typed} was searched as the phrase \"{text}\"")
                            }
                            _ => format!("{why_not}: \"{typed}\" was searched as \"{text}\""),
                        };
                        analysis_notes.push(note);
                    }
                    _ => {}
                }
            }
            let mut tokens = analyzer.analyze(text, AnalysisMode::Query);
            if tokens.len() > words_left {
                tokens.truncate(words_left);
                words_dropped = true;
            }
            words_left -= tokens.len();
            if tokens.is_empty() {
                continue;
            }
            let mut spec_update = SpecUpdate::default();
            let word = |token: &Token, spec_update: &mut SpecUpdate, notes: &mut Vec<String>| {
                let mut alternatives = Vec::new();
                let parts = analyzer.alphanumeric_parts(&token.text);
                if parts.len() > 1 {
                    alternatives.push(parts);
                }
                alternatives.extend(wordings(token, notes).into_iter().map(|wording| wording.words));
                let mut added: Vec<Synonym> = Vec::new();
                for synonym in analyzer.synonyms_of(&token.text).iter().filter(|_| !parsed.literal) {
                    if !alternatives.contains(&synonym.words) {
                        alternatives.push(synonym.words.clone());
                        added.push(synonym.clone());
                    }
                }
                if !added.is_empty() {
                    let typed = text.get(token.offset_from..token.offset_to).unwrap_or(&token.text);
                    push_note(notes, synonyms_note(typed, &added));
                }
                spec_update.words.insert(token.text.clone());
                for words in &alternatives {
                    spec_update.highlight(words);
                }
                QueryWord { text: token.text.clone(), alternatives }
            };
            let mut other_kinds = Vec::new();
            let kind = match phrase_slop {
                Some(slop) if tokens.len() > 1 => {
                    let phrase = phrase_spec(&tokens, slop);
                    spec_update.phrases.push(phrase.clone());
                    let per_token = tokens.iter().map(|t| wordings(t, &mut analysis_notes)).collect();
                    if let Some(other) = phrase_in_other_wording(&phrase, &tokens, per_token) {
                        spec_update.phrases.push(other.clone());
                        other_kinds.push(AtomKind::Phrase { words: other.words, slop });
                    }
                    // A quoted synonym entry (`"electric vehicle"`) stands for its group.
                    let texts: Vec<&str> = tokens.iter().map(|token| token.text.as_str()).collect();
                    if let Some((entry, others)) = analyzer.synonym_phrase_at(&texts)
                        && entry.words.len() == texts.len()
                        && !parsed.literal
                    {
                        other_kinds.extend(others.iter().map(|other| synonym_kind(other, &mut spec_update)));
                        push_note(&mut analysis_notes, synonyms_note(&entry.written, others));
                    }
                    AtomKind::Phrase { words: phrase.words, slop }
                }
                _ if tokens.len() == 1 => {
                    AtomKind::Word(word(&tokens[0], &mut spec_update, &mut analysis_notes))
                }
                _ => {
                    relaxable = true;
                    AtomKind::Words(
                        tokens
                            .iter()
                            .map(|token| word(token, &mut spec_update, &mut analysis_notes))
                            .collect(),
                    )
                }
            };
            if !clause.excluded {
                terms.push(tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" "));
                for query_field in QueryField::either(field) {
                    let spec =
                        if *query_field == QueryField::Title { &mut title_spec } else { &mut body_spec };
                    spec.words.extend(spec_update.words.iter().cloned());
                    spec.phrases.extend(spec_update.phrases.iter().cloned());
                }
            }
            if plain && matches!(atom, Atom::Words { field: None, .. }) {
                proximity_words.extend(tokens.into_iter().map(|token| token.text));
            }
            alternatives.push(AnalyzedAtom { field, kind });
            alternatives.extend(other_kinds.into_iter().map(|kind| AnalyzedAtom { field, kind }));
        }
        if !clause.excluded {
            positive_typed += 1;
        }
        if alternatives.is_empty() {
            continue;
        }
        if !clause.excluded {
            positive_kept += 1;
        }
        clauses.push(AnalyzedClause { excluded: clause.excluded, alternatives });
    }
    // No clause left (matching every article would answer a question nobody asked, unless
    // the query says `*` or filters: `lang:en` lists the English articles), or positive
    // clauses none of which keeps a word.
    let everything = parsed.everything || !parsed.filters.is_empty();
    if (clauses.is_empty() && !everything) || (positive_kept == 0 && positive_typed > 0) {
        // Only odd syntax (a lone quote, a lone `OR`): its notes say why.
        let why = if parsed.clauses.is_empty() && !parsed.notes.is_empty() {
            parsed.notes.join("; ")
        } else if parsed.clauses.iter().flat_map(|clause| &clause.alternatives).any(holds_an_overlong_word) {
            format!(
                "words longer than {} letters and digits are not indexed (identifiers, hashes, base64), and the rest is punctuation, symbols or emoji",
                crate::analysis::MAX_WORD_CHARS
            )
        } else {
            "only punctuation, symbols or emoji".to_string()
        };
        return Err(Error::InvalidQuery(format!("the query has nothing searchable in it: {why}")));
    }
    relaxable |= positive_kept > 1;
    if !parsed.literal {
        join_synonym_phrases(&mut clauses, analyzer, &mut title_spec, &mut body_spec, &mut analysis_notes);
    }
    if !(2..=MAX_PROXIMITY_WORDS).contains(&proximity_words.len()) {
        proximity_words.clear();
    }
    let mut notes = parsed.notes.clone();
    notes.extend(analysis_notes);
    if words_dropped {
        notes.push(format!("only the first {MAX_QUERY_WORDS} words of the query were searched"));
    }
    Ok(AnalyzedQuery {
        clauses,
        match_all: positive_kept == 0,
        proximity_words,
        title_spec,
        body_spec,
        terms,
        relaxable,
        notes,
    })
}

/// A compiled query.
struct Compiled {
    query: Box<dyn Query>,
    /// The query is one flat union of terms: tantivy's top-k collector prunes it. (A
    /// phrase in several fields is a `MaxScoreUnion`, which it prunes too; a union of
    /// many terms is [`Unpruned`], which it does not.)
    term_union: bool,
}

/// Compiles analysed queries into tantivy queries for one index.
struct QueryCompiler<'a> {
    schema: &'a NewsSchema,
    ranking: RankingConfig,
}

impl QueryCompiler<'_> {
    fn fields(&self, field: Option<QueryField>) -> Vec<(Field, f32)> {
        QueryField::either(field)
            .iter()
            .map(|query_field| (self.schema.text_field(*query_field), self.ranking.boost(*query_field)))
            .collect()
    }

    /// Each of `words` in each field searched, with the field's boost times the word's
    /// weight.
    fn word_fields<'w>(
        &self,
        field: Option<QueryField>,
        words: &'w [(String, f32)],
    ) -> impl Iterator<Item = (Field, &'w str, f32)> {
        let fields = self.fields(field);
        words.iter().flat_map(move |(word, weight)| {
            fields.clone().into_iter().map(move |(field, boost)| (field, word.as_str(), boost * weight))
        })
    }

    /// Finds the indexed words each prefix and fuzzy word of `analyzed` stands for, in
    /// the fields it is searched in: at most [`MAX_PREFIX_WORDS`], those in the most
    /// articles first. They are highlighted as the query's own words are; a fuzzy word's
    /// note names what it found.
    ///
    /// Unweighted, BM25's preference for rare words ranks them first: on a million
    /// articles `tarif~` put the ticker `tarof` (a handful of articles) above `tariff`
    /// (thousands), and `ban*` the articles naming `bangor` above those about banks. So
    /// a prefix's words are weighted by the lowest IDF among them over their own, and
    /// every word scores with the commonest word's IDF (Lucene blends the frequencies of
    /// a fuzzy query's words alike; a phrase prefix's phrase does so itself, see
    /// [`PhraseEndingInAny`]).
    /// A fuzzy word's words are weighted by how likely each is the word meant, as a
    /// spelling corrector weighs them: its frequency (articles holding it) times its
    /// similarity to what was typed (Lucene's `1 - edits / shorter length`), scaled so
    /// the likeliest weighs 1.
    fn expand_words(&self, analyzed: &mut AnalyzedQuery, searcher: &Searcher) -> Result<()> {
        let AnalyzedQuery { clauses, title_spec, body_spec, notes, .. } = analyzed;
        for clause in clauses {
            for atom in &mut clause.alternatives {
                let AtomKind::Expanded { typed, expansion, words, lead, reading } = &mut atom.kind else {
                    continue;
                };
                let mut frequencies: HashMap<String, u64> = HashMap::new();
                let mut count = |word: &str, doc_freq: u32| {
                    *frequencies.entry(word.to_string()).or_default() += u64::from(doc_freq);
                };
                for (field, _) in self.fields(atom.field) {
                    match expansion {
                        Expansion::Prefix(forms) => {
                            for form in forms.iter() {
                                each_word(searcher, field, form, |word, doc_freq| {
                                    let begins = word.starts_with(form.as_str());
                                    if begins {
                                        count(word, doc_freq);
                                    }
                                    begins
                                })?;
                            }
                        }
                        Expansion::Fuzzy { word, edits } => {
                            each_word_near(searcher, field, word, *edits, &mut count)?;
                        }
                    }
                }
                let mut found: Vec<(String, u64)> = frequencies.into_iter().collect();
                found.sort_unstable_by(|(a, a_count), (b, b_count)| {
                    b_count.cmp(a_count).then_with(|| a.cmp(b))
                });
                let total = found.len();
                found.truncate(MAX_PREFIX_WORDS);
                let weights: Vec<f32> = match &*expansion {
                    Expansion::Prefix(_) => {
                        // `found` is commonest first, and the commonest word has the
                        // lowest IDF.
                        let articles = searcher.num_docs() as f64;
                        let idf = |count: u64| {
                            let count = (count as f64).min(articles);
                            (1.0 + (articles - count + 0.5) / (count + 0.5)).ln()
                        };
                        let lowest = found.first().map_or(1.0, |(_, count)| idf(*count));
                        found.iter().map(|(_, count)| (lowest / idf(*count)) as f32).collect()
                    }
                    Expansion::Fuzzy { word: typed, .. } => {
                        let likelihoods: Vec<f64> = found
                            .iter()
                            .map(|(word, count)| {
                                let shorter = word.chars().count().min(typed.chars().count()).max(1);
                                let similarity =
                                    1.0 - strsim::osa_distance(word, typed) as f64 / shorter as f64;
                                *count as f64 * similarity.max(0.0)
                            })
                            .collect();
                        let likeliest = likelihoods.iter().copied().fold(0.0, f64::max);
                        likelihoods
                            .into_iter()
                            .map(
                                |likelihood| {
                                    if likeliest > 0.0 { (likelihood / likeliest) as f32 } else { 1.0 }
                                },
                            )
                            .collect()
                    }
                };
                *words = found.into_iter().map(|(word, _)| word).zip(weights).collect();
                // A phrase prefix's notes name the prefix that ends it.
                let form = match &*expansion {
                    Expansion::Prefix(forms) => forms.first().map_or("", String::as_str),
                    Expansion::Fuzzy { .. } => "",
                };
                let (begins, named) = match lead {
                    Some(_) => {
                        (format!("{form}, the end of {typed}"), format!("{form}*, the end of {typed},"))
                    }
                    None => (typed.clone(), typed.clone()),
                };
                let note = match expansion {
                    _ if *reading == Reading::OtherWording => String::new(),
                    _ if *reading == Reading::WordStarted && total == 0 => String::new(),
                    _ if *reading == Reading::WordStarted => {
                        format!(
                            "{typed} was also read as the words beginning with {form}: {}",
                            word_list(words, total)
                        )
                    }
                    Expansion::Prefix(_) if total == 0 => format!("no indexed word begins with {begins}"),
                    Expansion::Fuzzy { edits, .. } if total == 0 => {
                        format!("no indexed word is within {} of {typed}", edit_count(*edits))
                    }
                    Expansion::Prefix(_) if total <= MAX_PREFIX_WORDS => String::new(),
                    Expansion::Prefix(_) => format!(
                        "{named} stands for {total} indexed words; the {MAX_PREFIX_WORDS} in the most articles were searched"
                    ),
                    Expansion::Fuzzy { edits, .. } => format!(
                        "{typed} was searched as the indexed words within {} of it: {}",
                        edit_count(*edits),
                        word_list(words, total)
                    ),
                };
                if !note.is_empty() {
                    notes.push(note);
                }
                if !clause.excluded {
                    for query_field in QueryField::either(atom.field) {
                        let spec = if *query_field == QueryField::Title {
                            &mut *title_spec
                        } else {
                            &mut *body_spec
                        };
                        let found = words.iter().map(|(word, _)| word);
                        match lead {
                            Some(lead) => spec.phrases.extend(found.map(|word| lead.ending_in(word))),
                            None => spec.words.extend(found.cloned()),
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn compile(&self, analyzed: &AnalyzedQuery, matching: Matching) -> Compiled {
        if let Some(phrase) = self.phrase_union(analyzed) {
            return Compiled { query: phrase, term_union: false };
        }
        match self.term_union(analyzed, matching) {
            Some(union) => {
                // A union of many terms is scored throughout.
                let term_union = !union.is::<Unpruned>();
                Compiled { query: union, term_union }
            }
            None => Compiled { query: self.nested(analyzed, matching), term_union: false },
        }
    }

    /// A query of one clause of phrases — a quoted phrase searched in both fields, a
    /// phrase prefix (its phrase in each field, with the words of its other reading, if
    /// any) — as one union of field phrases and words ranked by MaxScore, scoring what
    /// the nested form scores.
    fn phrase_union(&self, analyzed: &AnalyzedQuery) -> Option<Box<dyn Query>> {
        let [clause] = analyzed.clauses.as_slice() else { return None };
        if clause.excluded || analyzed.match_all || !analyzed.proximity_words.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        for atom in &clause.alternatives {
            let fields = self.fields(atom.field);
            match &atom.kind {
                AtomKind::Phrase { words, slop } => {
                    parts.extend(self.phrase_parts(&fields, words, *slop, 1.0));
                }
                AtomKind::Expanded { words, lead: Some(lead), .. } => {
                    parts.extend(self.phrase_prefix_parts(&fields, lead, words));
                }
                // The other reading of a phrase prefix: words.
                AtomKind::Expanded { words, lead: None, reading: Reading::WordStarted, .. } => {
                    for (field, word, boost) in self.word_fields(atom.field, words) {
                        parts.push((
                            field_term(field, word, boost),
                            vec![Term::from_field_text(field, word)],
                            boost,
                        ));
                    }
                }
                _ => return None,
            }
        }
        (parts.len() > 1).then(|| Box::new(MaxScoreUnion::new(parts)) as Box<dyn Query>)
    }

    /// Clause by clause: each clause a union of its alternatives, each word a union of
    /// its fields, plus the proximity bonus.
    fn nested(&self, analyzed: &AnalyzedQuery, matching: Matching) -> Box<dyn Query> {
        let occur = if matching == Matching::All { Occur::Must } else { Occur::Should };
        let mut subqueries: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in &analyzed.clauses {
            let alternatives: Vec<(Occur, Box<dyn Query>)> = clause
                .alternatives
                .iter()
                .map(|atom| (Occur::Should, self.atom_query(atom, matching)))
                .collect();
            let query = single_or_any(alternatives);
            if clause.excluded {
                subqueries.push((Occur::MustNot, Box::new(Excluded::new(query))));
            } else {
                subqueries.push((occur, query));
            }
        }
        if analyzed.match_all {
            subqueries.push((Occur::Must, Box::new(AllQuery)));
        }
        let query = Box::new(BooleanQuery::new(subqueries));
        if self.ranking.proximity_boost > 0.0 && !analyzed.proximity_words.is_empty() {
            // The bonus only adds to the scores of articles the clauses match, so it is
            // checked on those alone.
            let words: Vec<(usize, String)> = analyzed.proximity_words.iter().cloned().enumerate().collect();
            let bonuses = self
                .fields(None)
                .into_iter()
                .map(|(field, boost)| {
                    Bonus::phrase(
                        phrase_terms(field, &words),
                        PROXIMITY_SLOP,
                        boost * self.ranking.proximity_boost,
                    )
                })
                .collect();
            let mut with_bonus = WithBonus::new(query, bonuses);
            if words.len() == 2 {
                // Each word is scored in every field with the field's boost, and the
                // phrase in that field has the boost times `proximity_boost`. (With more
                // words tantivy's sloppy phrase count is bounded only by the last word's
                // frequency, so the bound is left to the phrase's BM25 weight.)
                with_bonus = with_bonus.at_most_times_required(self.ranking.proximity_boost);
            }
            return match self.bounding_terms(analyzed) {
                Some(terms) => Box::new(with_bonus.at_most_terms(terms)),
                None => Box::new(with_bonus),
            };
        }
        query
    }

    /// The field terms, each with its field's boost, whose scores sum to at least the
    /// score of the clauses' query at any article, when its clauses are words alone:
    /// every clause adds its alternatives' scores, each word adds its fields' scores, and
    /// excluded clauses add nothing. Phrases, words with parts and a match-all clause
    /// have no such bound.
    fn bounding_terms(&self, analyzed: &AnalyzedQuery) -> Option<Vec<(Term, f32)>> {
        if analyzed.match_all {
            return None;
        }
        let mut terms = Vec::new();
        for clause in analyzed.clauses.iter().filter(|clause| !clause.excluded) {
            for atom in &clause.alternatives {
                let words = match &atom.kind {
                    AtomKind::Word(word) => std::slice::from_ref(word),
                    AtomKind::Words(words) => words.as_slice(),
                    AtomKind::Phrase { .. } | AtomKind::Expanded { lead: Some(_), .. } => return None,
                    AtomKind::Expanded { words, .. } => {
                        let words = self.word_fields(atom.field, words);
                        terms.extend(
                            words.map(|(field, word, boost)| (Term::from_field_text(field, word), boost)),
                        );
                        continue;
                    }
                };
                for word in words {
                    if word.phrases().next().is_some() {
                        return None;
                    }
                    for (field, boost) in self.fields(atom.field) {
                        terms.extend(word.terms().map(|text| (Term::from_field_text(field, text), boost)));
                    }
                }
            }
        }
        Some(terms)
    }

    /// The query as one flat union of field terms, when it means exactly that: a single
    /// clause of words, or any clauses of words when matching any word. tantivy ranks
    /// such a union with block-max WAND, skipping the blocks of documents that cannot
    /// reach the top, where nested unions visit every match. Scores are the same sums.
    ///
    /// The proximity bonus is left out when matching any word: it only rewards articles
    /// holding every word, and any word is only matched when no article holds them all.
    fn term_union(&self, analyzed: &AnalyzedQuery, matching: Matching) -> Option<Box<dyn Query>> {
        let flat = match matching {
            Matching::All => analyzed.clauses.len() == 1 && analyzed.proximity_words.is_empty(),
            Matching::Any => true,
        };
        if !flat || analyzed.match_all || analyzed.clauses.is_empty() {
            return None;
        }
        let mut terms: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in &analyzed.clauses {
            if clause.excluded {
                return None;
            }
            for atom in &clause.alternatives {
                let words = match &atom.kind {
                    AtomKind::Word(word) => std::slice::from_ref(word),
                    AtomKind::Words(words) if matching == Matching::Any => words.as_slice(),
                    AtomKind::Expanded { words, lead: None, .. } => {
                        let words = self.word_fields(atom.field, words);
                        terms.extend(
                            words.map(|(field, word, boost)| (Occur::Should, field_term(field, word, boost))),
                        );
                        continue;
                    }
                    _ => return None,
                };
                for word in words {
                    if word.phrases().next().is_some() {
                        return None;
                    }
                    for (field, boost) in self.fields(atom.field) {
                        terms
                            .extend(word.terms().map(|text| (Occur::Should, field_term(field, text, boost))));
                    }
                }
            }
        }
        if terms.is_empty() {
            // Prefixes that stand for no indexed word.
            return Some(Box::new(EmptyQuery));
        }
        if terms.len() > WAND_TERMS {
            return Some(Box::new(Unpruned::new(single_or_any(terms))));
        }
        Some(single_or_any(terms))
    }

    fn atom_query(&self, atom: &AnalyzedAtom, matching: Matching) -> Box<dyn Query> {
        let fields = self.fields(atom.field);
        match &atom.kind {
            AtomKind::Word(word) => self.word_query(&fields, word),
            AtomKind::Words(words) => {
                let occur = if matching == Matching::All { Occur::Must } else { Occur::Should };
                Box::new(BooleanQuery::new(
                    words.iter().map(|word| (occur, self.word_query(&fields, word))).collect(),
                ))
            }
            AtomKind::Phrase { words, slop } => self.phrase_query(&fields, words, *slop, 1.0),
            AtomKind::Expanded { words, lead: Some(lead), .. } => {
                let mut parts = self.phrase_prefix_parts(&fields, lead, words);
                match parts.len() {
                    0 => Box::new(EmptyQuery),
                    1 => parts.remove(0).0,
                    _ => Box::new(MaxScoreUnion::new(parts)),
                }
            }
            AtomKind::Expanded { words, lead: None, .. } => {
                let terms: Vec<(Occur, Box<dyn Query>)> = self
                    .word_fields(atom.field, words)
                    .map(|(field, word, boost)| (Occur::Should, field_term(field, word, boost)))
                    .collect();
                if terms.is_empty() { Box::new(EmptyQuery) } else { single_or_any(terms) }
            }
        }
    }

    /// One word in each field, with its alternatives: an alphanumeric word with parts
    /// (`iphone15`) also matches its parts as a phrase (`iPhone 15`), a Chinese word the
    /// other region's wording of it.
    fn word_query(&self, fields: &[(Field, f32)], word: &QueryWord) -> Box<dyn Query> {
        let mut per_field: Vec<Box<dyn Query>> = Vec::new();
        for &(field, boost) in fields {
            per_field.extend(word.terms().map(|text| field_term(field, text, boost)));
            for words in word.phrases() {
                let terms = words
                    .iter()
                    .enumerate()
                    .map(|(i, word)| (i, Term::from_field_text(field, word)))
                    .collect();
                per_field.push(boosted(Box::new(PhraseQuery::new_with_offset(terms)), boost));
            }
        }
        if per_field.len() == 1 {
            return per_field.remove(0);
        }
        Box::new(SeekableUnion::new(per_field))
    }

    /// The phrase in each field: a union ranked by MaxScore when there are several (a
    /// phrase scores at most its words' BM25 weight times its boost).
    fn phrase_query(
        &self,
        fields: &[(Field, f32)],
        words: &[(usize, String)],
        slop: u32,
        boost: f32,
    ) -> Box<dyn Query> {
        if fields.len() > 1 {
            return Box::new(MaxScoreUnion::new(self.phrase_parts(fields, words, slop, boost)));
        }
        let per_field = fields
            .iter()
            .map(|&(field, field_boost)| {
                (Occur::Should, self.field_phrase(field, words, slop, field_boost * boost))
            })
            .collect();
        single_or_any(per_field)
    }

    /// A phrase prefix's phrase in each field, ending in any of the words its prefix
    /// stands for ([`PhraseEndingInAny`]), with the terms bounding its score (the words
    /// before and the commonest word) and its boost: parts of a [`MaxScoreUnion`]. None
    /// when the prefix stands for no word. Words too many or too long for one automaton
    /// are split into groups, each a phrase of its own scored alike.
    fn phrase_prefix_parts(
        &self,
        fields: &[(Field, f32)],
        lead: &PhraseLead,
        words: &[(String, f32)],
    ) -> Vec<(Box<dyn Query>, Vec<Term>, f32)> {
        let names: Vec<&str> = words.iter().map(|(word, _)| word.as_str()).collect();
        let Some(commonest) = names.first().copied() else { return Vec::new() };
        let mut parts: Vec<(Box<dyn Query>, Vec<Term>, f32)> = Vec::new();
        for &(field, boost) in fields {
            let mut terms: Vec<Term> =
                lead.words.iter().map(|(_, word)| Term::from_field_text(field, word)).collect();
            terms.push(Term::from_field_text(field, commonest));
            let mut groups = vec![names.as_slice()];
            while let Some(group) = groups.pop() {
                match PhraseEndingInAny::new(field, &lead.words, lead.offset, group, commonest, lead.slop) {
                    Some(phrase) => parts.push((boosted(Box::new(phrase), boost), terms.clone(), boost)),
                    None if group.len() > 1 => {
                        let (first, second) = group.split_at(group.len() / 2);
                        groups.extend([first, second]);
                    }
                    // One word whose automaton is too large: a phrase of plain terms.
                    None => {
                        let phrase = lead.ending_in(group[0]);
                        parts.extend(self.phrase_parts(&[(field, boost)], &phrase.words, phrase.slop, 1.0));
                    }
                }
            }
        }
        parts
    }

    /// The phrase in each field, each with the terms whose BM25 weight times its boost
    /// bounds its score, and that boost: parts of a [`MaxScoreUnion`].
    fn phrase_parts(
        &self,
        fields: &[(Field, f32)],
        words: &[(usize, String)],
        slop: u32,
        boost: f32,
    ) -> Vec<(Box<dyn Query>, Vec<Term>, f32)> {
        fields
            .iter()
            .map(|&(field, field_boost)| {
                let terms = phrase_terms(field, words).into_iter().map(|(_, term)| term).collect();
                (self.field_phrase(field, words, slop, field_boost * boost), terms, field_boost * boost)
            })
            .collect()
    }

    fn field_phrase(&self, field: Field, words: &[(usize, String)], slop: u32, boost: f32) -> Box<dyn Query> {
        boosted(Box::new(PhraseQuery::new_with_offset_and_slop(phrase_terms(field, words), slop)), boost)
    }
}

/// The words of a phrase, each at its offset, as terms of `field`.
fn phrase_terms(field: Field, words: &[(usize, String)]) -> Vec<(usize, Term)> {
    words.iter().map(|(offset, word)| (*offset, Term::from_field_text(field, word))).collect()
}

#[derive(Default)]
struct SpecUpdate {
    words: HashSet<String>,
    phrases: Vec<PhraseSpec>,
}

impl SpecUpdate {
    /// Highlights what matches in place of a word: one word, or several as a phrase.
    fn highlight(&mut self, words: &[String]) {
        match words {
            [word] => {
                self.words.insert(word.clone());
            }
            words => {
                self.phrases.push(PhraseSpec { words: words.iter().cloned().enumerate().collect(), slop: 0 });
            }
        }
    }
}

/// Clauses of one word each, in either field and not excluded, that spell a synonym entry
/// of several words (`electric vehicle`, typed as two words) become one clause: those
/// words, or any other entry of the entry's groups (`电动车`; one of several words as a
/// phrase). The longest entry at each place wins.
fn join_synonym_phrases(
    clauses: &mut Vec<AnalyzedClause>,
    analyzer: &Analyzer,
    title_spec: &mut HighlightSpec,
    body_spec: &mut HighlightSpec,
    notes: &mut Vec<String>,
) {
    let single_word = |clause: &AnalyzedClause| -> Option<String> {
        match clause.alternatives.as_slice() {
            [AnalyzedAtom { field: None, kind: AtomKind::Word(word) }] if !clause.excluded => {
                Some(word.text.clone())
            }
            _ => None,
        }
    };
    let mut start = 0;
    while start < clauses.len() {
        let words: Vec<String> = clauses[start..].iter().map_while(single_word).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let Some((entry, others)) = analyzer.synonym_phrase_at(&words) else {
            start += 1;
            continue;
        };
        let length = entry.words.len();
        let words: Vec<QueryWord> = clauses
            .drain(start..start + length)
            .filter_map(|clause| match clause.alternatives.into_iter().next()?.kind {
                AtomKind::Word(word) => Some(word),
                _ => None,
            })
            .collect();
        let mut alternatives = vec![AnalyzedAtom { field: None, kind: AtomKind::Words(words) }];
        let mut spec_update = SpecUpdate::default();
        alternatives.extend(
            others
                .iter()
                .map(|other| AnalyzedAtom { field: None, kind: synonym_kind(other, &mut spec_update) }),
        );
        for spec in [&mut *title_spec, &mut *body_spec] {
            spec.words.extend(spec_update.words.iter().cloned());
            spec.phrases.extend(spec_update.phrases.iter().cloned());
        }
        push_note(notes, synonyms_note(&entry.written, others));
        clauses.insert(start, AnalyzedClause { excluded: false, alternatives });
        start += 1;
    }
}

/// A synonym as what to search: one word, or a phrase of several; its words join
/// `spec`, to be highlighted.
fn synonym_kind(synonym: &Synonym, spec: &mut SpecUpdate) -> AtomKind {
    spec.highlight(&synonym.words);
    match synonym.words.as_slice() {
        [word] => AtomKind::Word(QueryWord { text: word.clone(), alternatives: Vec::new() }),
        words => AtomKind::Phrase { words: words.iter().cloned().enumerate().collect(), slop: 0 },
    }
}

/// `"electric vehicle" also stands for its synonyms "电动车", "电动汽车"`.
fn synonyms_note(typed: &str, synonyms: &[Synonym]) -> String {
    let written: Vec<String> = synonyms.iter().map(|synonym| format!("\"{}\"", synonym.written)).collect();
    format!("\"{typed}\" also stands for its synonyms {}", written.join(", "))
}

/// Adds `note` unless it is there already (a word typed twice is noted once).
fn push_note(notes: &mut Vec<String>, note: String) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// `phrase` (of `tokens`) with each word that has another region's wording replaced by
/// the first (`wordings`, one list per token), later words moved along when a wording
/// is several words; `None` when no word has one.
fn phrase_in_other_wording(
    phrase: &PhraseSpec,
    tokens: &[Token],
    wordings: Vec<Vec<OtherWording>>,
) -> Option<PhraseSpec> {
    if wordings.iter().all(Vec::is_empty) {
        return None;
    }
    let mut words = Vec::with_capacity(tokens.len());
    let mut shift = 0;
    for ((token, (offset, _)), wordings) in tokens.iter().zip(&phrase.words).zip(wordings) {
        match wordings.into_iter().next() {
            Some(wording) => {
                let count = wording.words.len();
                words.extend(
                    wording.words.into_iter().enumerate().map(|(i, word)| (offset + shift + i, word)),
                );
                shift += count - 1;
            }
            None => words.push((offset + shift, token.text.clone())),
        }
    }
    Some(PhraseSpec { words, slop: phrase.slop })
}

fn phrase_spec(tokens: &[Token], slop: u32) -> PhraseSpec {
    let first = tokens[0].position;
    PhraseSpec { words: tokens.iter().map(|t| (t.position - first, t.text.clone())).collect(), slop }
}

/// A word in one field, BM25-scored with the field's boost.
fn field_term(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    boosted(Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs)), boost)
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON { query } else { Box::new(BoostQuery::new(query, boost)) }
}

/// Hands `visit` each word of `field` from `from` on with its document frequency, segment
/// by segment in the order of each segment's dictionary, until it returns `false` (then the
/// next segment begins). Words that are not UTF-8 are skipped.
fn each_word(
    searcher: &Searcher,
    field: Field,
    from: &str,
    visit: impl FnMut(&str, u32) -> bool,
) -> Result<()> {
    each_word_matching(searcher, field, &AlwaysMatch, from, None, visit)
}

/// Hands `visit` each word of `field` that `automaton` matches, from `from` on and before
/// `to`, with its document frequency, segment by segment in the order of each segment's
/// dictionary, until it returns `false` (then the next segment begins). Words that are not
/// UTF-8 are skipped.
pub(crate) fn each_word_matching<A>(
    searcher: &Searcher,
    field: Field,
    automaton: &A,
    from: &str,
    to: Option<&str>,
    mut visit: impl FnMut(&str, u32) -> bool,
) -> Result<()>
where
    A: Automaton,
    A::State: Clone,
{
    for segment in searcher.segment_readers() {
        each_word_of_segment_matching(&*segment.inverted_index(field)?, automaton, from, to, &mut visit)?;
    }
    Ok(())
}

/// [`each_word_matching`] in one segment's field, `inverted`.
pub(crate) fn each_word_of_segment_matching<A>(
    inverted: &InvertedIndexReader,
    automaton: &A,
    from: &str,
    to: Option<&str>,
    mut visit: impl FnMut(&str, u32) -> bool,
) -> Result<()>
where
    A: Automaton,
    A::State: Clone,
{
    let mut words = inverted.terms().search(automaton).ge(from.as_bytes());
    if let Some(to) = to {
        words = words.lt(to.as_bytes());
    }
    let mut words = words.into_stream().map_err(unreadable_words)?;
    while words.advance() {
        let Ok(word) = std::str::from_utf8(words.key()) else { continue };
        if !visit(word, words.value().doc_freq) {
            break;
        }
    }
    Ok(())
}

/// Hands `visit` each word of `field` that begins with the first character of `word` and
/// is within `edits` edits of it (a swap of neighbours counting as one) with its document
/// frequency, segment by segment.
///
/// The first character is kept, as Lucene's `prefix_length` of 1 does: on a million
/// articles, walking every word of the dictionaries took about 230 ms a fuzzy word (the
/// automaton lets any first byte through, so every branch of a dictionary is entered),
/// and `gover~` (the stem of a misspelt `goverment`) found `over`, `cover` and `rover`.
pub(crate) fn each_word_near(
    searcher: &Searcher,
    field: Field,
    word: &str,
    edits: u8,
    mut visit: impl FnMut(&str, u32),
) -> Result<()> {
    let automaton = FuzzyTermQuery::new(Term::from_field_text(field, word), edits, true).automaton()?;
    let Some(first) = word.chars().next() else { return Ok(()) };
    let to = char::from_u32(first as u32 + 1).map(String::from);
    each_word_matching(searcher, field, &automaton, &first.to_string(), to.as_deref(), |word, count| {
        visit(word, count);
        true
    })
}

/// Whether `atom` holds a run of letters and digits (outside Chinese) too long to be
/// indexed.
fn holds_an_overlong_word(atom: &Atom) -> bool {
    let text = match atom {
        Atom::Words { text, .. }
        | Atom::Phrase { text, .. }
        | Atom::PhrasePrefix { text, .. }
        | Atom::Prefix { text, .. }
        | Atom::Fuzzy { text, .. } => text,
    };
    text.split(|c: char| !c.is_alphanumeric() || is_han(c))
        .any(|word| word.chars().count() > crate::analysis::MAX_WORD_CHARS)
}

/// The error of a term dictionary that cannot be streamed.
pub(crate) fn unreadable_words(source: std::io::Error) -> Error {
    Error::Io { context: "cannot read the index's words".to_string(), source }
}

/// The first few of the `total` words an expansion found (`words`, the most frequent
/// of them), and how many more, for a note.
fn word_list(words: &[(String, f32)], total: usize) -> String {
    const NAMED: usize = 8;
    let named = words.iter().take(NAMED).map(|(word, _)| word.as_str()).collect::<Vec<_>>().join(", ");
    let more = match total {
        total if total > MAX_PREFIX_WORDS => {
            format!(" and {} more; the {MAX_PREFIX_WORDS} in the most articles were searched", total - NAMED)
        }
        total if total > NAMED => format!(" and {} more", total - NAMED),
        _ => String::new(),
    };
    format!("{named}{more}")
}

/// "1 edit", "2 edits".
fn edit_count(edits: u8) -> String {
    if edits == 1 { "1 edit".to_string() } else { format!("{edits} edits") }
}

fn single_or_any(mut queries: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    if queries.len() == 1 { queries.remove(0).1 } else { Box::new(BooleanQuery::new(queries)) }
}

impl NewsIndex {
    /// Runs a search. When the query as given finds nothing and a respelling of its
    /// words is suggested (see [`SearchResponse::suggestion`]), the respelt query is
    /// searched instead, unless the request asks for its words as typed
    /// (`synonyms: false`): the answer says so in [`AppliedOptions::respelt`] and a note.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        let (response, sure) = self.search_as_given(request)?;
        // Searched instead only when sure: each word a single slip away, typed in
        // lowercase (`tarif` → `tariff`; see `Suggestion::sure`).
        let suggested = match &response.suggestion {
            Some(suggested) if response.total == 0 && request.synonyms && sure => suggested.clone(),
            _ => return Ok(response),
        };
        let (respelt, _) =
            self.search_as_given(&SearchRequest { query: suggested.clone(), ..request.clone() })?;
        if respelt.total == 0 {
            return Ok(response);
        }
        let mut applied = respelt.applied;
        applied.respelt = true;
        applied
            .notes
            .insert(0, format!("no article matches {:?}; the results are for {suggested:?}", request.query));
        Ok(SearchResponse {
            query: request.query.clone(),
            took_ms: started.elapsed().as_millis() as u64,
            suggestion: Some(suggested),
            applied,
            ..respelt
        })
    }

    /// Runs a search of the query as given; with whether its suggestion, if any, is sure
    /// enough to be searched instead.
    fn search_as_given(&self, request: &SearchRequest) -> Result<(SearchResponse, bool)> {
        let started = Instant::now();
        request.validate()?;
        let (request, parsed) = parse_request(request)?;
        let mut analyzed = analyze_query(&parsed, self.analyzer())?;
        let searcher = self.reader().searcher();
        let request = match self.names_in_any_case(&searcher, &request, &mut analyzed.notes)? {
            Some(resolved) => Cow::Owned(resolved),
            None => request,
        };
        let request = request.as_ref();
        let compiler = QueryCompiler { schema: self.schema(), ranking: *self.ranking() };
        let filters = self.filters(request);
        compiler.expand_words(&mut analyzed, &searcher)?;
        let mut matching = Matching::All;
        let mut outcome = self.collect(
            &searcher,
            compiler.compile(&analyzed, Matching::All),
            &filters,
            request,
            TOTAL_COUNT_LIMIT,
        )?;
        if outcome.total == 0 && analyzed.relaxable && self.ranking().relax_when_nothing_matches {
            let relaxed = self.collect(
                &searcher,
                compiler.compile(&analyzed, Matching::Any),
                &filters,
                request,
                TOTAL_COUNT_LIMIT,
            )?;
            if relaxed.total > 0 {
                matching = Matching::Any;
                outcome = relaxed;
            }
        }
        let mut highlighter = Highlighter::new(self.analyzer());
        let mut hits = Vec::with_capacity(outcome.top.len());
        for (score, address) in outcome.top {
            let document: TantivyDocument = searcher.doc(address)?;
            let article = self.schema().article(&document);
            let specs = (&analyzed.title_spec, &analyzed.body_spec);
            hits.push(Hit::new(article, score, &mut highlighter, specs, &request.snippet));
        }
        let (suggestion, sure) = match self.suggestion(&searcher, &parsed, &request.query)? {
            Some(suggestion) => (Some(suggestion.query), suggestion.sure),
            None => (None, false),
        };
        let response = SearchResponse {
            query: request.query.clone(),
            total: outcome.total,
            total_exact: outcome.total_exact,
            took_ms: started.elapsed().as_millis() as u64,
            hits,
            facets: outcome.facets,
            applied: AppliedOptions::new(request, matching, analyzed.terms, *self.ranking(), analyzed.notes),
            suggestion,
        };
        Ok((response, sure))
    }

    /// The request with each `source` and `category` value that no article has exactly
    /// replaced by the names articles have that differ from it only in case (`Trade` →
    /// `trade`), each with a note; `None` when every value is kept as it is. Names are
    /// matched exactly first, so this costs a look through the field's names only for a
    /// value that matches nothing.
    fn names_in_any_case(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        notes: &mut Vec<String>,
    ) -> Result<Option<SearchRequest>> {
        let mut resolved: Option<SearchRequest> = None;
        for (name, field) in [("source", self.schema().source), ("category", self.schema().category)] {
            let values = if name == "source" { &request.source } else { &request.category };
            // The values no article has, by their lowercase form, with the names found.
            let mut missing: HashMap<String, (usize, Vec<String>)> = HashMap::new();
            for (index, value) in values.iter().enumerate() {
                if searcher.doc_freq(&Term::from_field_text(field, value))? == 0 {
                    missing.entry(value.to_lowercase()).or_insert((index, Vec::new()));
                }
            }
            if missing.is_empty() {
                continue;
            }
            // One pass over the field's names per segment, however many values are missing.
            each_word(searcher, field, "", |indexed, _| {
                if let Some((_, found)) = missing.get_mut(&indexed.to_lowercase())
                    && !found.iter().any(|kept| kept == indexed)
                {
                    found.push(indexed.to_string());
                }
                true
            })?;
            let mut matched: Vec<(usize, Vec<String>)> =
                missing.into_values().filter(|(_, found)| !found.is_empty()).collect();
            matched.sort_unstable();
            for (index, mut found) in matched {
                found.sort_unstable();
                let quoted: Vec<String> = found.iter().map(|name| format!("{name:?}")).collect();
                notes.push(format!(
                    "no article has {name} {:?}; it was matched as {}, which differs only in case",
                    values[index],
                    quoted.join(" or ")
                ));
                let copy = resolved.get_or_insert_with(|| request.clone());
                let list = if name == "source" { &mut copy.source } else { &mut copy.category };
                list[index] = found.remove(0);
                list.extend(found);
            }
        }
        if let Some(copy) = &mut resolved {
            tidy_up_names(&mut copy.source);
            tidy_up_names(&mut copy.category);
        }
        Ok(resolved)
    }

    fn filters(&self, request: &SearchRequest) -> Vec<Box<dyn Query>> {
        let schema = self.schema();
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        if !request.lang.is_empty() {
            let langs: Vec<String> = request.lang.iter().map(|l| l.as_str().to_string()).collect();
            filters.push(Box::new(ValueFilter::new(schema.lang, &langs)));
        }
        if !request.source.is_empty() {
            filters.push(Box::new(ValueFilter::new(schema.source, &request.source)));
        }
        if !request.category.is_empty() {
            filters.push(Box::new(ValueFilter::new(schema.category, &request.category)));
        }
        if request.from.is_some() || request.to.is_some() {
            let lower =
                request.from.map_or(Bound::Unbounded, |from| Bound::Included(date_at(from.unix_timestamp())));
            let upper = request.to.map_or(Bound::Unbounded, |to| {
                if to.is_date_only() {
                    let next_day = to.instant() + time::Duration::days(1);
                    Bound::Excluded(date_at(next_day.unix_timestamp()))
                } else {
                    Bound::Included(date_at(to.unix_timestamp()))
                }
            });
            let filter = DateFilter::new(schema.date, lower, upper).kept_in(Arc::clone(self.date_sets()));
            filters.push(Box::new(filter));
        }
        filters
    }

    fn collect(
        &self,
        searcher: &Searcher,
        compiled: Compiled,
        filters: &[Box<dyn Query>],
        request: &SearchRequest,
        count_limit: u64,
    ) -> Result<Outcome> {
        let filters = || filters.iter().map(|filter| filter.box_clone()).collect::<Vec<_>>();
        // The top-k collector prunes a flat term union (block-max WAND, filters or not), a
        // query with the proximity bonus (which it then skips where it cannot matter,
        // and, for plain words, passing over matches that cannot make the top) and a
        // quoted phrase in both fields (MaxScore), these two counting the matches they
        // visit, filters or not; anything else it would score throughout, so ranking and
        // counting share one pass.
        let counter = Arc::new(MatchCount::default());
        let rankable =
            |filters: Vec<Box<dyn Query>>, counter: &Arc<MatchCount>| -> (Box<dyn Query>, Pruning) {
                let unfiltered = filters.is_empty();
                match compiled.query.box_clone().downcast::<WithBonus>() {
                    Ok(with_bonus) => {
                        let query = with_bonus.filtered(filters).counting(Arc::clone(counter));
                        (Box::new(query), Pruning::Counting)
                    }
                    Err(query) => match query.downcast::<MaxScoreUnion>() {
                        Ok(union) => {
                            let union = union.filtered(filters).counting(Arc::clone(counter), count_limit);
                            (Box::new(union), Pruning::Counting)
                        }
                        // Under filters, a segment a rare filter leads counts the matches it visits.
                        Err(query) if compiled.term_union && !unfiltered => {
                            let query = Filtered::new(query, filters).counting(Arc::clone(counter));
                            (Box::new(query), Pruning::Counting)
                        }
                        Err(query) => {
                            let pruning = if compiled.term_union { Pruning::Skipping } else { Pruning::None };
                            (under_filters(query, filters), pruning)
                        }
                    },
                }
            };
        let (query, pruning) = rankable(filters(), &counter);
        let top_docs = TopDocs::with_limit(request.limit.max(1)).and_offset(request.offset);
        let blend = request.recency.map(|recency| {
            let reference = recency
                .reference
                .map_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp(), |r| r.unix_timestamp());
            Blend::new(recency, reference)
        });
        let facets_collector = request.facets.then(|| self.facet_collector());
        let statistics = SearchStatistics::new(searcher);
        let exact = |(top, total, facets): (_, usize, _)| (top, (total as u64, true), facets);
        let (top, total, facet_results): Collected = match (request.sort, blend) {
            (SortOrder::Date, _) if facets_collector.is_none() => {
                let (top, total) =
                    self.newest_first(searcher, query.as_ref(), &statistics, request, count_limit)?;
                (self.rescore_date_hits(&statistics, &query, top)?, total, None)
            }
            (SortOrder::Date, _) => {
                let collector = top_docs.order_by_fast_field::<DateTime>("date", Order::Desc);
                let (top, total, facets) = searcher.search_with_statistics_provider(
                    &query,
                    &(collector, Count, facets_collector),
                    &statistics,
                )?;
                (self.rescore_date_hits(&statistics, &query, top)?, (total as u64, true), facets)
            }
            (SortOrder::Relevance, _) if pruning != Pruning::None && facets_collector.is_none() => {
                // Alone, the top-k collector prunes (see above), blended with recency or
                // not (`recency.rs`); counting needs no scores.
                let top = match blend {
                    None => searcher.search_with_statistics_provider(
                        &query,
                        &top_docs.order_by_score(),
                        &statistics,
                    )?,
                    Some(blend) => {
                        let (greatest, recent) = blend.plan(searcher, self.schema().date)?;
                        // The ranking of the recent part counts nothing (its counter already
                        // holds the limit); that of the older articles walks the whole index
                        // and counts as a single pass would.
                        let within = recent.as_ref().map(|recent| {
                            let mut filters = filters();
                            filters
                                .push(Box::new(recent.filter.clone().kept_in(Arc::clone(self.date_sets()))));
                            rankable(filters, &Arc::new(MatchCount::holding(count_limit))).0
                        });
                        let recent = within.as_deref().zip(recent.as_ref());
                        let page = (request.limit.max(1), request.offset);
                        blended_top(searcher, &statistics, &query, greatest, recent, page, blend)?
                    }
                };
                // Short of a full page, the collector never had a threshold to prune with,
                // so every match was collected: the count is known without a second pass.
                let page = request.limit.max(1);
                // A ranking that counted as it went has the total, or reached the cap
                // before passing over matches.
                let counted = match pruning {
                    Pruning::Counting => counter.exact().map(|total| (total, true)).or_else(|| {
                        counter
                            .at_least(count_limit)
                            .filter(|_| !request.exact_total)
                            .map(|total| (total, false))
                    }),
                    _ => None,
                };
                let total = if let Some(total) = counted {
                    total
                } else if top.len() < page && (request.offset == 0 || !top.is_empty()) {
                    ((request.offset + top.len()) as u64, true)
                } else if request.exact_total {
                    (query.count(searcher)? as u64, true)
                } else {
                    count_up_to(searcher, query.as_ref(), count_limit)?
                };
                (top, total, None)
            }
            (SortOrder::Relevance, Some(blend)) => exact(searcher.search_with_statistics_provider(
                &query,
                &(top_docs.tweak_score(blend.tweak()), Count, facets_collector),
                &statistics,
            )?),
            (SortOrder::Relevance, None) => exact(searcher.search_with_statistics_provider(
                &query,
                &(top_docs.order_by_score(), Count, facets_collector),
                &statistics,
            )?),
        };
        let top = if request.limit == 0 { Vec::new() } else { top };
        Ok(Outcome {
            top,
            total: total.0,
            total_exact: total.1,
            facets: facet_results.map(|results| facets_from(&results)),
        })
    }

    /// The page of `query`'s matches newest first, and their total.
    ///
    /// Articles are not stored in date order, so finding the newest matches means looking
    /// at every match, unless the search starts among the newest articles. The search
    /// first collects and counts matches everywhere; once it has counted more than
    /// `count_limit` (so `total` is that, a lower bound, unless the request asks
    /// for `exact_total`), it stops and looks for the page among the newest articles: within
    /// the newest sixty-fourth of the index's span of dates, if that can be expected to
    /// hold a page (dates spread evenly), then within the newest eighth, and only then
    /// everywhere. Once a window holds a full page, every match outside it is older than
    /// the whole page.
    fn newest_first(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        statistics: &SearchStatistics<'_>,
        request: &SearchRequest,
        count_limit: u64,
    ) -> Result<NewestHits> {
        let by_date = || {
            TopDocs::with_limit(request.limit.max(1))
                .and_offset(request.offset)
                .order_by_fast_field::<DateTime>("date", Order::Desc)
        };
        let collector = by_date();
        let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(searcher))?;
        let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
        let mut total = 0u64;
        for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
            let mut segment_collector = collector.for_segment(ordinal as u32, segment)?;
            let mut scorer = weight.scorer(segment, 1.0)?;
            let alive = segment.alive_bitset();
            let mut doc = scorer.doc();
            while doc != tantivy::TERMINATED && total <= count_limit {
                if alive.is_none_or(|alive| alive.is_alive(doc)) {
                    total += 1;
                    segment_collector.collect(doc, 0.0);
                }
                doc = scorer.advance();
            }
            fruits.push(segment_collector.harvest());
        }
        if total <= count_limit {
            return Ok((collector.merge_fruits(fruits)?, (total, true)));
        }
        let total =
            if request.exact_total { (query.count(searcher)? as u64, true) } else { (count_limit, false) };
        let page = (request.offset + request.limit.max(1)) as u64;
        if let (Some((oldest, newest)), _) = index_dates(searcher, self.schema().date)? {
            for part in [64, 8] {
                let from = newest - (newest - oldest) / part;
                if total.0 < page * part as u64 || from <= oldest {
                    continue;
                }
                let window =
                    DateFilter::new(self.schema().date, Bound::Included(date_at(from)), Bound::Unbounded)
                        .kept_in(Arc::clone(self.date_sets()));
                let within = Filtered::new(query.box_clone(), vec![Box::new(window)]);
                let (top, found) =
                    searcher.search_with_statistics_provider(&within, &(by_date(), Count), statistics)?;
                if found as u64 >= page {
                    return Ok((top, total));
                }
            }
        }
        Ok((searcher.search_with_statistics_provider(query, &collector, statistics)?, total))
    }

    /// Scores for hits ordered by date (the order is kept; the score is still BM25, the
    /// same a relevance search gives).
    ///
    /// One scorer per segment walks forward to each hit's document. (Not
    /// `Weight::explain`: it explains every clause of a boolean query, and a clause that
    /// matches no document at all is then sought backwards, which tantivy forbids — a
    /// panic with debug assertions on.)
    fn rescore_date_hits(
        &self,
        statistics: &SearchStatistics<'_>,
        query: &dyn Query,
        top: Vec<(Option<DateTime>, DocAddress)>,
    ) -> Result<Vec<(Score, DocAddress)>> {
        let searcher = statistics.searcher;
        let weight = query
            .weight(tantivy::query::EnableScoring::enabled_from_statistics_provider(statistics, searcher))?;
        let mut by_address: Vec<(DocAddress, Score)> =
            top.iter().map(|&(_, address)| (address, 0.0)).collect();
        by_address.sort_unstable_by_key(|&(address, _)| address);
        let mut scorer: Option<(u32, Box<dyn Scorer>)> = None;
        for (address, score) in &mut by_address {
            if scorer.as_ref().is_none_or(|(segment, _)| *segment != address.segment_ord) {
                let segment = searcher.segment_reader(address.segment_ord);
                scorer = Some((address.segment_ord, weight.scorer(segment, 1.0)?));
            }
            let Some((_, segment_scorer)) = scorer.as_mut() else { continue };
            // A fresh scorer stands on its first match, which may be past this document.
            if segment_scorer.doc() < address.doc_id {
                segment_scorer.seek(address.doc_id);
            }
            if segment_scorer.doc() == address.doc_id {
                *score = segment_scorer.score();
            }
        }
        Ok(top
            .into_iter()
            .map(|(_, address)| {
                let position = by_address.binary_search_by_key(&address, |&(found, _)| found);
                let score = position.map_or(0.0, |position| by_address[position].1);
                (score, address)
            })
            .collect())
    }

    fn facet_collector(&self) -> AggregationCollector {
        let request = facet_aggregations();
        // The request is fixed and valid: a failure here is a programming error.
        #[allow(clippy::expect_used)]
        let aggregations: Aggregations = serde_json::from_value(request).expect("the facet request is valid");
        AggregationCollector::from_aggs(
            aggregations,
            AggContextParams::new(
                AggregationLimitsGuard::default(),
                self.tantivy_index().tokenizers().clone(),
            ),
        )
    }
}

/// The facet counts as a terms aggregation request (tantivy's and Quickwit's format): per
/// language, source and category by count, per month newest first.
pub(crate) fn facet_aggregations() -> serde_json::Value {
    serde_json::json!({
        "lang": { "terms": { "field": "lang", "size": 10 } },
        "source": { "terms": { "field": "source", "size": 50 } },
        "category": { "terms": { "field": "category", "size": 50 } },
        "month": { "terms": { "field": "month", "size": 600, "order": { "_key": "desc" } } },
    })
}

/// How the top-k collector can rank a query alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pruning {
    /// It visits and scores every match.
    None,
    /// It skips blocks of matches that cannot make the top; counting is a second pass.
    Skipping,
    /// It skips the proximity bonus where it cannot matter and, for plain words, passes
    /// over the matches that cannot make the top; or, for a phrase in both fields, passes
    /// over the weaker field's matches once it has counted the capped total. It counts the
    /// matches it visits: the total when it passed over none, else at least the cap when
    /// it visited that many.
    Counting,
}

/// Top hits, the count (and whether it is exact) and facet results, as collected.
type Collected = (Vec<(Score, DocAddress)>, (u64, bool), Option<AggregationResults>);

/// A page of hits newest first (each with its date, if it has one) and the total.
type NewestHits = (Vec<(Option<DateTime>, DocAddress)>, (u64, bool));

struct Outcome {
    top: Vec<(Score, DocAddress)>,
    total: u64,
    total_exact: bool,
    facets: Option<Facets>,
}

/// The BM25 statistics of one search, each read from the index once. A query's term
/// queries, its phrase bonuses and the bounds its ranking prunes by all ask about the same
/// few terms, and every answer looks the term up in each segment's dictionary.
struct SearchStatistics<'a> {
    searcher: &'a Searcher,
    doc_freqs: Mutex<HashMap<Term, u64>>,
    num_tokens: Mutex<HashMap<Field, u64>>,
    num_docs: std::sync::OnceLock<u64>,
}

impl<'a> SearchStatistics<'a> {
    fn new(searcher: &'a Searcher) -> SearchStatistics<'a> {
        SearchStatistics {
            searcher,
            doc_freqs: Mutex::new(HashMap::new()),
            num_tokens: Mutex::new(HashMap::new()),
            num_docs: std::sync::OnceLock::new(),
        }
    }
}

impl Bm25StatisticsProvider for SearchStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        remembered(&self.num_tokens, &field, || self.searcher.total_num_tokens(field))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        if let Some(&docs) = self.num_docs.get() {
            return Ok(docs);
        }
        let docs = Bm25StatisticsProvider::total_num_docs(self.searcher)?;
        Ok(*self.num_docs.get_or_init(|| docs))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        remembered(&self.doc_freqs, term, || self.searcher.doc_freq(term))
    }
}

/// The answer for `key` in `answers`, read the first time it is asked.
fn remembered<K: Clone + Eq + std::hash::Hash>(
    answers: &Mutex<HashMap<K, u64>>,
    key: &K,
    read: impl FnOnce() -> tantivy::Result<u64>,
) -> tantivy::Result<u64> {
    let mut answers = answers.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&answer) = answers.get(key) {
        return Ok(answer);
    }
    let answer = read()?;
    answers.insert(key.clone(), answer);
    Ok(answer)
}

/// Counts the matches of `query`, stopping past `limit`: `(limit, false)` when there are
/// more, else `(count, true)`. Deleted documents are not counted.
pub(crate) fn count_up_to(searcher: &Searcher, query: &dyn Query, limit: u64) -> Result<(u64, bool)> {
    let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(searcher))?;
    let mut total = 0u64;
    for segment in searcher.segment_readers() {
        let mut scorer = weight.scorer(segment, 1.0)?;
        let alive = segment.alive_bitset();
        let mut doc = scorer.doc();
        while doc != tantivy::TERMINATED {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                total += 1;
                if total > limit {
                    return Ok((limit, false));
                }
            }
            doc = scorer.advance();
        }
    }
    Ok((total, true))
}

fn facets_from(results: &AggregationResults) -> Facets {
    let counts = |name: &str| -> Vec<FacetCount> {
        match results.0.get(name) {
            Some(AggregationResult::BucketResult(BucketResult::Terms { buckets, .. })) => buckets
                .iter()
                .map(|bucket| FacetCount {
                    value: match &bucket.key {
                        Key::Str(value) => value.clone(),
                        Key::I64(value) => value.to_string(),
                        Key::U64(value) => value.to_string(),
                        Key::F64(value) => value.to_string(),
                    },
                    count: bucket.doc_count,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    Facets {
        lang: counts("lang"),
        source: counts("source"),
        category: counts("category"),
        month: counts("month"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::JsonlReader;

    fn sample_index() -> NewsIndex {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../index-data/articles.jsonl");
        let file = std::fs::File::open(path).expect("the sample corpus");
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(crate::WriterSettings::new(1, 50 << 20)).expect("writer");
        for record in JsonlReader::new(std::io::BufReader::new(file)) {
            writer.upsert(&record.expect("readable").article.expect("valid")).expect("upsert");
        }
        writer.commit().expect("commit");
        index
    }

    #[test]
    fn a_pasted_paragraph_searches_its_first_words_only() {
        let analyzer = Analyzer::new();
        let paragraph = "trade ".repeat(10) + &"tariff exporters ".repeat(MAX_QUERY_WORDS / 2);
        let parsed = parse(&format!("{paragraph} OR \"port strike\" -fish")).expect("parses");
        let analyzed = analyze_query(&parsed, &analyzer).expect("analyses");
        let words: usize = analyzed.terms.iter().map(|term| term.split(' ').count()).sum();
        assert_eq!(words, MAX_QUERY_WORDS, "help: {:?}", analyzed.terms);
        assert_eq!(analyzed.clauses.len(), MAX_QUERY_WORDS, "help: one clause per word typed");
        assert!(
            analyzed.clauses.iter().all(|clause| !clause.excluded),
            "help: the exclusion comes after the cap"
        );
        assert_eq!(
            analyzed.notes,
            [format!("only the first {MAX_QUERY_WORDS} words of the query were searched")]
        );
        let short = analyze_query(&parse("tariff exporters").expect("parses"), &analyzer).expect("analyses");
        assert!(short.notes.is_empty());
        // The search says so.
        let index = sample_index();
        let response = index.search(&SearchRequest::new(paragraph)).expect("searches");
        assert_eq!(response.applied.notes, analyzed.notes);
    }

    #[test]
    fn counting_stops_past_the_limit_unless_every_match_is_asked_for() {
        let index = sample_index();
        let searcher = index.reader().searcher();
        let compiler = QueryCompiler { schema: index.schema(), ranking: *index.ranking() };
        let analyzed = analyze_query(&parse("the").expect("parses"), index.analyzer()).expect("analyses");
        let collect = |request: &SearchRequest, limit: u64| {
            let compiled = compiler.compile(&analyzed, Matching::All);
            index.collect(&searcher, compiled, &index.filters(request), request, limit).expect("collects")
        };
        let request = SearchRequest::new("the");
        let all = collect(&request, TOTAL_COUNT_LIMIT);
        assert!(all.total_exact && all.total > 20, "help: the sample has more than 20 English articles");
        let capped = collect(&request, 5);
        assert_eq!((capped.total, capped.total_exact), (5, false));
        assert_eq!(capped.top, all.top, "help: the cap changes the count, never the ranking");
        let exact = collect(&SearchRequest { exact_total: true, ..request.clone() }, 5);
        assert_eq!((exact.total, exact.total_exact), (all.total, true));
        let at_the_limit = collect(&request, all.total);
        assert_eq!((at_the_limit.total, at_the_limit.total_exact), (all.total, true));
        let english = SearchRequest { lang: vec![Lang::En], ..request.clone() };
        let filtered = collect(&english, 5);
        assert_eq!((filtered.total, filtered.total_exact), (5, false), "help: filters keep the pruning");
        let filtered_exact = collect(&SearchRequest { exact_total: true, ..english }, 5);
        assert!(filtered_exact.total_exact && filtered_exact.total > 5);
        assert_eq!(filtered_exact.top, filtered.top);
        let faceted = collect(&SearchRequest { facets: true, ..request }, 5);
        assert_eq!((faceted.total, faceted.total_exact), (all.total, true));
    }

    /// Every hit of `query` (up to 1,000) with its score, in document order.
    fn hits_by_address(searcher: &Searcher, query: &dyn Query) -> Vec<(DocAddress, Score)> {
        let mut hits: Vec<(DocAddress, Score)> = searcher
            .search(query, &TopDocs::with_limit(1000).order_by_score())
            .expect("search")
            .into_iter()
            .map(|(score, address)| (address, score))
            .collect();
        hits.sort_by_key(|&(address, _)| address);
        hits
    }

    #[test]
    fn a_flat_term_union_ranks_exactly_as_the_nested_query() {
        let index = sample_index();
        let searcher = index.reader().searcher();
        let compiler = QueryCompiler { schema: index.schema(), ranking: *index.ranking() };
        let top = |query: &dyn Query| hits_by_address(&searcher, query);
        let mut flattened = 0;
        for (text, matching) in [
            ("半导体", Matching::All),
            ("tariffs", Matching::All),
            ("tariff OR 关税", Matching::All),
            ("title:经济", Matching::All),
            ("中国 oil", Matching::Any),
            ("南京市长江大桥 bridge", Matching::Any),
            ("芯片 market 增长", Matching::Any),
            ("tariffs trade", Matching::All),
            ("\"trade show\"", Matching::Any),
            ("芯片 -美国", Matching::Any),
        ] {
            let analyzed = analyze_query(&parse(text).expect("parses"), index.analyzer()).expect("analyses");
            let compiled = compiler.compile(&analyzed, matching);
            let nested = compiler.nested(&analyzed, matching);
            let (flat_hits, nested_hits) = (top(compiled.query.as_ref()), top(nested.as_ref()));
            assert!(!nested_hits.is_empty(), "help: {text:?} should find something in the sample");
            assert_eq!(flat_hits.len(), nested_hits.len(), "{text:?} {matching:?}");
            for ((flat_address, flat_score), (nested_address, nested_score)) in
                flat_hits.iter().zip(&nested_hits)
            {
                assert_eq!(flat_address, nested_address, "{text:?} {matching:?}");
                if matching == Matching::All {
                    assert!(
                        (flat_score - nested_score).abs() < 1e-4,
                        "{text:?}: {flat_score} vs {nested_score}"
                    );
                } else {
                    // Any word: only the proximity bonus is left out, and it cannot apply.
                    assert!(
                        (flat_score - nested_score).abs() < 1e-4 || nested_score > flat_score,
                        "{text:?}"
                    );
                }
            }
            flattened += usize::from(compiled.term_union);
        }
        assert_eq!(flattened, 7, "help: phrases, exclusions and several required words stay nested");
    }

    #[test]
    fn a_phrase_prefix_ranked_by_max_score_ranks_as_the_nested_query() {
        let index = sample_index_in_segments(40);
        let searcher = index.reader().searcher();
        let compiler = QueryCompiler { schema: index.schema(), ranking: *index.ranking() };
        let best = |query: &dyn Query, limit: usize| -> Vec<(DocAddress, Score)> {
            let top = searcher.search(query, &TopDocs::with_limit(limit).order_by_score()).expect("search");
            top.into_iter().map(|(score, address)| (address, score)).collect()
        };
        for text in [
            "\"central ban\"*",
            "\"interest ra\"*~1",
            "\"人工智\"*",
            "\"南京市长江\"*",
            "\"the ba\"*",
            "\"软件 更\"*",
        ] {
            let mut analyzed =
                analyze_query(&parse(text).expect("parses"), index.analyzer()).expect("analyses");
            compiler.expand_words(&mut analyzed, &searcher).expect("expands");
            let union = compiler.phrase_union(&analyzed).expect("one union of phrases");
            let nested = compiler.nested(&analyzed, Matching::All);
            let all = hits_by_address(&searcher, nested.as_ref());
            assert!(!all.is_empty(), "help: {text} should find something in the sample");
            assert_eq!(hits_by_address(&searcher, union.as_ref()).len(), all.len(), "{text}");
            // The top few, where MaxScore passes over what cannot reach them.
            for limit in [1, 3] {
                let (pruned, exhaustive) = (best(union.as_ref(), limit), best(nested.as_ref(), limit));
                assert_eq!(pruned.len(), exhaustive.len(), "{text}");
                for ((address, score), (nested_address, nested_score)) in pruned.iter().zip(&exhaustive) {
                    assert!((score - nested_score).abs() < 1e-4, "{text}: {score} vs {nested_score}");
                    assert!(address == nested_address || (score - nested_score).abs() < 1e-6, "{text}");
                }
            }
        }
    }

    #[test]
    fn a_phrase_prefix_standing_for_long_words_is_searched_in_groups() {
        // Fifty words of thirty letters are too many for one of tantivy's automata
        // (1,000 states): they are split into groups, and every article is still found.
        let letters = |mut number: usize| {
            let mut word = String::new();
            for _ in 0..4 {
                word.push(char::from(b'a' + (number % 26) as u8));
                number /= 26;
            }
            word
        };
        let articles = (0..60).map(|i| Article {
            id: format!("long-{i}"),
            lang: Some(Lang::En),
            title: "Harbour news".to_string(),
            body: format!("The central bank{}xyzxyzxyzxyzxyzxyz opened.", letters(i)),
            ..Article::default()
        });
        let index = index_of(articles, 100);
        let request = SearchRequest { limit: 100, ..SearchRequest::new("\"central bank\"*") };
        let response = index.search(&request).expect("search");
        assert_eq!(response.total as usize, MAX_PREFIX_WORDS, "{:?}", response.applied.notes);
        assert!(response.hits.iter().all(|hit| hit.snippet.contains("<mark>central bank")));
    }

    #[test]
    fn the_proximity_bonus_scores_as_a_should_clause_would() {
        let index = sample_index();
        let searcher = index.reader().searcher();
        let ranking = *index.ranking();
        let compiler = QueryCompiler { schema: index.schema(), ranking };
        let without_bonus = QueryCompiler {
            schema: index.schema(),
            ranking: RankingConfig { proximity_boost: 0.0, ..ranking },
        };
        let top = |query: &dyn Query| hits_by_address(&searcher, query);
        let mut rewarded = 0;
        for (text, matching) in [
            ("长江大桥 通车", Matching::Any),
            ("trade deficit", Matching::Any),
            ("芯片 出口", Matching::All),
            ("中国 经济", Matching::Any),
            ("central bank rates", Matching::All),
            ("華為 5G", Matching::Any),
            ("经济 增长 -美国", Matching::All),
            ("interest rates", Matching::All),
        ] {
            let analyzed = analyze_query(&parse(text).expect("parses"), index.analyzer()).expect("analyses");
            assert!(!analyzed.proximity_words.is_empty(), "{text:?}");
            let words: Vec<(usize, String)> = analyzed.proximity_words.iter().cloned().enumerate().collect();
            let as_should: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                (Occur::Must, without_bonus.nested(&analyzed, matching)),
                (
                    Occur::Should,
                    compiler.phrase_query(
                        &compiler.fields(None),
                        &words,
                        PROXIMITY_SLOP,
                        ranking.proximity_boost,
                    ),
                ),
            ]));
            let (with_bonus, reference) =
                (top(compiler.nested(&analyzed, matching).as_ref()), top(as_should.as_ref()));
            let plain = top(without_bonus.nested(&analyzed, matching).as_ref());
            assert!(!reference.is_empty(), "help: {text:?} should find something in the sample");
            assert_eq!(with_bonus.len(), reference.len(), "{text:?}");
            for (((address, score), (reference_address, reference_score)), (_, plain_score)) in
                with_bonus.iter().zip(&reference).zip(&plain)
            {
                assert_eq!(address, reference_address, "{text:?}");
                assert!((score - reference_score).abs() < 1e-4, "{text:?}: {score} vs {reference_score}");
                rewarded += usize::from(score - plain_score > 1e-3);
            }
        }
        assert!(rewarded > 5, "help: the bonus must reward articles with the words together ({rewarded})");
    }
    /// A page's hits: ids and scores, in order.
    fn ranked(response: &SearchResponse) -> Vec<(String, Score)> {
        response.hits.iter().map(|hit| (hit.id.clone(), hit.score)).collect()
    }

    /// The sample in segments of `per_segment` articles each.
    fn sample_index_in_segments(per_segment: usize) -> NewsIndex {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../index-data/articles.jsonl");
        let file = std::fs::File::open(path).expect("the sample corpus");
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(crate::WriterSettings::new(1, 50 << 20)).expect("writer");
        for (line, record) in JsonlReader::new(std::io::BufReader::new(file)).enumerate() {
            writer.upsert(&record.expect("readable").article.expect("valid")).expect("upsert");
            if (line + 1) % per_segment == 0 {
                writer.commit().expect("commit");
            }
        }
        writer.commit().expect("commit");
        index
    }

    /// An index in memory of `articles`, committed after every `per_segment` of them.
    fn index_of(articles: impl IntoIterator<Item = Article>, per_segment: usize) -> NewsIndex {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(crate::WriterSettings::new(1, 50 << 20)).expect("writer");
        for (written, article) in articles.into_iter().enumerate() {
            writer.upsert(&article).expect("upsert");
            if (written + 1) % per_segment == 0 {
                writer.commit().expect("commit");
            }
        }
        writer.commit().expect("commit");
        index
    }

    #[test]
    fn words_ranked_past_matches_that_cannot_reach_the_top_keep_the_top_hits() {
        // Several words: once the hits kept so far are good enough, only the articles
        // holding the terms an article needs to beat them are visited, and the bar each
        // segment reaches carries over to the next.
        let index = sample_index_in_segments(30);
        assert!(index.num_segments() >= 4, "help: the sample should make several segments");
        let searcher = index.reader().searcher();
        let compiler = QueryCompiler { schema: index.schema(), ranking: *index.ranking() };
        let mut passed_over = 0;
        // The sample is small: leapfrogging is chosen whenever the threshold allows, not
        // only when it looks at far fewer documents than the query's own.
        crate::bonus::leapfrogging_always(|| {
            for text in [
                "中国 经济",
                "经济 增长",
                "芯片 出口",
                "美国 中国 贸易",
                "中国 经济 增长",
                "central bank rates",
                "经济 增长 -美国",
                "central bank",
                "interest rates",
                "trade deficit",
                "oil prices",
                "经济 OR economy 增长",
                "title:经济 市场",
                "\"中国 经济\"",
                "\"central bank\"",
                "\"interest rates\"",
                "\"美国 中国\"~2",
            ] {
                for (limit, offset) in [(1, 0), (2, 0), (3, 0), (2, 2), (1, 4)] {
                    let request = SearchRequest { limit, offset, ..SearchRequest::new(text) };
                    let pruned = index.search(&request).expect("search");
                    let exhaustive =
                        index.search(&SearchRequest { facets: true, ..request.clone() }).expect("search");
                    assert_eq!(
                        ranked(&pruned),
                        ranked(&exhaustive),
                        "{text:?}, limit {limit}, offset {offset}"
                    );
                    assert_eq!((pruned.total, pruned.total_exact), (exhaustive.total, true), "{text:?}");
                    // Counting up to one past the page tells whether the ranking skipped
                    // matches: a count it made itself would be exact.
                    let analyzed =
                        analyze_query(&parse(text).expect("parses"), index.analyzer()).expect("analyses");
                    let compiled = compiler.compile(&analyzed, Matching::All);
                    let capped = index
                        .collect(&searcher, compiled, &[], &request, (limit + offset) as u64)
                        .expect("collects");
                    passed_over += usize::from(!capped.total_exact);
                    // Capped that low, a phrase's ranking passes over matches too. (The
                    // search above may have matched any word: these match every one.)
                    let cap = (limit + offset) as u64;
                    let everything = SearchRequest { facets: true, ..request.clone() };
                    let exhaustive = index
                        .collect(&searcher, compiler.compile(&analyzed, Matching::All), &[], &everything, cap)
                        .expect("collects");
                    if capped.total_exact {
                        assert_eq!(capped.total, exhaustive.total, "{text:?}, capped at {cap}");
                    } else {
                        assert_eq!(capped.total, cap, "{text:?}");
                        assert!(
                            exhaustive.total >= cap,
                            "{text:?}: {} under the cap {cap}",
                            exhaustive.total
                        );
                    }
                    assert_eq!(
                        capped.top, exhaustive.top,
                        "{text:?}, limit {limit}, offset {offset}, capped"
                    );
                }
            }
        });
        assert!(passed_over > 10, "help: the ranking should pass over matches ({passed_over})");
    }

    #[test]
    fn the_bar_one_segment_sets_never_hides_a_better_match_in_the_next() {
        // The ranking of the segment searched first reaches a bar that the next segment
        // starts from; the best article of all scores a little above it, in either segment.
        let article = |id: String, body: String| Article {
            id,
            lang: Some(Lang::En),
            title: "Markets at midday".to_string(),
            body,
            ..Article::default()
        };
        for best_in in 0..2 {
            let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
            let mut writer = index.writer(crate::WriterSettings::new(1, 50 << 20)).expect("writer");
            for segment in 0..2 {
                // Larger segments are searched first: the best article's is the smaller.
                for i in 0..if segment == best_in { 4 } else { 8 } {
                    let waiting = " while traders waited".repeat(i % 3);
                    let body =
                        format!("The central bank kept its rate steady{waiting}, and the bank said little.");
                    writer.upsert(&article(format!("steady-{segment}-{i}"), body)).expect("upsert");
                }
                if segment == best_in {
                    let body = "The central bank raised its rate, and central bank officials said the bank \
                                would watch prices."
                        .to_string();
                    writer.upsert(&article("raised".to_string(), body)).expect("upsert");
                }
                writer.commit().expect("commit");
            }
            assert_eq!(index.num_segments(), 2);
            ranks_as_exhaustively(
                &index,
                "central bank",
                "raised",
                13,
                &format!("best in segment {best_in}"),
            );
        }
    }

    /// `query` ranked at a few page sizes as the exhaustive pass (facets make the search
    /// rank every match) ranks it, `best` first, with `total` matches.
    fn ranks_as_exhaustively(index: &NewsIndex, query: &str, best: &str, total: u64, context: &str) {
        for limit in [1, 2, 3] {
            let request = SearchRequest { limit, ..SearchRequest::new(query) };
            let pruned = index.search(&request).expect("search");
            let exhaustive =
                index.search(&SearchRequest { facets: true, ..request.clone() }).expect("search");
            assert_eq!(exhaustive.hits[0].id, best, "limit {limit}, {context}: the test needs it on top");
            assert_eq!(ranked(&pruned), ranked(&exhaustive), "limit {limit}, {context}");
            assert_eq!(pruned.total, total, "{context}");
        }
    }

    #[test]
    fn three_words_close_together_are_never_passed_over() {
        // Articles with the three words apart in their titles and together once in long
        // bodies set the bar; the last article holds them together three times in a short
        // body and nowhere in its title: the body's proximity bonus (bounded by the
        // phrase's weight) lifts it above them. Ranking past the matches that hold no
        // title term must still visit it (a bound half as large would not).
        let article = |id: String, title: &str, body: String| Article {
            id,
            lang: Some(Lang::En),
            title: title.to_string(),
            body,
            ..Article::default()
        };
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let mut writer = index.writer(crate::WriterSettings::new(1, 50 << 20)).expect("writer");
        for i in 0..12 {
            let apart = " while traders waited for news".repeat(1 + i % 2);
            let body = format!("The central bank rates decision came{apart}.")
                + &format!(" The bank met{apart}.").repeat(3);
            let title = "Rates rise while the bank waits, and rates fall while central planners wait";
            writer.upsert(&article(format!("apart-{i}"), title, body)).expect("upsert");
        }
        for i in 0..20 {
            let body = "Oil prices rose as exporters cut output.".to_string();
            writer.upsert(&article(format!("other-{i}"), "Oil prices", body)).expect("upsert");
        }
        let body = "Central bank rates rose. Central bank rates held. Central bank rates fell.".to_string();
        writer.upsert(&article("together".to_string(), "Markets at midday", body)).expect("upsert");
        writer.commit().expect("commit");
        crate::bonus::leapfrogging_always(|| {
            ranks_as_exhaustively(&index, "central bank rates", "together", 13, "the bonus decides");
        });
    }

    #[test]
    fn a_union_of_many_terms_scores_every_match_and_counts_them_all() {
        // 26 words begin with `ban`, in two fields: more terms than WAND ranks well.
        let words: Vec<String> = ('a'..='z').map(|letter| format!("ban{letter}{letter}o")).collect();
        let articles = (0..600).map(|i| Article {
            id: format!("a-{i}"),
            lang: Some(Lang::En),
            title: format!("Report {i}"),
            body: format!("The {} rose. The {} fell.", words[i % 26], words[(i * 7) % 26]),
            ..Article::default()
        });
        let index = index_of(articles, 250);
        let compiler = QueryCompiler { schema: index.schema(), ranking: *index.ranking() };
        let searcher = index.reader().searcher();
        let compile = |text: &str| {
            let mut analyzed =
                analyze_query(&parse(text).expect("parses"), index.analyzer()).expect("analyses");
            compiler.expand_words(&mut analyzed, &searcher).expect("expands");
            compiler.compile(&analyzed, Matching::All)
        };
        let many = compile("ban*");
        assert!(many.query.is::<Unpruned>() && !many.term_union);
        let few = compile("banaa* OR banbb* OR banccc");
        assert!(!few.query.is::<Unpruned>() && few.term_union, "help: 6 terms stay with WAND");
        // Many words, when matching any: a headline pasted into the search box.
        let mut any = analyze_query(&parse(&words[..7].join(" ")).expect("parses"), index.analyzer())
            .expect("analyses");
        compiler.expand_words(&mut any, &searcher).expect("expands");
        assert!(compiler.compile(&any, Matching::Any).query.is::<Unpruned>(), "help: 14 terms");
        assert!(!compiler.compile(&any, Matching::All).query.is::<Unpruned>());
        let response = index.search(&SearchRequest::new("ban*")).expect("search");
        // Every match is visited, so the count is exact without asking.
        assert_eq!((response.total, response.total_exact), (600, true));
    }

    #[test]
    fn a_prefix_ranks_its_rare_words_no_higher_than_its_common_ones() {
        // Twenty articles say `bank` twice; one says `bangor` once. Each word of `ban*`
        // scores with the commonest word's IDF, so the articles saying `bank` more often
        // come first; typed as alternatives, the rare word's IDF puts its article first.
        let article = |id: String, body: &str| Article {
            id,
            lang: Some(Lang::En),
            title: "Harbour news".to_string(),
            body: body.to_string(),
            ..Article::default()
        };
        let mut articles: Vec<Article> = (0..20)
            .map(|i| article(format!("bank-{i}"), "The bank opened. The bank closed early."))
            .collect();
        articles.push(article("bangor".to_string(), "Ferries to Bangor ran late today."));
        let index = index_of(articles, 50);
        let search = |query: &str| {
            index.search(&SearchRequest { limit: 50, ..SearchRequest::new(query) }).expect("search")
        };
        let prefix = search("ban*");
        assert_eq!(prefix.total, 21);
        assert!(prefix.hits[0].id.starts_with("bank-"), "{:?}", ranked(&prefix));
        assert_eq!(prefix.hits.last().map(|hit| hit.id.as_str()), Some("bangor"), "{:?}", ranked(&prefix));
        assert_eq!(search("bank OR bangor").hits[0].id, "bangor", "help: unweighted, the rare word leads");
        // In a phrase prefix the weight scales each phrase alike.
        let phrase = search("\"the ban\"*");
        assert!(phrase.hits.iter().all(|hit| hit.id.starts_with("bank-")), "{:?}", ranked(&phrase));
    }

    #[test]
    fn search_statistics_answer_as_the_searcher_does_asked_once_or_again() {
        let index = sample_index_in_segments(40);
        let searcher = index.reader().searcher();
        let statistics = SearchStatistics::new(&searcher);
        let schema = index.schema();
        for _ in 0..2 {
            for field in [schema.title, schema.body] {
                assert_eq!(
                    statistics.total_num_tokens(field).expect("tokens"),
                    Bm25StatisticsProvider::total_num_tokens(&searcher, field).expect("tokens")
                );
                for word in ["经济", "market", "不存在的词"] {
                    let term = Term::from_field_text(field, word);
                    assert_eq!(
                        statistics.doc_freq(&term).expect("doc freq"),
                        searcher.doc_freq(&term).expect("doc freq")
                    );
                }
            }
            assert_eq!(
                statistics.total_num_docs().expect("docs"),
                Bm25StatisticsProvider::total_num_docs(&searcher).expect("docs")
            );
        }
        assert!(statistics.doc_freq(&Term::from_field_text(schema.body, "经济")).expect("doc freq") > 0);
    }

    #[test]
    fn pruned_rankings_keep_the_top_hits_and_the_total() {
        // Facets make the search rank and count in one exhaustive pass. Without them a
        // query with the proximity bonus skips it where it cannot reach the top and counts
        // its matches as it goes (debug builds also check, at every match whose bonus is
        // asked, that the bonus stayed within the bound the pruning relies on), and a
        // single word skips blocks with block-max WAND, under the filters too.
        let index = sample_index();
        let mut compared = 0;
        for text in [
            "经济",
            "market",
            "油价 OR oil",
            "中国 经济",
            "经济 增长",
            "芯片 出口",
            "central bank",
            "interest rates",
            "trade deficit",
            "華為 5G",
            "经济 增长 -美国",
            "美国 中国 贸易",
            "central bank rates",
            "长江大桥 通车",
            "\"中国 经济\"",
            "\"central bank\"",
            "\"trade deficit\"",
        ] {
            for limit in [1, 2, 3, 5] {
                for category in [None, Some("economy")] {
                    let request = SearchRequest {
                        limit,
                        category: category.into_iter().map(str::to_string).collect(),
                        ..SearchRequest::new(text)
                    };
                    let pruned = index.search(&request).expect("search");
                    let exhaustive =
                        index.search(&SearchRequest { facets: true, ..request.clone() }).expect("search");
                    assert_eq!(ranked(&pruned), ranked(&exhaustive), "{text:?}, limit {limit}, {category:?}");
                    assert_eq!(
                        (pruned.total, pruned.total_exact),
                        (exhaustive.total, true),
                        "{text:?}, limit {limit}, {category:?}"
                    );
                    compared += usize::from(pruned.total > limit as u64);
                }
            }
        }
        assert!(compared > 50, "help: most queries should match more articles than they show ({compared})");
    }

    #[test]
    fn a_rare_filter_leads_a_word_and_counts_its_matches_as_it_ranks() {
        // One source holds a twentieth of the articles: it leads the ranking of a word
        // every article holds, which then visits and counts every match it keeps.
        let articles = (0..400).map(|i| Article {
            id: format!("a-{i}"),
            lang: Some(Lang::En),
            title: format!("Report {i}"),
            body: format!("The market moved.{}", " Traders waited for news.".repeat(i % 7)),
            source: Some(if i % 20 == 7 { "Rare Wire" } else { "Daily Wire" }.to_string()),
            ..Article::default()
        });
        let index = index_of(articles, 400);
        let searcher = index.reader().searcher();
        let compiler = QueryCompiler { schema: index.schema(), ranking: *index.ranking() };
        let analyzed = analyze_query(&parse("market").expect("parses"), index.analyzer()).expect("analyses");
        let collect = |request: &SearchRequest, cap: u64| {
            let compiled = compiler.compile(&analyzed, Matching::All);
            assert!(compiled.term_union);
            index.collect(&searcher, compiled, &index.filters(request), request, cap).expect("collects")
        };
        for limit in [1, 3, 10] {
            let request = SearchRequest {
                limit,
                source: vec!["Rare Wire".to_string()],
                ..SearchRequest::new("market")
            };
            let everything = collect(&SearchRequest { facets: true, ..request.clone() }, TOTAL_COUNT_LIMIT);
            assert_eq!((everything.total, everything.total_exact), (20, true));
            let counted = collect(&request, TOTAL_COUNT_LIMIT);
            assert_eq!(counted.top, everything.top, "limit {limit}");
            assert_eq!((counted.total, counted.total_exact), (20, true), "limit {limit}");
            // Led by the filter, the ranking visited every match: no cap applies.
            let capped = collect(&request, 5);
            assert_eq!(capped.top, everything.top, "limit {limit}, capped");
            assert_eq!((capped.total, capped.total_exact), (20, true), "limit {limit}, capped");
            let exact = collect(&SearchRequest { exact_total: true, ..request.clone() }, 5);
            assert_eq!((exact.total, exact.total_exact), (20, true), "limit {limit}, exact");
        }
    }

    #[test]
    fn newest_first_pages_are_those_of_the_exhaustive_pass() {
        // Three years of articles a day, some of them twice, some undated: a page of the
        // newest is found among the newest articles when they hold it, and everywhere
        // when they do not (grain: many articles, nearly all of them old).
        let first = time::macros::date!(2022 - 01 - 01);
        let articles = (0..1100).flat_map(|day| {
            let copies = if day % 9 == 0 { 2 } else { 1 };
            (0..copies).map(move |copy| {
                let rare = if day % 97 == 0 { " Palm oil shipments slowed." } else { "" };
                let old = if (800..1097).contains(&day) { "" } else { " Grain prices rose." };
                Article {
                    id: format!("a-{day}-{copy}"),
                    lang: Some(Lang::En),
                    title: format!("Market report {day}"),
                    body: format!(
                        "The market moved.{rare}{old}{}",
                        " Traders waited.".repeat((day % 5) as usize)
                    ),
                    date: (day % 41 != 0)
                        .then(|| (first + time::Duration::days(day)).to_string().parse().expect("date")),
                    ..Article::default()
                }
            })
        });
        let index = index_of(articles, 300);
        let sample = sample_index_in_segments(40);
        let mut compared = 0;
        let mut windowed = 0;
        for (index, query) in [
            (&index, "market"),
            (&index, "grain"),
            (&index, "palm oil"),
            (&index, "\"palm oil\""),
            (&sample, "经济"),
            (&sample, "the"),
            (&sample, "中国 经济"),
        ] {
            let searcher = index.reader().searcher();
            let compiler = QueryCompiler { schema: index.schema(), ranking: *index.ranking() };
            let analyzed = analyze_query(&parse(query).expect("parses"), index.analyzer()).expect("analyses");
            let collect = |request: &SearchRequest, cap: u64| {
                let compiled = compiler.compile(&analyzed, Matching::All);
                index.collect(&searcher, compiled, &[], request, cap).expect("collects")
            };
            for (limit, offset) in [(1, 0), (3, 0), (10, 0), (20, 5), (10, 990), (50, 0)] {
                let request =
                    SearchRequest { limit, offset, sort: SortOrder::Date, ..SearchRequest::new(query) };
                // Facets make the search collect every match.
                let everything =
                    collect(&SearchRequest { facets: true, ..request.clone() }, TOTAL_COUNT_LIMIT);
                assert!(everything.total_exact);
                compared += usize::from(!everything.top.is_empty());
                // Past the cap the search looks among the newest articles first.
                for cap in [5, 100, TOTAL_COUNT_LIMIT] {
                    let context = format!("{query:?}, limit {limit}, offset {offset}, cap {cap}");
                    let newest = collect(&request, cap);
                    assert_eq!(newest.top, everything.top, "{context}");
                    if newest.total_exact {
                        assert_eq!(newest.total, everything.total, "{context}");
                    } else {
                        assert_eq!(newest.total, cap, "{context}");
                        assert!(everything.total > cap, "{context}");
                        windowed += 1;
                    }
                    let exact = collect(&SearchRequest { exact_total: true, ..request.clone() }, cap);
                    assert_eq!(
                        (exact.top, exact.total, exact.total_exact),
                        (everything.top.clone(), everything.total, true)
                    );
                }
            }
        }
        assert!(compared > 20, "help: most pages should hold hits ({compared})");
        assert!(windowed > 20, "help: most searches should stop counting at the cap ({windowed})");
        let request = SearchRequest { limit: 3, sort: SortOrder::Date, ..SearchRequest::new("market") };
        let response = index.search(&request).expect("search");
        assert_eq!(
            (response.hits[0].id.as_str(), response.total, response.total_exact),
            ("a-1099-0", 1223, true)
        );
    }

    #[test]
    fn rankings_blended_with_recency_are_those_of_the_exhaustive_pass() {
        // Articles whose scores fall as their dates grow newer, so the blend reorders
        // them: the pruning must hand the collector every article that can reach the top.
        let first = time::macros::date!(2024 - 01 - 01);
        let articles = |every_one_dated: bool| {
            (0..600).map(move |i| Article {
                id: format!("a-{i}"),
                lang: Some(Lang::En),
                title: format!("Report {i}"),
                body: format!(
                    "{} The central bank met.{}",
                    "Market prices rose. ".repeat(1 + (599 - i) % 7),
                    " Traders waited.".repeat(i % 4)
                ),
                date: (every_one_dated || i % 37 != 0)
                    .then(|| (first + time::Duration::days(i as i64)).to_string().parse().expect("date")),
                ..Article::default()
            })
        };
        let index = index_of(articles(false), 200);
        // Every article dated, so the recent part is ranked first where it pays.
        let dated = index_of(articles(true), 150);
        let sample = sample_index_in_segments(30);
        let mut compared = 0;
        let mut in_two_passes = 0;
        for (index, query) in [
            (&index, "market"),
            (&index, "market OR prices"),
            (&index, "central bank"),
            (&index, "\"central bank\""),
            (&index, "market prices rose"),
            (&dated, "market"),
            (&dated, "market OR prices"),
            (&dated, "central bank"),
            (&dated, "\"central bank\""),
            (&dated, "market prices rose"),
            (&sample, "经济"),
            (&sample, "中国 经济"),
            (&sample, "tariffs trade"),
        ] {
            // Every article of the sample has a date: referred to 2030, its newest article's
            // factor bounds every other's.
            for (half_life_days, weight, reference) in [
                (30.0, 0.3, "2025-09-01"),
                (200.0, 1.0, "2025-09-01"),
                (5.0, 0.9, "2025-09-01"),
                (300.0, 0.8, "2030-01-01"),
                (4.0, 0.6, "2025-08-16"),
                (3.0, 0.3, "2025-08-20"),
            ] {
                let recency =
                    Recency { half_life_days, weight, reference: Some(reference.parse().expect("date")) };
                let reference = recency.reference.map(|date| date.unix_timestamp()).expect("a reference");
                let plan =
                    Blend::new(recency, reference).plan(&index.reader().searcher(), index.schema().date);
                in_two_passes += usize::from(plan.expect("plan").1.is_some());
                for (limit, offset) in [(1, 0), (3, 0), (10, 0), (5, 7), (100, 20)] {
                    let request =
                        SearchRequest { limit, offset, recency: Some(recency), ..SearchRequest::new(query) };
                    let pruned = index.search(&request).expect("search");
                    let exhaustive =
                        index.search(&SearchRequest { facets: true, ..request.clone() }).expect("search");
                    let context = format!("{query:?}, {recency:?}, limit {limit}, offset {offset}");
                    assert_eq!(ranked(&pruned), ranked(&exhaustive), "{context}");
                    assert_eq!((pruned.total, pruned.total_exact), (exhaustive.total, true), "{context}");
                    compared += usize::from(pruned.total > (limit + offset) as u64);
                }
            }
        }
        assert!(compared > 60, "help: most queries should match more articles than a page ({compared})");
        assert!(
            in_two_passes >= 10,
            "help: the recent part should be ranked first in some ({in_two_passes})"
        );
    }

    #[test]
    fn a_phrase_under_filters_counts_what_the_filters_keep_as_it_ranks() {
        // The filters go inside the phrase of each field, so the ranking counts only the
        // matches they keep, up to the cap, and passes over matches only after that.
        let index = sample_index_in_segments(30);
        let searcher = index.reader().searcher();
        let compiler = QueryCompiler { schema: index.schema(), ranking: *index.ranking() };
        let mut narrowed = 0;
        let mut capped_counts = 0;
        for text in ["\"of the\"", "\"in the\"", "\"同比 增长\"", "\"central bank\""] {
            let analyzed = analyze_query(&parse(text).expect("parses"), index.analyzer()).expect("analyses");
            let collect = |request: &SearchRequest, cap: u64| {
                let compiled = compiler.compile(&analyzed, Matching::All);
                index.collect(&searcher, compiled, &index.filters(request), request, cap).expect("collects")
            };
            let unfiltered =
                collect(&SearchRequest { facets: true, ..SearchRequest::new(text) }, TOTAL_COUNT_LIMIT);
            for filtered in [
                SearchRequest { lang: vec![Lang::ZhHans], ..SearchRequest::new(text) },
                SearchRequest { category: vec!["economy".to_string()], ..SearchRequest::new(text) },
                SearchRequest { from: Some("2021-01-01".parse().expect("date")), ..SearchRequest::new(text) },
            ] {
                for limit in [1, 2, 3] {
                    let request = SearchRequest { limit, ..filtered.clone() };
                    // Facets make the ranking visit and count every match.
                    let everything =
                        collect(&SearchRequest { facets: true, ..request.clone() }, TOTAL_COUNT_LIMIT);
                    narrowed += usize::from(0 < everything.total && everything.total < unfiltered.total);
                    for cap in [1, 2, 4, everything.total, everything.total + 1] {
                        let capped = collect(&request, cap);
                        assert_eq!(capped.top, everything.top, "{text:?}, limit {limit}, cap {cap}");
                        if capped.total_exact {
                            assert_eq!(capped.total, everything.total, "{text:?}, cap {cap}");
                        } else {
                            // A lower bound: the cap itself once the ranking counted that many.
                            assert_eq!(capped.total, cap, "{text:?}");
                            assert!(
                                cap <= everything.total,
                                "{text:?}: capped at {cap} of {}",
                                everything.total
                            );
                            capped_counts += 1;
                        }
                    }
                }
            }
        }
        assert!(narrowed > 10, "help: the filters should drop some of the phrases' matches ({narrowed})");
        assert!(capped_counts > 10, "help: some counts should stop at the cap ({capped_counts})");
    }
}
