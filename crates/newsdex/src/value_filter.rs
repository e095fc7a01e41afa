//! A filter on a keyword field (`lang`, `source`, `category`): articles whose value is one
//! of a few given values.
//!
//! As a union of term queries, a filter that most articles pass (`lang:zh-Hans,en`) is
//! costly to ask about single documents: every seek refills the union's window of 4,096
//! documents from each value's postings, which hold most documents. The ranking under
//! filters ([`Filtered`](crate::filtered::Filtered)) and the counting pass ask exactly
//! that, one document at a time. Here, in a segment where the values hold at least an
//! eighth of the documents, the filter reads the document's value from the field's column
//! instead: one lookup per document asked about. Rarer values keep their postings, which
//! skip straight to the next match.

use tantivy::columnar::Column;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, EnableScoring, Explanation, Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

use crate::filtered::doc_freq_sum;

/// In a segment where the values hold at least one document in this many, the filter
/// reads the column (and so does the date filter, for a range covering that much of the
/// segment's dates).
pub(crate) const DENSE_ONE_IN: u64 = 8;

/// Articles whose `field` (a raw keyword field with a fast column) holds one of `values`,
/// all scored 0.
#[derive(Debug, Clone)]
pub(crate) struct ValueFilter {
    field: Field,
    terms: Vec<Term>,
}

impl ValueFilter {
    pub(crate) fn new(field: Field, values: &[String]) -> ValueFilter {
        ValueFilter { field, terms: values.iter().map(|value| Term::from_field_text(field, value)).collect() }
    }

    /// The same filter as a union of the values' term queries.
    fn postings_query(&self) -> Box<dyn Query> {
        let terms = self
            .terms
            .iter()
            .map(|term| {
                let query: Box<dyn Query> = Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic));
                (Occur::Should, query)
            })
            .collect();
        Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(terms)), 0.0))
    }

    fn filter_weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<ValueFilterWeight> {
        let postings = self.postings_query().weight(enable_scoring)?;
        Ok(ValueFilterWeight { field: self.field, terms: self.terms.clone(), postings })
    }
}

impl Query for ValueFilter {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.filter_weight(enable_scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for term in &self.terms {
            visitor(term, false);
        }
    }
}

struct ValueFilterWeight {
    field: Field,
    terms: Vec<Term>,
    /// The union of the values' postings, for segments where they are rare.
    postings: Box<dyn Weight>,
}

impl ValueFilterWeight {
    /// The column reader for `reader`'s segment, when the values are common there.
    fn column_scorer(&self, reader: &SegmentReader) -> tantivy::Result<Option<ColumnScorer>> {
        let doc_freq = doc_freq_sum(reader, &self.terms)?;
        if doc_freq * DENSE_ONE_IN < u64::from(reader.max_doc()) {
            return Ok(None);
        }
        let name = reader.schema().get_field_name(self.field);
        let Some(column) = reader.fast_fields().str(name)? else {
            return Ok(None);
        };
        let mut ords = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            if let Some(ord) = column.dictionary().term_ord(term.serialized_value_bytes())? {
                ords.push(ord);
            }
        }
        Ok(Some(ColumnScorer::new(column.ords().clone(), ords, reader.max_doc(), doc_freq)))
    }
}

impl Weight for ValueFilterWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        match self.column_scorer(reader)? {
            Some(scorer) => Ok(Box::new(scorer)),
            None => self.postings.scorer(reader, boost),
        }
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.postings.explain(reader, doc)
    }
}

/// The documents of a segment whose column holds one of `ords`, asked one at a time.
struct ColumnScorer {
    column: Column<u64>,
    ords: Vec<u64>,
    max_doc: DocId,
    doc: DocId,
    /// Documents holding one of the values (deleted ones included).
    doc_freq: u64,
}

impl ColumnScorer {
    fn new(column: Column<u64>, ords: Vec<u64>, max_doc: DocId, doc_freq: u64) -> ColumnScorer {
        let mut scorer = ColumnScorer { column, ords, max_doc, doc: 0, doc_freq };
        scorer.doc = scorer.first_from(0);
        scorer
    }

    fn holds(&self, doc: DocId) -> bool {
        self.column.values_for_doc(doc).any(|ord| self.ords.contains(&ord))
    }

    /// The first document from `doc` on holding a value.
    fn first_from(&self, doc: DocId) -> DocId {
        (doc..self.max_doc).find(|&doc| self.holds(doc)).unwrap_or(TERMINATED)
    }
}

impl DocSet for ColumnScorer {
    fn advance(&mut self) -> DocId {
        self.doc = self.first_from(self.doc + 1);
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = self.first_from(target);
        }
        self.doc
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        // Only the target is looked at: a caller asking about one document at a time does
        // not pay for a scan to the next.
        if target >= self.max_doc {
            self.doc = TERMINATED;
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        self.doc = target;
        if self.holds(target) {
            SeekDangerResult::Found
        } else {
            SeekDangerResult::SeekLowerBound(target + 1)
        }
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        u32::try_from(self.doc_freq).unwrap_or(u32::MAX)
    }

    fn cost(&self) -> u64 {
        // Going through it visits every document: never the one to lead an intersection.
        u64::from(self.max_doc)
    }
}

impl Scorer for ColumnScorer {
    fn score(&mut self) -> Score {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tantivy::collector::{Count, DocSetCollector};
    use tantivy::schema::{FAST, STRING, Schema, TEXT};
    use tantivy::{DocAddress, Index, IndexWriter, TantivyDocument, doc};

    use super::*;

    #[test]
    fn matches_what_the_union_of_its_values_matches_dense_or_sparse() {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let lang = builder.add_text_field("lang", STRING | FAST);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 20_000_000).expect("writer");
        // Common values, a rare one, documents without the field, and a word to intersect.
        for segment in 0..2 {
            for n in 0..2000u32 {
                let value = match (n + segment) % 7 {
                    0..=2 => Some("en"),
                    3 | 4 => Some("zh-Hans"),
                    5 if n % 50 == 0 => Some("zh-Hant"),
                    _ => None,
                };
                let body = if n % 3 == 0 { "oil prices" } else { "gold prices" };
                let mut document = doc!(text => body);
                if let Some(value) = value {
                    document.add_text(lang, value);
                }
                writer.add_document(document).expect("add");
            }
            writer.commit().expect("commit");
        }
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let docs = |query: &dyn Query| -> BTreeSet<DocAddress> {
            searcher.search(query, &DocSetCollector).expect("search").into_iter().collect()
        };
        let oil: Box<dyn Query> =
            Box::new(TermQuery::new(Term::from_field_text(text, "oil"), IndexRecordOption::Basic));
        for values in [&["en", "zh-Hans"][..], &["zh-Hans"], &["zh-Hant"], &["zh-Hant", "en"], &["fr"], &[]] {
            let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let filter = ValueFilter::new(lang, &values);
            let reference = filter.postings_query();
            assert_eq!(docs(&filter), docs(reference.as_ref()), "{values:?}");
            // Under an intersection the filter is asked about the word's documents alone.
            let both = |filter: Box<dyn Query>| {
                BooleanQuery::new(vec![(Occur::Must, oil.box_clone()), (Occur::Must, filter)])
            };
            let (filtered, expected) = (both(Box::new(filter.clone())), both(reference));
            assert_eq!(docs(&filtered), docs(&expected), "{values:?} under a word");
            assert_eq!(
                searcher.search(&filtered, &Count).expect("count"),
                searcher.search(&expected, &Count).expect("count"),
                "{values:?}"
            );
        }
        // The common values read the column; the rare one keeps its postings.
        let reader = &searcher.segment_readers()[0];
        let scorer = |values: &[&str]| {
            let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let filter = ValueFilter::new(lang, &values)
                .filter_weight(EnableScoring::disabled_from_searcher(&searcher))
                .expect("weight");
            filter.column_scorer(reader).expect("column").is_some()
        };
        assert!(scorer(&["en", "zh-Hans"]), "help: common values should read the column");
        assert!(!scorer(&["zh-Hant"]), "help: a rare value should keep its postings");
    }

    #[test]
    fn reads_the_news_columns_as_their_postings() {
        // The sample, with the index's own keyword fields: each value's filter finds the
        // articles its postings hold, reading the column wherever the value is common.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../index-data/articles.jsonl");
        let articles: Vec<crate::Article> = crate::ingest::JsonlReader::new(std::io::BufReader::new(
            std::fs::File::open(path).expect("the sample corpus"),
        ))
        .map(|record| record.expect("readable").article.expect("valid"))
        .collect();
        let index = crate::NewsIndex::create_in_ram(crate::Analyzer::new()).expect("index");
        let mut writer = index.writer(crate::WriterSettings::new(1, 50 << 20)).expect("writer");
        writer.upsert_all(&articles).expect("upsert_all");
        writer.commit().expect("commit");
        let searcher = index.reader().searcher();
        let schema = index.schema();
        let mut read_columns = 0;
        for (field, values) in [
            (
                schema.lang,
                articles.iter().map(|a| a.lang.map(|l| l.as_str().to_string())).collect::<Vec<_>>(),
            ),
            (schema.source, articles.iter().map(|a| a.source.clone()).collect()),
            (schema.category, articles.iter().map(|a| a.category.clone()).collect()),
        ] {
            let distinct: BTreeSet<String> = values.iter().flatten().cloned().collect();
            for value in distinct {
                let expected = values.iter().filter(|v| v.as_deref() == Some(value.as_str())).count();
                let filter = ValueFilter::new(field, std::slice::from_ref(&value));
                assert_eq!(searcher.search(&filter, &Count).expect("count"), expected, "{value}");
                let own =
                    filter.filter_weight(EnableScoring::disabled_from_searcher(&searcher)).expect("weight");
                for reader in searcher.segment_readers() {
                    read_columns += usize::from(own.column_scorer(reader).expect("column").is_some());
                }
            }
        }
        assert!(read_columns >= 3, "help: the sample's languages should read the column ({read_columns})");
    }
}
