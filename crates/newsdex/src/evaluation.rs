//! Measuring analysis and search quality: word segmentation against gold data, and
//! ranked retrieval against relevance judgements.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use serde::Serialize;

use crate::analysis::{AnalysisMode, Analyzer};
use crate::article::Article;

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

/// How known-item queries are made from headlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KnownItemQuery {
    /// The whole headline is the query, and every headline is left out of the index, so
    /// the body alone must carry the article.
    Title,
    /// About half of the headline's words are the query, headlines stay indexed: someone
    /// remembering a few words of a story's headline.
    TitleWords,
    /// Up to six words of the article's first sentence are the query, headlines stay
    /// indexed: someone remembering what a story said. With `TitleWords` it brackets the
    /// title boost: too low hurts one, too high the other.
    LeadWords,
}

/// What [`build_known_items`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KnownItemOptions {
    /// Queries to draw.
    pub queries: usize,
    /// Articles to keep for the index (the first ones with a body).
    pub documents: usize,
    /// How queries are made.
    pub query: KnownItemQuery,
    /// Seed of the draw: the same seed gives the same set.
    pub seed: u64,
}

/// A known-item test set: articles to index, queries, and for each query its article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnownItemSet {
    /// The articles to index (headlines blanked for [`KnownItemQuery::Title`]).
    pub articles: Vec<Article>,
    /// `(query id, query text)`.
    pub queries: Vec<(String, String)>,
    /// `(query id, article id)`: the one relevant article of each query.
    pub answers: Vec<(String, String)>,
}

/// Draws a known-item set from real articles: headlines become queries and their own
/// article is the answer. Headlines shared by several articles are never drawn, so every
/// query has exactly one right answer.
pub fn build_known_items(
    articles: Vec<Article>,
    analyzer: &Analyzer,
    options: &KnownItemOptions,
) -> KnownItemSet {
    let mut articles: Vec<Article> = articles
        .into_iter()
        .filter(|article| !article.body.trim().is_empty())
        .take(options.documents)
        .collect();
    let mut title_counts: HashMap<String, usize> = HashMap::new();
    for article in &articles {
        *title_counts.entry(article.title.trim().to_string()).or_default() += 1;
    }
    let word_spans = |title: &str| -> Vec<(usize, usize)> {
        analyzer.analyze(title, AnalysisMode::Query).iter().map(|t| (t.offset_from, t.offset_to)).collect()
    };
    let mut candidates: Vec<usize> = articles
        .iter()
        .enumerate()
        .filter(|(_, article)| {
            let title = article.title.trim();
            title_counts.get(title) == Some(&1) && word_spans(title).len() >= 3
        })
        .map(|(index, _)| index)
        .collect();
    let mut random = SplitMix64(options.seed);
    // A partial Fisher–Yates shuffle draws the queries.
    let draws = options.queries.min(candidates.len());
    for slot in 0..draws {
        let pick = slot + (random.next() % (candidates.len() - slot) as u64) as usize;
        candidates.swap(slot, pick);
    }
    let mut set = KnownItemSet::default();
    for (number, &index) in candidates[..draws].iter().enumerate() {
        let article = &articles[index];
        let title = article.title.trim();
        let query = match options.query {
            KnownItemQuery::Title => title.to_string(),
            KnownItemQuery::TitleWords | KnownItemQuery::LeadWords => {
                let source =
                    if options.query == KnownItemQuery::TitleWords { title } else { lead(&article.body) };
                let spans = word_spans(source);
                if spans.len() < 2 {
                    continue;
                }
                let keep = spans.len().div_ceil(2).clamp(2, 6);
                let mut chosen: Vec<usize> = (0..spans.len()).collect();
                for slot in 0..keep {
                    let pick = slot + (random.next() % (chosen.len() - slot) as u64) as usize;
                    chosen.swap(slot, pick);
                }
                let mut kept: Vec<usize> = chosen[..keep].to_vec();
                kept.sort_unstable();
                kept.iter().map(|&i| &source[spans[i].0..spans[i].1]).collect::<Vec<_>>().join(" ")
            }
        };
        let query_id = format!("q{:04}", number + 1);
        set.answers.push((query_id.clone(), article.id.clone()));
        set.queries.push((query_id, query));
    }
    if options.query == KnownItemQuery::Title {
        for article in &mut articles {
            article.title.clear();
        }
    }
    set.articles = articles;
    set
}

/// The first sentence of a body.
fn lead(body: &str) -> &str {
    let body = body.trim_start();
    let end = body.find(['。', '！', '？', '\n']).or_else(|| body.find(". ")).unwrap_or(body.len());
    &body[..end]
}

/// A test set for the Chinese "did you mean": queries of whole words from gold-segmented
/// text, and the same queries with one character slipped for another a pinyin input
/// method offers for its reading, as a typist picking the wrong one gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipSet {
    /// Queries as written: 2 to 4 consecutive words of a clause, 3 to 10 characters.
    pub clean: Vec<String>,
    /// Each slip, with the query meant (one of `clean`).
    pub slips: Vec<(String, String)>,
}

/// The jieba dictionary count a character needs to be offered as a slip: an input method
/// lists common characters first, so slips are common characters.
const SLIP_CHAR_FREQUENCY: usize = 1000;

/// Draws a [`SlipSet`] of `queries` clean queries from `gold` (words separated by
/// whitespace, one sentence per line), and for each a slip when one of its characters
/// has another common character read alike, both in their usual readings (the pinyin
/// crate's first), as an input method lists a syllable's common characters first; in
/// Traditional characters (OpenCC's `s2tw`) when the query has any. The same seed gives
/// the same set.
pub fn build_slips(gold: &str, analyzer: &Analyzer, queries: usize, seed: u64) -> SlipSet {
    let mut clauses: Vec<Vec<&str>> = Vec::new();
    for line in gold.lines() {
        let mut clause = Vec::new();
        for word in line.split_whitespace().chain(std::iter::once("。")) {
            if word.chars().all(crate::analysis::is_han) {
                clause.push(word);
            } else if clause.len() >= 2 {
                clauses.push(std::mem::take(&mut clause));
            } else {
                clause.clear();
            }
        }
    }
    let mut random = SplitMix64::new(seed);
    let mut pick = |below: usize| (random.next() % below.max(1) as u64) as usize;
    let mut set = SlipSet { clean: Vec::new(), slips: Vec::new() };
    let mut draws = 0;
    while set.clean.len() < queries && !clauses.is_empty() && draws < queries.saturating_mul(100) {
        draws += 1;
        let clause = &clauses[pick(clauses.len())];
        let words = 2 + pick(clause.len().min(4) - 1);
        let start = pick(clause.len() - words + 1);
        let query: String = clause[start..start + words].concat();
        let chars: Vec<char> = query.chars().collect();
        if !(3..=10).contains(&chars.len()) {
            continue;
        }
        // Text in Traditional characters slips to Traditional ones.
        let traditional = chars.iter().any(|&c| Analyzer::simplified(c) != c);
        for _ in 0..20 {
            let at = pick(chars.len());
            let meant = Analyzer::simplified(chars[at]);
            let offered: Vec<char> = crate::pinyin::read_alike(meant)
                .iter()
                .copied()
                .filter(|&c| {
                    c != meant
                        && crate::pinyin::usual_syllable(c) == crate::pinyin::usual_syllable(meant)
                        && Analyzer::simplified(c) == c
                        && analyzer.dictionary_frequency(c.encode_utf8(&mut [0; 4])) >= SLIP_CHAR_FREQUENCY
                })
                .collect();
            if !offered.is_empty() {
                let offered = offered[pick(offered.len())];
                let slipped = if traditional {
                    Analyzer::traditional(offered.encode_utf8(&mut [0; 4])).chars().next().unwrap_or(offered)
                } else {
                    offered
                };
                if slipped == chars[at] {
                    continue;
                }
                let mut slip = chars.clone();
                slip[at] = slipped;
                set.slips.push((slip.into_iter().collect(), query.clone()));
                break;
            }
        }
        set.clean.push(query);
    }
    set
}

/// SplitMix64: a small, well-mixed deterministic generator for reproducible draws.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_replace_one_character_of_whole_words_by_a_common_one_read_alike() {
        let gold = "今年  房价  上涨  很  快  。\n中美  关系  改善  。\nThe  market  rose  。\n";
        let analyzer = Analyzer::new();
        let set = build_slips(gold, &analyzer, 20, 7);
        assert_eq!(set, build_slips(gold, &analyzer, 20, 7), "the same seed, the same set");
        assert_eq!(set.clean.len(), 20);
        for query in &set.clean {
            assert!(
                ["今年房价上涨很快", "中美关系改善"].iter().any(|clause| clause.contains(query.as_str()))
            );
        }
        assert!(!set.slips.is_empty());
        for (slip, meant) in &set.slips {
            assert!(set.clean.contains(meant));
            let differ: Vec<(char, char)> = slip.chars().zip(meant.chars()).filter(|(a, b)| a != b).collect();
            let [(typed, meant)] = differ.as_slice() else { panic!("{slip} for {meant}") };
            assert!(crate::pinyin::read_alike(*meant).contains(typed), "{typed} for {meant}");
        }
        assert_eq!(build_slips("The market rose", &analyzer, 5, 7).clean.len(), 0, "no Chinese clause");
        // Traditional text slips to Traditional characters.
        let set = build_slips("銀行  利率  上漲  很  快  。", &analyzer, 10, 7);
        assert!(!set.slips.is_empty());
        for (slip, meant) in &set.slips {
            let (typed, meant) = slip.chars().zip(meant.chars()).find(|(a, b)| a != b).expect("a slip");
            assert_eq!(Analyzer::traditional(&Analyzer::simplified(typed).to_string()), typed.to_string());
            assert!(
                crate::pinyin::read_alike(Analyzer::simplified(meant)).contains(&Analyzer::simplified(typed))
            );
        }
    }

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
    fn known_items_have_one_answer_each() {
        let analyzer = Analyzer::new();
        let article = |id: &str, title: &str| Article {
            id: id.into(),
            title: title.into(),
            body: format!("{title} 的正文内容"),
            ..Article::default()
        };
        let articles = vec![
            article("a", "央行宣布下调存款准备金率"),
            article("b", "央行宣布下调存款准备金率"),
            article("c", "新能源汽车出口创下历史新高"),
            article("d", "短"),
        ];
        let options = KnownItemOptions { queries: 10, documents: 100, query: KnownItemQuery::Title, seed: 7 };
        let set = build_known_items(articles.clone(), &analyzer, &options);
        assert_eq!(
            set.answers,
            [("q0001".to_string(), "c".to_string())],
            "help: duplicate and short titles are skipped"
        );
        assert!(set.articles.iter().all(|a| a.title.is_empty()), "help: titles leave the index");
        let words = build_known_items(
            articles,
            &analyzer,
            &KnownItemOptions { query: KnownItemQuery::TitleWords, ..options },
        );
        let query = &words.queries[0].1;
        assert!(
            query.split(' ').count() >= 2
                && query.split(' ').all(|w| "新能源汽车出口创下历史新高".contains(w)),
            "{query}"
        );
        assert!(words.articles.iter().any(|a| !a.title.is_empty()), "help: titles stay for title-words");
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
