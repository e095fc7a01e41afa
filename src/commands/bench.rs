//! `newsdex bench`: index builds under a matrix of settings, measured against the bound.
//!
//! The bound comes from the same run over the same text: J, raw jieba-rs `cut_for_search`
//! throughput; W, tantivy's throughput indexing that already-segmented text with its
//! whitespace tokenizer; and their serial sum B = 1/(1/J + 1/W) — what a one-thread build
//! that segments with jieba and indexes with tantivy could reach if nothing else cost
//! anything. Every newsdex build runs in a child `newsdex index` process, so its peak
//! resident memory is its own.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use newsdex::JsonlReader;
use serde::Serialize;
use tantivy::schema::{FAST, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::WhitespaceTokenizer;
use tantivy::{Index, IndexWriter, TantivyDocument};

use super::index::IndexSummary;

#[derive(Args)]
pub struct BenchArgs {
    /// JSON Lines files to index (or use --generate).
    #[arg(value_name = "FILE.jsonl", required_unless_present = "generate")]
    files: Vec<PathBuf>,
    /// Generate a scale corpus of this many articles from --corpus and index that.
    #[arg(long, value_name = "ARTICLES")]
    generate: Option<u64>,
    /// The real corpus --generate takes sentences from.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_CORPUS", default_value = "../shared/corpus")]
    corpus: PathBuf,
    /// Indexing thread counts to try.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Writer memory budgets (MiB) to try.
    #[arg(long, value_delimiter = ',', default_value = "256")]
    memory_mb: Vec<usize>,
    /// Analyzer modes to try: `index` (words and sub-words, the default) or `precise`
    /// (words only).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "index")]
    analyzer: Vec<AnalyzerMode>,
    /// Megabytes of text used to measure the bound (J and W).
    #[arg(long, default_value_t = 50)]
    bound_mb: usize,
    /// Rounds: each measures J and W and then runs every build once, so every build is
    /// compared with a bound taken minutes, not hours, apart; figures are medians over
    /// the rounds.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    rounds: u32,
    /// Print everything as one JSON object.
    #[arg(long)]
    json: bool,
    /// Directory for the generated corpus and the indexes (default: a temporary one,
    /// removed afterwards).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum AnalyzerMode {
    Index,
    Precise,
}

/// The bound, measured over the same text: medians over the rounds.
#[derive(Serialize)]
struct Bound {
    /// Text the bound was measured on.
    text_mb: f64,
    /// Raw jieba-rs `cut_for_search` (HMM on), MB of text per second.
    jieba_mb_per_second: f64,
    /// tantivy indexing jieba's output with its whitespace tokenizer (one thread, the
    /// first memory budget), MB of original text per second.
    tantivy_mb_per_second: f64,
    /// 1 / (1/J + 1/W).
    bound_mb_per_second: f64,
    /// B of each round.
    rounds_bound_mb_per_second: Vec<f64>,
}

/// One setting of the matrix, over every round.
#[derive(Serialize)]
struct Run {
    threads: usize,
    memory_mb: usize,
    analyzer: AnalyzerMode,
    /// The summary of the round with the median time.
    summary: IndexSummary,
    /// Title and body text indexed per second: median over the rounds.
    text_mb_per_second: f64,
    /// `text_mb_per_second / B`, each round against its own B: median over the rounds.
    ratio_to_bound: f64,
    /// Seconds of each round.
    rounds_seconds: Vec<f64>,
    /// Ratio to B of each round.
    rounds_ratio_to_bound: Vec<f64>,
}

/// How a thread count compares with the fewest threads tried, same budget and analyzer.
#[derive(Serialize)]
struct SpeedUp {
    threads: usize,
    over_threads: usize,
    memory_mb: usize,
    analyzer: AnalyzerMode,
    /// Median over the rounds of the per-round throughput ratio.
    speed_up: f64,
    rounds_speed_up: Vec<f64>,
}

#[derive(Serialize)]
struct Report {
    files: Vec<String>,
    articles: u64,
    text_mb: f64,
    rounds: u32,
    bound: Bound,
    runs: Vec<Run>,
    speed_ups: Vec<SpeedUp>,
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let temporary = args.work_dir.is_none();
    let work_dir = args
        .work_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("newsdex-bench-{}", std::process::id())));
    std::fs::create_dir_all(&work_dir).with_context(|| format!("cannot create {}", work_dir.display()))?;
    let outcome = bench(&args, &work_dir);
    if temporary {
        let _ = std::fs::remove_dir_all(&work_dir);
    }
    let report = outcome?;
    if args.json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn bench(args: &BenchArgs, work_dir: &Path) -> anyhow::Result<Report> {
    // Every setting is checked before anything is measured, not when its turn comes.
    super::index::check_inputs(&args.files)?;
    for &threads in &args.threads {
        for &memory_mb in &args.memory_mb {
            super::index::writer_settings(Some(threads), Some(memory_mb))
                .validate()
                .with_context(|| format!("cannot build with --threads {threads} --memory-mb {memory_mb}"))?;
        }
    }
    let mut files = args.files.clone();
    if let Some(articles) = args.generate {
        let out = work_dir.join("scale-corpus.jsonl");
        if !args.json {
            eprintln!("generating {articles} articles from {} …", args.corpus.display());
        }
        let pool = super::generate::load_pool(&args.corpus)?;
        super::generate::write_corpus(&pool, articles, 2026, &out)?;
        files.push(out);
    }
    let (articles, text_bytes, sample) = read_texts(&files, args.bound_mb << 20)?;
    let sample_bytes_mb = sample_bytes(&sample) as f64 / 1e6;
    let bound_memory_mb = args.memory_mb.first().copied().unwrap_or(256);
    let segmented = segment(&sample);
    let executable = std::env::current_exe().context("cannot find the newsdex executable")?;
    let settings: Vec<(usize, usize, AnalyzerMode)> = args
        .threads
        .iter()
        .flat_map(|&threads| {
            args.memory_mb.iter().flat_map(move |&memory_mb| {
                args.analyzer.iter().map(move |&analyzer| (threads, memory_mb, analyzer))
            })
        })
        .collect();
    let mut jieba_rates = Vec::new();
    let mut tantivy_rates = Vec::new();
    let mut bounds = Vec::new();
    // Per setting: the summary and the ratio to that round's B, per round.
    let mut measured: Vec<Vec<(IndexSummary, f64)>> = settings.iter().map(|_| Vec::new()).collect();
    for round in 1..=args.rounds {
        if !args.json {
            eprintln!(
                "round {round}/{}: measuring the bound on {sample_bytes_mb:.1} MB of text …",
                args.rounds
            );
        }
        let jieba = measure_jieba(&sample);
        let tantivy = sample_bytes_mb / index_segmented(&sample, &segmented, bound_memory_mb)?;
        let bound = 1.0 / (1.0 / jieba + 1.0 / tantivy);
        jieba_rates.push(jieba);
        tantivy_rates.push(tantivy);
        bounds.push(bound);
        for (&(threads, memory_mb, analyzer), results) in settings.iter().zip(&mut measured) {
            if !args.json {
                eprintln!(
                    "round {round}/{}: building with {}, {memory_mb} MiB, {analyzer:?} analyzer …",
                    args.rounds,
                    super::count(threads as u64, "thread")
                );
            }
            let summary = build(&executable, work_dir, &files, threads, memory_mb, analyzer)?;
            let ratio = text_bytes as f64 / 1e6 / summary.seconds.max(1e-9) / bound;
            results.push((summary, ratio));
        }
    }
    drop(sample);
    let mut runs = Vec::new();
    for (&(threads, memory_mb, analyzer), mut results) in settings.iter().zip(measured) {
        let rounds_seconds: Vec<f64> = results.iter().map(|(summary, _)| summary.seconds).collect();
        let rounds_ratio_to_bound: Vec<f64> = results.iter().map(|(_, ratio)| *ratio).collect();
        results.sort_by(|a, b| a.0.seconds.total_cmp(&b.0.seconds));
        let (summary, _) = results.swap_remove(results.len() / 2);
        runs.push(Run {
            threads,
            memory_mb,
            analyzer,
            text_mb_per_second: text_bytes as f64 / 1e6 / summary.seconds.max(1e-9),
            summary,
            ratio_to_bound: median(rounds_ratio_to_bound.clone()),
            rounds_seconds,
            rounds_ratio_to_bound,
        });
    }
    let fewest_threads = args.threads.iter().copied().min().unwrap_or(1);
    let speed_ups = runs
        .iter()
        .filter(|run| run.threads != fewest_threads)
        .filter_map(|run| {
            let base = runs.iter().find(|base| {
                base.threads == fewest_threads
                    && base.memory_mb == run.memory_mb
                    && base.analyzer == run.analyzer
            })?;
            let rounds_speed_up: Vec<f64> = base
                .rounds_seconds
                .iter()
                .zip(&run.rounds_seconds)
                .map(|(base, run)| base / run.max(1e-9))
                .collect();
            Some(SpeedUp {
                threads: run.threads,
                over_threads: fewest_threads,
                memory_mb: run.memory_mb,
                analyzer: run.analyzer,
                speed_up: median(rounds_speed_up.clone()),
                rounds_speed_up,
            })
        })
        .collect();
    Ok(Report {
        files: files.iter().map(|f| f.display().to_string()).collect(),
        articles,
        text_mb: text_bytes as f64 / 1e6,
        rounds: args.rounds,
        bound: Bound {
            text_mb: sample_bytes_mb,
            jieba_mb_per_second: median(jieba_rates),
            tantivy_mb_per_second: median(tantivy_rates),
            bound_mb_per_second: median(bounds.clone()),
            rounds_bound_mb_per_second: bounds,
        },
        runs,
        speed_ups,
    })
}

/// One build in a child `newsdex index` process, so its peak memory is its own.
fn build(
    executable: &Path,
    work_dir: &Path,
    files: &[PathBuf],
    threads: usize,
    memory_mb: usize,
    analyzer: AnalyzerMode,
) -> anyhow::Result<IndexSummary> {
    let index_dir = work_dir.join(format!("index-{threads}-{memory_mb}-{analyzer:?}"));
    let _ = std::fs::remove_dir_all(&index_dir);
    let mut command = Command::new(executable);
    command
        .arg("index")
        .arg("--index")
        .arg(&index_dir)
        .arg("--json")
        .arg("--threads")
        .arg(threads.to_string())
        .arg("--memory-mb")
        .arg(memory_mb.to_string())
        .args(files)
        .env("NEWSDEX_LOG", "warn");
    if matches!(analyzer, AnalyzerMode::Precise) {
        command.arg("--no-sub-words");
    }
    let output = command.output().context("cannot run newsdex index")?;
    let _ = std::fs::remove_dir_all(&index_dir);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.trim().strip_prefix("error: ").unwrap_or(stderr.trim()).to_string();
        anyhow::bail!("newsdex index failed: {message}");
    }
    serde_json::from_slice(&output.stdout).context("unreadable index summary")
}

/// (title, body) of articles, for the bound.
type Texts = Vec<(String, String)>;

fn sample_bytes(sample: &Texts) -> usize {
    sample.iter().map(|(title, body)| title.len() + body.len()).sum()
}

/// Counts articles and text bytes in `files`, keeping the first `sample_limit` bytes of
/// text for the bound.
fn read_texts(files: &[PathBuf], sample_limit: usize) -> anyhow::Result<(u64, u64, Texts)> {
    let mut articles = 0u64;
    let mut text_bytes = 0u64;
    let mut sample = Vec::new();
    let mut sampled = 0usize;
    for file in files {
        for record in JsonlReader::new(crate::input::open(file)?.lines) {
            let Ok(article) = record?.article else { continue };
            articles += 1;
            let bytes = article.title.len() + article.body.len();
            text_bytes += bytes as u64;
            if sampled < sample_limit {
                sampled += bytes;
                sample.push((article.title, article.body));
            }
        }
    }
    Ok((articles, text_bytes, sample))
}

/// The middle value (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] }
}

/// Raw jieba-rs `cut_for_search` (HMM on) over `sample`, MB of text per second.
fn measure_jieba(sample: &Texts) -> f64 {
    let jieba = base_jieba();
    let started = Instant::now();
    let tokens: usize = sample
        .iter()
        .map(|(title, body)| jieba.cut_for_search(title, true).len() + jieba.cut_for_search(body, true).len())
        .sum();
    assert!(tokens > 0);
    sample_bytes(sample) as f64 / 1e6 / started.elapsed().as_secs_f64()
}

/// jieba-rs with its own dictionary, loaded once.
fn base_jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: std::sync::LazyLock<jieba_rs::Jieba> = std::sync::LazyLock::new(jieba_rs::Jieba::new);
    &JIEBA
}

/// jieba's output, joined by spaces: the already-segmented text tantivy indexes for W.
fn segment(sample: &Texts) -> Texts {
    let jieba = base_jieba();
    let join = |text: &str| {
        jieba
            .cut_for_search(text, true)
            .iter()
            .map(|t| t.word)
            .filter(|w| !w.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    sample.iter().map(|(title, body)| (join(title), join(body))).collect()
}

/// Seconds for tantivy to index segmented text with its whitespace tokenizer, one thread,
/// storing the original text as newsdex does.
fn index_segmented(original: &Texts, segmented: &Texts, memory_mb: usize) -> anyhow::Result<f64> {
    let directory = tempfile_dir()?;
    let mut builder = Schema::builder();
    let id = builder.add_text_field("id", STRING | STORED);
    let lang = builder.add_text_field("lang", STRING | STORED | FAST);
    let tokens = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("whitespace")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let title_tokens = builder.add_text_field("title_tokens", tokens.clone());
    let body_tokens = builder.add_text_field("body_tokens", tokens);
    let title = builder.add_text_field("title", STORED);
    let body = builder.add_text_field("body", STORED);
    let index = Index::create_in_dir(&directory, builder.build())?;
    index.tokenizers().register("whitespace", WhitespaceTokenizer::default());
    let started = Instant::now();
    let mut writer: IndexWriter = index.writer_with_num_threads(1, memory_mb << 20)?;
    for (number, ((original_title, original_body), (segmented_title, segmented_body))) in
        original.iter().zip(segmented).enumerate()
    {
        let mut document = TantivyDocument::new();
        document.add_text(id, format!("doc-{number}"));
        document.add_text(lang, "und");
        document.add_text(title_tokens, segmented_title);
        document.add_text(body_tokens, segmented_body);
        document.add_text(title, original_title);
        document.add_text(body, original_body);
        writer.add_document(document)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&directory);
    Ok(seconds)
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let directory = std::env::temp_dir().join(format!(
        "newsdex-bound-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).with_context(|| format!("cannot create {}", directory.display()))?;
    Ok(directory)
}

fn print_report(report: &Report) {
    let list = |values: &[f64]| values.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(", ");
    outln!("input: {} articles, {:.1} MB of title and body text", report.articles, report.text_mb);
    let rounds = if report.rounds == 1 { "1 round".to_string() } else { format!("{} rounds", report.rounds) };
    outln!("medians over {rounds} (each round measures the bound, then every build once)");
    let bound = &report.bound;
    outln!(
        "bound on {:.1} MB: jieba J = {:.2} MB/s, tantivy (whitespace, 1 thread) W = {:.2} MB/s, B = 1/(1/J+1/W) = {:.2} MB/s (rounds: {})",
        bound.text_mb,
        bound.jieba_mb_per_second,
        bound.tantivy_mb_per_second,
        bound.bound_mb_per_second,
        list(&bound.rounds_bound_mb_per_second)
    );
    outln!();
    outln!(
        "| threads | memory MiB | analyzer | articles | input MB | seconds | articles/s | MB/s | text MB/s | ratio to B | peak RSS MB | peak anon MB | index MB | segments |"
    );
    outln!(
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for run in &report.runs {
        let summary = &run.summary;
        outln!(
            "| {} | {} | {:?} | {} | {:.1} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {:.1} | {} |",
            run.threads,
            run.memory_mb,
            run.analyzer,
            summary.indexed,
            summary.input_mb,
            summary.seconds,
            summary.articles_per_second,
            summary.mb_per_second,
            run.text_mb_per_second,
            run.ratio_to_bound,
            summary.peak_rss_bytes.map_or_else(|| "-".to_string(), |b| format!("{:.0}", b as f64 / 1e6)),
            summary
                .peak_anonymous_bytes
                .map_or_else(|| "-".to_string(), |b| format!("{:.0}", b as f64 / 1e6)),
            summary.index_bytes as f64 / 1e6,
            summary.segments
        );
    }
    outln!();
    for run in &report.runs {
        outln!(
            "{}, {} MiB, {:?}: ratio to B per round {}",
            super::count(run.threads as u64, "thread"),
            run.memory_mb,
            run.analyzer,
            list(&run.rounds_ratio_to_bound)
        );
    }
    for speed_up in &report.speed_ups {
        outln!(
            "{} over {} ({} MiB, {:?}): {:.2}x (rounds: {})",
            super::count(speed_up.threads as u64, "thread"),
            speed_up.over_threads,
            speed_up.memory_mb,
            speed_up.analyzer,
            speed_up.speed_up,
            list(&speed_up.rounds_speed_up)
        );
    }
}
