//! `newsdex search`: ranked hits from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use newsdex::{ArticleDate, Lang, SearchRequest, SearchResponse, SortOrder};

#[derive(Args)]
pub struct SearchArgs {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Hits to show.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Hits to skip.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Only these languages (zh-Hans, zh-Hant, en); repeat or separate with commas.
    #[arg(long, value_delimiter = ',', value_parser = parse_lang)]
    lang: Vec<Lang>,
    /// Only these sources; repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    source: Vec<String>,
    /// Only these categories; repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    category: Vec<String>,
    /// Only articles published on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    from: Option<ArticleDate>,
    /// Only articles published on or before this date.
    #[arg(long)]
    to: Option<ArticleDate>,
    /// Newest first instead of best match first.
    #[arg(long)]
    sort_by_date: bool,
    /// Count matches per language, source, category and month.
    #[arg(long)]
    facets: bool,
    /// Count every match (otherwise a search that need not visit every match stops
    /// counting at 10,000).
    #[arg(long)]
    exact_total: bool,
    /// Blend relevance with age: the age in days at which an article's score halves
    /// (at full weight).
    #[arg(long, value_name = "DAYS")]
    recency_half_life: Option<f64>,
    /// How much recency counts, 0 to 1.
    #[arg(long, default_value_t = 0.5, requires = "recency_half_life")]
    recency_weight: f64,
    /// Body fragments per hit.
    #[arg(long, default_value_t = 3)]
    fragments: usize,
    /// Longest fragment, in characters.
    #[arg(long, default_value_t = 160)]
    fragment_size: usize,
    #[command(flatten)]
    ranking: RankingArgs,
    /// Print exactly the HTTP search response (JSON).
    #[arg(long)]
    json: bool,
    /// A jieba user dictionary the index must have been built with.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_USER_DICT")]
    user_dict: Option<PathBuf>,
    /// Query synonyms: one group a line, comma-separated (`特朗普, 川普, Trump`); a query
    /// word a group holds also finds the group's other words.
    #[arg(long, value_name = "PATH", env = "NEWSDEX_SYNONYMS")]
    synonyms: Option<PathBuf>,
    /// Search the words as typed: without their synonyms and the other region's wording
    /// of Chinese words (`软件` not finding Taiwan's `軟體`), and not respelt when they
    /// find nothing (`tarif` not searched as `tariff`).
    #[arg(long)]
    as_typed: bool,
    /// The query: words, "phrases"~slop, -exclusion or NOT, OR, title:/body: fields,
    /// word* prefixes, "phrase prefi"* phrases ending in a prefix, word~ fuzzy words,
    /// lang:/source:/category: filters; '*' alone lists every article. Several arguments
    /// are one query (`华为 Mate 70` needs no quotes); put `--` before a query that starts
    /// with `-`.
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    query: Vec<String>,
}

pub fn run(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let index = super::open_index(&args.index, args.user_dict.as_deref())?;
    let request = SearchRequest {
        query: args.query.join(" "),
        limit: args.limit,
        offset: args.offset,
        lang: args.lang,
        source: args.source,
        category: args.category,
        from: args.from,
        to: args.to,
        sort: if args.sort_by_date { SortOrder::Date } else { SortOrder::Relevance },
        facets: args.facets,
        recency: args.recency_half_life.map(|half_life_days| newsdex::Recency {
            half_life_days,
            weight: args.recency_weight,
            reference: None,
        }),
        snippet: newsdex::SnippetOptions {
            fragments: args.fragments,
            fragment_chars: args.fragment_size,
            ..newsdex::SnippetOptions::default()
        },
        exact_total: args.exact_total,
        synonyms: !args.as_typed,
    };
    let ranking = args.ranking.config();
    ranking.validate()?;
    let mut index = index;
    index.set_ranking(ranking);
    if let Some(path) = &args.synonyms {
        index.set_synonyms(&newsdex::Synonyms::from_path(path)?);
    }
    let response = index.search(&request)?;
    if args.json {
        outln!("{}", serde_json::to_string(&response)?);
    } else {
        print_hits(&response);
    }
    Ok(ExitCode::SUCCESS)
}

/// Field boosts and the proximity bonus (defaults: the measured ones).
#[derive(clap::Args)]
pub struct RankingArgs {
    /// BM25 multiplier for titles.
    #[arg(long, env = "NEWSDEX_TITLE_BOOST")]
    title_boost: Option<f32>,
    /// BM25 multiplier for bodies.
    #[arg(long, env = "NEWSDEX_BODY_BOOST")]
    body_boost: Option<f32>,
    /// Multiplier of the bonus for query words found close together (0: none).
    #[arg(long, env = "NEWSDEX_PROXIMITY_BOOST")]
    proximity_boost: Option<f32>,
}

impl RankingArgs {
    /// The ranking configuration: the flags over the defaults.
    pub fn config(&self) -> newsdex::RankingConfig {
        let defaults = newsdex::RankingConfig::default();
        newsdex::RankingConfig {
            title_boost: self.title_boost.unwrap_or(defaults.title_boost),
            body_boost: self.body_boost.unwrap_or(defaults.body_boost),
            proximity_boost: self.proximity_boost.unwrap_or(defaults.proximity_boost),
            ..defaults
        }
    }
}

/// Hits for a terminal: matches in bold when stdout is a terminal, in `[brackets]` otherwise.
fn print_hits(response: &SearchResponse) {
    use std::io::IsTerminal;
    let (open, close) = if std::io::stdout().is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("[", "]") };
    let plain = |html: &str| {
        html.replace("<mark>", open)
            .replace("</mark>", close)
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    let more = if response.total_exact { "" } else { " or more" };
    let noun = if response.total == 1 && response.total_exact { "article" } else { "articles" };
    outln!("{}{more} matching {noun} ({} ms)", response.total, response.took_ms);
    for note in &response.applied.notes {
        outln!("note: {note}");
    }
    // A respelt search's note already says whose results these are.
    if let Some(suggestion) = response.suggestion.as_ref().filter(|_| !response.applied.respelt) {
        outln!("did you mean: {suggestion}");
    }
    for (rank, hit) in response.hits.iter().enumerate() {
        // What an article lacks is left out, not shown as an empty field.
        let about = [
            Some(hit.id.clone()),
            hit.lang.map(|l| l.to_string()),
            hit.source.clone(),
            hit.date.map(|d| d.to_string()),
        ];
        let about: Vec<String> = about.into_iter().flatten().filter(|part| !part.is_empty()).collect();
        outln!();
        outln!("{:>3}. {}  ({:.2})", response.applied.offset + rank + 1, plain(&hit.title_html), hit.score);
        outln!("     {}", about.join(" · "));
        if !hit.snippet.is_empty() {
            outln!("     {}", plain(&hit.snippet).replace('\n', " "));
        }
    }
    if let Some(facets) = &response.facets {
        outln!();
        for (name, counts) in [
            ("lang", &facets.lang),
            ("source", &facets.source),
            ("category", &facets.category),
            ("month", &facets.month),
        ] {
            let shown: Vec<String> = counts.iter().map(|c| format!("{} ({})", c.value, c.count)).collect();
            outln!("{name}: {}", shown.join(", "));
        }
    }
}

/// A `--lang` value; the library's error would call it an invalid article.
fn parse_lang(tag: &str) -> Result<Lang, String> {
    tag.parse().map_err(|_| "unknown language; use zh-Hans, zh-Hant or en".to_string())
}
