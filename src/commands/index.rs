//! `newsdex index`: build or update an index from JSON Lines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use newsdex::{Analyzer, IngestOptions, IngestReport, NewsIndex, OnError, WriterSettings};
use serde::Serialize;

use crate::progress::Progress;

#[derive(Args)]
pub struct IndexArgs {
    /// The index directory: an existing index is added to; a new or empty directory gets
    /// a new index (a directory holding other files is refused).
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// JSON Lines files of articles; `-` reads standard input.
    #[arg(required = true, value_name = "FILE.jsonl")]
    files: Vec<PathBuf>,
    /// What to do with a malformed line: skip it (and report it) or index nothing.
    #[arg(long, value_enum, default_value_t = OnErrorArg::Skip)]
    on_error: OnErrorArg,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// A jieba user dictionary (for a new index; an existing one is checked against it).
    #[arg(long, value_name = "PATH", env = "NEWSDEX_USER_DICT")]
    user_dict: Option<PathBuf>,
    /// Indexing threads (default: one per core, up to 8).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// The writer's memory budget in MiB, shared by the threads (default 256).
    #[arg(long, value_name = "MB")]
    memory_mb: Option<usize>,
    /// The most MiB of segments one merge reads (default: the memory budget). Merging maps
    /// its input, so this bounds what it adds to resident memory; a larger limit leaves
    /// fewer, larger segments.
    #[arg(long, value_name = "MB")]
    max_merge_mb: Option<u64>,
    /// Leave English stop words (a, the, of…) out of a new index. Off by default: it
    /// saves little space and costs phrase and known-item accuracy (ARCHITECTURE.md).
    #[arg(long)]
    remove_english_stop_words: bool,
    /// Do not index sub-words (the words inside long words, the parts of `COVID-19`) in
    /// a new index: smaller and faster, but `大桥` no longer finds `长江大桥`.
    #[arg(long)]
    no_sub_words: bool,
    /// Do not let jieba's HMM join unknown characters into new words, in a new index.
    #[arg(long)]
    no_hmm: bool,
    /// Commit after every N articles, so an interruption loses at most N (each commit
    /// is reported on standard error as `committed: FILE through line L`). With
    /// --on-error skip only.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    commit_every: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OnErrorArg {
    Skip,
    Fail,
}

/// The summary printed after a build.
#[derive(Serialize, serde::Deserialize)]
pub struct IndexSummary {
    pub indexed: u64,
    pub rejected: u64,
    pub duplicates: u64,
    pub input_bytes: u64,
    pub input_mb: f64,
    pub seconds: f64,
    pub articles_per_second: f64,
    pub mb_per_second: f64,
    pub index_bytes: u64,
    pub articles_in_index: u64,
    pub segments: usize,
    /// Peak resident memory of the process (`VmHWM`), when the platform says. It counts
    /// the pages of index files mapped while segments merge, which the kernel can drop.
    pub peak_rss_bytes: Option<u64>,
    /// Peak anonymous resident memory (heap: the writer's buffers, analysis, parsing),
    /// sampled every 50 ms during the build.
    #[serde(default)]
    pub peak_anonymous_bytes: Option<u64>,
    pub errors: Vec<FileLineError>,
}

/// A rejected line, with its file.
#[derive(Serialize, serde::Deserialize)]
pub struct FileLineError {
    pub file: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub message: String,
}

pub fn run(args: IndexArgs) -> anyhow::Result<ExitCode> {
    if args.commit_every.is_some() && matches!(args.on_error, OnErrorArg::Fail) {
        anyhow::bail!(
            "--commit-every cannot be used with --on-error fail: that indexes all or nothing, in one commit"
        );
    }
    let mut settings = writer_settings(args.threads, args.memory_mb);
    settings.max_merge_bytes = args.max_merge_mb.map(|mb| mb << 20);
    let mut builder = Analyzer::builder()
        .remove_english_stop_words(args.remove_english_stop_words)
        .index_sub_words(!args.no_sub_words)
        .hmm(!args.no_hmm);
    if let Some(path) = &args.user_dict {
        builder = builder.user_dictionary(newsdex::UserDictionary::from_path(path)?);
    }
    check_inputs(&args.files)?;
    let index = open_or_create(&args.index, args.user_dict.as_deref(), builder.build())?;
    // Loaded before the clock starts, so the reported throughput is the build's alone.
    index.analyzer().load_dictionary();
    let options = IngestOptions {
        on_error: match args.on_error {
            OnErrorArg::Skip => OnError::Skip,
            OnErrorArg::Fail => OnError::Fail,
        },
        commit_every: args.commit_every,
        ..IngestOptions::default()
    };
    let started = Instant::now();
    let sampler = AnonymousMemorySampler::start();
    let (report, errors) = ingest_files(&index, &args.files, settings, &options, args.json)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_anonymous_bytes = sampler.stop();
    let summary = IndexSummary {
        indexed: report.indexed,
        rejected: report.rejected,
        duplicates: report.duplicates,
        input_bytes: report.input_bytes,
        input_mb: report.input_bytes as f64 / 1e6,
        seconds,
        articles_per_second: report.indexed as f64 / seconds.max(1e-9),
        mb_per_second: report.input_bytes as f64 / 1e6 / seconds.max(1e-9),
        index_bytes: super::directory_size(&args.index),
        articles_in_index: index.num_articles(),
        segments: index.num_segments(),
        peak_rss_bytes: peak_rss_bytes(),
        peak_anonymous_bytes,
        errors,
    };
    if args.json {
        outln!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary, &args.index);
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses inputs that cannot be read before anything is created or written: a missing
/// file or a directory met part way would stop the run and lose the files before it.
pub fn check_inputs(files: &[PathBuf]) -> anyhow::Result<()> {
    files.iter().try_for_each(|file| crate::input::check(file))
}

/// Writer settings from the flags, defaults for what is not given.
pub fn writer_settings(threads: Option<usize>, memory_mb: Option<usize>) -> WriterSettings {
    let defaults = WriterSettings::default();
    WriterSettings::new(
        threads.unwrap_or(defaults.threads),
        memory_mb.map_or(defaults.memory_budget_bytes, |mb| mb << 20),
    )
}

/// Opens the index in `path` (checking it was built with the same options), or creates
/// it with `analyzer`.
fn open_or_create(path: &Path, user_dict: Option<&Path>, analyzer: Analyzer) -> anyhow::Result<NewsIndex> {
    if path.join("meta.json").exists() {
        let index = super::open_index(path, user_dict)?;
        let (built, asked) = (index.analyzer().identity(), analyzer.identity());
        // Adding to an index uses the options it was built with, as it does its user
        // dictionary; only an option given that the index was built without is refused.
        let options = [
            (
                "--remove-english-stop-words",
                built.english_stop_words_removed,
                asked.english_stop_words_removed,
            ),
            ("--no-sub-words", !built.sub_words_indexed, !asked.sub_words_indexed),
            ("--no-hmm", !built.hmm, !asked.hmm),
        ];
        let refused: Vec<&str> = options
            .into_iter()
            .filter(|&(_, built_with, given)| given && !built_with)
            .map(|(flag, ..)| flag)
            .collect();
        if !refused.is_empty() {
            anyhow::bail!(
                "the index at {} was built without {}; analysis options are set when an index is created, \
                 so rebuild it to change them",
                path.display(),
                refused.join(" or ")
            );
        }
        return Ok(index);
    }
    NewsIndex::create(path, analyzer).with_context(|| format!("cannot create an index at {}", path.display()))
}

/// Ingests every file with one writer and commits once at the end.
pub fn ingest_files(
    index: &NewsIndex,
    files: &[PathBuf],
    settings: WriterSettings,
    options: &IngestOptions,
    quiet: bool,
) -> anyhow::Result<(IngestReport, Vec<FileLineError>)> {
    let mut writer = index.writer(settings).context("cannot open the index for writing")?;
    let total_bytes = files
        .iter()
        .map(
            |file| if file.as_os_str() == "-" { None } else { std::fs::metadata(file).ok().map(|m| m.len()) },
        )
        .sum::<Option<u64>>();
    let mut progress = Progress::new(total_bytes, quiet);
    let mut report = IngestReport::default();
    let mut errors = Vec::new();
    // Progress is over the files' own bytes, compressed or not.
    let mut read_before = 0;
    for file in files {
        let name = file.display().to_string();
        let input = crate::input::open(file)?;
        let consumed = input.consumed.clone();
        let indexed_before = report.indexed;
        let file_report = writer
            .ingest_jsonl(input.lines, options, &mut |step| {
                progress.update(read_before + consumed.bytes(), indexed_before + step.indexed);
                if let Some(line) = step.committed_through_line {
                    eprintln!("committed: {name} through line {line}");
                }
            })
            .map_err(|error| {
                let outcome = if matches!(error, newsdex::Error::InvalidArticle(_)) {
                    "nothing was indexed (--on-error fail stops at the first bad line)"
                } else if options.commit_every.is_some() {
                    "indexing stopped; the articles committed before it are kept"
                } else {
                    "indexing stopped; nothing was indexed"
                };
                anyhow::Error::new(error).context(format!("{name}: {outcome}"))
            })?;
        errors.extend(file_report.errors.iter().map(|error| FileLineError {
            file: name.clone(),
            line: error.line,
            id: error.id.clone(),
            message: error.message.clone(),
        }));
        report.merge(file_report, options.max_reported_errors);
        read_before += input.consumed.bytes();
    }
    writer.commit().context("cannot commit the index")?;
    writer.finish().context("cannot finish merging segments")?;
    progress.finish();
    errors.truncate(options.max_reported_errors);
    Ok((report, errors))
}

/// The peak resident memory of this process (Linux: `VmHWM` in /proc/self/status).
pub fn peak_rss_bytes() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// A field of /proc/self/status given in kB, in bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

/// Samples the process's anonymous resident memory (`RssAnon`; the kernel keeps no peak
/// of it) on a background thread.
struct AnonymousMemorySampler {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<Option<u64>>,
}

impl AnonymousMemorySampler {
    const EVERY: std::time::Duration = std::time::Duration::from_millis(50);

    fn start() -> AnonymousMemorySampler {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut peak = status_bytes("RssAnon:");
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::EVERY) {
                peak = peak.max(status_bytes("RssAnon:"));
            }
            peak.max(status_bytes("RssAnon:"))
        });
        AnonymousMemorySampler { stop, thread }
    }

    fn stop(self) -> Option<u64> {
        let _ = self.stop.send(());
        self.thread.join().ok().flatten()
    }
}

fn print_summary(summary: &IndexSummary, path: &Path) {
    for error in &summary.errors {
        eprintln!("{}: line {}: {}", error.file, error.line, error.message);
    }
    if summary.rejected as usize > summary.errors.len() {
        let more = summary.rejected - summary.errors.len() as u64;
        eprintln!("… and {more} more rejected line{}", if more == 1 { "" } else { "s" });
    }
    outln!("index:      {}", path.display());
    outln!(
        "indexed:    {} ({}, last one kept)",
        super::count(summary.indexed, "article"),
        super::count(summary.duplicates, "duplicate id")
    );
    outln!("rejected:   {}", super::count(summary.rejected, "line"));
    outln!("input:      {:.2} MB", summary.input_mb);
    outln!("time:       {:.2} s", summary.seconds);
    outln!("throughput: {:.0} articles/s, {:.2} MB/s", summary.articles_per_second, summary.mb_per_second);
    outln!(
        "index size: {:.2} MB ({}, {})",
        summary.index_bytes as f64 / 1e6,
        super::count(summary.articles_in_index, "article"),
        super::count(summary.segments as u64, "segment")
    );
    if let Some(peak) = summary.peak_rss_bytes {
        let anonymous = summary
            .peak_anonymous_bytes
            .map_or_else(String::new, |bytes| format!(" (anonymous: {:.0} MB)", bytes as f64 / 1e6));
        outln!("peak RSS:   {:.0} MB{anonymous}", peak as f64 / 1e6);
    }
}
