//! The bilingual analyzer: every piece of text, indexed or searched, goes through it.
//!
//! The pipeline, in order:
//!
//! 1. **Normalise** each character (NFKC, full-width → half-width, lowercase) and classify
//!    it ([`normalize`]).
//! 2. **Split into runs** by class: Han runs, alphanumeric blocks, sentence ends,
//!    separators. Separators and punctuation never become tokens.
//! 3. **Segment each run** with the segmenter for its script: Han runs are folded to
//!    Simplified ([`fold`]) and cut by jieba ([`chinese`]); alphanumeric blocks become a
//!    word plus its parts, stemmed when English ([`alnum`]).
//! 4. **Assign positions**: words take consecutive positions; sub-words (the dictionary
//!    words inside a long Chinese word, the parts of `COVID-19`) share their word's
//!    position; a sentence end adds a gap so phrases do not match across it.
//!
//! Every token carries the byte range of the *original* text it came from, whatever the
//! normalisation and folding did, so highlights land on the characters the reader sees.

mod alnum;
mod chinese;
mod fold;
mod normalize;
mod regional;
mod synonyms;
mod tokenizer;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

pub use self::chinese::UserDictionary;
pub(crate) use self::fold::ScriptFolder;
pub(crate) use self::regional::{Region, RegionalTables};
pub(crate) use self::synonyms::Synonym;
pub use self::synonyms::Synonyms;
/// Whether a character is a Han ideograph.
pub(crate) fn is_han(c: char) -> bool {
    normalize::is_han(c as u32)
}
use self::chinese::ChineseSegmenter;
use self::normalize::{CharClass, classify, normalize_char};
pub use self::tokenizer::{NewsTokenStream, NewsTokenizer};

/// The longest run of letters and digits (outside Chinese) that is indexed, in
/// characters: longer ones are identifiers, hashes or base64.
pub(crate) const MAX_WORD_CHARS: usize = alnum::MAX_BLOCK_CHARS;

/// The text of a file the analyzer reads (`what` names it in the error).
fn read_text_file(path: &std::path::Path, what: &str) -> crate::Result<String> {
    std::fs::read_to_string(path).map_err(|source| crate::Error::Io {
        context: format!("cannot read {what} {}", path.display()),
        source,
    })
}

/// The analyzer's version: bumped whenever a change to analysis would give an existing
/// index different tokens (including upgrades of jieba-rs or the OpenCC tables).
pub const ANALYZER_VERSION: u32 = 4;

/// The name recorded in indexes built by this analyzer.
const ANALYZER_NAME: &str = "newsdex-bilingual";

/// Positions skipped at a sentence or paragraph end: larger than any phrase slop the
/// query language accepts, so no phrase matches across a sentence break.
pub const SENTENCE_POSITION_GAP: usize = 16;

/// What the analysis is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisMode {
    /// Indexing: precise words at ordinal positions plus their sub-words at the same
    /// position, for recall.
    #[default]
    Index,
    /// Querying: precise words only.
    Query,
}

/// Whether a token is a word of the text or a finer unit inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A word of the precise segmentation.
    Word,
    /// A unit inside a word (a dictionary word inside a long Chinese word, or a part of
    /// an alphanumeric block), at its word's position. Only in index mode.
    SubWord,
}

/// A query word as the other region writes it (see [`Analyzer::other_wordings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OtherWording {
    /// The analysed words: one, or several to be searched as a phrase.
    pub(crate) words: Vec<String>,
    /// As the region writes it: Traditional characters for Taiwan, Simplified for the
    /// mainland.
    pub(crate) written: String,
    /// Whose wording it is.
    pub(crate) region: Region,
}

/// A token: normalised text, the byte range of the original text it came from, and its
/// position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// The normalised text that is indexed or searched (lowercase, Simplified, stemmed).
    pub text: String,
    /// Start byte offset in the original text.
    pub offset_from: usize,
    /// End byte offset (exclusive) in the original text.
    pub offset_to: usize,
    /// Position for phrase queries.
    pub position: usize,
    /// Word or sub-word.
    #[serde(skip, default = "word_kind")]
    pub kind: TokenKind,
}

fn word_kind() -> TokenKind {
    TokenKind::Word
}

/// Which analyzer built an index: checked whenever an index is opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerIdentity {
    /// The analyzer's name.
    pub name: String,
    /// [`ANALYZER_VERSION`] of the analyzer.
    pub version: u32,
    /// The user dictionary's fingerprint (16 hex digits), or `none`.
    pub dictionary: String,
    /// Whether English stop words are left out.
    #[serde(default)]
    pub english_stop_words_removed: bool,
    /// Whether indexing adds sub-words (the words inside long words, the parts of
    /// alphanumeric blocks).
    #[serde(default = "enabled")]
    pub sub_words_indexed: bool,
    /// Whether jieba's HMM joins characters outside its dictionary into new words.
    #[serde(default = "enabled")]
    pub hmm: bool,
}

fn enabled() -> bool {
    true
}

impl AnalyzerIdentity {
    /// The error for an index at `path`, built with this analyzer, being opened with
    /// `opened`; `rebuild` is the command that rebuilds it.
    pub(crate) fn mismatch(&self, opened: &AnalyzerIdentity, path: String, rebuild: &str) -> crate::Error {
        let remedy = if self.name != opened.name || self.version != opened.version {
            format!(
                "this newsdex analyses text differently from the one that built the index, so only \
                 rebuilding it helps ({rebuild})"
            )
        } else {
            format!(
                "rebuild the index ({rebuild}) or open it with the user dictionary and options it was built with"
            )
        };
        crate::Error::AnalyzerMismatch {
            path,
            built_with: self.to_string(),
            opened_with: opened.to_string(),
            remedy,
        }
    }
}

impl fmt::Display for AnalyzerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{} (user dictionary {}", self.name, self.version, self.dictionary)?;
        if self.english_stop_words_removed {
            f.write_str(", English stop words removed")?;
        }
        if !self.sub_words_indexed {
            f.write_str(", no sub-words")?;
        }
        if !self.hmm {
            f.write_str(", no HMM")?;
        }
        f.write_str(")")
    }
}

/// The bilingual analyzer. Cheap to clone: clones share the loaded dictionary.
///
/// ```
/// use newsdex::{AnalysisMode, Analyzer};
///
/// let analyzer = Analyzer::new();
/// let tokens = analyzer.analyze("華為發布Mate 70手機", AnalysisMode::Query);
/// let texts: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
/// assert_eq!(texts, ["华为", "发布", "mate", "70", "手机"]);
/// // Offsets slice the original (Traditional) text.
/// assert_eq!(&"華為發布Mate 70手機"[tokens[0].offset_from..tokens[0].offset_to], "華為");
/// ```
#[derive(Clone)]
pub struct Analyzer {
    inner: Arc<AnalyzerInner>,
    /// Query synonyms, analysed by this analyzer ([`Analyzer::with_synonyms`]).
    synonyms: Option<Arc<synonyms::AnalysedSynonyms>>,
}

struct AnalyzerInner {
    segmenter: Arc<ChineseSegmenter>,
    remove_english_stop_words: bool,
    index_sub_words: bool,
    hmm: bool,
    folder: &'static ScriptFolder,
    stemmer: frostem::Stemmer,
    dictionary: Option<UserDictionary>,
    identity: AnalyzerIdentity,
    /// Scratches lent to highlighters, kept between searches so that their stem caches
    /// stay warm: an article's English words are then looked up, not stemmed again.
    scratches: Mutex<Vec<Scratch>>,
}

/// Scratches an analyzer keeps for reuse, about one per search running at once.
const POOLED_SCRATCHES: usize = 16;

/// Builds an [`Analyzer`] with options.
///
/// ```
/// use newsdex::{AnalysisMode, Analyzer};
///
/// let analyzer = Analyzer::builder().remove_english_stop_words(true).build();
/// let words: Vec<String> = analyzer.analyze("the rise of tariffs", AnalysisMode::Query).into_iter().map(|t| t.text).collect();
/// assert_eq!(words, ["rise", "tariff"]);
/// ```
#[derive(Debug, Clone)]
pub struct AnalyzerBuilder {
    dictionary: Option<UserDictionary>,
    remove_english_stop_words: bool,
    index_sub_words: bool,
    hmm: bool,
}

impl Default for AnalyzerBuilder {
    fn default() -> Self {
        AnalyzerBuilder {
            dictionary: None,
            remove_english_stop_words: false,
            index_sub_words: true,
            hmm: true,
        }
    }
}

impl AnalyzerBuilder {
    /// Extends jieba's dictionary with a user dictionary.
    pub fn user_dictionary(mut self, dictionary: UserDictionary) -> AnalyzerBuilder {
        self.dictionary = Some(dictionary);
        self
    }

    /// Leaves out English stop words (Lucene's list: `a`, `the`, `of`…), keeping their
    /// positions. Off by default: see ARCHITECTURE.md for the measurement behind that.
    pub fn remove_english_stop_words(mut self, remove: bool) -> AnalyzerBuilder {
        self.remove_english_stop_words = remove;
        self
    }

    /// Whether index mode adds sub-words (on by default). Without them the index is
    /// smaller and builds faster, but `大桥` no longer finds `长江大桥` and `covid` no
    /// longer finds `COVID-19`.
    pub fn index_sub_words(mut self, index: bool) -> AnalyzerBuilder {
        self.index_sub_words = index;
        self
    }

    /// Whether jieba's hidden Markov model joins characters outside the dictionary
    /// into new words (on by default, as in jieba).
    pub fn hmm(mut self, enabled: bool) -> AnalyzerBuilder {
        self.hmm = enabled;
        self
    }

    /// The analyzer.
    pub fn build(self) -> Analyzer {
        Analyzer::build(self)
    }
}

/// Lucene's English stop words, the list Elasticsearch's `_english_` uses.
const ENGLISH_STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
    "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to",
    "was", "will", "with",
];

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analyzer").field("identity", &self.inner.identity).finish()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

impl Analyzer {
    /// An analyzer with jieba's own dictionary.
    pub fn new() -> Analyzer {
        Analyzer::builder().build()
    }

    /// An analyzer with jieba's dictionary extended by a user dictionary.
    pub fn with_user_dictionary(dictionary: UserDictionary) -> Analyzer {
        Analyzer::builder().user_dictionary(dictionary).build()
    }

    /// A builder for analyzers with non-default options.
    pub fn builder() -> AnalyzerBuilder {
        AnalyzerBuilder::default()
    }

    fn build(options: AnalyzerBuilder) -> Analyzer {
        let AnalyzerBuilder { dictionary, remove_english_stop_words, index_sub_words, hmm } = options;
        let segmenter = ChineseSegmenter::shared(dictionary.as_ref());
        let identity = AnalyzerIdentity {
            name: ANALYZER_NAME.to_string(),
            version: ANALYZER_VERSION,
            dictionary: dictionary
                .as_ref()
                .map_or_else(|| "none".to_string(), |d| format!("{:016x}", d.fingerprint())),
            english_stop_words_removed: remove_english_stop_words,
            sub_words_indexed: index_sub_words,
            hmm,
        };
        Analyzer {
            synonyms: None,
            inner: Arc::new(AnalyzerInner {
                segmenter,
                remove_english_stop_words,
                index_sub_words,
                hmm,
                folder: ScriptFolder::shared(),
                stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
                dictionary,
                identity,
                scratches: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A scratch from the analyzer's pool (or a new one), for a highlighter to use and
    /// hand back with [`Analyzer::return_scratch`].
    pub(crate) fn take_scratch(&self) -> Scratch {
        self.inner.scratches.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default()
    }

    /// A buffer whose scratch comes from the analyzer's pool, with its warm stem cache,
    /// for analysing articles' text during a search; hand it back with
    /// [`Analyzer::return_buffer`].
    pub(crate) fn take_buffer(&self) -> AnalysisBuffer {
        AnalysisBuffer { scratch: self.take_scratch(), tokens: TokenBuffer::default() }
    }

    /// Keeps the scratch of a buffer from [`Analyzer::take_buffer`] for the next search.
    pub(crate) fn return_buffer(&self, buffer: AnalysisBuffer) {
        self.return_scratch(buffer.scratch);
    }

    /// Keeps a scratch for the next search, unless the pool is full.
    pub(crate) fn return_scratch(&self, scratch: Scratch) {
        let mut pool = self.inner.scratches.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < POOLED_SCRATCHES {
            pool.push(scratch);
        }
    }

    /// This analyzer, searching each query word that one of `synonyms`' groups holds as
    /// any word of the group too (`Trump` as `特朗普` and `川普`), as Elasticsearch's
    /// search-time synonyms do. Indexing is unchanged, and so is the analyzer's
    /// identity: an index opens with synonyms or without. An entry of several words
    /// (`electric vehicle`) is searched as a phrase when another entry of its group is
    /// typed; typed itself, as plain words in order or quoted, it means those words or
    /// any other entry of its group.
    ///
    /// ```
    /// use newsdex::{Analyzer, Synonyms};
    ///
    /// let synonyms = Synonyms::parse("news.txt", "特朗普, 川普, Trump").unwrap();
    /// let analyzer = Analyzer::new().with_synonyms(&synonyms);
    /// assert_eq!(analyzer.identity(), Analyzer::new().identity());
    /// ```
    pub fn with_synonyms(mut self, synonyms: &Synonyms) -> Analyzer {
        self.synonyms = Some(Arc::new(synonyms::AnalysedSynonyms::new(synonyms, &self)));
        self
    }

    /// The synonyms of an analysed query word (see [`Analyzer::with_synonyms`]).
    pub(crate) fn synonyms_of(&self, word: &str) -> &[Synonym] {
        self.synonyms.as_deref().map_or(&[], |synonyms| synonyms.of(word))
    }

    /// The synonym entry of several words `words` (analysed query words in order) begins
    /// with, the longest, and the other entries of its groups.
    pub(crate) fn synonym_phrase_at(&self, words: &[&str]) -> Option<(&Synonym, &[Synonym])> {
        self.synonyms.as_deref()?.longest_phrase_at(words)
    }

    /// Loads jieba's dictionary (and the user dictionary) now, if this process has not
    /// yet: about 140 ms and 60 MB (`newsdex eval startup`). Otherwise it loads when the
    /// analyzer first meets Han text, so English-only work never pays for it. Call it
    /// before timing a build or serving queries, so the first Chinese text or query does
    /// not wait for the load.
    pub fn load_dictionary(&self) {
        self.inner.segmenter.load();
    }

    /// Whether jieba's dictionary is loaded (see [`Analyzer::load_dictionary`]).
    pub fn is_dictionary_loaded(&self) -> bool {
        self.inner.segmenter.is_loaded()
    }

    /// The identity recorded in indexes this analyzer builds.
    pub fn identity(&self) -> &AnalyzerIdentity {
        &self.inner.identity
    }

    /// The user dictionary, if any.
    pub fn user_dictionary(&self) -> Option<&UserDictionary> {
        self.inner.dictionary.as_ref()
    }

    /// Analyzes `text` into `buffer`, returning its tokens in position order, borrowed
    /// from the buffer: no allocation per token, and none at all once the buffer has grown
    /// to fit. For analysing many texts.
    ///
    /// ```
    /// use newsdex::{AnalysisBuffer, AnalysisMode, Analyzer};
    ///
    /// let analyzer = Analyzer::new();
    /// let mut buffer = AnalysisBuffer::default();
    /// for text in ["臺灣半導體", "Exporters brace for tariffs"] {
    ///     let words: Vec<&str> = analyzer.analyze_with(text, AnalysisMode::Query, &mut buffer).map(|t| t.text).collect();
    ///     assert_eq!(words.len(), if text.is_ascii() { 4 } else { 2 });
    /// }
    /// ```
    pub fn analyze_with<'b>(
        &self,
        text: &str,
        mode: AnalysisMode,
        buffer: &'b mut AnalysisBuffer,
    ) -> impl Iterator<Item = TokenRef<'b>> + 'b {
        self.analyze_into(text, mode, &mut buffer.scratch, &mut buffer.tokens, &mut |_| true);
        buffer.tokens.iter()
    }

    /// [`Analyzer::analyze_with`] without segmenting Chinese: each Han run gives no
    /// token (positions advance as past one word), for callers looking for other words.
    pub(crate) fn analyze_outside_han_with<'b>(
        &self,
        text: &str,
        mode: AnalysisMode,
        buffer: &'b mut AnalysisBuffer,
    ) -> impl Iterator<Item = TokenRef<'b>> + 'b {
        self.analyze_into(text, mode, &mut buffer.scratch, &mut buffer.tokens, &mut |_| false);
        buffer.tokens.iter()
    }

    /// Analyzes `text`, returning its tokens in position order.
    pub fn analyze(&self, text: &str, mode: AnalysisMode) -> Vec<Token> {
        let mut scratch = Scratch::default();
        let mut tokens = TokenBuffer::default();
        self.analyze_into(text, mode, &mut scratch, &mut tokens, &mut |_| true);
        tokens.iter().map(|token| token.to_token()).collect()
    }

    /// Word segmentation for evaluation against gold data: the precise words as byte
    /// ranges, plus every other non-whitespace character as a word of its own (a run of
    /// one repeated symbol, such as `……`, as one word). Ranges are in order and cover every
    /// non-whitespace character exactly once.
    pub fn segment(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        let words = self.analyze(text, AnalysisMode::Query);
        let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(words.len() * 2);
        let mut cursor = 0;
        let fill = |from: usize, to: usize, spans: &mut Vec<std::ops::Range<usize>>| {
            let mut chars = text[from..to].char_indices().peekable();
            while let Some((offset, c)) = chars.next() {
                if c.is_whitespace() {
                    continue;
                }
                let start = from + offset;
                let mut end = start + c.len_utf8();
                while let Some(&(next_offset, next)) = chars.peek() {
                    if next != c {
                        break;
                    }
                    end = from + next_offset + next.len_utf8();
                    chars.next();
                }
                spans.push(start..end);
            }
        };
        for word in &words {
            if word.offset_from < cursor {
                // Several words from one original character (`½` is `1⁄2`): one span.
                if let Some(last) = spans.last_mut() {
                    last.end = last.end.max(word.offset_to);
                }
                cursor = cursor.max(word.offset_to);
                continue;
            }
            if word.offset_from > cursor {
                fill(cursor, word.offset_from, &mut spans);
            }
            spans.push(word.offset_from..word.offset_to);
            cursor = word.offset_to;
        }
        fill(cursor, text.len(), &mut spans);
        spans
    }

    /// A tantivy tokenizer running this analyzer in index mode.
    pub fn tokenizer(&self) -> NewsTokenizer {
        NewsTokenizer::new(self.clone())
    }

    /// What the indexed words a typed prefix (`semicond*`, `半導*`) stands for begin with:
    /// the prefix as text is indexed — normalised, lowercased, folded to Simplified —
    /// without segmenting or stemming it, and, when analysis reads it as one word of a
    /// different form (an English stem: `happy` → `happi`), that form too. Characters
    /// that are neither letters nor digits are left off both ends. Empty when fewer
    /// than `min_chars` characters are left.
    pub(crate) fn prefix_forms(&self, prefix: &str, min_chars: usize) -> Vec<String> {
        let mut normalized = String::with_capacity(prefix.len());
        for c in prefix.chars() {
            normalize_char(c, |c| normalized.push(c));
        }
        let trimmed = normalized.trim_matches(|c: char| !c.is_alphanumeric());
        if trimmed.chars().count() < min_chars {
            return Vec::new();
        }
        let mut forms = vec![trimmed.to_string()];
        if trimmed.chars().any(is_han) {
            ScriptFolder::shared().fold_run(trimmed, &mut forms[0]);
        }
        if let [word] = self.analyze(prefix, AnalysisMode::Query).as_slice()
            && word.text.chars().count() >= min_chars
            && !forms.contains(&word.text)
        {
            forms.push(word.text.clone());
        }
        forms
    }

    /// The other region's wordings of a query word (`word` is analysed text): `软件` is
    /// `軟體` in Taiwan, which analysis reads as `软体`; `软体` is `软件` on the mainland.
    /// Each comes as the words analysis reads it as (one, or several to be searched as a
    /// phrase) and as the region writes it. Only Chinese words have any, and only pairs
    /// whose Taiwan word is rare on the mainland (see `regional.rs`).
    pub(crate) fn other_wordings(&self, word: &str) -> Vec<OtherWording> {
        if word.is_empty() || !word.chars().all(is_han) {
            return Vec::new();
        }
        let Some(tables) = regional::RegionalTables::shared() else { return Vec::new() };
        let mut wordings = Vec::new();
        for (region, written) in tables.wordings(word) {
            let words: Vec<String> =
                self.analyze(&written, AnalysisMode::Query).into_iter().map(|token| token.text).collect();
            let joined = words.concat();
            if words.is_empty() || joined == word || !joined.chars().all(is_han) {
                continue;
            }
            let (mainland, taiwan) = match region {
                Region::Taiwan => (word, joined.as_str()),
                Region::Mainland => (joined.as_str(), word),
            };
            let segmenter = &self.inner.segmenter;
            if segmenter.frequency(taiwan).saturating_mul(regional::RARER_BY) < segmenter.frequency(mainland)
            {
                wordings.push(OtherWording { words, written, region });
            }
        }
        wordings
    }

    /// Whether `word`, Chinese in Simplified characters, is a word of the segmenter's
    /// dictionary (jieba's own and the user dictionary's).
    pub(crate) fn is_dictionary_word(&self, word: &str) -> bool {
        self.inner.segmenter.has_word(word)
    }

    /// How often jieba's dictionary (with the user dictionary) counts `word`, Simplified
    /// Chinese; 0 for a word it does not have.
    pub(crate) fn dictionary_frequency(&self, word: &str) -> usize {
        if self.is_dictionary_word(word) { self.inner.segmenter.frequency(word) } else { 0 }
    }

    /// Simplified `text` in Traditional characters (`上涨` → `上漲`); as it is when
    /// OpenCC's tables did not load.
    pub(crate) fn traditional(text: &str) -> String {
        regional::RegionalTables::shared().map_or_else(|| text.to_string(), |tables| tables.traditional(text))
    }

    /// The Simplified form of a Chinese character, as analysis folds it outside any
    /// phrase (`讀` → `读`).
    pub(crate) fn simplified(c: char) -> char {
        fold::ScriptFolder::shared().fold_char(c)
    }

    /// The parts an alphanumeric word is indexed with besides itself (`iphone15` →
    /// `iphon`, `15`), in order; empty for anything else. `word` is analysed text.
    pub(crate) fn alphanumeric_parts(&self, word: &str) -> Vec<String> {
        if word.chars().any(is_han) {
            return Vec::new();
        }
        self.analyze(word, AnalysisMode::Index)
            .into_iter()
            .filter(|token| token.kind == TokenKind::SubWord)
            .map(|token| token.text)
            .collect()
    }

    /// The engine of every public entry point: analyzes `text` into `out` (cleared
    /// first), reusing `scratch`. `segment_han_run` sees each folded Han run and may
    /// return `false` to skip segmenting it (the highlighter skips runs that cannot
    /// contain a query term); positions then advance as if the run had one word.
    pub(crate) fn analyze_into(
        &self,
        text: &str,
        mode: AnalysisMode,
        scratch: &mut Scratch,
        out: &mut TokenBuffer,
        segment_han_run: &mut dyn FnMut(&str) -> bool,
    ) {
        self.analyze_text(text, mode, scratch, out, segment_han_run, true);
    }

    /// [`Analyzer::analyze_into`], with or without the bulk path for plain ASCII words
    /// (the two must give the same tokens).
    fn analyze_text(
        &self,
        text: &str,
        mode: AnalysisMode,
        scratch: &mut Scratch,
        out: &mut TokenBuffer,
        segment_han_run: &mut dyn FnMut(&str) -> bool,
        bulk_ascii_words: bool,
    ) {
        let mut positions = Positions::default();
        self.analyze_part(
            text,
            0..text.len(),
            mode,
            scratch,
            out,
            &mut positions,
            segment_han_run,
            bulk_ascii_words,
        );
    }

    /// Analyzes the bytes `part` of `text` into `out` (cleared first), continuing from
    /// `positions`, which it leaves where the next part goes on. A text cut into parts
    /// right after characters that separate words or end sentences (after which nothing
    /// carries over but positions) gives, part after part, the tokens of the whole: so a
    /// long text is indexed a part at a time, its tokens never all held at once.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn analyze_part(
        &self,
        text: &str,
        part: std::ops::Range<usize>,
        mode: AnalysisMode,
        scratch: &mut Scratch,
        out: &mut TokenBuffer,
        positions: &mut Positions,
        segment_han_run: &mut dyn FnMut(&str) -> bool,
        bulk_ascii_words: bool,
    ) {
        out.clear();
        scratch.reset();
        // Without sub-words, indexing is the precise segmentation, as for queries.
        let mode = if self.inner.index_sub_words { mode } else { AnalysisMode::Query };
        let mut pipeline = Pipeline {
            analyzer: &self.inner,
            text: &text[..part.end],
            mode,
            scratch,
            out,
            positions: *positions,
            segment_han_run,
        };
        let bytes = &text.as_bytes()[..part.end];
        let mut index = part.start;
        while index < bytes.len() {
            // Most Chinese text is unified ideographs (U+3400–U+9FFF, three bytes led by
            // 0xE3–0xE9): runs of them are taken in bulk.
            if (0xE3..=0xE9).contains(&bytes[index]) {
                let next = pipeline.push_han_run(index);
                if next > index {
                    index = next;
                    continue;
                }
            }
            // Most English text is plain words between spaces and punctuation: each is
            // taken whole, without collecting its characters one by one.
            if bulk_ascii_words && bytes[index].is_ascii_alphanumeric() {
                let next = pipeline.push_ascii_word(index);
                if next > index {
                    index = next;
                    continue;
                }
            }
            let Some(original) = text[index..].chars().next() else { break };
            let byte_end = index + original.len_utf8();
            let mut emitted = false;
            normalize_char(original, |normalized| {
                emitted = true;
                pipeline.push(normalized, index, byte_end);
            });
            if !emitted {
                pipeline.attach_to_run(index, byte_end);
            }
            index = byte_end;
        }
        pipeline.flush();
        *positions = pipeline.positions;
    }
}

/// Reusable buffers for [`Analyzer::analyze_with`].
#[derive(Default)]
pub struct AnalysisBuffer {
    scratch: Scratch,
    tokens: TokenBuffer,
}

/// Reusable buffers for one analysis at a time.
#[derive(Default)]
pub(crate) struct Scratch {
    /// The kind of the run being collected.
    run_kind: Option<RunKind>,
    /// Normalised characters of the current run.
    run_chars: Vec<char>,
    /// Original byte range of each character of the current run.
    run_offsets: Vec<(usize, usize)>,
    /// Where the current Han run's folded text starts in the token text buffer.
    han_text_start: usize,
    /// Characters in the current Han run.
    han_chars: usize,
    /// For a Han run of three-byte characters that fold to three-byte characters, where
    /// it starts in the original text: character `i` is at `start + 3i` in both texts, so
    /// no per-character offsets are kept. `None`: `run_offsets` holds them.
    implicit_han_start: Option<usize>,
    /// The folded characters of a Han run being refolded in context.
    folded_chars: Vec<char>,
    /// Indices of the current Han run's characters that only OpenCC can fold, in context.
    context_chars: Vec<usize>,
    /// For each token of a Han run in search mode, the smallest start of the tokens after it.
    earliest_later_start: Vec<usize>,
    /// Stems of English words seen by this scratch.
    stems: StemCache,
    /// Parts of the current alphanumeric block.
    parts: Vec<alnum::Part>,
    /// Text of the word being emitted.
    word: String,
}

impl Scratch {
    fn reset(&mut self) {
        self.run_kind = None;
        self.implicit_han_start = None;
        self.han_chars = 0;
        self.run_chars.clear();
        self.run_offsets.clear();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKind {
    Han,
    Alnum,
}

/// Tokens without a heap string each: their texts live in one shared buffer.
#[derive(Default)]
pub(crate) struct TokenBuffer {
    texts: String,
    tokens: Vec<RawToken>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RawToken {
    text_start: usize,
    text_end: usize,
    pub(crate) offset_from: usize,
    pub(crate) offset_to: usize,
    pub(crate) position: usize,
    pub(crate) kind: TokenKind,
}

/// A token borrowed from an [`AnalysisBuffer`]: like [`Token`], without owning its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRef<'a> {
    /// The normalised text.
    pub text: &'a str,
    /// Start byte offset in the original text.
    pub offset_from: usize,
    /// End byte offset (exclusive) in the original text.
    pub offset_to: usize,
    /// Position for phrase queries.
    pub position: usize,
    /// Word or sub-word.
    pub kind: TokenKind,
}

impl TokenRef<'_> {
    /// An owned copy.
    pub fn to_token(self) -> Token {
        Token {
            text: self.text.to_string(),
            offset_from: self.offset_from,
            offset_to: self.offset_to,
            position: self.position,
            kind: self.kind,
        }
    }
}

impl TokenBuffer {
    pub(crate) fn clear(&mut self) {
        self.texts.clear();
        self.tokens.clear();
    }

    fn push(&mut self, text: &str, offset_from: usize, offset_to: usize, position: usize, kind: TokenKind) {
        let text_start = self.texts.len();
        self.texts.push_str(text);
        self.tokens.push(RawToken {
            text_start,
            text_end: self.texts.len(),
            offset_from,
            offset_to,
            position,
            kind,
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.tokens.len()
    }

    pub(crate) fn get(&self, index: usize) -> Option<TokenRef<'_>> {
        self.tokens.get(index).map(|raw| TokenRef {
            text: &self.texts[raw.text_start..raw.text_end],
            offset_from: raw.offset_from,
            offset_to: raw.offset_to,
            position: raw.position,
            kind: raw.kind,
        })
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = TokenRef<'_>> {
        (0..self.tokens.len()).filter_map(|index| self.get(index))
    }
}

/// Assigns word positions, with a gap after each sentence end.
#[derive(Default, Clone, Copy)]
pub(crate) struct Positions {
    /// The position the next word takes.
    next: usize,
    /// A sentence ended since the last word.
    gap_requested: bool,
}

impl Positions {
    /// The next word's position; a pending sentence gap applies only after some word,
    /// so leading punctuation adds nothing.
    #[inline]
    fn take(&mut self) -> usize {
        if self.gap_requested {
            self.gap_requested = false;
            if self.next > 0 {
                self.next += SENTENCE_POSITION_GAP;
            }
        }
        let position = self.next;
        self.next += 1;
        position
    }
}

/// The state of one analysis pass.
struct Pipeline<'a> {
    analyzer: &'a AnalyzerInner,
    /// The text being analysed.
    text: &'a str,
    mode: AnalysisMode,
    scratch: &'a mut Scratch,
    out: &'a mut TokenBuffer,
    /// Word positions.
    positions: Positions,
    segment_han_run: &'a mut dyn FnMut(&str) -> bool,
}

impl Pipeline<'_> {
    /// Takes one normalised character, with the byte range of its original character.
    #[inline]
    fn push(&mut self, c: char, byte_start: usize, byte_end: usize) {
        match classify(c) {
            CharClass::Han => self.push_han(c, byte_start, byte_end),
            CharClass::Alnum => self.extend_run(RunKind::Alnum, c, byte_start, byte_end),
            CharClass::Connector => {
                if self.scratch.run_kind == Some(RunKind::Alnum) {
                    self.scratch.run_chars.push(c);
                    self.scratch.run_offsets.push((byte_start, byte_end));
                } else {
                    self.flush();
                    if c == '.' {
                        self.positions.gap_requested = true;
                    }
                }
            }
            CharClass::SentenceEnd => {
                self.flush();
                self.positions.gap_requested = true;
            }
            CharClass::Separator => self.flush(),
        }
    }

    /// Starts a Han run unless one is open.
    #[inline]
    fn open_han_run(&mut self, implicit_start: Option<usize>) {
        if self.scratch.run_kind != Some(RunKind::Han) {
            self.flush();
            self.scratch.run_kind = Some(RunKind::Han);
            self.scratch.han_text_start = self.out.texts.len();
            self.scratch.han_chars = 0;
            self.scratch.implicit_han_start = implicit_start;
            self.scratch.context_chars.clear();
        }
    }

    /// Turns the current Han run's implicit offsets into explicit ones.
    fn make_han_offsets_explicit(&mut self) {
        if let Some(start) = self.scratch.implicit_han_start.take() {
            self.scratch.run_offsets.clear();
            self.scratch
                .run_offsets
                .extend((0..self.scratch.han_chars).map(|i| (start + 3 * i, start + 3 * i + 3)));
        }
    }

    /// Takes one normalised Han character, folding it as it arrives: the folded run is
    /// written straight into the token text buffer, where its words will point.
    #[inline]
    fn push_han(&mut self, c: char, byte_start: usize, byte_end: usize) {
        self.open_han_run(None);
        self.make_han_offsets_explicit();
        let folding = self.analyzer.folder.folding(c);
        if folding.context_dependent {
            self.scratch.context_chars.push(self.scratch.han_chars);
        }
        self.out.texts.push(folding.folded);
        self.scratch.run_offsets.push((byte_start, byte_end));
        self.scratch.han_chars += 1;
    }

    /// Takes the run of unified ideographs starting at byte `start` of the text, in bulk;
    /// returns where it ends (`start` if there is none). Characters that fold to
    /// themselves are copied in slices; only the others are handled one by one.
    fn push_han_run(&mut self, start: usize) -> usize {
        let bytes = self.text.as_bytes();
        let folder = self.analyzer.folder;
        let mut index = start;
        let mut copied_until = start;
        while let [lead, second, third, ..] = bytes[index..] {
            if !(0xE3..=0xE9).contains(&lead) {
                break;
            }
            let code =
                (u32::from(lead & 0x0F) << 12) | (u32::from(second & 0x3F) << 6) | u32::from(third & 0x3F);
            if !((0x4E00..=0x9FFF).contains(&code) || (0x3400..=0x4DBF).contains(&code)) {
                break;
            }
            if index == start {
                self.open_han_run(Some(start));
            }
            if !folder.folds_to_itself(code) {
                self.copy_han_bytes(copied_until, index);
                if let Some(c) = char::from_u32(code) {
                    self.push_han_folding(c, index);
                }
                copied_until = index + 3;
            }
            index += 3;
        }
        self.copy_han_bytes(copied_until, index);
        index
    }

    /// Appends original bytes `from..to` (ideographs that fold to themselves) to the run.
    #[inline]
    fn copy_han_bytes(&mut self, from: usize, to: usize) {
        if from == to {
            return;
        }
        self.out.texts.push_str(&self.text[from..to]);
        let count = (to - from) / 3;
        if self.scratch.implicit_han_start.is_none() {
            self.scratch.run_offsets.extend((0..count).map(|i| (from + 3 * i, from + 3 * i + 3)));
        }
        self.scratch.han_chars += count;
    }

    /// Appends the folding of the three-byte ideograph `c` at byte `at` to the run.
    fn push_han_folding(&mut self, c: char, at: usize) {
        let folding = self.analyzer.folder.folding(c);
        if folding.context_dependent {
            self.scratch.context_chars.push(self.scratch.han_chars);
        }
        if self.scratch.implicit_han_start.is_some() && folding.folded.len_utf8() != 3 {
            self.make_han_offsets_explicit();
        }
        if self.scratch.implicit_han_start.is_none() {
            self.scratch.run_offsets.push((at, at + 3));
        }
        self.out.texts.push(folding.folded);
        self.scratch.han_chars += 1;
    }

    /// Takes the plain ASCII word starting at byte `start` whole, returning where it ends,
    /// or `start` when the word needs the general path: when it continues an open block,
    /// mixes letters and digits (it has parts), is followed by a connector (`COVID-19`,
    /// `China's`, `U.S.`) or by a character that is not ASCII (`café`), or is too long to
    /// be indexed. What it emits is what the general path would: one word, stemmed when
    /// it is letters.
    fn push_ascii_word(&mut self, start: usize) -> usize {
        if self.scratch.run_kind == Some(RunKind::Alnum) {
            return start;
        }
        let bytes = self.text.as_bytes();
        let length = bytes[start..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        let end = start + length;
        let plain_follower = bytes.get(end).is_none_or(|&b| {
            b.is_ascii() && matches!(classify(char::from(b)), CharClass::Separator | CharClass::SentenceEnd)
        });
        let word = &bytes[start..end];
        let one_part = word.iter().all(u8::is_ascii_alphabetic) || word.iter().all(u8::is_ascii_digit);
        if !plain_follower || !one_part || length > alnum::MAX_BLOCK_CHARS {
            return start;
        }
        self.flush();
        let position = self.positions.take();
        self.scratch.word.clear();
        self.scratch.word.push_str(&self.text[start..end]);
        self.scratch.word.make_ascii_lowercase();
        self.push_word(start, end, position);
        end
    }

    /// Emits the word in `scratch.word`, stemmed, at `position`, unless it is a stop word
    /// left out (its position stays taken, so phrases still see the gap). Returns whether
    /// it was emitted.
    fn push_word(&mut self, offset_from: usize, offset_to: usize, position: usize) -> bool {
        let scratch = &mut *self.scratch;
        if self.analyzer.remove_english_stop_words && ENGLISH_STOP_WORDS.contains(&scratch.word.as_str()) {
            return false;
        }
        self.out.push(
            scratch.stems.stem(&self.analyzer.stemmer, &scratch.word),
            offset_from,
            offset_to,
            position,
            TokenKind::Word,
        );
        true
    }

    #[inline]
    fn extend_run(&mut self, kind: RunKind, c: char, byte_start: usize, byte_end: usize) {
        if self.scratch.run_kind != Some(kind) {
            self.flush();
            self.scratch.run_kind = Some(kind);
        }
        self.scratch.run_chars.push(c);
        self.scratch.run_offsets.push((byte_start, byte_end));
    }

    /// Widens the current letters-and-digits run over an original character that
    /// normalises to nothing (a decomposed accent), so the word's offsets cover it; any
    /// other run ends there, as at a separator.
    fn attach_to_run(&mut self, byte_start: usize, byte_end: usize) {
        if self.scratch.run_kind != Some(RunKind::Alnum) {
            self.flush();
            return;
        }
        for offsets in self.scratch.run_offsets.iter_mut().rev().take_while(|offsets| offsets.1 == byte_start)
        {
            offsets.1 = byte_end;
        }
    }

    /// Ends the current run, emitting its tokens.
    fn flush(&mut self) {
        match self.scratch.run_kind.take() {
            Some(RunKind::Han) => self.flush_han(),
            Some(RunKind::Alnum) => self.flush_alnum(),
            None => {}
        }
        self.scratch.run_chars.clear();
        self.scratch.run_offsets.clear();
        self.scratch.implicit_han_start = None;
    }

    fn flush_han(&mut self) {
        let start = self.scratch.han_text_start;
        if !self.scratch.context_chars.is_empty() {
            self.make_han_offsets_explicit();
            let scratch = &mut *self.scratch;
            // The run before folding, rebuilt from the original text: OpenCC needs it.
            scratch.run_chars.clear();
            let mut previous = None;
            for &(from, to) in &scratch.run_offsets {
                if previous == Some(from) {
                    continue;
                }
                previous = Some(from);
                for original in self.text[from..to].chars() {
                    normalize_char(original, |normalized| {
                        if classify(normalized) == CharClass::Han {
                            scratch.run_chars.push(normalized);
                        }
                    });
                }
            }
            scratch.folded_chars.clear();
            scratch.folded_chars.extend(self.out.texts[start..].chars());
            self.analyzer.folder.refold_in_context(
                &scratch.run_chars,
                &scratch.context_chars,
                &mut scratch.folded_chars,
            );
            self.out.texts.truncate(start);
            self.out.texts.extend(scratch.folded_chars.iter());
            scratch.run_chars.clear();
        }
        if !(self.segment_han_run)(&self.out.texts[start..]) {
            self.out.texts.truncate(start);
            self.positions.take();
            return;
        }
        let analyzer = self.analyzer;
        let segmenter = &analyzer.segmenter;
        let TokenBuffer { texts, tokens } = &mut *self.out;
        let offsets = &self.scratch.run_offsets;
        let implicit_start = self.scratch.implicit_han_start;
        let positions = &mut self.positions;
        let mut emit =
            |byte_start: usize, byte_end: usize, first_char: usize, end_char: usize, position, kind| {
                let (offset_from, offset_to) = match implicit_start {
                    // Folded and original bytes line up one to one.
                    Some(original_start) => (original_start + byte_start, original_start + byte_end),
                    None => {
                        let (Some(first), Some(last)) =
                            (offsets.get(first_char), end_char.checked_sub(1).and_then(|i| offsets.get(i)))
                        else {
                            debug_assert!(false, "jieba token {first_char}..{end_char} outside its run");
                            return;
                        };
                        (first.0, last.1)
                    }
                };
                tokens.push(RawToken {
                    text_start: start + byte_start,
                    text_end: start + byte_end,
                    offset_from,
                    offset_to,
                    position,
                    kind,
                });
            };
        let run = &texts[start..];
        if self.scratch.han_chars == 1 {
            // A lone character is a word; no need to ask jieba.
            emit(0, run.len(), 0, 1, positions.take(), TokenKind::Word);
            return;
        }
        if self.mode == AnalysisMode::Query {
            for word in segmenter.cut(run, self.analyzer.hmm) {
                let position = positions.take();
                emit(word.byte_start, word.byte_end, word.start, word.end, position, TokenKind::Word);
            }
            return;
        }
        // Index mode: jieba's search mode lists each precise word after the dictionary
        // words inside it (its sub-words). A token is a word exactly when no later token
        // starts before its end: every sub-word is followed by its word, which starts at
        // or before the sub-word, while everything after a word starts at or after its end.
        let tokens = segmenter.cut_for_search(run, self.analyzer.hmm);
        let earliest_later_start = &mut self.scratch.earliest_later_start;
        earliest_later_start.clear();
        earliest_later_start.resize(tokens.len(), usize::MAX);
        for index in (0..tokens.len().saturating_sub(1)).rev() {
            earliest_later_start[index] = earliest_later_start[index + 1].min(tokens[index + 1].start);
        }
        let mut reserved = None;
        for (token, earliest_later) in tokens.iter().zip(earliest_later_start.iter()) {
            let is_word = *earliest_later >= token.end;
            // Sub-words come first and take the position their word will have.
            let position = *reserved.get_or_insert_with(|| positions.take());
            let kind = if is_word {
                reserved = None;
                TokenKind::Word
            } else {
                TokenKind::SubWord
            };
            emit(token.byte_start, token.byte_end, token.start, token.end, position, kind);
        }
    }

    fn flush_alnum(&mut self) {
        let analyzer = self.analyzer;
        let chars = &self.scratch.run_chars;
        // Trailing connectors end the block, except `+`/`#` right after an alphanumeric
        // (`C++`, `C#`); a trailing `.` ends the sentence.
        let mut end = chars.len();
        let mut ends_sentence = false;
        while end > 0 && classify(chars[end - 1]) == CharClass::Connector {
            let symbols = chars[..end].iter().rev().take_while(|&&c| c == '+' || c == '#').count();
            if symbols > 0 && end > symbols && chars[end - symbols - 1].is_alphanumeric() {
                break;
            }
            ends_sentence |= chars[end - 1] == '.';
            end -= 1;
        }
        // `U.S.` and `e.g.`: single letters between dots abbreviate, they do not end a sentence.
        if ends_sentence && is_abbreviation(&chars[..end]) {
            ends_sentence = false;
        }
        let word_end = alnum::strip_possessive(&chars[..end]);
        if word_end > 0 && word_end <= alnum::MAX_BLOCK_CHARS {
            let position = self.positions.take();
            let offset_from = self.scratch.run_offsets[0].0;
            let offset_to = self.scratch.run_offsets[end - 1].1;
            alnum::word_text(&self.scratch.run_chars[..word_end], &mut self.scratch.word);
            let whole_index = self.out.len();
            if self.push_word(offset_from, offset_to, position) && self.mode == AnalysisMode::Index {
                let scratch = &mut *self.scratch;
                alnum::parts(&scratch.run_chars[..word_end], &mut scratch.parts);
                if scratch.parts.len() > 1 {
                    for part in &scratch.parts {
                        alnum::word_text(&scratch.run_chars[part.start..part.end], &mut scratch.word);
                        let text = scratch.stems.stem(&analyzer.stemmer, &scratch.word);
                        let seen = (whole_index..self.out.len())
                            .any(|index| self.out.get(index).is_some_and(|token| token.text == text));
                        if !seen {
                            let from = scratch.run_offsets[part.start].0;
                            let to = scratch.run_offsets[part.end - 1].1;
                            self.out.push(text, from, to, position, TokenKind::SubWord);
                        }
                    }
                }
            }
        }
        if ends_sentence {
            self.positions.gap_requested = true;
        }
    }
}

/// Whether a block is single letters joined by dots (`u.s`, `e.g`).
fn is_abbreviation(chars: &[char]) -> bool {
    chars.len() >= 3
        && chars.iter().enumerate().all(
            |(index, &c)| {
                if index % 2 == 0 { c.is_alphabetic() } else { c == '.' }
            },
        )
}

/// Stems of English words already seen: news vocabulary repeats, and a lookup is several
/// times cheaper than the Snowball stemmer.
///
/// Words of up to [`Packed::MAX_BYTES`] bytes (nearly all) are held with their stems in
/// the slots of the table itself, so a lookup reads the table and nothing else: held
/// behind pointers, a word and its stem cost two more cache misses each time, which on
/// English text was about a seventh of a whole index build.
#[derive(Default)]
pub(crate) struct StemCache {
    short: rustc_hash::FxHashMap<u128, Packed>,
    long: rustc_hash::FxHashMap<Box<str>, Box<str>>,
    /// The stem last answered from `short`, which the answer borrows.
    last: Packed,
}

/// Where the stemmed part of `word` starts: the whole word, or the part after the last
/// connector when that part is an English word of three letters or more; `None` when
/// nothing is stemmed (the English stemmer leaves words of one or two letters as they
/// are).
fn stemmed_from(word: &str) -> Option<usize> {
    if word.len() <= 2 {
        return None;
    }
    if alnum::is_stemmable(word) {
        return Some(0);
    }
    word.rfind(|c: char| !c.is_alphanumeric())
        .map(|connector| connector + 1)
        .filter(|&part| word.len() - part >= 3 && alnum::is_stemmable(&word[part..]))
}

/// `word` with its part from `last_part` on stemmed.
fn stemmed(stemmer: &frostem::Stemmer, word: &str, last_part: usize) -> String {
    let stem = stemmer.stem(&word[last_part..]);
    if last_part == 0 { stem.into_owned() } else { format!("{}{stem}", &word[..last_part]) }
}

/// Up to [`Packed::MAX_BYTES`] bytes of text in one `u128`'s bytes, the last byte being
/// its length: equal texts are equal keys, and a key is compared in two instructions.
#[derive(Clone, Copy, Default)]
struct Packed([u8; 16]);

impl Packed {
    const MAX_BYTES: usize = 15;

    fn new(text: &str) -> Option<Packed> {
        if text.len() > Self::MAX_BYTES {
            return None;
        }
        let mut bytes = [0; 16];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        bytes[15] = u8::try_from(text.len()).ok()?;
        Some(Packed(bytes))
    }

    fn key(self) -> u128 {
        u128::from_le_bytes(self.0)
    }

    fn as_str(&self) -> &str {
        // The bytes are those of a `str` up to its length, so this never fails.
        std::str::from_utf8(&self.0[..usize::from(self.0[15])]).unwrap_or_default()
    }
}

impl StemCache {
    /// Words remembered before the cache starts over.
    const CAPACITY: usize = 1 << 16;

    /// The stem of an English word, and of a block whose last part is one (`x-rays` →
    /// `x-ray`, `start-ups` → `start-up`), so the block is found in any inflection;
    /// anything else is returned as it is.
    fn stem<'a>(&'a mut self, stemmer: &frostem::Stemmer, word: &'a str) -> &'a str {
        let Some(last_part) = stemmed_from(word) else { return word };
        if let Some(packed) = Packed::new(word) {
            // The stem is copied out of the table, so that the table is free to change.
            if let Some(&stem) = self.short.get(&packed.key()) {
                self.last = stem;
                return self.last.as_str();
            }
            if let Some(stem) = Packed::new(&stemmed(stemmer, word, last_part)) {
                self.make_room();
                self.short.insert(packed.key(), stem);
                self.last = stem;
                return self.last.as_str();
            }
        }
        if !self.long.contains_key(word) {
            let stem = stemmed(stemmer, word, last_part);
            self.make_room();
            self.long.insert(Box::from(word), stem.into_boxed_str());
        }
        self.long.get(word).map_or(word, |stem| stem)
    }

    /// Starts over when full.
    fn make_room(&mut self) {
        if self.len() >= Self::CAPACITY {
            self.short.clear();
            self.long.clear();
        }
    }

    /// Words remembered.
    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Text built from pieces that exercise where plain ASCII words end: connectors,
    /// possessives, stop words, sentence ends, letters beside digits, accents, Han.
    fn mixed_pieces() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z]{1,8}",
            "[0-9]{1,4}",
            "[a-zA-Z0-9]{1,6}",
            Just("the".to_string()),
            Just("The".to_string()),
            "[ .,;'’!?&#+/_\n-]{1,2}",
            Just("’s".to_string()),
            Just("é".to_string()),
            Just("ＡＩ".to_string()),
            "[中国华为经济市场。，]{1,3}",
        ];
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    #[test]
    fn english_alone_does_not_load_the_chinese_dictionary() {
        // A dictionary of its own: no other test shares (and loads) this segmenter.
        let dictionary = UserDictionary::parse("english-only", "双语新闻检索 100 n\n").expect("valid");
        let analyzer = Analyzer::with_user_dictionary(dictionary);
        for mode in [AnalysisMode::Index, AnalysisMode::Query] {
            let tokens = analyzer.analyze("The U.S. central bank's COVID-19 report, iPhone15 sales", mode);
            assert!(tokens.iter().any(|token| token.text == "report"), "{tokens:?}");
        }
        assert!(!analyzer.is_dictionary_loaded(), "help: English text must not load jieba");
        let tokens = analyzer.analyze("双语新闻检索上线", AnalysisMode::Query);
        assert_eq!(tokens[0].text, "双语新闻检索");
        assert!(analyzer.is_dictionary_loaded());
    }

    #[test]
    fn prefixes_are_normalised_folded_and_also_stemmed() {
        let analyzer = Analyzer::new();
        let forms = |prefix: &str| analyzer.prefix_forms(prefix, 2);
        assert_eq!(forms("半導"), ["半导"]);
        assert_eq!(forms("Semicond"), ["semicond"]);
        assert_eq!(forms("Happy"), ["happy", "happi"]);
        assert_eq!(forms("ＣＯＶＩＤ-1"), ["covid-1"]);
        assert_eq!(forms("(iphone"), ["iphone", "iphon"]);
        assert!(forms("a").is_empty() && forms("半").is_empty() && forms("-a-").is_empty());
    }

    proptest! {
        #[test]
        fn plain_ascii_words_in_bulk_give_the_general_paths_tokens(text in mixed_pieces()) {
            let analyzers = [Analyzer::new(), Analyzer::builder().remove_english_stop_words(true).build()];
            for analyzer in &analyzers {
                for mode in [AnalysisMode::Index, AnalysisMode::Query] {
                    let tokens = |bulk: bool| {
                        let mut out = TokenBuffer::default();
                        analyzer.analyze_text(&text, mode, &mut Scratch::default(), &mut out, &mut |_| true, bulk);
                        out.iter().map(TokenRef::to_token).collect::<Vec<_>>()
                    };
                    prop_assert_eq!(tokens(true), tokens(false), "{:?} in {:?} mode", text, mode);
                }
            }
        }

        #[test]
        fn the_stem_cache_answers_as_the_stemmer_for_short_and_long_words_seen_or_not(
            words in prop::collection::vec("[a-z]{1,20}|[a-z0-9]{1,6}-[a-z]{1,14}|[a-z]{1,4}[.'][a-z]{1,4}", 1..40),
        ) {
            let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
            let expected = |word: &str| -> String {
                stemmed_from(word).map_or_else(|| word.to_string(), |part| stemmed(&stemmer, word, part))
            };
            let mut cache = StemCache::default();
            // Each word twice, the second time after the others: answered by the stemmer,
            // then from the cache.
            for word in words.iter().chain(&words) {
                prop_assert_eq!(cache.stem(&stemmer, word), expected(word), "{:?}", word);
            }
        }
    }

    #[test]
    fn the_stem_cache_answers_alike_before_and_after_it_starts_over() {
        let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
        let mut cache = StemCache::default();
        assert_eq!(cache.stem(&stemmer, "running"), "run");
        assert_eq!(cache.stem(&stemmer, "running"), "run", "help: a cached stem must be the same");
        assert_eq!(cache.stem(&stemmer, "g20"), "g20", "help: only lowercase letters are stemmed");
        for first in 'a'..='z' {
            for word in
                std::iter::once(first.to_string()).chain(('a'..='z').map(|second| format!("{first}{second}")))
            {
                assert_eq!(stemmer.stem(&word), word, "help: the cache skips the stemmer for two letters");
            }
        }
        let word = |n: usize| -> String {
            (0..4).map(|i| char::from(b'a' + (n / 26usize.pow(i) % 26) as u8)).collect()
        };
        for n in 0..=StemCache::CAPACITY {
            cache.stem(&stemmer, &word(n));
        }
        assert!(cache.len() <= StemCache::CAPACITY);
        assert_eq!(cache.stem(&stemmer, "markets"), "market");
        assert_eq!(cache.stem(&stemmer, "running"), "run");
    }

    fn texts(text: &str, mode: AnalysisMode) -> Vec<String> {
        Analyzer::new().analyze(text, mode).into_iter().map(|t| t.text).collect()
    }

    fn words(text: &str) -> Vec<String> {
        texts(text, AnalysisMode::Query)
    }

    /// `text@position` for every token, sub-words marked with `*`.
    fn stream(text: &str, mode: AnalysisMode) -> String {
        Analyzer::new()
            .analyze(text, mode)
            .iter()
            .map(|t| {
                let star = if t.kind == TokenKind::SubWord { "*" } else { "" };
                format!("{}@{}{star}", t.text, t.position)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn mixed_script_text_needs_no_language_flag() {
        let table: &[(&str, &[&str])] = &[
            ("华为发布Mate 70手机", &["华为", "发布", "mate", "70", "手机"]),
            ("特朗普 tariff", &["特朗普", "tariff"]),
            ("苹果iPhone15销量", &["苹果", "iphone15", "销量"]),
        ];
        for (text, expected) in table {
            assert_eq!(words(text), *expected, "help: script runs of {text}");
        }
    }

    #[test]
    fn offsets_slice_the_original_text() {
        let text = "\n😀ＡＩ芯片，𡃁仔記 China’s COVID-19 藥物";
        for token in Analyzer::new().analyze(text, AnalysisMode::Index) {
            assert!(
                text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to),
                "help: {token:?} is not on char boundaries — jieba char and byte offsets mixed up?"
            );
        }
        let tokens = Analyzer::new().analyze(text, AnalysisMode::Query);
        let slices: Vec<&str> = tokens.iter().map(|t| &text[t.offset_from..t.offset_to]).collect();
        assert_eq!(slices, ["ＡＩ", "芯片", "𡃁", "仔記", "China’s", "COVID-19", "藥物"]);
    }

    #[test]
    fn offsets_hold_across_bulk_and_per_character_han() {
        // Unified ideographs take the bulk path with implicit offsets; Extension B, a
        // compatibility ideograph (U+F900), 〇 and a phrase-dependent character (瞭) force
        // explicit offsets part-way through a run.
        let text = "華為𡃁發布二〇二四年\u{F900}瞭解市場長江大橋";
        for mode in [AnalysisMode::Index, AnalysisMode::Query] {
            for token in Analyzer::new().analyze(text, mode) {
                let original = &text[token.offset_from..token.offset_to];
                let refolded: String = Analyzer::new()
                    .analyze(original, AnalysisMode::Query)
                    .into_iter()
                    .map(|t| t.text)
                    .collect();
                let expected: String = if token.text == "了解" { "了解".into() } else { refolded };
                assert_eq!(token.text, expected, "help: {token:?} does not come from {original:?}");
            }
        }
    }

    #[test]
    fn traditional_and_simplified_fold_together() {
        assert_eq!(words("臺灣半導體產業"), words("台湾半导体产业"));
        assert_eq!(words("軟體更新"), ["软体", "更新"]);
        assert_eq!(words("瞭解藉由"), words("了解借由"), "help: OpenCC phrases (瞭解→了解) must apply");
    }

    #[test]
    fn width_case_and_compatibility_forms_fold() {
        assert_eq!(words("ＡＩ１２３"), ["ai123"]);
        assert_eq!(words("ＡＩ１２３"), words("AI123"));
        assert_eq!(words("Ｇ２０峰會"), words("G20峰会"));
    }

    #[test]
    fn punctuation_and_whitespace_never_become_tokens() {
        assert_eq!(
            words("，。；：！？「」『』（）、…—— \u{3000}\t\n!?.,;:()[]{}<>\"'"),
            Vec::<String>::new()
        );
        assert_eq!(words("你好，世界！ hello, world."), ["你好", "世界", "hello", "world"]);
    }

    #[test]
    fn index_mode_puts_sub_words_at_their_words_position() {
        assert_eq!(
            stream("南京市长江大桥", AnalysisMode::Index),
            "南京@0* 京市@0* 南京市@0 长江@1* 大桥@1* 长江大桥@1",
            "help: sub-words must share their word's position or phrases break"
        );
        assert_eq!(stream("南京市长江大桥", AnalysisMode::Query), "南京市@0 长江大桥@1");
    }

    #[test]
    fn alphanumeric_blocks_stay_whole_with_their_parts() {
        let table: &[(&str, &str)] = &[
            ("COVID-19疫苗", "covid-19@0 covid@0* 19@0* 疫苗@1"),
            ("版本3.6.3发布", "版本@0 3.6.3@1 发布@2"),
            ("G20峰会", "g20@0 g@0* 20@0* 峰会@1"),
            ("iPhone15", "iphone15@0 iphon@0* 15@0*"),
            ("5G基站", "5g@0 5@0* g@0* 基站@1"),
            ("2024年", "2024@0 年@1"),
            ("Wi-Fi 7", "wi-fi@0 wi@0* fi@0* 7@1"),
            // A last part that is an English word is stemmed in the whole, so the block is
            // found in any inflection; digits and short parts stay as typed.
            ("X-rays", "x-ray@0 x@0* ray@0*"),
            ("start-ups", "start-up@0 start@0* up@0*"),
            ("U.S.", "u.s@0 u@0* s@0*"),
        ];
        for (text, expected) in table {
            assert_eq!(stream(text, AnalysisMode::Index), *expected, "help: alphanumerics of {text}");
        }
    }

    #[test]
    fn english_is_stemmed_after_possessives() {
        assert_eq!(words("China's tariffs"), ["china", "tariff"]);
        assert_eq!(words("exporters’ batteries"), ["export", "batteri"]);
        assert_eq!(words("C++ and C# don't"), ["c++", "and", "c#", "dont"]);
        assert_eq!(words("X-ray x-rays state-owned COVID-19s"), ["x-ray", "x-ray", "state-own", "covid-19s"]);
    }

    #[test]
    fn invisible_joiners_inside_a_word_keep_it_whole() {
        let text = "inter\u{AD}national 经\u{200D}济 foo\u{200B}bar";
        assert_eq!(words(text), ["internat", "经", "济", "foo", "bar"]);
        let tokens = Analyzer::new().analyze(text, AnalysisMode::Query);
        assert_eq!(&text[tokens[0].offset_from..tokens[0].offset_to], "inter\u{AD}national");
    }

    #[test]
    fn latin_accents_fold_and_their_words_keep_the_original_offsets() {
        assert_eq!(words("São Paulo cafés NESTLÉ naïve"), ["sao", "paulo", "cafe", "nestl", "naiv"]);
        // Decomposed accents give the same words, and a word's offsets cover its accents.
        let text = "cafe\u{301}s Ole\u{301}";
        assert_eq!(words(text), ["cafe", "ole"]);
        let tokens = Analyzer::new().analyze(text, AnalysisMode::Query);
        let pieces: Vec<&str> =
            tokens.iter().map(|token| &text[token.offset_from..token.offset_to]).collect();
        assert_eq!(pieces, ["cafe\u{301}s", "Ole\u{301}"]);
    }

    #[test]
    fn sentence_ends_leave_a_position_gap() {
        let tokens = Analyzer::new().analyze("会议在上海举行。经济学家表示", AnalysisMode::Query);
        let held = tokens.iter().find(|t| t.text == "举行").map(|t| t.position);
        let economists = tokens.iter().find(|t| t.text == "经济学家").map(|t| t.position);
        assert_eq!(economists.zip(held).map(|(e, h)| e - h), Some(SENTENCE_POSITION_GAP + 1));
        let english = Analyzer::new().analyze("Prices rose. Markets fell", AnalysisMode::Query);
        assert_eq!(english[2].position - english[1].position, SENTENCE_POSITION_GAP + 1);
        let abbreviation = Analyzer::new().analyze("U.S. exporters", AnalysisMode::Query);
        assert_eq!(
            abbreviation[1].position - abbreviation[0].position,
            1,
            "help: U.S. is not a sentence end"
        );
    }

    #[test]
    fn segmentation_covers_each_character_once_when_one_character_is_several_words() {
        // Regression, found by the analyzer fuzz target: `½` folds to `1⁄2`, two words from
        // one character, and `segment` gave that character two overlapping spans.
        let text = "约½杯 ⅷ ㍻ x";
        let spans = Analyzer::new().segment(text);
        let pieces: Vec<&str> = spans.iter().map(|span| &text[span.clone()]).collect();
        assert_eq!(pieces, ["约", "½", "杯", "ⅷ", "㍻", "x"], "help: spans must not overlap");
    }

    #[test]
    fn regional_wordings_of_words_the_two_regions_name_differently() {
        let analyzer = Analyzer::new();
        let wordings = |word: &str| -> Vec<(Vec<String>, String, Region)> {
            analyzer
                .other_wordings(word)
                .into_iter()
                .map(|wording| (wording.words, wording.written, wording.region))
                .collect()
        };
        let one =
            |word: &str, written: &str, region| vec![(vec![word.to_string()], written.to_string(), region)];
        assert_eq!(wordings("软件"), one("软体", "軟體", Region::Taiwan));
        assert_eq!(wordings("软体"), one("软件", "软件", Region::Mainland));
        assert_eq!(wordings("打印机"), one("印表机", "印表機", Region::Taiwan));
        // Several words once the other region's wording is analysed: a phrase.
        assert_eq!(
            wordings("网络安全"),
            vec![(vec!["网路".to_string(), "安全".to_string()], "網路安全".to_string(), Region::Taiwan)]
        );
        assert_eq!(wordings("信息"), one("资讯", "資訊", Region::Taiwan));
        // Taiwan's word is an everyday mainland word too (资料 "materials", 影片 "film",
        // 支援 "aid", 新增 "newly reported", 对象 "target"): jieba's counts keep the pair
        // out, in both directions.
        for word in ["数据", "资料", "视频", "影片", "进程", "支持", "支援", "添加", "新增", "对象", "物件"]
        {
            assert_eq!(wordings(word), [], "{word}");
        }
        // Words both regions write alike, and anything not Chinese, have none.
        for word in ["中国", "经济", "半导体", "trade", "5g", "g20"] {
            assert_eq!(wordings(word), [], "{word}");
        }
    }

    #[test]
    fn overlong_blocks_are_not_indexed() {
        let text = format!("{} ok", "x".repeat(alnum::MAX_BLOCK_CHARS + 1));
        assert_eq!(words(&text), ["ok"]);
    }

    #[test]
    fn token_streams_of_news_sentences() {
        let sentences = [
            "游客在南京市长江大桥上拍照。",
            "華為發布Mate 70手機，預購超過300萬。",
            "China's exporters brace for 3.5% tariffs on 5G gear.",
            "英伟达H100芯片与COVID-19疫苗在G20峰会上被提及",
        ];
        let mut snapshot = String::new();
        for sentence in sentences {
            for mode in [AnalysisMode::Index, AnalysisMode::Query] {
                snapshot.push_str(&format!("{mode:?}: {sentence}\n  {}\n", stream(sentence, mode)));
            }
        }
        insta::assert_snapshot!(snapshot);
    }
}
