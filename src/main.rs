//! `newsdex`: index, search, analyze and serve bilingual news from the command line.
//!
//! Glue only: parse arguments, set up logging, call the library, print the result.

/// `println!` for results on standard output, except that a closed output — the reader of
/// a pipe gone, as in `newsdex search … | head -3` — ends the program quietly, as it ends
/// other command-line tools, instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(error) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::output_failed(error);
        }
    }};
}

/// Ends the program after a failed write to standard output: quietly (with success) when
/// the output was closed by its reader, with the error otherwise.
fn output_failed(error: std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to standard output: {error}");
    std::process::exit(1);
}

mod commands;
mod input;
mod progress;
mod sample;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Search engine for bilingual (Chinese and English) news.
#[derive(Parser)]
#[command(name = "newsdex", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build or update an index from JSON Lines files.
    Index(commands::index::IndexArgs),
    /// Search an index.
    Search(commands::search::SearchArgs),
    /// Articles like a given one.
    Related(commands::related::RelatedArgs),
    /// Show how text is analysed into tokens.
    Analyze(commands::analyze::AnalyzeArgs),
    /// Copy an index to another engine (Quickwit), resumably.
    Export(commands::export::ExportArgs),
    /// Serve search over HTTP (the sample corpus when no index is given).
    Serve(commands::serve::ServeArgs),
    /// Measure segmentation or search quality.
    Eval(commands::eval::EvalArgs),
    /// Benchmark index builds under a matrix of settings, beside the jieba + tantivy bound.
    Bench(commands::bench::BenchArgs),
    /// Write a scale corpus of any size, recombined from a real corpus's sentences.
    Generate(commands::generate::GenerateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NEWSDEX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let outcome = match cli.command {
        Command::Index(args) => commands::index::run(args),
        Command::Search(args) => commands::search::run(args),
        Command::Related(args) => commands::related::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Generate(args) => commands::generate::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each once: a cause whose message already ends the one before
/// (an I/O error that names its source, say) is not repeated.
fn describe(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}
