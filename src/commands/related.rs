//! `newsdex related`: articles like a given one.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct RelatedArgs {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// How many related articles.
    #[arg(long, default_value_t = 5)]
    limit: usize,
    /// Print the response as JSON (as `GET /articles/{id}/related` answers).
    #[arg(long)]
    json: bool,
    /// The article's id.
    id: String,
}

pub fn run(args: RelatedArgs) -> anyhow::Result<ExitCode> {
    let index = super::open_index(&args.index, None)?;
    let response = index.related(&args.id, args.limit)?;
    if args.json {
        outln!("{}", serde_json::to_string(&response)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (rank, hit) in response.hits.iter().enumerate() {
        let date = hit.date.map(|d| format!(" · {d}")).unwrap_or_default();
        outln!("{:>3}. {}  ({:.2})  {}{date}", rank + 1, hit.title, hit.score, hit.id);
    }
    Ok(ExitCode::SUCCESS)
}
