//! An app embedding newsdex: index a few articles in a directory, reopen it, search it.
//!
//! `cargo run --example embed`

use newsdex::{Analyzer, Article, ArticleDate, Lang, NewsIndex, SearchRequest, WriterSettings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let directory = std::env::temp_dir().join(format!("newsdex-embed-{}", std::process::id()));
    {
        let index = NewsIndex::create(&directory, Analyzer::new())?;
        let mut writer = index.writer(WriterSettings::default())?;
        let articles = [
            (
                "tw-1",
                Lang::ZhHant,
                "臺灣半導體產業擴大海外布局",
                "隨著新廠陸續動工，臺灣半導體產業進入新階段。",
                "2023-05-16",
            ),
            (
                "cn-1",
                Lang::ZhHans,
                "国产芯片企业加快扩产",
                "多家半导体企业宣布扩产计划，以满足新能源汽车需求。",
                "2024-02-01",
            ),
            (
                "en-1",
                Lang::En,
                "Chipmakers expand overseas",
                "Semiconductor firms are building plants in Japan and Germany.",
                "2024-03-09",
            ),
        ];
        let articles = articles
            .into_iter()
            .map(|(id, lang, title, body, date)| {
                Ok(Article {
                    id: id.into(),
                    lang: Some(lang),
                    title: title.into(),
                    body: body.into(),
                    date: Some(date.parse::<ArticleDate>()?),
                    source: Some("example".into()),
                    ..Article::default()
                })
            })
            .collect::<Result<Vec<_>, newsdex::Error>>()?;
        // Checks every article, then writes them all; `upsert` writes one.
        writer.upsert_all(&articles)?;
        writer.commit()?;
        writer.finish()?;
    }

    // Reopening uses the analyzer the index was built with.
    let index = NewsIndex::open(&directory)?;
    for query in ["半导体", "semiconductor", "芯片 OR chipmakers"] {
        let response = index.search(&SearchRequest::new(query))?;
        println!("{query}: {} hits", response.total);
        for hit in &response.hits {
            println!("  {} {}  {}", hit.id, hit.title_html, hit.snippet);
        }
    }
    std::fs::remove_dir_all(&directory)?;
    Ok(())
}
