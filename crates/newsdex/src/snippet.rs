//! Highlighting and snippets: where the query matched, in the article's own text.
//!
//! Matches come from the analyzer itself, run over the stored original text, so a
//! highlight covers exactly the characters that produced a matching token: `大桥` inside
//! `長江大橋` in a Traditional article, `tariffs` for a query on `tariff`. Han runs that
//! cannot hold any query word are not segmented at all, which keeps snippets cheap on long
//! articles.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::analysis::{AnalysisMode, Analyzer, Scratch, TokenBuffer, is_han};
use crate::error::{Error, Result};

/// Most fragments a hit may ask for.
pub const MAX_FRAGMENTS: usize = 10;
/// Longest fragment, in characters.
pub const MAX_FRAGMENT_CHARS: usize = 1000;
/// Shortest fragment, in characters.
pub const MIN_FRAGMENT_CHARS: usize = 20;
/// Longest highlight tag, in bytes.
pub const MAX_TAG_BYTES: usize = 64;
/// How far into a title or body highlights and snippets look for matches, in bytes: a
/// 50 MB article would otherwise be analysed again for every search that finds it. A
/// match further in is found by search but not highlighted; news articles are far shorter.
pub const MAX_HIGHLIGHTED_BYTES: usize = 1_000_000;

/// How snippets are cut and marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct SnippetOptions {
    /// Fragments per hit, best first (0: none).
    pub fragments: usize,
    /// Longest fragment, in characters. Also read as `fragment_size`, the name of the
    /// HTTP parameter and the CLI flag.
    #[serde(alias = "fragment_size")]
    pub fragment_chars: usize,
    /// Inserted before each highlight (not escaped).
    pub pre_tag: String,
    /// Inserted after each highlight (not escaped).
    pub post_tag: String,
}

object_only_serde!(SnippetOptions, "snippet options (a JSON object)");

impl Default for SnippetOptions {
    fn default() -> Self {
        SnippetOptions {
            fragments: 3,
            fragment_chars: 160,
            pre_tag: "<mark>".into(),
            post_tag: "</mark>".into(),
        }
    }
}

impl SnippetOptions {
    /// Checks the options are within limits.
    pub fn validate(&self) -> Result<()> {
        if self.fragments > MAX_FRAGMENTS {
            return Err(Error::InvalidRequest(format!(
                "fragments must be at most {MAX_FRAGMENTS}, not {}",
                self.fragments
            )));
        }
        if !(MIN_FRAGMENT_CHARS..=MAX_FRAGMENT_CHARS).contains(&self.fragment_chars) {
            return Err(Error::InvalidRequest(format!(
                "fragment size must be between {MIN_FRAGMENT_CHARS} and {MAX_FRAGMENT_CHARS} characters, not {}",
                self.fragment_chars
            )));
        }
        if self.pre_tag.len() > MAX_TAG_BYTES || self.post_tag.len() > MAX_TAG_BYTES {
            return Err(Error::InvalidRequest(format!(
                "highlight tags must be at most {MAX_TAG_BYTES} bytes"
            )));
        }
        // One without the other leaves every highlight open (`<b>经济 激活<b>经济`).
        if self.pre_tag.is_empty() != self.post_tag.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "highlight tags come in pairs: pre_tag {:?} and post_tag {:?} must both be set or both be empty",
                self.pre_tag, self.post_tag
            )));
        }
        Ok(())
    }
}

/// A range of a stored text in the three units clients slice strings by: UTF-8 bytes
/// (Rust, Go), Unicode scalar values (Python), UTF-16 code units (JavaScript, Java).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextRange {
    /// `[start, end)` in bytes.
    pub byte: [usize; 2],
    /// `[start, end)` in characters.
    pub char: [usize; 2],
    /// `[start, end)` in UTF-16 code units.
    pub utf16: [usize; 2],
}

/// A passage of an article's body around matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// The passage, exactly as stored (`body[range.byte[0]..range.byte[1]]`).
    pub text: String,
    /// The passage HTML-escaped, matches wrapped in the highlight tags, `…` where it was
    /// cut inside a sentence.
    pub html: String,
    /// Where the passage is in the body.
    pub range: TextRange,
    /// Where each highlight is in the body.
    pub highlights: Vec<TextRange>,
}

/// A text with its highlights: the title of a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HighlightedText {
    pub(crate) html: String,
    pub(crate) highlights: Vec<TextRange>,
}

/// A phrase to highlight: its words with their offsets, and the allowed slop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhraseSpec {
    pub(crate) words: Vec<(usize, String)>,
    pub(crate) slop: u32,
}

/// What to highlight in one field: single words and phrases, as analysed (folded) text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HighlightSpec {
    pub(crate) words: HashSet<String>,
    pub(crate) phrases: Vec<PhraseSpec>,
}

impl HighlightSpec {
    /// Whether any query word could be found in this folded Han run.
    fn may_match_in(&self, folded_run: &str) -> bool {
        let contains_han_word = |word: &str| word.chars().any(is_han) && folded_run.contains(word);
        self.words.iter().any(|word| contains_han_word(word))
            || self.phrases.iter().any(|phrase| phrase.words.iter().any(|(_, word)| contains_han_word(word)))
    }

    fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }
}

/// Finds and marks matches; one per thread or request, reusing its buffers. Its scratch
/// comes from the analyzer's pool and goes back to it when the highlighter is dropped.
pub(crate) struct Highlighter<'a> {
    analyzer: &'a Analyzer,
    scratch: Scratch,
    tokens: TokenBuffer,
}

impl Drop for Highlighter<'_> {
    fn drop(&mut self) {
        self.analyzer.return_scratch(std::mem::take(&mut self.scratch));
    }
}

impl<'a> Highlighter<'a> {
    pub(crate) fn new(analyzer: &'a Analyzer) -> Highlighter<'a> {
        Highlighter { analyzer, scratch: analyzer.take_scratch(), tokens: TokenBuffer::default() }
    }

    /// Byte ranges of `text` matching `spec`, sorted, overlaps merged.
    pub(crate) fn match_ranges(&mut self, text: &str, spec: &HighlightSpec) -> Vec<(usize, usize)> {
        if spec.is_empty() || text.is_empty() {
            return Vec::new();
        }
        let text = &text[..floor_char_boundary(text, MAX_HIGHLIGHTED_BYTES)];
        self.analyzer.analyze_into(
            text,
            AnalysisMode::Index,
            &mut self.scratch,
            &mut self.tokens,
            &mut |run| spec.may_match_in(run),
        );
        let mut ranges: Vec<(usize, usize)> = self
            .tokens
            .iter()
            .filter(|token| spec.words.contains(token.text))
            .map(|token| (token.offset_from, token.offset_to))
            .collect();
        if !spec.phrases.is_empty() {
            let phrase_words: HashSet<&str> = spec
                .phrases
                .iter()
                .flat_map(|phrase| phrase.words.iter().map(|(_, word)| word.as_str()))
                .collect();
            let mut occurrences: HashMap<&str, Vec<(usize, usize, usize)>> = HashMap::new();
            for token in self.tokens.iter() {
                if phrase_words.contains(token.text) {
                    occurrences.entry(token.text).or_default().push((
                        token.position,
                        token.offset_from,
                        token.offset_to,
                    ));
                }
            }
            for phrase in &spec.phrases {
                ranges.extend(phrase_matches(phrase, &occurrences));
            }
        }
        merge_ranges(&mut ranges);
        ranges
    }

    /// The whole of `text` with its matches marked.
    pub(crate) fn highlight_all(
        &mut self,
        text: &str,
        spec: &HighlightSpec,
        options: &SnippetOptions,
    ) -> HighlightedText {
        let ranges = self.match_ranges(text, spec);
        let html = mark(text, 0, text.len(), &ranges, options, false, false);
        let mut offsets = Vec::with_capacity(ranges.len() * 2);
        for &(from, to) in &ranges {
            offsets.push(from);
            offsets.push(to);
        }
        let converted = OffsetTable::new(text, &offsets);
        let highlights = ranges.iter().map(|&(from, to)| converted.range(from, to)).collect();
        HighlightedText { html, highlights }
    }

    /// The best fragments of `text` for `spec`, best first. Without any match, the
    /// opening of the text, unmarked.
    pub(crate) fn fragments(
        &mut self,
        text: &str,
        spec: &HighlightSpec,
        options: &SnippetOptions,
    ) -> Vec<Fragment> {
        if options.fragments == 0 || text.trim().is_empty() {
            return Vec::new();
        }
        let ranges = self.match_ranges(text, spec);
        let sentences = sentences(text);
        let mut scored: Vec<(usize, usize, usize)> = Vec::new();
        for (index, &(start, end)) in sentences.iter().enumerate() {
            let inside = ranges_within(&ranges, start, end);
            if inside.is_empty() {
                continue;
            }
            let distinct: HashSet<String> =
                inside.iter().map(|(from, to)| text[*from..*to].to_lowercase()).collect();
            scored.push((distinct.len() * 10 + inside.len(), index, 0));
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let chosen: Vec<(usize, usize)> = if scored.is_empty() {
            sentences.first().copied().into_iter().collect()
        } else {
            scored.iter().take(options.fragments).map(|&(_, index, _)| sentences[index]).collect()
        };
        let windows: Vec<(usize, usize, bool, bool)> = chosen
            .iter()
            .map(|&(start, end)| {
                let first_match = ranges_within(&ranges, start, end).first().copied();
                window(text, start, end, first_match, options.fragment_chars)
            })
            .collect();
        let mut offsets = Vec::new();
        for &(start, end, _, _) in &windows {
            offsets.push(start);
            offsets.push(end);
        }
        for &(from, to) in &ranges {
            offsets.push(from);
            offsets.push(to);
        }
        let table = OffsetTable::new(text, &offsets);
        windows
            .into_iter()
            .map(|(start, end, cut_before, cut_after)| {
                let inside = ranges_within(&ranges, start, end);
                Fragment {
                    text: text[start..end].to_string(),
                    html: mark(text, start, end, inside, options, cut_before, cut_after),
                    range: table.range(start, end),
                    highlights: inside.iter().map(|&(from, to)| table.range(from, to)).collect(),
                }
            })
            .collect()
    }
}

/// The largest char boundary of `text` at or before `index`: `str::floor_char_boundary`,
/// which is stable only since Rust 1.91, above the workspace's `rust-version` (1.88).
pub(crate) fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

/// The ranges lying wholly within `start..end`, found by binary search: `ranges` are sorted
/// and do not overlap, so they form one run, ended by the first that reaches past `end`.
fn ranges_within(ranges: &[(usize, usize)], start: usize, end: usize) -> &[(usize, usize)] {
    let first = ranges.partition_point(|&(from, _)| from < start);
    let count = ranges[first..].iter().take_while(|&&(_, to)| to <= end).count();
    &ranges[first..first + count]
}

/// The spans where `phrase` occurs, given each word's (position, from, to) occurrences.
fn phrase_matches(
    phrase: &PhraseSpec,
    occurrences: &HashMap<&str, Vec<(usize, usize, usize)>>,
) -> Vec<(usize, usize)> {
    let Some((first_offset, first_word)) = phrase.words.first() else {
        return Vec::new();
    };
    let Some(starts) = occurrences.get(first_word.as_str()) else {
        return Vec::new();
    };
    let slop = phrase.slop as usize;
    let mut spans = Vec::new();
    'starts: for &(position, from, to) in starts {
        let base = position as isize - *first_offset as isize;
        let (mut span_from, mut span_to) = (from, to);
        for (offset, word) in &phrase.words[1..] {
            let expected = base + *offset as isize;
            // Occurrences are in text order, so positions never decrease: the first within
            // reach of `expected` is found by binary search.
            let found = occurrences.get(word.as_str()).and_then(|list| {
                let first = list
                    .partition_point(|&(candidate, _, _)| (candidate as isize) < expected - slop as isize);
                list.get(first)
                    .filter(|(candidate, _, _)| (*candidate as isize - expected).unsigned_abs() <= slop)
            });
            let Some(&(_, word_from, word_to)) = found else {
                continue 'starts;
            };
            span_from = span_from.min(word_from);
            span_to = span_to.max(word_to);
        }
        spans.push((span_from, span_to));
    }
    spans
}

/// Sorts ranges and merges those that overlap or touch.
fn merge_ranges(ranges: &mut Vec<(usize, usize)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for &(from, to) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    *ranges = merged;
}

/// Whether a character ends a sentence for fragment purposes.
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n' | '｡')
}

/// Punctuation that ends a clause or closes a bracket: it belongs to the text before it.
fn ends_clause(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | ';' | ':' | ')' | ']' | '，' | '、' | '：' | '；' | '。' | '）' | '》' | '」' | '』'
    )
}

/// Closing punctuation that stays with the sentence it ends.
fn is_closing(c: char) -> bool {
    matches!(c, '”' | '’' | '」' | '』' | '）' | ')' | '"' | '\'' | '》' | '〉' | ']')
}

/// The sentences of `text` as byte ranges, leading whitespace trimmed, empty ones dropped.
pub(crate) fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        let boundary = ends_sentence(c)
            || (c == '.' && chars.peek().is_none_or(|(_, next)| next.is_whitespace() || is_closing(*next)));
        if !boundary {
            continue;
        }
        let mut end = index + c.len_utf8();
        while let Some(&(next_index, next)) = chars.peek() {
            if !is_closing(next) {
                break;
            }
            end = next_index + next.len_utf8();
            chars.next();
        }
        push_sentence(text, start, end, &mut sentences);
        start = end;
    }
    push_sentence(text, start, text.len(), &mut sentences);
    sentences
}

fn push_sentence(text: &str, start: usize, end: usize, sentences: &mut Vec<(usize, usize)>) {
    let slice = &text[start..end];
    let trimmed_start = start + (slice.len() - slice.trim_start().len());
    let trimmed_end = start + slice.trim_end().len();
    if trimmed_start < trimmed_end {
        sentences.push((trimmed_start, trimmed_end));
    }
}

/// The window of at most `max_chars` characters of the sentence `start..end` that shows
/// its first match (`from..to` bytes), and whether it was cut before and after.
///
/// A cut falls between words: one that would split a word of letters or digits (with the
/// connectors inside it, as in `39.9` or `X-rays`) moves to
/// the word's edge, unless that would lose the match or a quarter of the window. Han text
/// may be cut between any two characters.
fn window(
    text: &str,
    start: usize,
    end: usize,
    first_match: Option<(usize, usize)>,
    max_chars: usize,
) -> (usize, usize, bool, bool) {
    let chars: Vec<(usize, char)> = text[start..end].char_indices().map(|(i, c)| (start + i, c)).collect();
    if chars.len() <= max_chars {
        return (start, end, false, false);
    }
    let (match_first, match_end) = match first_match {
        Some((from, to)) => (
            chars.iter().position(|&(byte, _)| byte >= from).unwrap_or(0),
            chars.iter().position(|&(byte, _)| byte >= to).unwrap_or(chars.len()),
        ),
        None => (0, 0),
    };
    let letter_or_digit =
        |index: usize| chars.get(index).is_some_and(|&(_, c)| c.is_alphanumeric() && !is_han(c));
    // A connector between two letters or digits is inside the word (`39.9`, `1,000`, `X-rays`).
    let in_word = |index: usize| {
        letter_or_digit(index)
            || (index > 0
                && chars.get(index).is_some_and(|&(_, c)| !c.is_whitespace())
                && letter_or_digit(index - 1)
                && letter_or_digit(index + 1))
    };
    let splits_word = |index: usize| index > 0 && index < chars.len() && in_word(index - 1) && in_word(index);
    // The window starts a quarter of its length before the match; a cut moves at most as far.
    let quarter = max_chars / 4;
    let mut first = match_first.saturating_sub(quarter).min(chars.len() - max_chars);
    let mut last = first + max_chars;
    if splits_word(first) {
        let mut next = first;
        while next < chars.len() && in_word(next) {
            next += 1;
        }
        if next <= match_first && next - first <= quarter {
            first = next;
        }
    }
    if splits_word(last) {
        let mut previous = last;
        while previous > 0 && in_word(previous - 1) {
            previous -= 1;
        }
        if previous >= match_end.max(first + 1) && last - previous <= quarter {
            last = previous;
        }
    }
    // A cut window does not open on the end of what it cut (`, with …`).
    while first > 0 && first < match_first && (chars[first].1.is_whitespace() || ends_clause(chars[first].1))
    {
        first += 1;
    }
    while last > match_end.max(first + 1) && chars[last - 1].1.is_whitespace() {
        last -= 1;
    }
    let window_start = chars[first].0;
    let window_end = chars.get(last).map_or(end, |&(byte, _)| byte);
    (window_start, window_end, first > 0, last < chars.len())
}

/// `text[start..end]` HTML-escaped with `ranges` (inside the window) wrapped in tags.
fn mark(
    text: &str,
    start: usize,
    end: usize,
    ranges: &[(usize, usize)],
    options: &SnippetOptions,
    cut_before: bool,
    cut_after: bool,
) -> String {
    let mut html = String::with_capacity(end - start + ranges.len() * 16);
    if cut_before {
        html.push('…');
    }
    let mut cursor = start;
    for &(from, to) in ranges {
        if from < cursor || to > end {
            continue;
        }
        escape_into(&text[cursor..from], &mut html);
        html.push_str(&options.pre_tag);
        escape_into(&text[from..to], &mut html);
        html.push_str(&options.post_tag);
        cursor = to;
    }
    escape_into(&text[cursor..end], &mut html);
    if cut_after {
        html.push('…');
    }
    html
}

/// Appends `text` with `& < > " '` escaped.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Byte offsets of a text converted to character and UTF-16 offsets, in one pass.
struct OffsetTable {
    converted: HashMap<usize, (usize, usize)>,
}

impl OffsetTable {
    fn new(text: &str, byte_offsets: &[usize]) -> OffsetTable {
        let mut wanted: Vec<usize> = byte_offsets.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut converted = HashMap::with_capacity(wanted.len());
        let mut next = wanted.iter().peekable();
        let (mut chars, mut utf16) = (0usize, 0usize);
        for (index, c) in text.char_indices().chain(std::iter::once((text.len(), '\0'))) {
            while next.peek().is_some_and(|&&offset| offset <= index) {
                if let Some(&offset) = next.next() {
                    converted.insert(offset, (chars, utf16));
                }
            }
            if next.peek().is_none() {
                break;
            }
            chars += 1;
            utf16 += c.len_utf16();
        }
        OffsetTable { converted }
    }

    fn range(&self, from: usize, to: usize) -> TextRange {
        let (char_from, utf16_from) = self.converted.get(&from).copied().unwrap_or_default();
        let (char_to, utf16_to) = self.converted.get(&to).copied().unwrap_or_default();
        TextRange { byte: [from, to], char: [char_from, char_to], utf16: [utf16_from, utf16_to] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(words: &[&str]) -> HighlightSpec {
        HighlightSpec { words: words.iter().map(|w| w.to_string()).collect(), phrases: Vec::new() }
    }

    #[test]
    fn sentences_split_on_chinese_and_english_ends() {
        let text = "第一句。第二句！“第三句？”\nFirst one. Version 3.6.3 ships; done";
        let found: Vec<&str> = sentences(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            found,
            ["第一句。", "第二句！", "“第三句？”", "First one.", "Version 3.6.3 ships;", "done"]
        );
    }

    #[test]
    fn highlights_land_on_original_traditional_characters() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        let text = "遊客在南京市長江大橋上拍照。";
        let ranges = highlighter.match_ranges(text, &spec(&["大桥"]));
        assert_eq!(ranges.len(), 1);
        assert_eq!(&text[ranges[0].0..ranges[0].1], "大橋");
    }

    #[test]
    fn only_the_opening_of_a_huge_text_is_looked_at_and_each_sentence_finds_its_matches() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        // Hundreds of thousands of sentences, each with a match: scoring them must not
        // compare every sentence with every match.
        let sentence = "市场平稳运行。";
        let filler = sentence.repeat(MAX_HIGHLIGHTED_BYTES / sentence.len() + 1);
        let text = format!("{filler}关税上调，市场承压。");
        let ranges = highlighter.match_ranges(&text, &spec(&["市场", "关税"]));
        assert!(ranges.iter().all(|&(_, to)| to <= MAX_HIGHLIGHTED_BYTES), "help: matches past the cap");
        assert_eq!(ranges.len(), MAX_HIGHLIGHTED_BYTES / sentence.len());
        let options = SnippetOptions { fragments: 3, ..SnippetOptions::default() };
        let fragments = highlighter.fragments(&text, &spec(&["市场", "关税"]), &options);
        let texts: Vec<&str> = fragments.iter().map(|fragment| fragment.text.as_str()).collect();
        assert_eq!(texts, [sentence; 3], "help: the best sentences of the opening, in order");
        assert!(fragments.iter().all(|fragment| fragment.highlights.len() == 1));
        // A text whose only match lies past the cap gets its opening, unmarked.
        let late = format!("{}关税上调。", "平稳运行。".repeat(MAX_HIGHLIGHTED_BYTES / 15 + 1));
        let fragments = highlighter.fragments(&late, &spec(&["关税"]), &options);
        assert_eq!(fragments.len(), 1);
        assert_eq!(fragments[0].text, "平稳运行。");
        assert!(fragments[0].highlights.is_empty());
    }

    #[test]
    fn phrases_highlight_the_phrase_not_stray_words() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        let text = "Trade talks stalled. The trade war worries every war planner.";
        let phrase = HighlightSpec {
            words: HashSet::new(),
            phrases: vec![PhraseSpec { words: vec![(0, "trade".into()), (1, "war".into())], slop: 0 }],
        };
        let ranges = highlighter.match_ranges(text, &phrase);
        let marked: Vec<&str> = ranges.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(marked, ["trade war"]);
    }

    #[test]
    fn fragment_offsets_slice_the_text_in_every_unit() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        let text = "😀 開場白。臺灣半導體產業持續擴張，𡃁仔記也受惠。Tariffs rose.";
        let fragments = highlighter.fragments(text, &spec(&["半导体", "tariff"]), &SnippetOptions::default());
        assert_eq!(fragments.len(), 2);
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let chars: Vec<char> = text.chars().collect();
        for fragment in &fragments {
            for range in fragment.highlights.iter().chain(std::iter::once(&fragment.range)) {
                let by_bytes = &text[range.byte[0]..range.byte[1]];
                let by_chars: String = chars[range.char[0]..range.char[1]].iter().collect();
                let by_utf16 =
                    String::from_utf16(&utf16[range.utf16[0]..range.utf16[1]]).expect("utf-16 slice");
                assert_eq!(by_bytes, by_chars);
                assert_eq!(by_bytes, by_utf16);
            }
        }
        assert!(fragments[0].html.contains("<mark>半導體</mark>"), "{}", fragments[0].html);
        assert!(fragments[1].html.contains("<mark>Tariffs</mark>"));
    }

    #[test]
    fn long_sentences_are_cut_around_the_match() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        let text = format!("{}目标词{}", "前".repeat(300), "后".repeat(300));
        let options = SnippetOptions { fragment_chars: 40, ..SnippetOptions::default() };
        let fragments = highlighter.fragments(&text, &spec(&["目标"]), &options);
        assert_eq!(fragments[0].text.chars().count(), 40);
        assert!(fragments[0].html.starts_with('…') && fragments[0].html.ends_with('…'));
        assert!(fragments[0].html.contains("<mark>目标</mark>"), "{}", fragments[0].html);
    }

    #[test]
    fn long_english_sentences_are_cut_between_words() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        let text = "A growing number of hospitals are using artificial intelligence software to flag \
                    possible problems on chest X-rays, helping overstretched radiology teams prioritize \
                    urgent cases.";
        let options = SnippetOptions { fragment_chars: 60, ..SnippetOptions::default() };
        let fragments = highlighter.fragments(text, &spec(&["chest"]), &options);
        let fragment = &fragments[0];
        assert!(fragment.text.chars().count() <= 60, "{:?}", fragment.text);
        assert!(fragment.html.contains("<mark>chest</mark>"), "{}", fragment.html);
        let (from, to) = (fragment.range.byte[0], fragment.range.byte[1]);
        assert!(from > 0 && to < text.len(), "{from}..{to}");
        let bytes = text.as_bytes();
        assert!(bytes[from - 1] == b' ' && bytes[from] != b' ', "starts inside a word: {:?}", fragment.text);
        assert!(bytes[to] == b' ' && bytes[to - 1] != b' ', "ends inside a word: {:?}", fragment.text);
        assert_eq!(fragment.html, format!("…{}…", fragment.text.replace("chest", "<mark>chest</mark>")));
    }

    #[test]
    fn a_word_longer_than_the_window_is_still_cut() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        let text = format!("see {} for tariffs and {} more", "x".repeat(200), "y".repeat(200));
        let options = SnippetOptions { fragment_chars: 40, ..SnippetOptions::default() };
        let fragments = highlighter.fragments(&text, &spec(&["tariff"]), &options);
        assert!(fragments[0].text.chars().count() <= 40, "{:?}", fragments[0].text);
        assert!(fragments[0].html.contains("<mark>tariffs</mark>"), "{}", fragments[0].html);
    }

    #[test]
    fn numbers_and_hyphenated_words_are_not_cut_at_their_connectors() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        let options = SnippetOptions { fragment_chars: 40, ..SnippetOptions::default() };
        for (text, query) in [
            (
                "Output rose to 39.9 mln vs 39.3 mln as prices of crude stocks rose sharply today in response",
                "prices",
            ),
            (
                "Prices drove short-term interest rates sharply higher, with overnight and tomorrow-next rates up",
                "overnight",
            ),
        ] {
            let fragment = &highlighter.fragments(text, &spec(&[query]), &options)[0];
            let (from, to) = (fragment.range.byte[0], fragment.range.byte[1]);
            let bytes = text.as_bytes();
            assert!(from == 0 || bytes[from - 1] == b' ', "starts inside a word: {:?}", fragment.text);
            assert!(to == text.len() || bytes[to] == b' ', "ends inside a word: {:?}", fragment.text);
        }
    }

    #[test]
    fn html_is_escaped() {
        let analyzer = Analyzer::new();
        let mut highlighter = Highlighter::new(&analyzer);
        let highlighted =
            highlighter.highlight_all("AT&T <b>tariffs</b>", &spec(&["tariff"]), &SnippetOptions::default());
        assert_eq!(highlighted.html, "AT&amp;T &lt;b&gt;<mark>tariffs</mark>&lt;/b&gt;");
    }
}
