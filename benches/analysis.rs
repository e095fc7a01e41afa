//! Analyzer throughput per language, beside raw jieba-rs over the same text.
//!
//! `cargo bench --bench analysis` prints criterion's figures, then a table of medians in
//! MB/s and the analyzer's share of raw jieba `cut_for_search` (HMM on, as in the
//! analyzer) on each Chinese input. Inputs come from ../shared/corpus when present
//! (`NEWSDEX_CORPUS` overrides the path), else from the embedded sample.

#[path = "support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput};
use newsdex::{AnalysisMode, Analyzer, UserDictionary};
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
        // The indexing path: the tantivy tokenizer tantivy's indexing threads run.
        let mut tokenizer = analyzer.tokenizer();
        group.bench_function("newsdex-index-mode", |bencher| {
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
    println!(
        "\n{:<8} {:>10} {:>16} {:>16} {:>8}  input",
        "lang", "MB", "newsdex MB/s", "jieba MB/s", "ratio"
    );
    for input in &inputs {
        let group = format!("analysis-{}", input.name);
        let megabytes = input.bytes() as f64 / 1e6;
        let rate = |bench: &str| support::criterion_median_ns(&group, bench).map(|ns| megabytes / (ns / 1e9));
        if let (Some(ours), Some(raw)) = (rate("newsdex-index-mode"), rate("jieba-cut-for-search")) {
            println!(
                "{:<8} {:>10.2} {:>16.2} {:>16.2} {:>8.2}  {}",
                input.name,
                megabytes,
                ours,
                raw,
                ours / raw,
                input.source
            );
        }
    }
}
