//! `newsdex export quickwit`: copy an index to a Quickwit cluster, resumably.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};
use newsdex::{CommitMode, ExportOptions, QuickwitClient};

use crate::progress::Progress;

#[derive(Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    target: ExportTarget,
}

#[derive(Subcommand)]
enum ExportTarget {
    /// Create a Quickwit index (newsdex's config) and ingest every article into it.
    Quickwit(QuickwitArgs),
}

#[derive(Args)]
struct QuickwitArgs {
    /// The newsdex index to export.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// The Quickwit cluster's REST address.
    #[arg(long, value_name = "URL", env = "NEWSDEX_QUICKWIT_URL")]
    url: String,
    /// The Quickwit index to create (letters, digits, `-`, `_`; starts with a letter).
    #[arg(long, value_name = "ID", env = "NEWSDEX_QUICKWIT_INDEX_ID")]
    index_id: String,
    /// A jieba user dictionary the index must have been built with.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_USER_DICT")]
    user_dict: Option<PathBuf>,
    /// Articles per ingest request (requests also stay under 8 MiB).
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// The checkpoint file that makes the export resumable (default: beside the index,
    /// `.newsdex-export-<ID>.json`). Run the same command again to resume.
    #[arg(long, value_name = "PATH")]
    checkpoint: Option<PathBuf>,
    /// Return without waiting for the last batch to be committed.
    #[arg(long)]
    no_wait: bool,
    /// Print the index config newsdex would create, and exit.
    #[arg(long)]
    print_config: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    match args.target {
        ExportTarget::Quickwit(args) => quickwit(args),
    }
}

fn quickwit(args: QuickwitArgs) -> anyhow::Result<ExitCode> {
    let index = super::open_index(&args.index, args.user_dict.as_deref())?;
    if args.print_config {
        let config = newsdex::quickwit_index_config(&args.index_id, index.analyzer())?;
        outln!("{}", serde_json::to_string_pretty(&config)?);
        return Ok(ExitCode::SUCCESS);
    }
    let client = QuickwitClient::new(&args.url)?;
    let checkpoint =
        args.checkpoint.unwrap_or_else(|| args.index.join(format!(".newsdex-export-{}.json", args.index_id)));
    let options = ExportOptions {
        batch_articles: args.batch_size,
        checkpoint: Some(checkpoint.clone()),
        final_commit: if args.no_wait { CommitMode::Auto } else { CommitMode::WaitFor },
        settle: None,
    };
    let total = index.num_articles();
    let mut progress = Progress::counting(total, "articles", args.json);
    let started = Instant::now();
    let report = newsdex::export_to_quickwit(&index, &client, &args.index_id, &options, &mut |step| {
        progress.update_count(step.done, step.bytes_sent);
    })
    .map_err(|error| {
        let interrupted = matches!(
            error,
            newsdex::Error::QuickwitUnreachable { .. }
                | newsdex::Error::QuickwitStatus { .. }
                | newsdex::Error::QuickwitResponse { .. }
        );
        let context = if interrupted {
            format!(
                "export to quickwit index {:?} at {} stopped; run the same command again to resume from {}",
                args.index_id,
                args.url,
                checkpoint.display()
            )
        } else {
            format!("cannot export to quickwit index {:?} at {}", args.index_id, args.url)
        };
        anyhow::Error::new(error).context(context)
    })?;
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["seconds"] = serde_json::json!(seconds);
        value["checkpoint"] = serde_json::json!(checkpoint.display().to_string());
        outln!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "quickwit:   {} index {}{}",
        args.url,
        args.index_id,
        if report.created_index { " (created)" } else { "" }
    );
    if report.resumed_from > 0 {
        outln!("resumed:    after {} articles exported earlier", report.resumed_from);
    }
    if report.already_present > 0 {
        outln!(
            "in flight:  {} articles of the interrupted batch had arrived and were not sent again",
            report.already_present
        );
    }
    outln!("exported:   {} of {} articles in {} requests", report.exported, report.total, report.batches);
    outln!(
        "sent:       {:.2} MB in {seconds:.1} s ({:.0} articles/s)",
        report.bytes_sent as f64 / 1e6,
        report.exported as f64 / seconds.max(1e-9)
    );
    outln!("checkpoint: {}", checkpoint.display());
    Ok(ExitCode::SUCCESS)
}
