//! `newsdex eval`: measure analysis and search quality.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use newsdex::{
    Analyzer, JsonlReader, KnownItemOptions, KnownItemQuery, RankingConfig, SearchRequest, Segmentation,
    SegmentationScore, build_known_items, build_slips, score_retrieval, score_segmentation,
};
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
    /// Ranked retrieval against judgements: MRR@10, Recall@10, nDCG@10.
    Search(SearchEvalArgs),
    /// Draw a known-item test set from a JSONL corpus: headlines become queries.
    KnownItems(KnownItemsArgs),
    /// Start-up cost of the analyzer in a fresh process: load times and resident memory.
    Startup(StartupArgs),
    /// "Did you mean" on Chinese slips: whole-word queries drawn from gold-segmented
    /// text, searched as written and with one character slipped for a common one read
    /// alike, as a pinyin input method's wrong pick gives.
    Slips(SlipsArgs),
}

#[derive(Args)]
struct SlipsArgs {
    /// The index to search.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Gold segmentation to draw queries from: words separated by whitespace, one
    /// sentence per line (such as SIGHAN 2005's `pku_test_gold.utf8`).
    #[arg(long, value_name = "FILE")]
    gold: PathBuf,
    /// Queries to draw.
    #[arg(long, default_value_t = 600)]
    queries: usize,
    /// Seed of the draw.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print the scores as JSON.
    #[arg(long)]
    json: bool,
}

/// What `eval slips` measured.
#[derive(Serialize)]
struct SlipScores {
    /// Queries as written, and those given a suggestion (each a false one).
    clean: usize,
    clean_suggested: Vec<(String, String)>,
    /// Slips, those suggested as the query meant, and those suggested as another.
    slips: usize,
    right: usize,
    wrong: Vec<(String, String, String)>,
}

#[derive(Args)]
struct StartupArgs {
    /// A jieba user dictionary to load as well.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_USER_DICT")]
    user_dict: Option<PathBuf>,
}

#[derive(Args)]
struct SearchEvalArgs {
    /// The index to search.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Queries: `query-id<TAB>query` per line.
    #[arg(long, value_name = "Q.tsv")]
    queries: PathBuf,
    /// Judgements: `query-id<TAB>article-id<TAB>grade` per line (TREC's
    /// `query-id 0 article-id grade` also works).
    #[arg(long, value_name = "R.tsv")]
    qrels: PathBuf,
    /// BM25 multiplier for titles.
    #[arg(long)]
    title_boost: Option<f32>,
    /// BM25 multiplier for bodies.
    #[arg(long)]
    body_boost: Option<f32>,
    /// Multiplier of the bonus for query words found side by side (0: none).
    #[arg(long)]
    proximity_boost: Option<f32>,
    /// Do not fall back to any word when no article has every word.
    #[arg(long)]
    no_fallback: bool,
    /// Print the scores as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct KnownItemsArgs {
    /// The corpus: JSON Lines articles with headlines.
    #[arg(long, value_name = "FILE")]
    corpus: PathBuf,
    /// Directory to write `articles.jsonl`, `queries.tsv` and `qrels.tsv` into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Queries to draw.
    #[arg(long, default_value_t = 300)]
    queries: usize,
    /// Articles to keep for the index.
    #[arg(long, default_value_t = 20_000)]
    documents: usize,
    /// `title`: whole headlines, headlines left out of the index; `title-words`: about
    /// half of a headline's words, headlines indexed; `lead-words`: up to six words of
    /// the first sentence, headlines indexed.
    #[arg(long, value_enum, default_value_t = QueryMode::Title)]
    mode: QueryMode,
    /// Seed of the draw.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum QueryMode {
    Title,
    TitleWords,
    LeadWords,
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
    /// Without jieba's HMM (unknown characters are not joined into new words).
    #[arg(long)]
    no_hmm: bool,
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
        EvalCommand::Search(args) => search(args),
        EvalCommand::KnownItems(args) => known_items(args),
        EvalCommand::Startup(args) => startup(args),
        EvalCommand::Slips(args) => slips(args),
    }
}

/// Resident memory of this process now (Linux: `VmRSS`).
fn slips(args: SlipsArgs) -> anyhow::Result<ExitCode> {
    let index = super::open_index(&args.index, None)?;
    let set = build_slips(&read(&args.gold)?, index.analyzer(), args.queries, args.seed);
    if set.clean.is_empty() {
        anyhow::bail!(
            "{} has no clause of two Chinese words or more to draw queries from",
            args.gold.display()
        );
    }
    let suggestion = |query: &str| -> anyhow::Result<Option<String>> {
        Ok(index.search(&SearchRequest { limit: 1, ..SearchRequest::new(query) })?.suggestion)
    };
    let mut scores = SlipScores {
        clean: set.clean.len(),
        clean_suggested: Vec::new(),
        slips: 0,
        right: 0,
        wrong: Vec::new(),
    };
    for query in &set.clean {
        if let Some(suggested) = suggestion(query)? {
            scores.clean_suggested.push((query.clone(), suggested));
        }
    }
    for (slip, meant) in &set.slips {
        scores.slips += 1;
        match suggestion(slip)? {
            // A suggestion in another region's form of a character (裏 for 裡) is right.
            Some(suggested) if same_in_simplified(index.analyzer(), &suggested, meant) => scores.right += 1,
            Some(suggested) => scores.wrong.push((slip.clone(), meant.clone(), suggested)),
            None => {}
        }
    }
    if args.json {
        outln!("{}", serde_json::to_string(&scores)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("queries as written: {} ({} given a suggestion)", scores.clean, scores.clean_suggested.len());
    for (query, suggested) in &scores.clean_suggested {
        outln!("  {query} → {suggested}");
    }
    outln!(
        "slips:              {} ({} suggested as meant, {} as another)",
        scores.slips,
        scores.right,
        scores.wrong.len()
    );
    for (slip, meant, suggested) in &scores.wrong {
        outln!("  {slip} → {suggested} (meant {meant})");
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether two texts are the same once folded to Simplified as analysis folds them.
fn same_in_simplified(analyzer: &Analyzer, a: &str, b: &str) -> bool {
    let folded = |text: &str| -> Vec<String> {
        analyzer.analyze(text, newsdex::AnalysisMode::Query).into_iter().map(|token| token.text).collect()
    };
    a == b || folded(a) == folded(b)
}

fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

fn startup(args: StartupArgs) -> anyhow::Result<ExitCode> {
    let megabytes =
        |bytes: Option<u64>| bytes.map_or_else(|| "-".to_string(), |b| format!("{:.1} MB", b as f64 / 1e6));
    let before = resident_bytes();
    // Language detection needs only the Traditional → Simplified table: it builds it.
    let started = std::time::Instant::now();
    anyhow::ensure!(newsdex::detect_language("臺灣") == newsdex::Lang::ZhHant);
    let folding_built = started.elapsed();
    let after_folding = resident_bytes();
    let started = std::time::Instant::now();
    let dictionary = args.user_dict.as_deref().map(newsdex::UserDictionary::from_path).transpose()?;
    let analyzer = match dictionary {
        Some(dictionary) => Analyzer::with_user_dictionary(dictionary),
        None => Analyzer::new(),
    };
    // English alone does not need jieba: its dictionary loads with the first Han text.
    anyhow::ensure!(!analyzer.analyze("Taiwan's chip exports", newsdex::AnalysisMode::Query).is_empty());
    let english_ready = started.elapsed();
    let after_english = resident_bytes();
    let started = std::time::Instant::now();
    anyhow::ensure!(!analyzer.analyze("臺灣", newsdex::AnalysisMode::Query).is_empty());
    let dictionary_loaded = started.elapsed();
    anyhow::ensure!(analyzer.is_dictionary_loaded());
    let after_dictionary = resident_bytes();
    outln!("folding table build (OpenCC t2s): {:>8.1} ms", folding_built.as_secs_f64() * 1e3);
    outln!("analyzer, first English text:     {:>8.1} ms", english_ready.as_secs_f64() * 1e3);
    outln!("jieba dictionary load (first Han):{:>8.1} ms", dictionary_loaded.as_secs_f64() * 1e3);
    outln!("resident at start:                {:>11}", megabytes(before));
    outln!("resident with the folding table:  {:>11}", megabytes(after_folding));
    outln!("resident after English text:      {:>11}", megabytes(after_english));
    outln!("resident with the dictionary:     {:>11}", megabytes(after_dictionary));
    Ok(ExitCode::SUCCESS)
}

fn search(args: SearchEvalArgs) -> anyhow::Result<ExitCode> {
    let mut index = super::open_index(&args.index, None)?;
    let defaults = RankingConfig::default();
    let ranking = RankingConfig {
        title_boost: args.title_boost.unwrap_or(defaults.title_boost),
        body_boost: args.body_boost.unwrap_or(defaults.body_boost),
        proximity_boost: args.proximity_boost.unwrap_or(defaults.proximity_boost),
        relax_when_nothing_matches: !args.no_fallback,
    };
    ranking.validate()?;
    index.set_ranking(ranking);
    let queries = read(&args.queries)?;
    let mut judgements: HashMap<String, HashMap<String, u32>> = HashMap::new();
    for (number, line) in read(&args.qrels)?.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (query, article, grade) = match fields.as_slice() {
            [query, article, grade] => (query, article, grade),
            [query, _, article, grade] => (query, article, grade),
            [] => continue,
            _ => anyhow::bail!(
                "{} line {}: expected query-id, article-id and grade",
                args.qrels.display(),
                number + 1
            ),
        };
        let grade: u32 = grade.parse().with_context(|| {
            format!("{} line {}: grade {grade:?} is not a number", args.qrels.display(), number + 1)
        })?;
        judgements.entry(query.to_string()).or_default().insert(article.to_string(), grade);
    }
    let mut runs = HashMap::new();
    let mut failed = 0;
    for (number, line) in queries.lines().enumerate() {
        let Some((id, query)) = line.split_once('\t') else {
            anyhow::bail!("{} line {}: expected query-id<TAB>query", args.queries.display(), number + 1);
        };
        match index.search(&SearchRequest { limit: 10, ..SearchRequest::new(query) }) {
            Ok(response) => {
                runs.insert(id.to_string(), response.hits.into_iter().map(|hit| hit.id).collect());
            }
            Err(error) if error.is_user_error() => failed += 1,
            Err(error) => return Err(error.into()),
        }
    }
    let score = score_retrieval(&runs, &judgements);
    if args.json {
        let output =
            serde_json::json!({ "score": score, "ranking": ranking, "unsearchable_queries": failed });
        outln!("{}", serde_json::to_string(&output)?);
    } else {
        outln!("queries:     {} ({failed} with nothing searchable)", score.queries);
        outln!("MRR@10:      {:.4}", score.mrr_at_10);
        outln!("Recall@10:   {:.4}", score.recall_at_10);
        outln!("nDCG@10:     {:.4}", score.ndcg_at_10);
        outln!(
            "ranking:     title ×{} body ×{} proximity ×{} fallback {}",
            ranking.title_boost,
            ranking.body_boost,
            ranking.proximity_boost,
            if ranking.relax_when_nothing_matches { "on" } else { "off" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn known_items(args: KnownItemsArgs) -> anyhow::Result<ExitCode> {
    let mut articles = Vec::new();
    for record in JsonlReader::new(crate::input::open(&args.corpus)?.lines) {
        if let Ok(article) = record?.article {
            articles.push(article);
        }
    }
    let options = KnownItemOptions {
        queries: args.queries,
        documents: args.documents,
        query: match args.mode {
            QueryMode::Title => KnownItemQuery::Title,
            QueryMode::TitleWords => KnownItemQuery::TitleWords,
            QueryMode::LeadWords => KnownItemQuery::LeadWords,
        },
        seed: args.seed,
    };
    let set = build_known_items(articles, &Analyzer::new(), &options);
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let create = |name: &str| -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
        let path = args.out.join(name);
        Ok(std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?,
        ))
    };
    let mut articles_file = create("articles.jsonl")?;
    for article in &set.articles {
        serde_json::to_writer(&mut articles_file, article)?;
        articles_file.write_all(b"\n")?;
    }
    articles_file.flush()?;
    let mut queries_file = create("queries.tsv")?;
    for (id, query) in &set.queries {
        writeln!(queries_file, "{id}\t{query}")?;
    }
    queries_file.flush()?;
    let mut qrels_file = create("qrels.tsv")?;
    for (query, article) in &set.answers {
        writeln!(qrels_file, "{query}\t{article}\t1")?;
    }
    qrels_file.flush()?;
    outln!(
        "{} articles, {} queries written to {}",
        set.articles.len(),
        set.queries.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn segmentation(args: SegmentationArgs) -> anyhow::Result<ExitCode> {
    let mut builder = Analyzer::builder().hmm(!args.no_hmm);
    if let Some(path) = &args.user_dict {
        builder = builder.user_dictionary(newsdex::UserDictionary::from_path(path)?);
    }
    let analyzer = builder.build();
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
        outln!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<6} {:<8} {:<12} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8}",
        "set",
        "script",
        "method",
        "P",
        "R",
        "F1",
        "OOV-R",
        "lines",
        "skipped"
    );
    for result in &results {
        for (method, score) in [("newsdex", &result.newsdex), ("jieba-alone", &result.jieba_alone)] {
            outln!(
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
