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
mod tokenizer;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use self::chinese::UserDictionary;
pub(crate) use self::fold::ScriptFolder;
pub use self::tokenizer::{NewsTokenStream, NewsTokenizer};
use self::chinese::ChineseSegmenter;
use self::normalize::{CharClass, classify, normalize_char};

/// The analyzer's version: bumped whenever a change to analysis would give an existing
/// index different tokens (including upgrades of jieba-rs or the OpenCC tables).
pub const ANALYZER_VERSION: u32 = 1;

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
}

impl fmt::Display for AnalyzerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{} (user dictionary {})", self.name, self.version, self.dictionary)
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
}

struct AnalyzerInner {
    segmenter: Arc<ChineseSegmenter>,
    folder: &'static ScriptFolder,
    stemmer: frostem::Stemmer,
    dictionary: Option<UserDictionary>,
    identity: AnalyzerIdentity,
}

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
        Analyzer::build(None)
    }

    /// An analyzer with jieba's dictionary extended by a user dictionary.
    pub fn with_user_dictionary(dictionary: UserDictionary) -> Analyzer {
        Analyzer::build(Some(dictionary))
    }

    fn build(dictionary: Option<UserDictionary>) -> Analyzer {
        let segmenter = ChineseSegmenter::shared(dictionary.as_ref());
        let identity = AnalyzerIdentity {
            name: ANALYZER_NAME.to_string(),
            version: ANALYZER_VERSION,
            dictionary: dictionary
                .as_ref()
                .map_or_else(|| "none".to_string(), |d| format!("{:016x}", d.fingerprint())),
        };
        Analyzer {
            inner: Arc::new(AnalyzerInner {
                segmenter,
                folder: ScriptFolder::shared(),
                stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
                dictionary,
                identity,
            }),
        }
    }

    /// The identity recorded in indexes this analyzer builds.
    pub fn identity(&self) -> &AnalyzerIdentity {
        &self.inner.identity
    }

    /// The user dictionary, if any.
    pub fn user_dictionary(&self) -> Option<&UserDictionary> {
        self.inner.dictionary.as_ref()
    }

    /// Analyzes `text`, returning its tokens in position order.
    pub fn analyze(&self, text: &str, mode: AnalysisMode) -> Vec<Token> {
        let mut scratch = Scratch::default();
        let mut tokens = TokenBuffer::default();
        self.analyze_into(text, mode, &mut scratch, &mut tokens, &mut |_| true);
        tokens.iter().map(|token| token.to_token()).collect()
    }

    /// A tantivy tokenizer running this analyzer in index mode.
    pub fn tokenizer(&self) -> NewsTokenizer {
        NewsTokenizer::new(self.clone())
    }

    /// Folds one character to its Simplified form (identity for anything else).
    pub(crate) fn fold_char(&self, c: char) -> char {
        self.inner.folder.fold_char(c)
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
        out.clear();
        scratch.reset();
        let mut pipeline = Pipeline {
            analyzer: &self.inner,
            mode,
            scratch,
            out,
            next_position: 0,
            gap_requested: false,
            segment_han_run,
        };
        for (byte_start, original) in text.char_indices() {
            let byte_end = byte_start + original.len_utf8();
            normalize_char(original, |normalized| pipeline.push(normalized, byte_start, byte_end));
        }
        pipeline.flush();
    }
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
    /// The current run as a string (Han runs).
    run_text: String,
    /// The folded current run (Han runs).
    folded: String,
    /// Parts of the current alphanumeric block.
    parts: Vec<alnum::Part>,
    /// Text of the word being emitted.
    word: String,
}

impl Scratch {
    fn reset(&mut self) {
        self.run_kind = None;
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

/// A token in a [`TokenBuffer`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenRef<'a> {
    pub(crate) text: &'a str,
    pub(crate) offset_from: usize,
    pub(crate) offset_to: usize,
    pub(crate) position: usize,
    pub(crate) kind: TokenKind,
}

impl TokenRef<'_> {
    pub(crate) fn to_token(self) -> Token {
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

/// The state of one analysis pass.
struct Pipeline<'a> {
    analyzer: &'a AnalyzerInner,
    mode: AnalysisMode,
    scratch: &'a mut Scratch,
    out: &'a mut TokenBuffer,
    /// The position the next word takes.
    next_position: usize,
    /// A sentence ended since the last word.
    gap_requested: bool,
    segment_han_run: &'a mut dyn FnMut(&str) -> bool,
}

impl Pipeline<'_> {
    /// Takes one normalised character, with the byte range of its original character.
    #[inline]
    fn push(&mut self, c: char, byte_start: usize, byte_end: usize) {
        match classify(c) {
            CharClass::Han => self.extend_run(RunKind::Han, c, byte_start, byte_end),
            CharClass::Alnum => self.extend_run(RunKind::Alnum, c, byte_start, byte_end),
            CharClass::Connector => {
                if self.scratch.run_kind == Some(RunKind::Alnum) {
                    self.scratch.run_chars.push(c);
                    self.scratch.run_offsets.push((byte_start, byte_end));
                } else {
                    self.flush();
                    if c == '.' {
                        self.gap_requested = true;
                    }
                }
            }
            CharClass::SentenceEnd => {
                self.flush();
                self.gap_requested = true;
            }
            CharClass::Separator => self.flush(),
        }
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

    /// Ends the current run, emitting its tokens.
    fn flush(&mut self) {
        match self.scratch.run_kind.take() {
            Some(RunKind::Han) => self.flush_han(),
            Some(RunKind::Alnum) => self.flush_alnum(),
            None => {}
        }
        self.scratch.run_chars.clear();
        self.scratch.run_offsets.clear();
    }

    /// The position for the next word, applying a pending sentence gap.
    fn take_word_position(&mut self) -> usize {
        if self.gap_requested {
            self.gap_requested = false;
            if !self.out.tokens.is_empty() {
                self.next_position += SENTENCE_POSITION_GAP;
            }
        }
        let position = self.next_position;
        self.next_position += 1;
        position
    }

    fn flush_han(&mut self) {
        let scratch = &mut *self.scratch;
        scratch.run_text.clear();
        scratch.run_text.extend(scratch.run_chars.iter());
        self.analyzer.folder.fold_run(&scratch.run_text, &mut scratch.folded);
        if !(self.segment_han_run)(&scratch.folded) {
            self.take_word_position();
            return;
        }
        let segmenter = Arc::clone(&self.analyzer.segmenter);
        let folded = std::mem::take(&mut self.scratch.folded);
        match self.mode {
            AnalysisMode::Query => {
                for token in segmenter.cut(&folded) {
                    let position = self.take_word_position();
                    self.emit_han(token.word, token.start, token.end, position, TokenKind::Word);
                }
            }
            AnalysisMode::Index => {
                // The precise words at ordinal positions, each followed by the dictionary
                // words inside it (what jieba's search mode adds) at the same position.
                for token in segmenter.cut(&folded) {
                    let position = self.take_word_position();
                    self.emit_han(token.word, token.start, token.end, position, TokenKind::Word);
                    let length = token.end - token.start;
                    for gram in [2, 3] {
                        if length <= gram {
                            break;
                        }
                        for (offset, (start, end)) in char_windows(token.word, gram).enumerate() {
                            let sub_word = &token.word[start..end];
                            if segmenter.has_word(sub_word) {
                                let first = token.start + offset;
                                self.emit_han(sub_word, first, first + gram, position, TokenKind::SubWord);
                            }
                        }
                    }
                }
            }
        }
        self.scratch.folded = folded;
    }

    fn emit_han(&mut self, text: &str, start_char: usize, end_char: usize, position: usize, kind: TokenKind) {
        let offsets = &self.scratch.run_offsets;
        let (Some(first), Some(last)) = (offsets.get(start_char), end_char.checked_sub(1).and_then(|i| offsets.get(i)))
        else {
            debug_assert!(false, "jieba token {start_char}..{end_char} outside its run");
            return;
        };
        self.out.push(text, first.0, last.1, position, kind);
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
            let position = self.take_word_position();
            let scratch = &mut *self.scratch;
            let offset_from = scratch.run_offsets[0].0;
            let offset_to = scratch.run_offsets[end - 1].1;
            alnum::word_text(&scratch.run_chars[..word_end], &mut scratch.word);
            let whole_index = self.out.len();
            self.out.push(
                &stem(&analyzer.stemmer, &scratch.word),
                offset_from,
                offset_to,
                position,
                TokenKind::Word,
            );
            if self.mode == AnalysisMode::Index {
                alnum::parts(&scratch.run_chars[..word_end], &mut scratch.parts);
                if scratch.parts.len() > 1 {
                    for part in &scratch.parts {
                        alnum::word_text(&scratch.run_chars[part.start..part.end], &mut scratch.word);
                        let text = stem(&analyzer.stemmer, &scratch.word);
                        let seen = (whole_index..self.out.len())
                            .any(|index| self.out.get(index).is_some_and(|token| token.text == text));
                        if !seen {
                            let from = scratch.run_offsets[part.start].0;
                            let to = scratch.run_offsets[part.end - 1].1;
                            self.out.push(&text, from, to, position, TokenKind::SubWord);
                        }
                    }
                }
            }
        }
        if ends_sentence {
            self.gap_requested = true;
        }
    }
}

/// Whether a block is single letters joined by dots (`u.s`, `e.g`).
fn is_abbreviation(chars: &[char]) -> bool {
    chars.len() >= 3
        && chars.iter().enumerate().all(|(index, &c)| if index % 2 == 0 { c.is_alphabetic() } else { c == '.' })
}

/// The byte ranges of every window of `size` consecutive characters of `word`, in order.
fn char_windows(word: &str, size: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let starts = word.char_indices().map(|(index, _)| index);
    let ends = word.char_indices().map(|(index, _)| index).chain(std::iter::once(word.len())).skip(size);
    starts.zip(ends)
}

/// Stems an English word; anything else is returned as it is.
fn stem<'a>(stemmer: &frostem::Stemmer, word: &'a str) -> std::borrow::Cow<'a, str> {
    if alnum::is_stemmable(word) {
        stemmer.stem(word)
    } else {
        std::borrow::Cow::Borrowed(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, mode: AnalysisMode) -> Vec<String> {
        Analyzer::new().analyze(text, mode).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn debug_dump() {
        let analyzer = Analyzer::new();
        for text in [
            "游客在南京市长江大桥上拍照",
            "华为发布Mate 70手机，COVID-19疫苗；G20峰会在3.6.3版本iPhone15的5G网络下2024年举行。",
            "China's tariffs on U.S. exporters' batteries rose 3.5% — C++ and C# don't.",
            "\n臺灣半導體產業藉由政府補助擴大規模𡃁仔記😀ＡＩ１２３",
            "会议在上海举行。经济学家表示",
        ] {
            for mode in [AnalysisMode::Index, AnalysisMode::Query] {
                let tokens = analyzer.analyze(text, mode);
                let shown: Vec<String> = tokens
                    .iter()
                    .map(|t| format!("{}@{}[{}]{}", t.text, t.position, &text[t.offset_from..t.offset_to], if t.kind == TokenKind::SubWord { "*" } else { "" }))
                    .collect();
                println!("{mode:?}: {}", shown.join(" "));
            }
        }
        let _ = texts("", AnalysisMode::Index);
    }
}
