//! Analyzer throughput per language, beside raw jieba-rs over the same text.
//!
//! `cargo bench --bench analysis` prints criterion's figures, then a table of medians in
//! MB/s and the analyzer's share of raw jieba `cut_for_search` (HMM on, as in the
//! analyzer) on each Chinese input. Inputs come from ../shared/corpus when present
//! (`NEWSDEX_CORPUS` overrides the path), else from the embedded sample.

#[path = "support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput};
use newsdex::{AnalysisBuffer, AnalysisMode, Analyzer, UserDictionary};
use tantivy::tokenizer::{TokenStream, Tokenizer};

/// About this many bytes of text per language.
const INPUT_BYTES: usize = 2_000_000;

fn main() {
    let mut criterion = Criterion::default().sample_size(10).configure_from_args();
    let inputs = support::language_inputs(INPUT_BYTES);
    let dictionary =
        UserDictionary::parse("sample", include_str!("../index-data/userdict.txt")).expect("dictionary");
    let analyzer = Analyzer::with_user_dictionary(dictionary);
    let jieba = jieba_rs::Jieba::new();
    // Warm the lazily built tables so no bench pays for them.
    assert!(!analyzer.analyze("臺灣半導體 warm-up", AnalysisMode::Index).is_empty());
    assert!(!jieba.cut_for_search("预热", true).is_empty());
    for input in &inputs {
        let mut group = criterion.benchmark_group(format!("analysis-{}", input.name));
        group.throughput(Throughput::Bytes(input.bytes()));
        // The analyzer itself: tokens into a reused buffer.
        let mut buffer = AnalysisBuffer::default();
        group.bench_function("newsdex-analyzer", |bencher| {
            bencher.iter(|| {
                let tokens: usize = input
                    .texts
                    .iter()
                    .map(|text| analyzer.analyze_with(text, AnalysisMode::Index, &mut buffer).count())
                    .sum();
                assert!(tokens > 0);
                tokens
            });
        });
        // The indexing path: the tantivy tokenizer tantivy's indexing threads run, which
        // also copies every token's text into tantivy's token.
        let mut tokenizer = analyzer.tokenizer();
        group.bench_function("newsdex-tokenizer", |bencher| {
            bencher.iter(|| {
                let mut tokens = 0usize;
                for text in &input.texts {
                    let mut stream = tokenizer.token_stream(text);
                    while stream.advance() {
                        tokens += 1;
                    }
                }
                assert!(tokens > 0);
                tokens
            });
        });
        group.bench_function("jieba-cut-for-search", |bencher| {
            bencher.iter(|| {
                let tokens: usize =
                    input.texts.iter().map(|text| jieba.cut_for_search(text, true).len()).sum();
                assert!(tokens > 0);
                tokens
            });
        });
        group.finish();
    }
    criterion.final_summary();
    if std::env::args().any(|arg| arg == "--profile-time") {
        return;
    }
    // criterion measures each bench in turn, minutes apart on a shared machine; the ratio
    // also comes from rounds that alternate the two, one pass each, so drifting load hits
    // both alike. The median round is reported.
    println!(
        "\n{:<8} {:>6} {:>10} {:>10} {:>10} {:>8} {:>8} {:>12} {:>12}  input",
        "lang", "MB", "analyzer", "tokenizer", "jieba", "ratio", "ratio", "interleaved", "interleaved"
    );
    println!(
        "{:<8} {:>6} {:>10} {:>10} {:>10} {:>8} {:>8} {:>12} {:>12}",
        "", "", "MB/s", "MB/s", "MB/s", "analyzer", "tokenizr", "analyzer", "tokenizer"
    );
    for input in &inputs {
        let group = format!("analysis-{}", input.name);
        let megabytes = input.bytes() as f64 / 1e6;
        let rate = |bench: &str| support::criterion_median_ns(&group, bench).map(|ns| megabytes / (ns / 1e9));
        let (Some(ours), Some(adapter), Some(raw)) =
            (rate("newsdex-analyzer"), rate("newsdex-tokenizer"), rate("jieba-cut-for-search"))
        else {
            continue;
        };
        let mut buffer = AnalysisBuffer::default();
        let mut tokenizer = analyzer.tokenizer();
        let mut analyzer_ratios = Vec::with_capacity(ROUNDS);
        let mut tokenizer_ratios = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let ours = time_pass(
                |text| analyzer.analyze_with(text, AnalysisMode::Index, &mut buffer).count(),
                &input.texts,
            );
            let adapter = time_pass(
                |text| {
                    let mut stream = tokenizer.token_stream(text);
                    let mut tokens = 0;
                    while stream.advance() {
                        tokens += 1;
                    }
                    tokens
                },
                &input.texts,
            );
            let raw = time_pass(|text| jieba.cut_for_search(text, true).len(), &input.texts);
            analyzer_ratios.push(raw / ours);
            tokenizer_ratios.push(raw / adapter);
        }
        println!(
            "{:<8} {:>6.2} {:>10.2} {:>10.2} {:>10.2} {:>8.2} {:>8.2} {:>12.2} {:>12.2}  {}",
            input.name,
            megabytes,
            ours,
            adapter,
            raw,
            ours / raw,
            adapter / raw,
            median(&mut analyzer_ratios),
            median(&mut tokenizer_ratios),
            input.source
        );
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Rounds of the interleaved comparison.
const ROUNDS: usize = 15;

/// Seconds for one pass of `analyse` over `texts`.
fn time_pass(mut analyse: impl FnMut(&str) -> usize, texts: &[String]) -> f64 {
    let started = std::time::Instant::now();
    let tokens: usize = texts.iter().map(|text| analyse(text)).sum();
    assert!(tokens > 0);
    started.elapsed().as_secs_f64()
}
