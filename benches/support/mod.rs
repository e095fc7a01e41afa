//! Bench inputs: texts from ../shared/corpus when present (`NEWSDEX_CORPUS` overrides the
//! path), else from the embedded sample, so the benches always run.

#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};

use newsdex::{Article, JsonlReader, Lang};

/// The corpus directory: `NEWSDEX_CORPUS`, else `../shared/corpus` beside the workspace.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("NEWSDEX_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

/// Articles from `file` in the corpus (up to `max_bytes` of bodies), or `None` without it.
pub fn corpus_articles(file: &str, max_bytes: usize) -> Option<Vec<Article>> {
    let path = corpus_dir().join(file);
    let reader = std::io::BufReader::new(std::fs::File::open(&path).ok()?);
    Some(take_articles(reader, max_bytes))
}

fn take_articles(reader: impl BufRead, max_bytes: usize) -> Vec<Article> {
    let mut articles = Vec::new();
    let mut total = 0;
    for record in JsonlReader::new(reader).flatten() {
        if let Ok(article) = record.article {
            total += article.title.len() + article.body.len();
            articles.push(article);
            if total >= max_bytes {
                break;
            }
        }
    }
    articles
}

/// The embedded sample's articles.
pub fn sample_articles() -> Vec<Article> {
    let text = include_str!("../../index-data/articles.jsonl");
    take_articles(text.as_bytes(), usize::MAX)
}

/// Named input texts per language: (name, source, texts).
pub struct Inputs {
    pub name: &'static str,
    pub source: String,
    pub texts: Vec<String>,
}

impl Inputs {
    pub fn bytes(&self) -> u64 {
        self.texts.iter().map(|t| t.len() as u64).sum()
    }
}

/// Bodies per language, about `max_bytes` each: zh-Hans, zh-Hant, en and mixed (a
/// Chinese paragraph followed by an English one in each text).
pub fn language_inputs(max_bytes: usize) -> Vec<Inputs> {
    let from_corpus = |name: &'static str, file: &str| {
        corpus_articles(file, max_bytes).map(|articles| Inputs {
            name,
            source: format!("{}/{file}", corpus_dir().display()),
            texts: articles.into_iter().map(|a| a.body).collect(),
        })
    };
    let sample = sample_articles();
    let from_sample = |name: &'static str, lang: Lang| Inputs {
        name,
        source: "index-data/articles.jsonl".to_string(),
        texts: sample.iter().filter(|a| a.lang == Some(lang)).map(|a| a.body.clone()).collect(),
    };
    let hans = from_corpus("zh-Hans", "chinanews.part1.zh.jsonl")
        .unwrap_or_else(|| from_sample("zh-Hans", Lang::ZhHans));
    let hant = from_corpus("zh-Hant", "appledaily-tw.zh-Hant.jsonl")
        .unwrap_or_else(|| from_sample("zh-Hant", Lang::ZhHant));
    let en = from_corpus("en", "reuters21578.en.jsonl").unwrap_or_else(|| from_sample("en", Lang::En));
    let mixed = Inputs {
        name: "mixed",
        source: format!("{} + {}", hans.source, en.source),
        texts: hans.texts.iter().zip(en.texts.iter().cycle()).map(|(zh, en)| format!("{zh}\n{en}")).collect(),
    };
    let mixed = Inputs {
        texts: {
            let mut texts = Vec::new();
            let mut total = 0;
            for text in mixed.texts {
                total += text.len();
                texts.push(text);
                if total >= max_bytes {
                    break;
                }
            }
            texts
        },
        ..mixed
    };
    vec![hans, hant, en, mixed]
}

/// The median of a criterion benchmark's last run, in nanoseconds, from its estimates.
pub fn criterion_median_ns(group: &str, bench: &str) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = target.join("criterion").join(group).join(bench).join("new/estimates.json");
    let estimates: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}
