//! newsdex queries in Quickwit's query language, and the search requests that carry them.
//!
//! The query is analysed by newsdex (the same [`AnalyzedQuery`] the local backend
//! compiles), then written clause by clause:
//!
//! - a word `w` in a field `f` with boost `b`: `(f_words:"w" OR f_subwords:"w")^b`, over
//!   the title and the body unless the query names one; an alphanumeric word also
//!   matches its parts as a phrase, `f_words:"iphon 15"`;
//! - a phrase: `f_words:"w1 w2 w3"~slop`, with [`FILLER`] tokens where the words are
//!   further apart than adjacent (a phrase typed across a sentence end);
//! - required clauses take `+`, excluded ones `-`, and the proximity bonus (the plain
//!   words as a phrase with slop 3) stands unprefixed, so it only adds to the score.
//!
//! Every term is double-quoted, with `"` and `\` escaped: inside quotes nothing else is
//! special, so a token such as `c++`, `covid-19` or `3.6.3` reaches Quickwit's
//! `whitespace` tokenizer as written. The query string goes in a `query_string` query
//! (whose `^` boosts Quickwit honours, unlike boosts on `match`), with
//! `default_operator: OR` so that unprefixed clauses are optional, as in Lucene.
//!
//! Searches use the Elasticsearch-compatible endpoint: the native `/search` endpoint
//! returns documents without scores, while `_elastic/{index}/_search` sorted on `_score`
//! returns each hit's score as its `sort` value. Results are always sorted explicitly:
//! Quickwit does not sort by score unless asked.

use serde_json::{Value, json};

use crate::article::ArticleDate;
use crate::error::{Error, Result};
use crate::query::QueryField;
use crate::search::{
    AnalyzedAtom, AnalyzedQuery, AtomKind, Expansion, Matching, PROXIMITY_SLOP, QueryWord, RankingConfig,
    SearchRequest, SortOrder, facet_aggregations,
};

use super::mapping::{FILLER, field, fillers_between};

/// The query string for `analyzed` in one matching mode.
pub(crate) fn query_string(
    analyzed: &AnalyzedQuery,
    matching: Matching,
    ranking: &RankingConfig,
) -> Result<String> {
    ranking.validate()?;
    let required = if matching == Matching::All { "+" } else { "" };
    let mut parts = Vec::new();
    for clause in &analyzed.clauses {
        let alternatives: Vec<String> = clause
            .alternatives
            .iter()
            .map(|atom| atom_query(atom, matching, ranking))
            .collect::<Result<_>>()?;
        let prefix = if clause.excluded { "-" } else { required };
        parts.push(format!("{prefix}({})", alternatives.join(" OR ")));
    }
    if analyzed.match_all {
        parts.push("+*".to_string());
    }
    if ranking.proximity_boost > 0.0 && !analyzed.proximity_words.is_empty() {
        let words: Vec<(usize, String)> = analyzed.proximity_words.iter().cloned().enumerate().collect();
        let bonus: Vec<String> = [QueryField::Title, QueryField::Body]
            .iter()
            .map(|query_field| {
                boosted(
                    phrase(words_field(*query_field), &words, PROXIMITY_SLOP),
                    ranking.boost(*query_field),
                )
            })
            .collect();
        parts.push(boosted(format!("({})", bonus.join(" OR ")), ranking.proximity_boost));
    }
    Ok(parts.join(" "))
}

/// One atom in Quickwit's query language; a prefix or fuzzy word is refused: expanding it needs the
/// index's words, which Quickwit's search API does not list.
fn atom_query(atom: &AnalyzedAtom, matching: Matching, ranking: &RankingConfig) -> Result<String> {
    let fields = QueryField::either(atom.field);
    Ok(match &atom.kind {
        AtomKind::Word(word) => word_query(fields, word, ranking),
        AtomKind::Words(words) => {
            let prefix = if matching == Matching::All { "+" } else { "" };
            let parts: Vec<String> =
                words.iter().map(|word| format!("{prefix}{}", word_query(fields, word, ranking))).collect();
            format!("({})", parts.join(" "))
        }
        AtomKind::Phrase { words, slop } => {
            let per_field: Vec<String> = fields
                .iter()
                .map(|query_field| {
                    boosted(phrase(words_field(*query_field), words, *slop), ranking.boost(*query_field))
                })
                .collect();
            format!("({})", per_field.join(" OR "))
        }
        AtomKind::Expanded { typed, expansion, lead, .. } => {
            let (what, found_by) = match expansion {
                Expansion::Prefix(_) if lead.is_some() => ("phrase prefix search", "a prefix"),
                Expansion::Prefix(_) => ("prefix search", "a prefix"),
                Expansion::Fuzzy { .. } => ("fuzzy search", "a fuzzy word"),
            };
            return Err(Error::InvalidQuery(format!(
                "{what} ({typed}) needs a local index: Quickwit does not list the indexed words {found_by} stands for"
            )));
        }
    })
}

/// A word in each field, as a word or a sub-word, and its alternatives (one word the same
/// way, several as a phrase).
fn word_query(fields: &[QueryField], word: &QueryWord, ranking: &RankingConfig) -> String {
    let mut per_field = Vec::new();
    for query_field in fields {
        let boost = ranking.boost(*query_field);
        let mut options = Vec::new();
        for text in word.terms() {
            options.push(format!("{}:{}", words_field(*query_field), quoted(text)));
            options.push(format!("{}:{}", subwords_field(*query_field), quoted(text)));
        }
        for words in word.phrases() {
            let words: Vec<(usize, String)> = words.iter().cloned().enumerate().collect();
            options.push(phrase(words_field(*query_field), &words, 0));
        }
        per_field.push(boosted(format!("({})", options.join(" OR ")), boost));
    }
    format!("({})", per_field.join(" OR "))
}

/// `field:"w1 . . w2"~slop`: words at their offsets, fillers between.
fn phrase(field_name: &str, words: &[(usize, String)], slop: u32) -> String {
    let mut text = String::new();
    let mut previous: Option<usize> = None;
    for (offset, word) in words {
        if let Some(previous) = previous {
            text.push(' ');
            for _ in 0..fillers_between(previous, *offset) {
                text.push_str(FILLER);
                text.push(' ');
            }
        }
        text.push_str(word);
        previous = Some(*offset);
    }
    let slop = if slop > 0 { format!("~{slop}") } else { String::new() };
    format!("{field_name}:{}{slop}", quoted(&text))
}

/// `text` in double quotes, `"` and `\` escaped.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `query^boost`, or `query` for a boost of 1. Boosts are written as plain decimals
/// (`2`, `1.5`): the grammar takes no exponents.
fn boosted(query: String, boost: f32) -> String {
    if (boost - 1.0).abs() < f32::EPSILON {
        return query;
    }
    let query = if query.starts_with('(') { query } else { format!("({query})") };
    let mut number = format!("{boost:.6}");
    while number.ends_with('0') {
        number.pop();
    }
    if number.ends_with('.') {
        number.pop();
    }
    format!("{query}^{number}")
}

fn words_field(query_field: QueryField) -> &'static str {
    match query_field {
        QueryField::Title => field::TITLE_WORDS,
        QueryField::Body => field::BODY_WORDS,
    }
}

fn subwords_field(query_field: QueryField) -> &'static str {
    match query_field {
        QueryField::Title => field::TITLE_SUBWORDS,
        QueryField::Body => field::BODY_SUBWORDS,
    }
}

/// The filters of `request` as Elasticsearch-compatible `filter` clauses (they do not
/// change scores): keyword terms on the raw fields, a range on the date.
pub(crate) fn filters(request: &SearchRequest) -> Vec<Value> {
    let mut filters = Vec::new();
    let any_term = |field_name: &str, values: Vec<&str>| {
        let terms: Vec<Value> =
            values.into_iter().map(|value| json!({"term": {field_name: {"value": value}}})).collect();
        json!({"bool": {"should": terms}})
    };
    if !request.lang.is_empty() {
        filters.push(any_term(field::LANG, request.lang.iter().map(|lang| lang.as_str()).collect()));
    }
    if !request.source.is_empty() {
        filters.push(any_term(field::SOURCE, request.source.iter().map(String::as_str).collect()));
    }
    if !request.category.is_empty() {
        filters.push(any_term(field::CATEGORY, request.category.iter().map(String::as_str).collect()));
    }
    if request.from.is_some() || request.to.is_some() {
        let mut range = serde_json::Map::new();
        if let Some(from) = &request.from {
            range.insert("gte".into(), Value::String(rfc3339(from.unix_timestamp())));
        }
        if let Some(to) = &request.to {
            if to.is_date_only() {
                range.insert("lt".into(), Value::String(rfc3339(to.unix_timestamp() + 86_400)));
            } else {
                range.insert("lte".into(), Value::String(rfc3339(to.unix_timestamp())));
            }
        }
        filters.push(json!({"range": {field::DATE: range}}));
    }
    filters
}

/// Seconds since the epoch as an RFC 3339 instant in UTC.
fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|instant| instant.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ArticleDate::from_instant(time::OffsetDateTime::UNIX_EPOCH).to_string())
}

/// What page of hits to ask for.
pub(crate) struct Page {
    pub(crate) from: usize,
    pub(crate) size: usize,
    pub(crate) sort: SortOrder,
    pub(crate) facets: bool,
}

/// The body of `POST /api/v1/_elastic/{index}/_search`.
pub(crate) fn search_body(query: &str, filters: &[Value], page: &Page) -> Value {
    let sort = match page.sort {
        SortOrder::Relevance => json!([{"_score": {"order": "desc"}}]),
        SortOrder::Date => json!([{field::DATE: {"order": "desc"}}, {"_score": {"order": "desc"}}]),
    };
    let mut body = json!({
        "query": {"bool": {
            "must": [{"query_string": {"query": query, "default_operator": "OR"}}],
            "filter": filters,
        }},
        "from": page.from,
        "size": page.size,
        "sort": sort,
        "track_total_hits": true,
    });
    if page.facets {
        body["aggs"] = facet_aggregations();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;
    use crate::query::parse;
    use crate::search::analyze_query;

    fn translate(query: &str) -> String {
        let analyzed = analyze_query(&parse(query).expect("parses"), &Analyzer::new()).expect("analyses");
        query_string(&analyzed, Matching::All, &RankingConfig::default()).expect("translates")
    }

    #[test]
    fn a_word_searches_words_and_sub_words_of_both_fields_with_boosts() {
        assert_eq!(
            translate("大桥"),
            r#"+(((title_words:"大桥" OR title_subwords:"大桥")^2 OR (body_words:"大桥" OR body_subwords:"大桥")))"#
        );
    }

    #[test]
    fn phrases_go_to_the_positional_fields_with_their_slop() {
        assert_eq!(translate("body:\"trade war\"~2"), r#"+((body_words:"trade war"~2))"#);
    }

    #[test]
    fn exclusions_alternatives_and_the_proximity_bonus() {
        let translated = translate("华为 手机 -苹果");
        assert!(translated.starts_with("+(("), "{translated}");
        assert!(translated.contains(r#" -(((title_words:"苹果""#), "{translated}");
        assert!(
            translated.ends_with(r#" ((title_words:"华为 手机"~3)^2 OR body_words:"华为 手机"~3)^2"#),
            "{translated}"
        );
    }

    #[test]
    fn a_phrase_across_a_sentence_end_gets_fillers() {
        let translated = translate("body:\"举行。经济学家\"");
        let fillers = format!(" {}", [FILLER; super::super::mapping::EXPORTED_SENTENCE_GAP].join(" "));
        assert_eq!(translated, format!("+((body_words:\"举行{fillers} 经济学家\"))"));
    }

    #[test]
    fn the_other_regions_wording_is_searched_beside_the_word() {
        assert_eq!(
            translate("body:软件"),
            r#"+(((body_words:"软件" OR body_subwords:"软件" OR body_words:"软体" OR body_subwords:"软体")))"#
        );
        assert_eq!(translate("body:网络安全").matches(r#"body_words:"网路 安全""#).count(), 1);
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(boosted("x".into(), 1.5), "(x)^1.5");
        assert_eq!(boosted("x".into(), 1.0), "x");
        assert_eq!(boosted("(x)".into(), 0.0), "(x)^0");
    }

    #[test]
    fn prefixes_are_refused_not_written_empty() {
        let analyzed =
            analyze_query(&parse("trade semi*").expect("parses"), &Analyzer::new()).expect("analyses");
        let error = query_string(&analyzed, Matching::All, &RankingConfig::default()).expect_err("a prefix");
        assert!(error.to_string().contains("prefix search (semi*) needs a local index"), "{error}");
    }

    #[test]
    fn negative_boosts_are_refused() {
        let analyzed = analyze_query(&parse("a1").expect("parses"), &Analyzer::new()).expect("analyses");
        let ranking = RankingConfig { body_boost: -1.0, ..RankingConfig::default() };
        assert!(query_string(&analyzed, Matching::All, &ranking).is_err());
    }
}
