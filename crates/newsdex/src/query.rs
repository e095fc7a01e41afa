//! The query language: what people type into a news search box.
//!
//! - words: `华为 芯片`, `tariffs` — every word must match (with a fallback to any word when
//!   that finds nothing). A run of Chinese without spaces is several words, and articles
//!   where they stand together rank higher.
//! - phrases: `"南京市长江大桥"`, `"trade war"~2` (slop: how many positions the words may
//!   move); curly and corner quotes work too (`“…”`, `「…」`).
//! - exclusion: `-足球`, `-"trade war"`, or `NOT 足球`.
//! - alternatives: `华为 OR 小米`; `AND` between words changes nothing (every word must
//!   match anyway). `OR`, `AND` and `NOT` are operators only in capitals: `not` is a word.
//! - fields: `title:芯片`, `body:"南京市长江大桥"`, `title:-足球`.
//! - prefixes: `semicond*`, `半导*` match the indexed words that begin so; `*` alone
//!   matches every article (narrowed by filters, if any). A phrase may end in one:
//!   `"trade wa"*` (or `"trade wa*"`) is the phrase with its last word a prefix.
//! - filters: `lang:en`, `source:"Pacific Ledger"`, `category:trade` narrow the search like
//!   the request's parameters of the same names; several values of one name are
//!   alternatives. A filter the request already sets by parameter wins, with a note.
//!
//! Parsing never fails on odd input: a lone quote, a field with nothing after it or an
//! out-of-range slop degrade to plain words, with a note in the response. Only an overlong
//! query or one with nothing searchable in it (such as a lone quote and nothing else) is
//! an error.

use serde::{Deserialize, Serialize};

use crate::article::Lang;
use crate::error::{Error, Result};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;

/// Most words, phrases and `OR` alternatives a query may have together; the rest are
/// ignored, with a note.
pub const MAX_CLAUSES: usize = 64;

/// Largest phrase slop: below the position gap at sentence ends, so no phrase matches
/// across a sentence break.
pub const MAX_SLOP: u32 = 8;

/// A field a query clause can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryField {
    /// The headline.
    Title,
    /// The text.
    Body,
}

/// One searchable unit of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Atom {
    /// Words typed without quotes: each analysed word must match.
    Words {
        /// Limited to one field, or both.
        field: Option<QueryField>,
        /// The text as typed.
        text: String,
    },
    /// A quoted phrase: the analysed words in order, within `slop` moves.
    Phrase {
        /// Limited to one field, or both.
        field: Option<QueryField>,
        /// The text between the quotes.
        text: String,
        /// Allowed position moves.
        slop: u32,
    },
    /// A quoted phrase with `*` after it (`"trade wa"*`, or inside: `"trade wa*"`): the
    /// analysed words in order, the last of them a prefix.
    PhrasePrefix {
        /// Limited to one field, or both.
        field: Option<QueryField>,
        /// The text between the quotes, without the star.
        text: String,
        /// Allowed position moves.
        slop: u32,
    },
    /// A word typed with `*` after it: any indexed word beginning with it.
    Prefix {
        /// Limited to one field, or both.
        field: Option<QueryField>,
        /// The text before the `*`.
        text: String,
    },
    /// A word typed with `~` after it (`tarif~`, `tarif~1`): any indexed word within a
    /// few edits of it.
    Fuzzy {
        /// Limited to one field, or both.
        field: Option<QueryField>,
        /// The text before the `~`.
        text: String,
        /// The edits typed after the `~`, at most [`MAX_FUZZY_EDITS`]; `None` for as
        /// many as the word's length allows.
        edits: Option<u8>,
    },
}

/// The most edits (insertions, deletions, substitutions, swaps of neighbours) a fuzzy
/// word (`tarif~2`) may be from the words it finds, as in Lucene and Elasticsearch.
pub const MAX_FUZZY_EDITS: u8 = 2;

/// Atoms joined by `OR`, required or excluded as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    /// `-` in front: no matching article is returned.
    pub(crate) excluded: bool,
    /// Any of these matches the clause.
    pub(crate) alternatives: Vec<Atom>,
}

/// A parsed query: clauses that must all match (or, in the fallback, any of them), plus
/// notes on what was read differently from how it was typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ParsedQuery {
    pub(crate) clauses: Vec<Clause>,
    pub(crate) filters: QueryFilters,
    pub(crate) notes: Vec<String>,
    /// `*` was typed: every article matches (what the filters keep, if any).
    pub(crate) everything: bool,
    /// Words are searched as typed: without their synonyms and the other region's
    /// wording (the request's `synonyms: false`).
    pub(crate) literal: bool,
}

/// Filters typed into the query (`lang:en`, `source:"Pacific Ledger"`, `category:trade`):
/// any of a name's values matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct QueryFilters {
    pub(crate) lang: Vec<Lang>,
    pub(crate) source: Vec<String>,
    pub(crate) category: Vec<String>,
}

impl QueryFilters {
    pub(crate) fn is_empty(&self) -> bool {
        self.lang.is_empty() && self.source.is_empty() && self.category.is_empty()
    }
}

/// The filter names of the query language, as typed before the colon.
const FILTER_NAMES: [&str; 3] = ["lang", "source", "category"];

pub(crate) const QUOTES: [char; 8] = ['"', '“', '”', '「', '」', '『', '』', '＂'];

/// One whitespace-separated piece of the query before `OR` is applied.
enum Item {
    Atom {
        excluded: bool,
        atom: Atom,
    },
    Filter {
        name: &'static str,
        value: String,
    },
    /// `*`: every article.
    Everything,
    Or,
    /// `AND`: what words already mean together, so it only matters when alone.
    And,
    Not,
}

/// Parses a query string. Errors only for an overlong query or a blank one.
pub(crate) fn parse(query: &str) -> Result<ParsedQuery> {
    let length = query.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(Error::InvalidQuery(format!(
            "the query is {length} characters long; the limit is {MAX_QUERY_CHARS}"
        )));
    }
    if query.trim().is_empty() {
        return Err(Error::InvalidQuery("the query is empty".to_string()));
    }
    let chars: Vec<char> = query.chars().collect();
    let mut notes = Vec::new();
    let mut items = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        if chars[index].is_whitespace() {
            index += 1;
            continue;
        }
        let (item, next) = lex_item(&chars, index, &mut notes);
        index = next;
        if let Some(item) = item {
            items.push(item);
        }
    }
    let mut clauses: Vec<Clause> = Vec::new();
    let mut filters = QueryFilters::default();
    let mut join_next = false;
    let mut exclude_next = false;
    let mut after_filter = false;
    let mut everything = false;
    let mut and_typed = false;
    for item in items {
        let filter = matches!(item, Item::Filter { .. });
        match item {
            Item::Everything => {
                if std::mem::take(&mut join_next) || std::mem::take(&mut exclude_next) {
                    notes.push("* matches every article; the OR or NOT before it was ignored".to_string());
                }
                everything = true;
            }
            Item::Filter { name, value } => {
                if std::mem::take(&mut join_next) {
                    notes.push(format!(
                        "OR before {name}:{value} was ignored: filters narrow the whole search"
                    ));
                }
                if std::mem::take(&mut exclude_next) {
                    notes.push(format!("NOT {name}:{value} was ignored: filters cannot exclude"));
                } else {
                    add_filter(&mut filters, name, value, &mut notes);
                }
            }
            Item::Or if after_filter => {
                notes.push("OR after a filter was ignored: filters narrow the whole search".to_string());
            }
            Item::And => {
                and_typed = true;
                continue;
            }
            Item::Not => {
                if exclude_next {
                    notes.push("NOT after NOT was ignored".to_string());
                }
                exclude_next = true;
            }
            Item::Or => {
                let previous_joinable = clauses.last().is_some_and(|clause| !clause.excluded);
                if previous_joinable {
                    join_next = true;
                } else {
                    notes.push("OR needs a word on each side; it was ignored".to_string());
                }
            }
            Item::Atom { excluded, atom } => {
                let excluded = excluded || std::mem::take(&mut exclude_next);
                if join_next && !excluded {
                    if let Some(previous) = clauses.last_mut() {
                        previous.alternatives.push(atom);
                    }
                } else {
                    if join_next {
                        notes.push("OR before an excluded word was ignored".to_string());
                    }
                    clauses.push(Clause { excluded, alternatives: vec![atom] });
                }
                join_next = false;
            }
        }
        after_filter = filter;
    }
    if join_next {
        notes.push("OR needs a word on each side; it was ignored".to_string());
    }
    if exclude_next {
        notes.push("NOT needs a word after it; it was ignored".to_string());
    }
    if and_typed && clauses.is_empty() && !everything && filters.is_empty() {
        notes.push("AND needs a word on each side; it was ignored".to_string());
    }
    // Each alternative costs as much as a clause of its own.
    let atoms: usize = clauses.iter().map(|clause| clause.alternatives.len()).sum();
    if atoms > MAX_CLAUSES {
        notes.push(format!(
            "only the first {MAX_CLAUSES} words, phrases and alternatives of the query were searched"
        ));
        let mut budget = MAX_CLAUSES;
        clauses.retain_mut(|clause| {
            clause.alternatives.truncate(budget);
            budget -= clause.alternatives.len();
            !clause.alternatives.is_empty()
        });
    }
    Ok(ParsedQuery { clauses, filters, notes, everything, literal: false })
}

/// Adds a filter's value, once; a language newsdex does not know is left out with a note.
fn add_filter(filters: &mut QueryFilters, name: &str, value: String, notes: &mut Vec<String>) {
    match name {
        "lang" => match value.parse::<Lang>() {
            Ok(lang) if !filters.lang.contains(&lang) => filters.lang.push(lang),
            Ok(_) => {}
            Err(_) => notes.push(format!(
                "lang:{value} is not a language newsdex knows (zh-Hans, zh-Hant or en); it was ignored"
            )),
        },
        "source" if !filters.source.contains(&value) => filters.source.push(value),
        "category" if !filters.category.contains(&value) => filters.category.push(value),
        _ => {}
    }
}

/// Whether `name` followed by a colon (ASCII or full-width) starts at `index`,
/// case-insensitively; returns where the colon is.
fn prefix_at(chars: &[char], index: usize, name: &str) -> Option<usize> {
    let colon = index + name.len();
    let matches = chars.len() > colon
        && chars[index..colon].iter().map(char::to_ascii_lowercase).eq(name.chars())
        && matches!(chars[colon], ':' | '：');
    matches.then_some(colon)
}

/// A word written as a field other query languages have (`date:2024`, `site:bbc.com`,
/// `author:lee`) is searched as the words it holds; a note says so, and names the fields
/// there are. Links (`https://…`) and times (`10:30`) are words and get no note.
fn note_unknown_field(text: &str, notes: &mut Vec<String>) {
    let Some((name, value)) = text.split_once([':', '：']) else { return };
    let field_like = name.len() >= 2 && name.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
    if !field_like || value.is_empty() || value.starts_with("//") {
        return;
    }
    let name = name.to_ascii_lowercase();
    let dates = if matches!(name.as_str(), "date" | "published" | "time" | "year") {
        "; dates are filtered with the from and to parameters"
    } else {
        ""
    };
    notes.push(format!(
        "{name}: is not a field of the query language (title:, body:, lang:, source:, category:); \
         \"{text}\" was searched as words{dates}"
    ));
}

/// A field or filter name with nothing after its colon (`title:`): searched as the word
/// it is, with a note.
fn bare_prefix(
    chars: &[char],
    index: usize,
    colon: usize,
    excluded: bool,
    notes: &mut Vec<String>,
) -> (Option<Item>, usize) {
    let word: String = chars[index..colon].iter().collect();
    notes.push(format!("\"{}:\" has nothing after it; it was searched as a word", word.to_ascii_lowercase()));
    let atom = Atom::Words { field: None, text: word };
    (Some(Item::Atom { excluded, atom }), colon + 1)
}

/// A filter's value from `start`: a quoted text (`"Pacific Ledger"`) or the text up to
/// the next whitespace; returns it and where the next item may start.
fn filter_value(chars: &[char], start: usize) -> (String, usize) {
    if QUOTES.contains(&chars[start])
        && let Some(closing) = (start + 1..chars.len()).find(|&i| QUOTES.contains(&chars[i]))
    {
        let value: String = chars[start + 1..closing].iter().collect();
        return (value.trim().to_string(), closing + 1);
    }
    let end = (start..chars.len()).find(|&i| chars[i].is_whitespace()).unwrap_or(chars.len());
    let value: String = chars[start..end].iter().filter(|c| !QUOTES.contains(c)).collect();
    (value, end)
}

/// Reads one item starting at `start` (not whitespace); returns it and where the next
/// item may start.
fn lex_item(chars: &[char], start: usize, notes: &mut Vec<String>) -> (Option<Item>, usize) {
    let mut index = start;
    let mut excluded = false;
    if matches!(chars[index], '-' | '－') && chars.get(index + 1).is_some_and(|c| !c.is_whitespace()) {
        excluded = true;
        index += 1;
    } else if chars[index] == '+' && chars.get(index + 1).is_some_and(|c| !c.is_whitespace()) {
        index += 1;
    }
    for name in FILTER_NAMES {
        let Some(colon) = prefix_at(chars, index, name) else { continue };
        if chars.get(colon + 1).is_none_or(|c| c.is_whitespace()) {
            return bare_prefix(chars, index, colon, excluded, notes);
        }
        let (value, next) = filter_value(chars, colon + 1);
        if excluded {
            notes.push(format!("-{name}:{value} was ignored: filters cannot exclude"));
            return (None, next);
        }
        if value.is_empty() {
            notes.push(format!("{name}: has an empty value; it was ignored"));
            return (None, next);
        }
        return (Some(Item::Filter { name, value }), next);
    }
    let mut field = None;
    for (name, query_field) in [("title", QueryField::Title), ("body", QueryField::Body)] {
        let Some(prefix_end) = prefix_at(chars, index, name) else { continue };
        if chars.get(prefix_end + 1).is_none_or(|c| c.is_whitespace()) {
            return bare_prefix(chars, index, prefix_end, excluded, notes);
        }
        field = Some(query_field);
        index = prefix_end + 1;
        // `title:-足球` excludes, as `-title:足球` does.
        if !excluded
            && matches!(chars[index], '-' | '－')
            && chars.get(index + 1).is_some_and(|c| !c.is_whitespace())
        {
            excluded = true;
            index += 1;
        }
        break;
    }
    if QUOTES.contains(&chars[index]) {
        let closing = (index + 1..chars.len()).find(|&i| QUOTES.contains(&chars[i]));
        if let Some(closing) = closing {
            let mut text: String = chars[index + 1..closing].iter().collect();
            let mut next = closing + 1;
            let mut slop = 0;
            let stars = chars[next..].iter().take_while(|c| matches!(c, '*' | '＊')).count();
            next += stars;
            // `"trade wa*"`: a star closing the last word inside the quotes says the same.
            let inner =
                text.trim_end().strip_suffix(['*', '＊']).map(|rest| rest.trim_end_matches(['*', '＊']));
            let prefix = match inner {
                Some(rest) if rest.ends_with(char::is_alphanumeric) => {
                    text = rest.to_string();
                    true
                }
                _ => stars > 0,
            };
            if chars.get(next) == Some(&'~') {
                let digits_end =
                    (next + 1..chars.len()).find(|&i| !chars[i].is_ascii_digit()).unwrap_or(chars.len());
                let digits: String = chars[next + 1..digits_end].iter().collect();
                let rest: String = chars[digits_end..].iter().take_while(|c| !c.is_whitespace()).collect();
                if digits.is_empty() {
                    // `~x`, `~-1`: not a slop, and not meant as words or exclusions either.
                    notes.push(format!(
                        "\"~{rest}\" after a phrase is not a number of positions; it was ignored"
                    ));
                    next = digits_end + rest.chars().count();
                } else {
                    slop = match digits.parse::<u32>() {
                        Ok(value) if value <= MAX_SLOP => value,
                        // Digits too many for a u32 are a slop too large all the same.
                        _ => {
                            notes
                                .push(format!("phrase slop {digits} was lowered to the maximum, {MAX_SLOP}"));
                            MAX_SLOP
                        }
                    };
                    if !rest.is_empty() {
                        notes.push(format!(
                            "\"~{digits}\" is followed by {rest:?} without a space; it was read as words of its own"
                        ));
                    }
                    next = digits_end;
                }
            }
            let atom = if prefix {
                Atom::PhrasePrefix { field, text, slop }
            } else {
                Atom::Phrase { field, text, slop }
            };
            return (Some(Item::Atom { excluded, atom }), next);
        }
        notes.push("a quote has no closing quote; the rest was searched as words".to_string());
        index += 1;
    }
    let end = (index..chars.len()).find(|&i| chars[i].is_whitespace()).unwrap_or(chars.len());
    let text: String = chars[index..end].iter().filter(|c| !QUOTES.contains(c)).collect();
    if text.is_empty() {
        return (None, end.max(start + 1));
    }
    if !excluded && field.is_none() && text.chars().all(|c| matches!(c, '*' | '＊')) {
        return (Some(Item::Everything), end);
    }
    if field.is_none() {
        note_unknown_field(&text, notes);
    }
    if let Some(stem) = text.strip_suffix(['*', '＊']) {
        let stem = stem.trim_end_matches(['*', '＊']);
        if !stem.is_empty() && !stem.contains(['*', '＊']) {
            return (
                Some(Item::Atom { excluded, atom: Atom::Prefix { field, text: stem.to_string() } }),
                end,
            );
        }
    }
    let text = without_boost(text, notes);
    if let Some((word, edits)) = fuzzy(&text, notes) {
        return (Some(Item::Atom { excluded, atom: Atom::Fuzzy { field, text: word, edits } }), end);
    }
    if !excluded && field.is_none() {
        if text == "OR" || text == "|" {
            return (Some(Item::Or), end);
        }
        if text == "AND" {
            return (Some(Item::And), end);
        }
        if text == "NOT" {
            return (Some(Item::Not), end);
        }
    }
    (Some(Item::Atom { excluded, atom: Atom::Words { field, text } }), end)
}

/// A word with a boost (`半导体^2`) after it, as other query languages write it: the
/// word alone, with a note, rather than the number searched as a word of its own.
fn without_boost(text: String, notes: &mut Vec<String>) -> String {
    let Some((word, number)) = text.rsplit_once('^') else { return text };
    let is_number =
        number.chars().any(|c| c.is_ascii_digit()) && number.chars().all(|c| c.is_ascii_digit() || c == '.');
    if word.is_empty() || !is_number {
        return text;
    }
    notes.push(format!("boosts (^{number}) are not supported; \"{text}\" was searched as \"{word}\""));
    word.to_string()
}

/// A word with a fuzziness after it, as Lucene's query language writes it (`tarif~`,
/// `tarif~1`): the word and the edits typed, if any. More than [`MAX_FUZZY_EDITS`] is
/// lowered to it, and a fraction (Lucene's old similarity, `tarif~0.8`) read as no
/// number, each with a note. `None` when `text` is no such word.
fn fuzzy(text: &str, notes: &mut Vec<String>) -> Option<(String, Option<u8>)> {
    let (word, number) = text.rsplit_once('~')?;
    if word.is_empty() || word.ends_with('~') {
        return None;
    }
    if number.is_empty() {
        return Some((word.to_string(), None));
    }
    if !number.chars().any(|c| c.is_ascii_digit()) || !number.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return None;
    }
    let edits = match number.parse::<u64>() {
        Ok(edits) if edits <= u64::from(MAX_FUZZY_EDITS) => Some(edits as u8),
        Ok(_) => {
            notes.push(format!(
                "{text} asks for more edits than the maximum, {MAX_FUZZY_EDITS}; it was lowered"
            ));
            Some(MAX_FUZZY_EDITS)
        }
        Err(_) => {
            notes.push(format!(
                "\"~{number}\" is not a number of edits; \"{text}\" was searched as \"{word}~\""
            ));
            None
        }
    };
    Some((word.to_string(), edits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Atom {
        Atom::Words { field: None, text: text.to_string() }
    }

    fn clauses(query: &str) -> Vec<Clause> {
        parse(query).expect("parses").clauses
    }

    #[test]
    fn words_phrases_exclusions_fields_and_alternatives() {
        let parsed = clauses("华为 \"南京市长江大桥\"~2 -足球 title:芯片 苹果 OR 小米");
        assert_eq!(
            parsed,
            vec![
                Clause { excluded: false, alternatives: vec![words("华为")] },
                Clause {
                    excluded: false,
                    alternatives: vec![Atom::Phrase {
                        field: None, text: "南京市长江大桥".into(), slop: 2
                    }]
                },
                Clause { excluded: true, alternatives: vec![words("足球")] },
                Clause {
                    excluded: false,
                    alternatives: vec![Atom::Words { field: Some(QueryField::Title), text: "芯片".into() }]
                },
                Clause { excluded: false, alternatives: vec![words("苹果"), words("小米")] },
            ]
        );
    }

    #[test]
    fn not_in_capitals_excludes_the_next_word_or_phrase() {
        let excluded = |atom: Atom| Clause { excluded: true, alternatives: vec![atom] };
        let required = |atom: Atom| Clause { excluded: false, alternatives: vec![atom] };
        assert_eq!(
            clauses("华为 NOT 足球 NOT \"trade war\""),
            vec![
                required(words("华为")),
                excluded(words("足球")),
                excluded(Atom::Phrase { field: None, text: "trade war".into(), slop: 0 }),
            ]
        );
        assert_eq!(clauses("华为 AND 小米"), vec![required(words("华为")), required(words("小米"))]);
        // Lower case is a word, as typed.
        assert_eq!(clauses("not guilty"), vec![required(words("not")), required(words("guilty"))]);
        let dangling = parse("华为 NOT").expect("a dangling NOT parses");
        assert_eq!(dangling.clauses, vec![required(words("华为"))]);
        assert_eq!(dangling.notes, vec!["NOT needs a word after it; it was ignored".to_string()]);
        let twice = parse("华为 NOT NOT 足球").expect("NOT NOT parses");
        assert_eq!(twice.clauses, vec![required(words("华为")), excluded(words("足球"))]);
        assert_eq!(twice.notes, vec!["NOT after NOT was ignored".to_string()]);
        let or_not = parse("华为 OR NOT 小米").expect("OR NOT parses");
        assert_eq!(or_not.clauses, vec![required(words("华为")), excluded(words("小米"))]);
        assert_eq!(or_not.notes, vec!["OR before an excluded word was ignored".to_string()]);
    }

    #[test]
    fn curly_and_corner_quotes_make_phrases() {
        for query in ["“贸易战”", "「貿易戰」"] {
            let parsed = clauses(query);
            assert!(matches!(parsed[0].alternatives[0], Atom::Phrase { .. }), "help: {query} is a phrase");
        }
    }

    #[test]
    fn odd_input_degrades_with_notes() {
        let lone = parse("\"trade war").expect("a lone quote parses");
        assert_eq!(
            lone.clauses,
            vec![
                Clause { excluded: false, alternatives: vec![words("trade")] },
                Clause { excluded: false, alternatives: vec![words("war")] }
            ]
        );
        assert_eq!(lone.notes.len(), 1);
        let empty_field = parse("title:").expect("a bare field parses");
        assert_eq!(empty_field.clauses[0].alternatives[0], words("title"));
        for query in ["\"a b\"~99", "\"a b\"~99999999999999999999"] {
            let slop = parse(query).expect("a large slop parses");
            assert_eq!(
                slop.clauses[0].alternatives[0],
                Atom::Phrase { field: None, text: "a b".into(), slop: MAX_SLOP },
                "{query}"
            );
            assert!(slop.notes[0].contains("lowered"), "{query}: {:?}", slop.notes);
        }
        let glued = parse("\"a b\"~2x").expect("a slop glued to a word parses");
        assert_eq!(
            glued.clauses,
            vec![
                Clause {
                    excluded: false,
                    alternatives: vec![Atom::Phrase { field: None, text: "a b".into(), slop: 2 }]
                },
                Clause { excluded: false, alternatives: vec![words("x")] }
            ]
        );
        assert!(glued.notes[0].contains("\"~2\" is followed by \"x\""), "{:?}", glued.notes);
        for query in ["\"a b\"~-1", "\"a b\"~x", "\"a b\"~"] {
            let not_a_slop = parse(query).expect("a slop that is not a number parses");
            assert_eq!(
                not_a_slop.clauses,
                vec![Clause {
                    excluded: false,
                    alternatives: vec![Atom::Phrase { field: None, text: "a b".into(), slop: 0 }]
                }],
                "help: {query}: what follows the ~ is neither words nor an exclusion"
            );
            assert!(not_a_slop.notes[0].contains("is not a number of positions"), "{:?}", not_a_slop.notes);
        }
        let dangling = parse("OR 华为 OR").expect("dangling OR parses");
        assert_eq!(dangling.clauses, vec![Clause { excluded: false, alternatives: vec![words("华为")] }]);
        assert_eq!(dangling.notes.len(), 2);
        let lone_and = parse("AND AND").expect("AND alone parses");
        assert!(lone_and.clauses.is_empty());
        assert_eq!(lone_and.notes, ["AND needs a word on each side; it was ignored"]);
        assert!(parse("lang:en AND").expect("parses").notes.is_empty());
    }

    #[test]
    fn fields_of_other_query_languages_are_words_with_a_note() {
        for (query, word, note) in [
            (
                "site:bbc.com",
                "site:bbc.com",
                "site: is not a field of the query language (title:, body:, lang:, source:, category:); \
                 \"site:bbc.com\" was searched as words",
            ),
            (
                "Date:2024 关税",
                "Date:2024",
                "date: is not a field of the query language (title:, body:, lang:, source:, category:); \
                 \"Date:2024\" was searched as words; dates are filtered with the from and to parameters",
            ),
        ] {
            let parsed = parse(query).expect("parses");
            assert_eq!(parsed.clauses[0].alternatives[0], words(word), "{query}");
            assert_eq!(parsed.notes, [note], "{query}");
        }
        for query in ["https://example.com/a", "10:30", "记者：张三", "a:b", "title:x:y", "\"site:bbc.com\""]
        {
            assert!(parse(query).expect("parses").notes.is_empty(), "{query}");
        }
    }

    #[test]
    fn filters_narrow_the_search_and_field_exclusions_exclude() {
        let parsed = parse("lang:en LANG：zh-TW source:\"Pacific Ledger\" category:trade 关税 lang:en")
            .expect("parses");
        assert_eq!(parsed.clauses, vec![Clause { excluded: false, alternatives: vec![words("关税")] }]);
        assert_eq!(parsed.filters.lang, [Lang::En, Lang::ZhHant], "help: values are alternatives, kept once");
        assert_eq!(parsed.filters.source, ["Pacific Ledger"]);
        assert_eq!(parsed.filters.category, ["trade"]);
        assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
        // Filters only narrow: excluded or joined by OR, they are left out with a note.
        for (query, note) in [
            ("-lang:en 关税", "-lang:en was ignored: filters cannot exclude"),
            ("NOT lang:en 关税", "NOT lang:en was ignored: filters cannot exclude"),
            ("lang:fr 关税", "lang:fr is not a language newsdex knows"),
            ("category:\"\" 关税", "category: has an empty value"),
        ] {
            let parsed = parse(query).expect("parses");
            assert!(parsed.filters.is_empty(), "{query}: {:?}", parsed.filters);
            assert!(parsed.notes.iter().any(|n| n.starts_with(note)), "{query}: {:?}", parsed.notes);
        }
        let joined = parse("关税 OR lang:en").expect("parses");
        assert_eq!(joined.filters.lang, [Lang::En]);
        assert!(joined.notes[0].starts_with("OR before lang:en was ignored"), "{:?}", joined.notes);
        let bare = parse("lang: 关税").expect("parses");
        assert_eq!(bare.clauses[0].alternatives[0], words("lang"));
        // A field's exclusion may follow its prefix.
        for query in ["title:-足球", "-title:足球", "title:－足球"] {
            let parsed = parse(query).expect("parses");
            let atom = Atom::Words { field: Some(QueryField::Title), text: "足球".into() };
            assert_eq!(parsed.clauses, vec![Clause { excluded: true, alternatives: vec![atom] }], "{query}");
        }
    }

    #[test]
    fn alternatives_count_towards_the_clause_limit() {
        let words: Vec<String> = (0..MAX_CLAUSES + 6).map(|i| format!("w{i}")).collect();
        let alternatives = parse(&words.join(" OR ")).expect("parses");
        assert_eq!(alternatives.clauses.len(), 1);
        assert_eq!(
            alternatives.clauses[0].alternatives.len(),
            MAX_CLAUSES,
            "help: OR must not lift the limit"
        );
        let mixed = parse(&format!("a b {}", words[..MAX_CLAUSES].join(" OR "))).expect("parses");
        let kept: usize = mixed.clauses.iter().map(|clause| clause.alternatives.len()).sum();
        assert_eq!((mixed.clauses.len(), kept), (3, MAX_CLAUSES));
        assert_eq!(
            mixed.notes,
            [format!(
                "only the first {MAX_CLAUSES} words, phrases and alternatives of the query were searched"
            )]
        );
        let clauses = parse(&words.join(" ")).expect("parses");
        assert_eq!(clauses.clauses.len(), MAX_CLAUSES);
        assert!(parse(&words[..MAX_CLAUSES].join(" OR ")).expect("parses").notes.is_empty());
    }

    #[test]
    fn a_star_after_a_word_makes_a_prefix() {
        let prefix = |field, text: &str| Atom::Prefix { field, text: text.to_string() };
        assert_eq!(
            clauses("semicond* title:半导＊ -chip**"),
            vec![
                Clause { excluded: false, alternatives: vec![prefix(None, "semicond")] },
                Clause { excluded: false, alternatives: vec![prefix(Some(QueryField::Title), "半导")] },
                Clause { excluded: true, alternatives: vec![prefix(None, "chip")] },
            ]
        );
        assert_eq!(clauses("华为 OR 小米*")[0].alternatives[1], prefix(None, "小米"));
        // A star alone matches everything; inside a word or in a phrase it is not a prefix.
        let star = parse("* se*mi").expect("parses");
        assert!(star.everything);
        assert_eq!(star.clauses[0].alternatives[0], words("se*mi"));
        for query in ["*", "**", "＊", "lang:en *"] {
            let everything = parse(query).expect("parses");
            assert!(everything.everything && everything.clauses.is_empty(), "{query}");
        }
        let or_star = parse("华为 OR *").expect("parses");
        assert!(or_star.everything);
        assert_eq!(or_star.notes, ["* matches every article; the OR or NOT before it was ignored"]);
        assert!(!parse("-*").expect("parses").everything, "help: -* is no way to ask for everything");
    }

    #[test]
    fn a_star_after_a_phrase_or_its_last_word_makes_a_phrase_prefix() {
        let phrase_prefix =
            |text: &str, slop| Atom::PhrasePrefix { field: None, text: text.to_string(), slop };
        let parsed = parse("\"trade wa\"* 关税").expect("parses");
        assert!(!parsed.everything, "help: the star belongs to the phrase");
        assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
        assert_eq!(parsed.clauses.len(), 2);
        assert_eq!(parsed.clauses[0].alternatives[0], phrase_prefix("trade wa", 0));
        for (query, text, slop) in [
            ("\"trade wa*\"", "trade wa", 0),
            ("“贸易 战＊”", "贸易 战", 0),
            ("\"trade wa\"**~2", "trade wa", 2),
            ("\"trade wa*\"*", "trade wa", 0),
        ] {
            assert_eq!(clauses(query)[0].alternatives[0], phrase_prefix(text, slop), "{query}");
        }
        let in_title = clauses("-title:\"trade wa\"*");
        assert!(in_title[0].excluded);
        assert_eq!(
            in_title[0].alternatives[0],
            Atom::PhrasePrefix { field: Some(QueryField::Title), text: "trade wa".into(), slop: 0 }
        );
        // A star not closing a word inside the quotes is punctuation, as elsewhere.
        assert!(matches!(clauses("\"trade * war\"")[0].alternatives[0], Atom::Phrase { .. }));
        assert!(matches!(clauses("\"trade war *\"")[0].alternatives[0], Atom::Phrase { .. }));
    }

    #[test]
    fn boosts_of_other_query_languages_are_dropped_with_a_note() {
        for (query, word, note) in [
            ("半导体^2", "半导体", "boosts (^2) are not supported; \"半导体^2\" was searched as \"半导体\""),
            ("tariff^1.5", "tariff", "boosts (^1.5)"),
        ] {
            let parsed = parse(query).expect("parses");
            assert_eq!(parsed.clauses[0].alternatives, vec![words(word)], "{query}");
            assert!(parsed.notes[0].starts_with(note), "{query}: {:?}", parsed.notes);
        }
        // Other carets and tildes are text.
        for query in ["x^y", "^2", "~", "a~b", "x^.", "x^", "a~~", "x~y2"] {
            let parsed = parse(query).expect("parses");
            assert_eq!(parsed.clauses[0].alternatives, vec![words(query)], "{query}");
            assert!(parsed.notes.is_empty(), "{query}: {:?}", parsed.notes);
        }
    }

    #[test]
    fn a_tilde_after_a_word_makes_it_fuzzy() {
        let fuzzy = |field, text: &str, edits| Atom::Fuzzy { field, text: text.to_string(), edits };
        assert_eq!(
            clauses("tarif~ title:chipmaker~1 -tarrif~0"),
            vec![
                Clause { excluded: false, alternatives: vec![fuzzy(None, "tarif", None)] },
                Clause {
                    excluded: false,
                    alternatives: vec![fuzzy(Some(QueryField::Title), "chipmaker", Some(1))]
                },
                Clause { excluded: true, alternatives: vec![fuzzy(None, "tarrif", Some(0))] },
            ]
        );
        let boosted = parse("tarif~1^2").expect("parses");
        assert_eq!(boosted.clauses[0].alternatives, [fuzzy(None, "tarif", Some(1))]);
        let many = parse("tarif~7").expect("parses");
        assert_eq!(many.clauses[0].alternatives, [fuzzy(None, "tarif", Some(MAX_FUZZY_EDITS))]);
        assert_eq!(many.notes, ["tarif~7 asks for more edits than the maximum, 2; it was lowered"]);
        let similarity = parse("tarif~0.8").expect("parses");
        assert_eq!(similarity.clauses[0].alternatives, [fuzzy(None, "tarif", None)]);
        assert_eq!(
            similarity.notes,
            ["\"~0.8\" is not a number of edits; \"tarif~0.8\" was searched as \"tarif~\""]
        );
        let huge = parse("tarif~99999999999999999999").expect("parses");
        assert_eq!(
            huge.clauses[0].alternatives,
            [fuzzy(None, "tarif", None)],
            "help: too many digits for a u64"
        );
    }

    #[test]
    fn overlong_and_blank_queries_are_errors() {
        assert!(parse(&"长".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(parse("  \u{3000} ").is_err());
        assert!(parse("-").is_ok(), "help: a lone minus is a word, not an error");
    }
}
