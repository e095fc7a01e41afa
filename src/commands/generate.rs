//! `newsdex generate`: a scale corpus of any size, recombined from a real corpus.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use newsdex::{GeneratedCorpus, JsonlReader, SentencePool};

#[derive(Args)]
pub struct GenerateArgs {
    /// How many articles.
    #[arg(long)]
    articles: u64,
    /// Where to write the JSON Lines (keep it out of the repository).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The real corpus to take sentences from: a directory of `*.jsonl` files or one file.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_CORPUS", default_value = "../shared/corpus")]
    corpus: PathBuf,
    /// Seed: the same seed and corpus give the same articles.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let pool = load_pool(&args.corpus)?;
    let written = write_corpus(&pool, args.articles, args.seed, &args.out)?;
    eprintln!(
        "wrote {} articles ({:.1} MB) to {} from {} sentences",
        written.articles,
        written.bytes as f64 / 1e6,
        args.out.display(),
        pool.sentence_counts().values().sum::<usize>()
    );
    Ok(ExitCode::SUCCESS)
}

/// The sentences of every JSONL file under `corpus` (or of the one file).
pub fn load_pool(corpus: &Path) -> anyhow::Result<SentencePool> {
    let files: Vec<PathBuf> = if corpus.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)
            .with_context(|| format!("cannot read {}", corpus.display()))?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                [".jsonl", ".jsonl.gz", ".jsonl.zst"].iter().any(|suffix| name.ends_with(suffix))
            })
            .collect();
        files.sort();
        files
    } else {
        vec![corpus.to_path_buf()]
    };
    anyhow::ensure!(!files.is_empty(), "no .jsonl (.jsonl.gz, .jsonl.zst) files in {}", corpus.display());
    let mut pool = SentencePool::new();
    for file in files {
        for record in JsonlReader::new(crate::input::open(&file)?.lines) {
            if let Ok(article) = record?.article {
                pool.add(&article);
            }
        }
    }
    Ok(pool)
}

/// Writes `articles` generated articles to `out`.
pub fn write_corpus(
    pool: &SentencePool,
    articles: u64,
    seed: u64,
    out: &Path,
) -> anyhow::Result<GeneratedCorpus> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let file = std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let written = pool.generate(articles, seed, &mut writer)?;
    writer.flush()?;
    Ok(written)
}
