//! Index build throughput per language: newsdex beside plain tantivy + tantivy-jieba.
//!
//! Both build an in-memory index of the same articles (title and body stored and indexed
//! with positions, id/lang/source/category keywords) with the same number of indexing
//! threads (one, and again two) and the same memory budget; the articles are parsed before
//! timing starts. newsdex loads them with `upsert_all`, its call for many articles; the
//! baseline adds one document at a time, as tantivy's `add_document` does. A third build,
//! `tantivy-only`, indexes into the baseline's schema newsdex's tokens, analysed before
//! timing starts and replayed by a tokenizer: the tantivy share of a newsdex build, so
//! `ceiling` (baseline time over that time) is the speed-up newsdex would have if its
//! analysis cost nothing.
//!
//! The bound of `newsdex bench` comes from the same text: `jieba` is raw jieba-rs
//! search-mode `tokenize` (HMM on, as tantivy-jieba runs it) over every title and body, J in
//! MB/s; `tantivy-segmented` indexes jieba's tokens, made before timing starts and
//! replayed, into the baseline's schema, W; B = 1/(1/J + 1/W) is a one-thread build that
//! segments and indexes one after the other at no other cost.
//!
//! `cargo bench --bench index_build` ends with three tables of criterion medians in MB/s of
//! title and body text: newsdex's speed-up over the baseline with one indexing thread, the
//! bound with both builds as fractions of B, and the speed-up with two threads beside what
//! two threads gain over one. Each also gives the median and range over rounds that time
//! newsdex, the baseline, `jieba`, `tantivy-segmented` and both builds with two threads one
//! after the other, in a rotating order, so that load on the machine weighs on all alike.
//!
//! A last group, `commit-one-article`, times the upsert and commit of a single article
//! into an index in memory and into one on disk.
//!
//! Inputs come from ../shared/corpus when present (`NEWSDEX_CORPUS`), else from the
//! embedded sample.

#[path = "support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};

use criterion::{BatchSize, Criterion, Throughput};
use newsdex::{AnalysisMode, Analyzer, Article, Lang, NewsIndex, WriterSettings};
use tantivy::schema::{FAST, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexWriter, TantivyDocument};
use tantivy_jieba::jieba_rs::TokenizeMode;

/// About this many bytes of text per language.
const INPUT_BYTES: usize = 3_000_000;
/// The writer budget of both builds.
const MEMORY_BUDGET: usize = 256 << 20;
/// Rounds of the interleaved comparison (the order of the timings rotates).
const ROUNDS: usize = 21;
/// What each round times, in this order before rotation.
const TIMINGS: usize = 6;

fn main() {
    let mut criterion = Criterion::default().sample_size(10).configure_from_args();
    let inputs = article_inputs();
    let analyzer = Analyzer::new();
    // Load both dictionaries before timing.
    assert!(!analyzer.analyze("预热", newsdex::AnalysisMode::Index).is_empty());
    let baseline_tokenizer = tantivy_jieba::JiebaTokenizer::new();
    let jieba = tantivy_jieba::jieba_rs::Jieba::new();
    // jieba's tokens of each input, for `tantivy-segmented` and the rounds below.
    let mut segmentations = Vec::new();
    for (name, articles) in &inputs {
        let mut group = criterion.benchmark_group(format!("index-build-{name}"));
        group.throughput(Throughput::Bytes(text_bytes(articles)));
        for threads in [1, 2] {
            let suffix = if threads == 1 { String::new() } else { format!("-{threads}-threads") };
            group.bench_function(format!("newsdex{suffix}"), |bencher| {
                bencher.iter(|| build_newsdex(&analyzer, articles, threads));
            });
            group.bench_function(format!("tantivy-jieba{suffix}"), |bencher| {
                bencher.iter(|| build_baseline(baseline_tokenizer.clone(), articles, threads));
            });
        }
        let replayed = |name: &str, tokens: &Analysed, group: &mut criterion::BenchmarkGroup<_>| {
            group.bench_function(name, |bencher| {
                bencher.iter_batched(
                    || tokens.clone(),
                    |tokens| build_replayed(tokens, articles),
                    BatchSize::LargeInput,
                );
            });
        };
        replayed("tantivy-only", &analyse(&analyzer, articles), &mut group);
        group.bench_function("jieba", |bencher| bencher.iter(|| segment_all(&jieba, articles)));
        let segmented = segment(&jieba, articles);
        replayed("tantivy-segmented", &segmented, &mut group);
        group.finish();
        segmentations.push(segmented);
    }
    bench_commits(&mut criterion, &analyzer, &inputs[0].1[0]);
    criterion.final_summary();
    if std::env::args().any(|arg| arg == "--profile-time") {
        return;
    }
    println!(
        "\n{:<8} {:>8} {:>14} {:>18} {:>9} {:>12} {:>12} {:>8}",
        "lang", "MB", "newsdex MB/s", "tantivy-jieba MB/s", "speed-up", "interleaved", "range", "ceiling"
    );
    let mut bounds = Vec::new();
    let mut two_threads = Vec::new();
    for ((name, articles), segmented) in inputs.iter().zip(&segmentations) {
        let group = format!("index-build-{name}");
        let megabytes = text_bytes(articles) as f64 / 1e6;
        let rate = |bench: &str| support::criterion_median_ns(&group, bench).map(|ns| megabytes / (ns / 1e9));
        let (
            Some(ours),
            Some(baseline),
            Some(tantivy_only),
            Some(j),
            Some(w),
            Some(ours_two),
            Some(baseline_two),
        ) = (
            rate("newsdex"),
            rate("tantivy-jieba"),
            rate("tantivy-only"),
            rate("jieba"),
            rate("tantivy-segmented"),
            rate("newsdex-2-threads"),
            rate("tantivy-jieba-2-threads"),
        )
        else {
            continue;
        };
        // Each round times newsdex, the baseline, the bound's two parts and both builds
        // with two threads, in an order that rotates, so every ratio compares builds run
        // moments apart.
        let rounds: Vec<[f64; TIMINGS]> = (0..ROUNDS)
            .map(|round| {
                let mut times = [0.0; TIMINGS];
                for step in 0..TIMINGS {
                    let which = (round + step) % TIMINGS;
                    times[which] = match which {
                        0 => seconds(|| build_newsdex(&analyzer, articles, 1)),
                        1 => seconds(|| build_baseline(baseline_tokenizer.clone(), articles, 1)),
                        2 => seconds(|| segment_all(&jieba, articles)),
                        3 => {
                            let tokens = segmented.clone();
                            seconds(|| build_replayed(tokens, articles))
                        }
                        4 => seconds(|| build_newsdex(&analyzer, articles, 2)),
                        _ => seconds(|| build_baseline(baseline_tokenizer.clone(), articles, 2)),
                    };
                }
                times
            })
            .collect();
        let interleaved = |ratio: fn(&[f64; TIMINGS]) -> f64| {
            let mut ratios: Vec<f64> = rounds.iter().map(ratio).collect();
            ratios.sort_by(f64::total_cmp);
            (ratios[ratios.len() / 2], ratios[0], ratios[ratios.len() - 1])
        };
        let (speedup, low, high) = interleaved(|t| t[1] / t[0]);
        println!(
            "{:<8} {:>8.2} {:>14.2} {:>18.2} {:>9.2} {:>12.2} {:>12} {:>8.2}",
            name,
            megabytes,
            ours,
            baseline,
            ours / baseline,
            speedup,
            format!("{low:.2}–{high:.2}"),
            tantivy_only / baseline
        );
        let bound = 1.0 / (1.0 / j + 1.0 / w);
        // B's time is the sum of its parts' times.
        let baseline_share = interleaved(|t| (t[2] + t[3]) / t[1]);
        let newsdex_share = interleaved(|t| (t[2] + t[3]) / t[0]);
        bounds.push((*name, j, w, bound, baseline / bound, ours / bound, baseline_share, newsdex_share));
        two_threads.push((
            *name,
            ours_two,
            baseline_two,
            interleaved(|t| t[5] / t[4]),
            interleaved(|t| t[0] / t[4]),
            interleaved(|t| t[1] / t[5]),
        ));
    }
    println!(
        "\n{:<8} {:>7} {:>7} {:>7} {:>15} {:>10} {:>22} {:>22}",
        "lang",
        "J MB/s",
        "W MB/s",
        "B MB/s",
        "tantivy-jieba/B",
        "newsdex/B",
        "interleaved t-j/B",
        "interleaved newsdex/B"
    );
    for (name, j, w, bound, baseline, ours, (b, b_low, b_high), (n, n_low, n_high)) in bounds {
        println!(
            "{:<8} {:>7.2} {:>7.2} {:>7.2} {:>15.2} {:>10.2} {:>22} {:>22}",
            name,
            j,
            w,
            bound,
            baseline,
            ours,
            format!("{b:.2} ({b_low:.2}–{b_high:.2})"),
            format!("{n:.2} ({n_low:.2}–{n_high:.2})")
        );
    }
    println!(
        "\n{:<8} {:>22} {:>28} {:>9} {:>12} {:>12} {:>22} {:>22}",
        "lang",
        "newsdex 2 threads MB/s",
        "tantivy-jieba 2 threads MB/s",
        "speed-up",
        "interleaved",
        "range",
        "newsdex 2/1 threads",
        "tantivy-jieba 2/1"
    );
    for (name, ours, baseline, (speedup, low, high), (n, n_low, n_high), (b, b_low, b_high)) in two_threads {
        println!(
            "{:<8} {:>22.2} {:>28.2} {:>9.2} {:>12.2} {:>12} {:>22} {:>22}",
            name,
            ours,
            baseline,
            ours / baseline,
            speedup,
            format!("{low:.2}–{high:.2}"),
            format!("{n:.2} ({n_low:.2}–{n_high:.2})"),
            format!("{b:.2} ({b_low:.2}–{b_high:.2})")
        );
    }
}

/// The latency of a commit of one upserted article, into an index in memory and on disk,
/// growing as the bench runs: what an application that commits each change waits for.
fn bench_commits(criterion: &mut Criterion, analyzer: &Analyzer, article: &Article) {
    let mut group = criterion.benchmark_group("commit-one-article");
    let directory = tempfile::tempdir().expect("temporary directory");
    let indexes = [
        ("in-memory", NewsIndex::create_in_ram(analyzer.clone())),
        ("on-disk", NewsIndex::create(directory.path(), analyzer.clone())),
    ];
    for (name, index) in indexes {
        let index = index.expect("index");
        let mut writer = index.writer(WriterSettings::new(1, 64 << 20)).expect("writer");
        let mut upserted = 0u64;
        group.bench_function(name, |bencher| {
            bencher.iter(|| {
                upserted += 1;
                let article = Article { id: format!("commit-{upserted}"), ..article.clone() };
                writer.upsert(&article).expect("upsert");
                writer.commit().expect("commit");
            });
        });
    }
    group.finish();
}

/// Seconds `build` takes.
fn seconds<T>(build: impl FnOnce() -> T) -> f64 {
    let started = std::time::Instant::now();
    std::hint::black_box(build());
    started.elapsed().as_secs_f64()
}

/// Raw jieba-rs as tantivy-jieba runs it (search mode, HMM on) over every title and body:
/// the number of tokens.
fn segment_all(jieba: &tantivy_jieba::jieba_rs::Jieba, articles: &[Article]) -> usize {
    let tokens = articles
        .iter()
        .flat_map(|article| [&article.title, &article.body])
        .map(|text| jieba.tokenize(text, TokenizeMode::Search, true).len())
        .sum();
    assert!(tokens > 0);
    tokens
}

/// Articles per language, about `INPUT_BYTES` of text each, plus a mixed set.
fn article_inputs() -> Vec<(&'static str, Vec<Article>)> {
    let sample = support::sample_articles();
    let of_lang = |file: &str, lang: Lang| {
        support::corpus_articles(file, INPUT_BYTES)
            .unwrap_or_else(|| sample.iter().filter(|a| a.lang == Some(lang)).cloned().collect())
    };
    let hans = of_lang("chinanews.part1.zh.jsonl", Lang::ZhHans);
    let hant = of_lang("appledaily-tw.zh-Hant.jsonl", Lang::ZhHant);
    let en = of_lang("reuters21578.en.jsonl", Lang::En);
    let mut mixed = Vec::new();
    let mut bytes = 0;
    for (index, article) in hans.iter().zip(&en).flat_map(|(a, b)| [a, b]).enumerate() {
        if bytes >= INPUT_BYTES {
            break;
        }
        bytes += article.title.len() + article.body.len();
        mixed.push(Article { id: format!("mixed-{index}"), ..article.clone() });
    }
    if !hant.is_empty() {
        mixed.extend(hant.iter().take(mixed.len() / 10).cloned());
    }
    vec![("zh-Hans", hans), ("zh-Hant", hant), ("en", en), ("mixed", mixed)]
}

fn text_bytes(articles: &[Article]) -> u64 {
    articles.iter().map(|a| (a.title.len() + a.body.len()) as u64).sum()
}

fn build_newsdex(analyzer: &Analyzer, articles: &[Article], threads: usize) -> u64 {
    let index = NewsIndex::create_in_ram(analyzer.clone()).expect("index");
    let mut writer = index.writer(WriterSettings::new(threads, MEMORY_BUDGET)).expect("writer");
    writer.upsert_all(articles).expect("upsert_all");
    writer.commit().expect("commit");
    let count = index.num_articles();
    assert_eq!(count, articles.len() as u64);
    count
}

fn build_baseline(tokenizer: tantivy_jieba::JiebaTokenizer, articles: &[Article], threads: usize) -> u64 {
    build_baseline_schema(BaselineText::Jieba(Box::new(tokenizer)), articles, threads)
}

/// The baseline's schema indexing tokens made beforehand, with one thread (the tokens are
/// replayed in the order one thread tokenizes the texts).
fn build_replayed(tokens: Analysed, articles: &[Article]) -> u64 {
    build_baseline_schema(BaselineText::Replayed(ReplayTokenizer::new(tokens)), articles, 1)
}

/// What the baseline schema's title and body are tokenized by.
enum BaselineText {
    /// tantivy-jieba.
    Jieba(Box<tantivy_jieba::JiebaTokenizer>),
    /// Tokens made before timing starts (newsdex's or jieba's).
    Replayed(ReplayTokenizer),
}

/// Token lists made before timing starts, one per text, in the order tantivy tokenizes
/// the texts with one indexing thread: each article's title, then its body.
type Analysed = Vec<TokenList>;

/// The length of a text and its tokens.
type TokenList = (usize, Vec<Token>);

/// newsdex's index-mode tokens of every title and body, with the length of its text.
fn analyse(analyzer: &Analyzer, articles: &[Article]) -> Analysed {
    token_lists(articles, |text| {
        analyzer
            .analyze(text, AnalysisMode::Index)
            .into_iter()
            .map(|token| Token {
                offset_from: token.offset_from,
                offset_to: token.offset_to,
                position: token.position,
                text: token.text,
                position_length: 1,
            })
            .collect()
    })
}

/// The tokens tantivy-jieba makes of every title and body (jieba-rs search mode, HMM on,
/// positions at the token's first character), with the length of its text.
fn segment(jieba: &tantivy_jieba::jieba_rs::Jieba, articles: &[Article]) -> Analysed {
    token_lists(articles, |text| {
        jieba
            .tokenize(text, TokenizeMode::Search, true)
            .into_iter()
            .map(|token| Token {
                offset_from: token.byte_start,
                offset_to: token.byte_end,
                position: token.start,
                text: token.word.to_string(),
                position_length: token.end - token.start,
            })
            .collect()
    })
}

/// `tokens` of every title and body, in the order tantivy tokenizes them.
fn token_lists(articles: &[Article], tokens: impl Fn(&str) -> Vec<Token>) -> Analysed {
    articles
        .iter()
        .flat_map(|article| [&article.title, &article.body])
        .map(|text| (text.len(), tokens(text)))
        .collect()
}

/// A tokenizer handing out the token lists of [`Analysed`] in order.
#[derive(Clone)]
struct ReplayTokenizer {
    lists: Arc<Mutex<std::vec::IntoIter<TokenList>>>,
}

impl ReplayTokenizer {
    fn new(analysed: Analysed) -> ReplayTokenizer {
        ReplayTokenizer { lists: Arc::new(Mutex::new(analysed.into_iter())) }
    }
}

impl Tokenizer for ReplayTokenizer {
    type TokenStream<'a> = ReplayStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ReplayStream {
        let (length, tokens) = self.lists.lock().expect("token lists").next().expect("a token list per text");
        assert_eq!(length, text.len(), "token lists replayed out of order");
        ReplayStream { tokens, next: 0 }
    }
}

struct ReplayStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for ReplayStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn build_baseline_schema(input: BaselineText, articles: &[Article], threads: usize) -> u64 {
    let mut builder = Schema::builder();
    let keyword = STRING | STORED | FAST;
    let id = builder.add_text_field("id", STRING | STORED);
    let lang = builder.add_text_field("lang", keyword.clone());
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("text")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let title = builder.add_text_field("title", text.clone());
    let body = builder.add_text_field("body", text);
    let source = builder.add_text_field("source", keyword.clone());
    let category = builder.add_text_field("category", keyword);
    let index = Index::create_in_ram(builder.build());
    match input {
        BaselineText::Jieba(tokenizer) => index.tokenizers().register("text", *tokenizer),
        BaselineText::Replayed(tokenizer) => index.tokenizers().register("text", tokenizer),
    }
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, MEMORY_BUDGET).expect("writer");
    for article in articles {
        let mut document = TantivyDocument::new();
        document.add_text(id, &article.id);
        document.add_text(lang, article.lang.map_or("en", Lang::as_str));
        document.add_text(title, &article.title);
        document.add_text(body, &article.body);
        if let Some(value) = &article.source {
            document.add_text(source, value);
        }
        if let Some(value) = &article.category {
            document.add_text(category, value);
        }
        writer.add_document(document).expect("add");
    }
    writer.commit().expect("commit");
    let count = index.reader().expect("reader").searcher().num_docs();
    assert_eq!(count, articles.len() as u64);
    count
}
