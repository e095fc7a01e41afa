//! Property tests of the analyzer and the query parser over arbitrary mixed text.

use newsdex::{AnalysisMode, Analyzer, SearchRequest};
use proptest::prelude::*;

/// Characters that exercise every path: ASCII, CJK in both scripts, full-width forms,
/// punctuation of both languages, connectors, emoji, Extension B, combining marks.
fn mixed_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        2 => proptest::char::range('0', '9'),
        6 => proptest::sample::select("的是在了华为发布手机臺灣半導體產業南京市长江大桥經濟學家瞭解藉由回覆乾隆".chars().collect::<Vec<_>>()),
        2 => proptest::char::range('\u{4E00}', '\u{9FFF}'),
        2 => proptest::char::range('\u{FF01}', '\u{FF5E}'),
        2 => proptest::sample::select(vec![' ', '\n', '\t', '\u{3000}', '。', '，', '！', '？', '、', '「', '」', '.', ',', '!', '?', '-', '\'', '’', '+', '#', '&', '/', '_', '"']),
        1 => proptest::sample::select(vec!['😀', '𠀀', '𡃁', 'é', '\u{0301}', 'ﬁ', '①', '㈱', 'İ', 'ß', '\u{FEFF}', '\0']),
        1 => any::<char>(),
    ]
}

fn mixed_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(mixed_char(), 0..120).prop_map(|chars| chars.into_iter().collect())
}

/// Queries built from the query language's own pieces: operators, fields, filters,
/// quotes and slops, prefixes and phrase prefixes, fuzzy words and boosts, between words (one with another
/// region's wording, some misspelt) and arbitrary text.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("lang:".to_string()),
        Just("source:".to_string()),
        Just("category:".to_string()),
        Just("title:".to_string()),
        Just("body:".to_string()),
        Just("LANG：".to_string()),
        Just("OR".to_string()),
        Just("NOT".to_string()),
        Just("AND".to_string()),
        Just("-".to_string()),
        Just("\"".to_string()),
        Just("~3".to_string()),
        Just("~".to_string()),
        Just("*".to_string()),
        Just("\"*".to_string()),
        Just("^2".to_string()),
        Just("tarif".to_string()),
        Just("inflaton".to_string()),
        Just("Vacine".to_string()),
        Just("软件".to_string()),
        Just("en".to_string()),
        Just("zh-Hant".to_string()),
        Just("trade".to_string()),
        Just("半导体".to_string()),
        Just(" ".to_string()),
        Just(" ".to_string()),
        mixed_text().prop_map(|text| text.chars().take(6).collect()),
    ];
    proptest::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

/// Half-width printable ASCII turned into its full-width form (the rest unchanged).
fn to_full_width(text: &str) -> String {
    text.chars()
        .map(|c| if ('!'..='~').contains(&c) { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c })
        .collect()
}

fn analyzer() -> &'static Analyzer {
    static ANALYZER: std::sync::OnceLock<Analyzer> = std::sync::OnceLock::new();
    ANALYZER.get_or_init(Analyzer::new)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn tokens_slice_the_original_on_char_boundaries(text in mixed_text()) {
        for mode in [AnalysisMode::Index, AnalysisMode::Query] {
            for token in analyzer().analyze(&text, mode) {
                prop_assert!(token.offset_from < token.offset_to, "empty range {token:?}");
                prop_assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
                prop_assert!(text.get(token.offset_from..token.offset_to).is_some());
                prop_assert!(!token.text.is_empty());
                prop_assert!(!token.text.chars().any(char::is_whitespace), "whitespace in {token:?}");
            }
        }
    }

    #[test]
    fn positions_never_decrease(text in mixed_text()) {
        for mode in [AnalysisMode::Index, AnalysisMode::Query] {
            let tokens = analyzer().analyze(&text, mode);
            for pair in tokens.windows(2) {
                prop_assert!(pair[0].position <= pair[1].position, "{:?} then {:?}", pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn full_width_and_half_width_give_the_same_tokens(text in mixed_text()) {
        let full = to_full_width(&text);
        for mode in [AnalysisMode::Index, AnalysisMode::Query] {
            let half_texts: Vec<String> = analyzer().analyze(&text, mode).into_iter().map(|t| t.text).collect();
            let full_texts: Vec<String> = analyzer().analyze(&full, mode).into_iter().map(|t| t.text).collect();
            prop_assert_eq!(half_texts, full_texts);
        }
    }

    #[test]
    fn query_words_are_index_words(text in mixed_text()) {
        // Every word a query produces is also produced when indexing the same text, so a
        // document always matches a query made of its own text.
        let indexed: std::collections::HashSet<String> =
            analyzer().analyze(&text, AnalysisMode::Index).into_iter().map(|t| t.text).collect();
        for token in analyzer().analyze(&text, AnalysisMode::Query) {
            prop_assert!(indexed.contains(&token.text), "query word {:?} not indexed", token.text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_query_searches_or_fails_as_the_callers_error(query in mixed_text()) {
        let index = crate::support::sample_index();
        match index.search(&SearchRequest::new(query.clone())) {
            Ok(response) => prop_assert!(response.hits.len() <= 10),
            Err(error) => prop_assert!(error.is_user_error(), "{query:?}: {error}"),
        }
    }

    #[test]
    fn any_query_syntax_searches_or_fails_as_the_callers_error(query in query_text()) {
        let index = crate::support::sample_index();
        match index.search(&SearchRequest::new(query.clone())) {
            Ok(response) => {
                prop_assert!(response.hits.len() <= 10);
                // A filter typed into the query holds for every hit.
                for hit in &response.hits {
                    prop_assert!(
                        response.applied.lang.is_empty() || hit.lang.is_some_and(|lang| response.applied.lang.contains(&lang)),
                        "{query:?}: {} is outside {:?}", hit.id, response.applied.lang
                    );
                }
                // A suggestion is another query in the same syntax, and searches too.
                if let Some(suggestion) = &response.suggestion {
                    prop_assert!(suggestion.split_whitespace().ne(query.split_whitespace()), "{query:?}");
                    let respelt = index.search(&SearchRequest::new(suggestion.clone()));
                    prop_assert!(respelt.is_ok(), "{query:?} → {suggestion:?}: {:?}", respelt.err());
                }
            }
            Err(error) => prop_assert!(error.is_user_error(), "{query:?}: {error}"),
        }
    }
}
