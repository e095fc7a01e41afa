//! A phrase whose last word may be any of several: the words a phrase prefix
//! (`"中国 经"*`) stands for, searched as one phrase.
//!
//! A phrase for each word (`中国 经济`, `中国 经营`, … fifty of them) reads the positions of
//! the words before the prefix again for every phrase: on a million articles
//! `"中国 经"*` spent most of about 100 ms in reading `中国`'s positions. tantivy's
//! [`RegexPhraseQuery`] matches one phrase over the union of the words' postings, reading
//! each position list once; it is given the words as one alternation and the words
//! before as literals. Its BM25 weight would take the alternation for a word no article
//! holds, with the highest IDF there is: the statistics it is given say instead that the
//! alternation is in as many articles as its commonest word, so that every word scores
//! with the commonest word's IDF, as a prefix's words do (and the phrase is bounded by
//! the BM25 weight of its words before and that commonest word).

use tantivy::Term;
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query, RegexPhraseQuery, Weight};
use tantivy::schema::Field;

/// The phrase of `lead` (words at their offsets) with any of a list of words at one
/// offset after them.
#[derive(Debug, Clone)]
pub(crate) struct PhraseEndingInAny {
    query: RegexPhraseQuery,
    /// The terms tantivy's statistics are asked about (each pattern), with the term
    /// whose statistics they stand for.
    stand_ins: Vec<(Term, Term)>,
    /// The words before and the words the phrase may end in, as terms.
    terms: Vec<Term>,
}

impl PhraseEndingInAny {
    /// The phrase of `lead` then, at `offset`, any of `words`, in `field` within `slop`
    /// moves, scoring the last word with the statistics of `commonest`. `None` without a
    /// word before or a word to end in, or when the alternation's automaton is larger
    /// than tantivy's regular expressions allow (1,000 states: about fifty words of
    /// twenty letters).
    pub(crate) fn new(
        field: Field,
        lead: &[(usize, String)],
        offset: usize,
        words: &[&str],
        commonest: &str,
        slop: u32,
    ) -> Option<PhraseEndingInAny> {
        if lead.is_empty() || words.is_empty() {
            return None;
        }
        let term = |word: &str| Term::from_field_text(field, word);
        let mut patterns: Vec<(usize, String)> = Vec::with_capacity(lead.len() + 1);
        let mut stand_ins = Vec::with_capacity(lead.len() + 1);
        for (position, word) in lead {
            let pattern = literal(word);
            stand_ins.push((term(&pattern), term(word)));
            patterns.push((*position, pattern));
        }
        let alternation =
            format!("({})", words.iter().map(|word| literal(word)).collect::<Vec<_>>().join("|"));
        stand_ins.push((term(&alternation), term(commonest)));
        patterns.push((offset, alternation));
        let mut query = RegexPhraseQuery::new_with_offset_and_slop(field, patterns, slop);
        query.set_max_expansions(u32::try_from(words.len() + lead.len()).unwrap_or(u32::MAX));
        // Compiled now (and kept), so that a pattern too large fails here, not mid-search.
        query.regexes().ok()?;
        let terms =
            lead.iter().map(|(_, word)| term(word)).chain(words.iter().map(|word| term(word))).collect();
        Some(PhraseEndingInAny { query, stand_ins, terms })
    }
}

/// `word` as a regular expression matching exactly it.
fn literal(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len());
    for c in word.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern
}

impl Query for PhraseEndingInAny {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        match enable_scoring {
            EnableScoring::Enabled { searcher, statistics_provider } => {
                let statistics = StandIns { statistics: statistics_provider, stand_ins: &self.stand_ins };
                self.query.weight(EnableScoring::enabled_from_statistics_provider(&statistics, searcher))
            }
            disabled => self.query.weight(disabled),
        }
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for term in &self.terms {
            visitor(term, true);
        }
    }
}

/// Statistics that answer for each pattern with the statistics of its stand-in term.
struct StandIns<'a> {
    statistics: &'a dyn Bm25StatisticsProvider,
    stand_ins: &'a [(Term, Term)],
}

impl Bm25StatisticsProvider for StandIns<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        self.statistics.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.statistics.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let stand_in =
            self.stand_ins.iter().find(|(pattern, _)| pattern == term).map_or(term, |(_, word)| word);
        self.statistics.doc_freq(stand_in)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{Schema, TEXT};

    use super::*;

    #[test]
    fn too_many_long_words_for_one_automaton_are_refused_not_an_error_later() {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("body", TEXT);
        let lead = [(0, "central".to_string())];
        let words: Vec<String> = (0..60).map(|i| format!("w{i:02}abcdefghijklmnopqrstuvwxyz")).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        assert!(PhraseEndingInAny::new(field, &lead, 1, &words[..10], words[0], 0).is_some());
        assert!(PhraseEndingInAny::new(field, &lead, 1, &words, words[0], 0).is_none());
        assert!(PhraseEndingInAny::new(field, &[], 1, &words[..10], words[0], 0).is_none());
    }

    #[test]
    fn words_become_patterns_matching_exactly_them() {
        assert_eq!(literal("经济"), "经济");
        assert_eq!(literal("6.2"), "6\\.2");
        assert_eq!(literal("c++"), "c\\+\\+");
        assert_eq!(literal("a|(b)"), "a\\|\\(b\\)");
    }
}
