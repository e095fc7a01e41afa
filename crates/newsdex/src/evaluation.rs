//! Measuring analysis and search quality: word segmentation against gold data, and
//! ranked retrieval against relevance judgements.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use serde::Serialize;

use crate::analysis::Analyzer;

/// How text is segmented for [`score_segmentation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Segmentation {
    /// newsdex's analyzer: normalisation, Traditional → Simplified folding, jieba,
    /// alphanumeric blocks ([`Analyzer::segment`]).
    Newsdex,
    /// jieba-rs alone on the raw text, with its own dictionary and HMM on: the baseline.
    JiebaAlone,
}

/// Word-level precision, recall and F1 of a segmentation against gold data, the SIGHAN
/// bakeoff way: a word counts as correct when its exact character span is a gold word.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SegmentationScore {
    /// Lines scored.
    pub lines: usize,
    /// Lines skipped because the gold and input characters differ.
    pub skipped_lines: usize,
    /// Gold words.
    pub gold_words: usize,
    /// Words produced.
    pub produced_words: usize,
    /// Produced words matching a gold word's span.
    pub correct_words: usize,
    /// `correct / produced`.
    pub precision: f64,
    /// `correct / gold`.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Recall of gold words absent from the training word list (when one is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oov_recall: Option<f64>,
}

/// Scores `method` on parallel gold and raw lines. Gold words are separated by
/// whitespace; lines whose characters differ from the raw line's (whitespace aside) are
/// skipped and counted. `training_words`, when given, enables OOV recall.
pub fn score_segmentation(
    analyzer: &Analyzer,
    method: Segmentation,
    gold: &str,
    input: &str,
    training_words: Option<&HashSet<String>>,
) -> SegmentationScore {
    let jieba = (method == Segmentation::JiebaAlone).then(jieba_rs::Jieba::new);
    let mut score = SegmentationScore::default();
    let (mut oov_total, mut oov_found) = (0usize, 0usize);
    for (gold_line, input_line) in gold.lines().zip(input.lines()) {
        let gold_line = gold_line.trim_start_matches('\u{FEFF}');
        let input_line = input_line.trim_start_matches('\u{FEFF}');
        let gold_chars: String = gold_line.chars().filter(|c| !c.is_whitespace()).collect();
        let input_chars: String = input_line.chars().filter(|c| !c.is_whitespace()).collect();
        if gold_chars != input_chars {
            score.skipped_lines += 1;
            continue;
        }
        if gold_chars.is_empty() {
            continue;
        }
        score.lines += 1;
        let gold_spans = gold_word_spans(gold_line);
        let produced = match &jieba {
            Some(jieba) => jieba.cut(input_line, true).iter().map(|t| t.byte_start..t.byte_end).collect(),
            None => analyzer.segment(input_line),
        };
        let produced_spans = char_spans_without_whitespace(input_line, &produced);
        let produced_set: HashSet<(usize, usize)> = produced_spans.iter().copied().collect();
        score.gold_words += gold_spans.len();
        score.produced_words += produced_spans.len();
        for (span, word) in &gold_spans_with_words(gold_line, &gold_spans) {
            let correct = produced_set.contains(span);
            if correct {
                score.correct_words += 1;
            }
            if let Some(training) = training_words
                && !training.contains(*word)
            {
                oov_total += 1;
                oov_found += usize::from(correct);
            }
        }
    }
    score.precision = ratio(score.correct_words, score.produced_words);
    score.recall = ratio(score.correct_words, score.gold_words);
    score.f1 = if score.precision + score.recall > 0.0 {
        2.0 * score.precision * score.recall / (score.precision + score.recall)
    } else {
        0.0
    };
    score.oov_recall = training_words.map(|_| ratio(oov_found, oov_total));
    score
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Spans of gold words over the line's non-whitespace characters.
fn gold_word_spans(gold_line: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut position = 0;
    for word in gold_line.split_whitespace() {
        let length = word.chars().count();
        spans.push((position, position + length));
        position += length;
    }
    spans
}

fn gold_spans_with_words<'a>(gold_line: &'a str, spans: &[(usize, usize)]) -> Vec<((usize, usize), &'a str)> {
    spans.iter().copied().zip(gold_line.split_whitespace()).collect()
}

/// Byte ranges of `line` as spans over its non-whitespace characters; ranges holding only
/// whitespace are dropped and whitespace inside a range does not count.
fn char_spans_without_whitespace(line: &str, ranges: &[Range<usize>]) -> Vec<(usize, usize)> {
    // stream_index[byte] = index among non-whitespace characters of the char at `byte`.
    let mut stream_before: HashMap<usize, usize> = HashMap::new();
    let mut count = 0;
    for (byte, c) in line.char_indices() {
        stream_before.insert(byte, count);
        if !c.is_whitespace() {
            count += 1;
        }
    }
    stream_before.insert(line.len(), count);
    ranges
        .iter()
        .filter_map(|range| {
            let start = *stream_before.get(&range.start)?;
            let end = *stream_before.get(&range.end)?;
            (end > start).then_some((start, end))
        })
        .collect()
}

/// Ranked-retrieval figures over a set of queries (all cut at rank 10).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RetrievalScore {
    /// Queries evaluated.
    pub queries: usize,
    /// Mean reciprocal rank of the first relevant article within the top 10.
    pub mrr_at_10: f64,
    /// Mean share of relevant articles found in the top 10.
    pub recall_at_10: f64,
    /// Mean normalised discounted cumulative gain at 10 (graded relevance).
    pub ndcg_at_10: f64,
}

/// Scores ranked results: `runs` maps a query id to its ranked article ids, `judgements`
/// maps a query id to (article id → relevance grade > 0). Queries without judgements are
/// ignored; queries without results count as zeros.
pub fn score_retrieval(
    runs: &HashMap<String, Vec<String>>,
    judgements: &HashMap<String, HashMap<String, u32>>,
) -> RetrievalScore {
    let mut score = RetrievalScore::default();
    for (query, relevant) in judgements {
        let relevant: HashMap<&str, u32> = relevant
            .iter()
            .filter(|(_, grade)| **grade > 0)
            .map(|(id, grade)| (id.as_str(), *grade))
            .collect();
        if relevant.is_empty() {
            continue;
        }
        score.queries += 1;
        let ranked: Vec<&str> =
            runs.get(query).map(|ids| ids.iter().take(10).map(String::as_str).collect()).unwrap_or_default();
        if let Some(rank) = ranked.iter().position(|id| relevant.contains_key(id)) {
            score.mrr_at_10 += 1.0 / (rank + 1) as f64;
        }
        let found = ranked.iter().filter(|id| relevant.contains_key(*id)).count();
        score.recall_at_10 += found as f64 / relevant.len() as f64;
        let gain = |grade: u32| f64::from(2u32.saturating_pow(grade) - 1);
        let dcg: f64 = ranked
            .iter()
            .enumerate()
            .map(|(rank, id)| relevant.get(id).map_or(0.0, |grade| gain(*grade) / ((rank + 2) as f64).log2()))
            .sum();
        let mut ideal: Vec<u32> = relevant.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let ideal_dcg: f64 = ideal
            .iter()
            .take(10)
            .enumerate()
            .map(|(rank, grade)| gain(*grade) / ((rank + 2) as f64).log2())
            .sum();
        if ideal_dcg > 0.0 {
            score.ndcg_at_10 += dcg / ideal_dcg;
        }
    }
    if score.queries > 0 {
        let queries = score.queries as f64;
        score.mrr_at_10 /= queries;
        score.recall_at_10 /= queries;
        score.ndcg_at_10 /= queries;
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmentation_is_scored_by_spans() {
        let analyzer = Analyzer::new();
        let score = score_segmentation(
            &analyzer,
            Segmentation::Newsdex,
            "南京市  长江  大桥",
            "南京市长江大桥",
            None,
        );
        // newsdex cuts 南京市 / 长江大桥: one of two words right, one of three gold words.
        assert_eq!((score.produced_words, score.gold_words, score.correct_words), (2, 3, 1));
        assert!((score.precision - 0.5).abs() < 1e-9 && (score.recall - 1.0 / 3.0).abs() < 1e-9);
        let skipped = score_segmentation(&analyzer, Segmentation::Newsdex, "甲 乙", "甲丙", None);
        assert_eq!(skipped.skipped_lines, 1);
    }

    #[test]
    fn oov_recall_counts_words_outside_training() {
        let analyzer = Analyzer::new();
        let training: HashSet<String> = ["南京市".to_string()].into_iter().collect();
        let score = score_segmentation(
            &analyzer,
            Segmentation::Newsdex,
            "南京市 长江大桥",
            "南京市长江大桥",
            Some(&training),
        );
        assert_eq!(score.oov_recall, Some(1.0));
    }

    #[test]
    fn retrieval_metrics_match_hand_computation() {
        let runs: HashMap<String, Vec<String>> = [
            ("q1".to_string(), vec!["x".to_string(), "a".to_string()]),
            ("q2".to_string(), vec!["b".to_string()]),
        ]
        .into_iter()
        .collect();
        let judgements: HashMap<String, HashMap<String, u32>> = [
            ("q1".to_string(), [("a".to_string(), 1)].into_iter().collect()),
            ("q2".to_string(), [("c".to_string(), 1)].into_iter().collect()),
        ]
        .into_iter()
        .collect();
        let score = score_retrieval(&runs, &judgements);
        assert_eq!(score.queries, 2);
        assert!((score.mrr_at_10 - 0.25).abs() < 1e-9, "(1/2 + 0) / 2");
        assert!((score.recall_at_10 - 0.5).abs() < 1e-9);
        assert!((score.ndcg_at_10 - (1.0 / 3f64.log2()) / 2.0).abs() < 1e-9);
    }
}
