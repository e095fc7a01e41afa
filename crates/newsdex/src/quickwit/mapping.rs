//! How an article is laid out in Quickwit: the index config newsdex generates, and the
//! JSON document of each article.
//!
//! Quickwit cannot run newsdex's analyzer, so newsdex analyses and Quickwit stores and
//! ranks. Each of `title` and `body` becomes three fields:
//!
//! - `title`, `body`: the original text, stored (for results and highlighting), not indexed;
//! - `title_words`, `body_words`: the precise words, in order, space-joined, indexed with
//!   Quickwit's `whitespace` tokenizer, positions and fieldnorms: BM25 and phrases;
//! - `title_subwords`, `body_subwords`: the finer units inside words (`大桥` in
//!   `长江大桥`, `iphon` and `15` in `iphone15`), indexed with frequencies and fieldnorms
//!   but no positions: recall.
//!
//! Tokens are already lowercased, folded to Simplified and stemmed by newsdex, and never
//! contain ASCII whitespace, which is all Quickwit's `whitespace` tokenizer splits on.
//!
//! **Sentence gaps.** newsdex leaves [`SENTENCE_POSITION_GAP`] positions between
//! sentences so that no phrase matches across a sentence end. Quickwit's tokenizer numbers
//! tokens one by one, so the gap is written as filler tokens ([`FILLER`], a lone `.`,
//! which newsdex never emits as a word and so no query can ask for). The exported gap is
//! [`EXPORTED_SENTENCE_GAP`] = [`MAX_SLOP`] + 1 fillers rather than 16: the smallest gap
//! that keeps every phrase the query language can write inside one sentence, and fewer
//! fillers weigh less on the field length BM25 normalises by. Holes left by removed stop
//! words are kept as one filler each. Query phrases spanning a gap get the same fillers,
//! so they match exactly what they match locally.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::SENTENCE_POSITION_GAP;
use crate::analysis::{AnalysisMode, Analyzer, AnalyzerIdentity, Scratch, TokenBuffer, TokenKind};
use crate::article::{Article, Lang};
use crate::error::{Error, Result};
use crate::query::MAX_SLOP;

/// The filler token standing for a position with no word.
pub const FILLER: &str = ".";

/// Positions left between sentences in the exported positional fields.
pub const EXPORTED_SENTENCE_GAP: usize = MAX_SLOP as usize + 1;

/// Bumped when the exported layout changes: an index exported with another layout must
/// be exported again.
pub const MAPPING_VERSION: u32 = 1;

/// The Quickwit config format version written in generated configs. Quickwit 0.8 reads
/// `0.8`; 0.9 reads it too (as an alias of its own `0.9`).
pub const CONFIG_VERSION: &str = "0.8";

/// How long Quickwit waits before committing ingested documents, in seconds.
pub const COMMIT_TIMEOUT_SECS: u64 = 10;

/// After this long a split stops merging and pending deletes apply to it. Quickwit's
/// default is 48 hours; newsdex shortens it so that a replaced article stops matching
/// within the hour.
pub const MATURATION_PERIOD: &str = "1h";

/// Marks the field description that carries the export's identity.
const IDENTITY_MARK: &str = "newsdex export: ";

/// The fields of the exported documents.
pub(crate) mod field {
    pub(crate) const ID: &str = "id";
    pub(crate) const LANG: &str = "lang";
    pub(crate) const SOURCE: &str = "source";
    pub(crate) const CATEGORY: &str = "category";
    pub(crate) const DATE: &str = "date";
    pub(crate) const DATE_TEXT: &str = "date_text";
    pub(crate) const MONTH: &str = "month";
    pub(crate) const URL: &str = "url";
    pub(crate) const TITLE: &str = "title";
    pub(crate) const BODY: &str = "body";
    pub(crate) const TITLE_WORDS: &str = "title_words";
    pub(crate) const TITLE_SUBWORDS: &str = "title_subwords";
    pub(crate) const BODY_WORDS: &str = "body_words";
    pub(crate) const BODY_SUBWORDS: &str = "body_subwords";
    pub(crate) const REVISION: &str = "revision";
}

/// What an exported index records about how it was built, in the description of its
/// `title_words` field (Quickwit index configs have no free-form metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportIdentity {
    /// The version of the exported layout (bumped when it changes incompatibly).
    pub mapping: u32,
    /// The analyzer that produced the words.
    pub analyzer: AnalyzerIdentity,
}

impl ExportIdentity {
    /// The identity of an export made now with `analyzer`.
    pub fn new(analyzer: &Analyzer) -> ExportIdentity {
        ExportIdentity { mapping: MAPPING_VERSION, analyzer: analyzer.identity().clone() }
    }

    /// Reads the identity back from an index config (`GET /api/v1/indexes/{id}` answers
    /// `{"index_config": …}`); `None` when the index was not exported by newsdex.
    pub fn from_index_config(index_config: &Value) -> Option<ExportIdentity> {
        let mappings = index_config.pointer("/doc_mapping/field_mappings")?.as_array()?;
        mappings.iter().find_map(|mapping| {
            let description = mapping.get("description")?.as_str()?;
            let json = description.split_once(IDENTITY_MARK)?.1;
            serde_json::from_str(json).ok()
        })
    }
}

/// Checks an index id against Quickwit's rules: ASCII letters, digits, `-` and `_`,
/// starting with a letter, 3 to 255 characters.
pub fn validate_index_id(index_id: &str) -> Result<()> {
    let valid_chars = index_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let starts_with_letter = index_id.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if valid_chars && starts_with_letter && (3..=255).contains(&index_id.len()) {
        return Ok(());
    }
    Err(Error::InvalidRequest(format!(
        "{index_id:?} is not a valid quickwit index id: use 3 to 255 ASCII letters, digits, `-` or `_`, \
         starting with a letter"
    )))
}

/// The index config newsdex creates an index with (`POST /api/v1/indexes`).
pub fn quickwit_index_config(index_id: &str, analyzer: &Analyzer) -> Result<Value> {
    validate_index_id(index_id)?;
    let identity = serde_json::to_string(&ExportIdentity::new(analyzer))
        .map_err(|error| Error::InvalidRequest(error.to_string()))?;
    let keyword = |name: &str, description: &str| {
        json!({"name": name, "type": "text", "tokenizer": "raw", "record": "basic", "stored": true,
               "fast": true, "description": description})
    };
    let stored_only = |name: &str, description: &str| json!({"name": name, "type": "text", "indexed": false, "stored": true, "description": description});
    let words = |name: &str, description: String| {
        json!({"name": name, "type": "text", "tokenizer": "whitespace", "record": "position",
               "fieldnorms": true, "stored": false, "description": description})
    };
    let subwords = |name: &str, description: &str| {
        json!({"name": name, "type": "text", "tokenizer": "whitespace", "record": "freq",
               "fieldnorms": true, "stored": false, "description": description})
    };
    Ok(json!({
        "version": CONFIG_VERSION,
        "index_id": index_id,
        "doc_mapping": {
            "mode": "strict",
            "field_mappings": [
                keyword(field::ID, "article id (unique in newsdex; Quickwit has no primary key)"),
                keyword(field::LANG, "zh-Hans, zh-Hant or en: filter and facet"),
                keyword(field::SOURCE, "publisher: filter and facet"),
                keyword(field::CATEGORY, "topic: filter and facet"),
                {"name": field::DATE, "type": "datetime", "input_formats": ["rfc3339"],
                 "output_format": "rfc3339", "fast_precision": "seconds", "indexed": true,
                 "stored": true, "fast": true, "description": "publication instant (UTC): range filter and date sort"},
                stored_only(field::DATE_TEXT, "the date as given (YYYY-MM-DD or RFC 3339)"),
                {"name": field::MONTH, "type": "text", "tokenizer": "raw", "record": "basic",
                 "stored": false, "fast": true, "description": "YYYY-MM of the date: month facet"},
                stored_only(field::URL, "address of the original"),
                stored_only(field::TITLE, "original headline, for results and highlighting"),
                stored_only(field::BODY, "original text, for results and snippets"),
                words(field::TITLE_WORDS, format!("newsdex precise words of the title, in order; {IDENTITY_MARK}{identity}")),
                subwords(field::TITLE_SUBWORDS, "newsdex sub-words of the title's words"),
                words(field::BODY_WORDS, "newsdex precise words of the body, in order".to_string()),
                subwords(field::BODY_SUBWORDS, "newsdex sub-words of the body's words"),
                {"name": field::REVISION, "type": "u64", "indexed": true, "stored": true, "fast": true,
                 "description": "microseconds since the epoch when this version was written: the newest wins"}
            ]
        },
        "search_settings": {"default_search_fields": [field::TITLE_WORDS, field::BODY_WORDS]},
        "indexing_settings": {
            "commit_timeout_secs": COMMIT_TIMEOUT_SECS,
            "merge_policy": {
                "type": "stable_log",
                "min_level_num_docs": 100000,
                "merge_factor": 10,
                "max_merge_factor": 12,
                "maturation_period": MATURATION_PERIOD
            }
        }
    }))
}

/// One article as an exported document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickwitDocument {
    /// Article id.
    pub id: String,
    /// Language tag.
    pub lang: String,
    /// Publisher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Topic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Publication instant, RFC 3339 in UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The date as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_text: Option<String>,
    /// `YYYY-MM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// Address of the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Original headline.
    pub title: String,
    /// Original text.
    pub body: String,
    /// Precise words of the title, with fillers for gaps.
    pub title_words: String,
    /// Sub-words of the title.
    pub title_subwords: String,
    /// Precise words of the body, with fillers for gaps.
    pub body_words: String,
    /// Sub-words of the body.
    pub body_subwords: String,
    /// When this version was written, in microseconds since the epoch.
    pub revision: u64,
}

/// Builds exported documents, reusing analysis buffers.
pub(crate) struct DocumentBuilder<'a> {
    analyzer: &'a Analyzer,
    scratch: Scratch,
    tokens: TokenBuffer,
}

impl<'a> DocumentBuilder<'a> {
    pub(crate) fn new(analyzer: &'a Analyzer) -> DocumentBuilder<'a> {
        DocumentBuilder { analyzer, scratch: Scratch::default(), tokens: TokenBuffer::default() }
    }

    /// The document for `article`, indexed under `lang`, written at `revision`.
    pub(crate) fn document(&mut self, article: &Article, lang: Lang, revision: u64) -> QuickwitDocument {
        let (title_words, title_subwords) = self.fields(&article.title);
        let (body_words, body_subwords) = self.fields(&article.body);
        QuickwitDocument {
            id: article.id.clone(),
            lang: lang.as_str().to_string(),
            source: article.source.clone(),
            category: article.category.clone(),
            date: article.date.map(|date| {
                time::OffsetDateTime::from_unix_timestamp(date.unix_timestamp())
                    .ok()
                    .and_then(|utc| utc.format(&time::format_description::well_known::Rfc3339).ok())
                    .unwrap_or_default()
            }),
            date_text: article.date.map(|date| date.to_string()),
            month: article.date.map(|date| date.month()),
            url: article.url.clone(),
            title: article.title.clone(),
            body: article.body.clone(),
            title_words,
            title_subwords,
            body_words,
            body_subwords,
            revision,
        }
    }

    /// The words field (with fillers) and the sub-words field of `text`.
    fn fields(&mut self, text: &str) -> (String, String) {
        self.analyzer.analyze_into(
            text,
            AnalysisMode::Index,
            &mut self.scratch,
            &mut self.tokens,
            &mut |_| true,
        );
        let mut words = String::with_capacity(text.len() + text.len() / 2);
        let mut subwords = String::new();
        let mut previous_position = None;
        for token in self.tokens.iter() {
            debug_assert!(!token.text.contains(|c: char| c.is_ascii_whitespace()), "{:?}", token.text);
            match token.kind {
                TokenKind::Word => {
                    if let Some(previous) = previous_position {
                        for _ in 0..fillers_between(previous, token.position) {
                            words.push_str(FILLER);
                            words.push(' ');
                        }
                    }
                    words.push_str(token.text);
                    words.push(' ');
                    previous_position = Some(token.position);
                }
                TokenKind::SubWord => {
                    subwords.push_str(token.text);
                    subwords.push(' ');
                }
            }
        }
        words.pop();
        subwords.pop();
        (words, subwords)
    }
}

/// Filler tokens written between words at positions `previous` and `next`: one per
/// missing position, with a sentence gap shortened to [`EXPORTED_SENTENCE_GAP`].
pub(crate) fn fillers_between(previous: usize, next: usize) -> usize {
    let missing = next.saturating_sub(previous + 1);
    if missing >= SENTENCE_POSITION_GAP {
        missing - SENTENCE_POSITION_GAP + EXPORTED_SENTENCE_GAP
    } else {
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder_document(title: &str, body: &str) -> QuickwitDocument {
        let analyzer = Analyzer::new();
        let mut builder = DocumentBuilder::new(&analyzer);
        let article =
            Article { id: "a".into(), title: title.into(), body: body.into(), ..Article::default() };
        builder.document(&article, Lang::ZhHans, 7)
    }

    #[test]
    fn words_keep_order_and_sub_words_go_apart() {
        let document = builder_document("南京市长江大桥", "苹果iPhone15销量");
        assert_eq!(document.title_words, "南京市 长江大桥");
        assert!(document.title_subwords.split(' ').any(|w| w == "大桥"), "{}", document.title_subwords);
        assert!(document.body_words.split(' ').any(|w| w == "iphone15"), "{}", document.body_words);
        assert!(document.body_subwords.split(' ').any(|w| w == "iphon"), "{}", document.body_subwords);
    }

    #[test]
    fn sentence_gaps_become_fillers() {
        let document = builder_document("", "会议在上海举行。经济学家表示");
        let tokens: Vec<&str> = document.body_words.split(' ').collect();
        let held = tokens.iter().position(|t| *t == "举行").expect("举行");
        let economists = tokens.iter().position(|t| *t == "经济学家").expect("经济学家");
        assert_eq!(economists - held, EXPORTED_SENTENCE_GAP + 1, "help: {}", document.body_words);
        assert!(tokens[held + 1..economists].iter().all(|t| *t == FILLER));
        assert!(
            EXPORTED_SENTENCE_GAP > MAX_SLOP as usize,
            "help: a phrase with the largest slop must not cross a gap"
        );
    }

    #[test]
    fn gaps_of_removed_stop_words_are_kept_one_for_one() {
        assert_eq!(fillers_between(3, 4), 0);
        assert_eq!(fillers_between(3, 5), 1);
        assert_eq!(fillers_between(3, 4 + SENTENCE_POSITION_GAP), EXPORTED_SENTENCE_GAP);
        assert_eq!(fillers_between(3, 5 + SENTENCE_POSITION_GAP), EXPORTED_SENTENCE_GAP + 1);
    }

    #[test]
    fn the_identity_round_trips_through_the_config() {
        let analyzer = Analyzer::new();
        let config = quickwit_index_config("news-zh", &analyzer).expect("config");
        assert_eq!(ExportIdentity::from_index_config(&config), Some(ExportIdentity::new(&analyzer)));
        assert_eq!(ExportIdentity::from_index_config(&json!({"doc_mapping": {"field_mappings": []}})), None);
    }

    #[test]
    fn index_ids_follow_quickwit_rules() {
        for good in ["news", "news-zh_2024", "N12"] {
            assert!(validate_index_id(good).is_ok(), "{good}");
        }
        for bad in ["", "ab", "1news", "news.zh", "新闻索引", "news zh"] {
            assert!(validate_index_id(bad).is_err(), "{bad}");
        }
    }
}
