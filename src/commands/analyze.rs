//! `newsdex analyze`: the tool for debugging analysis.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use newsdex::{AnalysisMode, Analyzer, Token, TokenKind};
use serde::Serialize;

#[derive(Args)]
pub struct AnalyzeArgs {
    /// Index mode (words and their sub-words) or query mode (words only).
    #[arg(long, value_enum, default_value_t = Mode::Index)]
    mode: Mode,
    /// Print `{"tokens": [{"text", "offset_from", "offset_to", "position"}]}` with byte
    /// offsets into TEXT.
    #[arg(long)]
    json: bool,
    /// A jieba user dictionary to load.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_USER_DICT")]
    user_dict: Option<PathBuf>,
    /// The text to analyse.
    text: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Index,
    Query,
}

#[derive(Serialize)]
struct TokensJson<'a> {
    tokens: &'a [Token],
}

pub fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let analyzer = super::analyzer_from(args.user_dict.as_deref())?.unwrap_or_else(Analyzer::new);
    let mode = match args.mode {
        Mode::Index => AnalysisMode::Index,
        Mode::Query => AnalysisMode::Query,
    };
    let tokens = analyzer.analyze(&args.text, mode);
    if args.json {
        outln!("{}", serde_json::to_string(&TokensJson { tokens: &tokens })?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{:>8}  {:<20} {:<16} original", "position", "token", "bytes");
    for token in &tokens {
        let marker = if token.kind == TokenKind::SubWord { "  └ " } else { "" };
        outln!(
            "{:>8}  {:<20} {:<16} {}",
            token.position,
            format!("{marker}{}", token.text),
            format!("{}..{}", token.offset_from, token.offset_to),
            &args.text[token.offset_from..token.offset_to]
        );
    }
    Ok(ExitCode::SUCCESS)
}
