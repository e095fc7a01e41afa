//! `newsdex eval`: measure analysis and search quality.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use newsdex::{Analyzer, Segmentation, SegmentationScore, score_segmentation};
use serde::Serialize;

#[derive(Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    what: EvalCommand,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Word segmentation against gold data (SIGHAN bakeoff format): precision, recall, F1.
    Segmentation(SegmentationArgs),
}

#[derive(Args)]
struct SegmentationArgs {
    /// Gold segmentation: words separated by whitespace, one sentence per line.
    #[arg(long, value_name = "FILE", requires = "input", conflicts_with = "sighan")]
    gold: Option<PathBuf>,
    /// The same text unsegmented, line for line.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// The training word list, for OOV recall.
    #[arg(long, value_name = "FILE")]
    training_words: Option<PathBuf>,
    /// Evaluate the four SIGHAN 2005 sets (pku, msr, cityu, as) found in this directory.
    #[arg(long, value_name = "DIR")]
    sighan: Option<PathBuf>,
    /// A jieba user dictionary for newsdex's analyzer.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_USER_DICT")]
    user_dict: Option<PathBuf>,
    /// Print the scores as JSON.
    #[arg(long)]
    json: bool,
}

/// The SIGHAN 2005 sets: name, script, raw input, gold, training words.
const SIGHAN_SETS: [(&str, &str, &str, &str, &str); 4] = [
    ("pku", "zh-Hans", "pku_test.utf8", "pku_test_gold.utf8", "pku_training_words.utf8"),
    ("msr", "zh-Hans", "msr_test.utf8", "msr_test_gold.utf8", "msr_training_words.utf8"),
    ("cityu", "zh-Hant", "cityu_test.utf8", "cityu_test_gold.utf8", "cityu_training_words.utf8"),
    ("as", "zh-Hant", "as_test.utf8", "as_testing_gold.utf8", "as_training_words.utf8"),
];

#[derive(Serialize)]
struct SetScores {
    set: String,
    script: String,
    newsdex: SegmentationScore,
    jieba_alone: SegmentationScore,
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        EvalCommand::Segmentation(args) => segmentation(args),
    }
}

fn segmentation(args: SegmentationArgs) -> anyhow::Result<ExitCode> {
    let analyzer = super::analyzer_from(args.user_dict.as_deref())?.unwrap_or_else(Analyzer::new);
    let sets: Vec<(String, String, PathBuf, PathBuf, Option<PathBuf>)> =
        match (&args.sighan, &args.gold, &args.input) {
            (Some(directory), _, _) => SIGHAN_SETS
                .iter()
                .map(|(name, script, input, gold, training)| {
                    (
                        name.to_string(),
                        script.to_string(),
                        directory.join(input),
                        directory.join(gold),
                        Some(directory.join(training)),
                    )
                })
                .collect(),
            (None, Some(gold), Some(input)) => {
                vec![(
                    "given".to_string(),
                    "-".to_string(),
                    input.clone(),
                    gold.clone(),
                    args.training_words.clone(),
                )]
            }
            _ => anyhow::bail!("give --gold and --input, or --sighan DIR"),
        };
    let mut results = Vec::new();
    for (name, script, input, gold, training) in sets {
        let input_text = read(&input)?;
        let gold_text = read(&gold)?;
        let training_words = training.as_deref().map(read_words).transpose()?;
        let score =
            |method| score_segmentation(&analyzer, method, &gold_text, &input_text, training_words.as_ref());
        results.push(SetScores {
            set: name,
            script,
            newsdex: score(Segmentation::Newsdex),
            jieba_alone: score(Segmentation::JiebaAlone),
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<6} {:<8} {:<12} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8}",
        "set", "script", "method", "P", "R", "F1", "OOV-R", "lines", "skipped"
    );
    for result in &results {
        for (method, score) in [("newsdex", &result.newsdex), ("jieba-alone", &result.jieba_alone)] {
            println!(
                "{:<6} {:<8} {:<12} {:>7.4} {:>7.4} {:>7.4} {:>8} {:>8} {:>8}",
                result.set,
                result.script,
                method,
                score.precision,
                score.recall,
                score.f1,
                score.oov_recall.map_or_else(|| "-".to_string(), |r| format!("{r:.4}")),
                score.lines,
                score.skipped_lines
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_words(path: &Path) -> anyhow::Result<HashSet<String>> {
    Ok(read(path)?
        .lines()
        .map(|line| line.trim().trim_start_matches('\u{FEFF}').to_string())
        .filter(|w| !w.is_empty())
        .collect())
}
