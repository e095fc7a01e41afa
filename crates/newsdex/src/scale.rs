//! Scale corpora for benchmarks: any number of articles, recombined from real sentences.
//!
//! A [`SentencePool`] holds the sentences of a real corpus per language, with the
//! sources and categories seen. [`SentencePool::generate`] writes articles made of random
//! sentences of one language, with fresh ids and dates, as JSON Lines: realistic text
//! (real words, real sentence lengths, real script mix) at any size, reproducible from a
//! seed. The output is for benchmarking only; it is written wherever the caller says, not
//! into the repository.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use crate::article::{Article, ArticleDate, Lang};
use crate::error::{Error, Result};
use crate::snippet::sentences;

/// Sentences per language, and the sources and categories they came with.
#[derive(Debug, Clone, Default)]
pub struct SentencePool {
    sentences: HashMap<Lang, Vec<String>>,
    titles: HashMap<Lang, Vec<String>>,
    sources: HashMap<Lang, Vec<String>>,
    categories: HashMap<Lang, Vec<String>>,
}

/// What [`SentencePool::generate`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GeneratedCorpus {
    /// Articles written.
    pub articles: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Shortest sentence kept, in characters: shorter ones are mostly datelines and debris.
const MIN_SENTENCE_CHARS: usize = 8;

impl SentencePool {
    /// An empty pool.
    pub fn new() -> SentencePool {
        SentencePool::default()
    }

    /// Adds an article's sentences (under its language, detected when missing), its
    /// title, source and category.
    pub fn add(&mut self, article: &Article) {
        let lang = article.lang.unwrap_or_else(|| {
            crate::language::detect_language(&format!("{}\n{}", article.title, article.body))
        });
        let pool = self.sentences.entry(lang).or_default();
        for (start, end) in sentences(&article.body) {
            let sentence = &article.body[start..end];
            if sentence.chars().count() >= MIN_SENTENCE_CHARS {
                pool.push(sentence.to_string());
            }
        }
        if !article.title.trim().is_empty() {
            self.titles.entry(lang).or_default().push(article.title.trim().to_string());
        }
        for (value, list) in [(&article.source, &mut self.sources), (&article.category, &mut self.categories)]
        {
            if let Some(value) = value {
                let known = list.entry(lang).or_default();
                if known.len() < 64 && !known.contains(value) {
                    known.push(value.clone());
                }
            }
        }
    }

    /// Sentences held per language.
    pub fn sentence_counts(&self) -> HashMap<Lang, usize> {
        self.sentences.iter().map(|(lang, list)| (*lang, list.len())).collect()
    }

    /// Writes `articles` articles as JSON Lines: languages in proportion to the pool's
    /// sentences, each article a real headline and 4 to 16 random sentences of its
    /// language, ids `gen-…`, dates spread over 2015–2026.
    pub fn generate(&self, articles: u64, seed: u64, out: &mut impl Write) -> Result<GeneratedCorpus> {
        let langs: Vec<(Lang, &Vec<String>)> = Lang::ALL
            .iter()
            .filter_map(|lang| self.sentences.get(lang).filter(|s| !s.is_empty()).map(|s| (*lang, s)))
            .collect();
        let total: usize = langs.iter().map(|(_, list)| list.len()).sum();
        if total == 0 {
            return Err(Error::InvalidRequest(
                "the sentence pool is empty: give it a corpus with text".to_string(),
            ));
        }
        let mut random = crate::evaluation::SplitMix64::new(seed);
        let mut written = GeneratedCorpus::default();
        let mut line = Vec::with_capacity(4096);
        let start = time::macros::date!(2015 - 01 - 01);
        for number in 0..articles {
            let mut pick = (random.next() % total as u64) as usize;
            let (lang, pool) = langs
                .iter()
                .find(|(_, list)| {
                    if pick < list.len() {
                        true
                    } else {
                        pick -= list.len();
                        false
                    }
                })
                .copied()
                .unwrap_or(langs[0]);
            let choose = |list: Option<&Vec<String>>, random: &mut crate::evaluation::SplitMix64| {
                list.filter(|l| !l.is_empty()).map(|l| l[(random.next() % l.len() as u64) as usize].clone())
            };
            let count = 4 + (random.next() % 13) as usize;
            let separator = if lang == Lang::En { " " } else { "" };
            let mut body = String::new();
            for index in 0..count {
                if index > 0 {
                    body.push_str(if index % 4 == 0 { "\n" } else { separator });
                }
                body.push_str(&pool[(random.next() % pool.len() as u64) as usize]);
            }
            let title = choose(self.titles.get(&lang), &mut random).unwrap_or_else(|| {
                pool[(random.next() % pool.len() as u64) as usize].chars().take(30).collect()
            });
            let day = (random.next() % (12 * 365)) as i64;
            let article = Article {
                id: format!("gen-{seed}-{number}"),
                lang: Some(lang),
                title,
                body,
                date: Some(ArticleDate::from_date(start + time::Duration::days(day))),
                source: choose(self.sources.get(&lang), &mut random),
                category: choose(self.categories.get(&lang), &mut random),
                url: None,
            };
            line.clear();
            serde_json::to_writer(&mut line, &article)
                .map_err(|error| Error::InvalidRequest(error.to_string()))?;
            line.push(b'\n');
            out.write_all(&line)
                .map_err(|source| Error::Io { context: "cannot write the corpus".into(), source })?;
            written.articles += 1;
            written.bytes += line.len() as u64;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_articles_are_valid_reproducible_and_of_the_pools_languages() {
        let mut pool = SentencePool::new();
        pool.add(&Article {
            id: "a".into(),
            lang: Some(Lang::ZhHans),
            title: "央行宣布降准".into(),
            body: "中国人民银行今天宣布下调存款准备金率。此举将释放长期资金约一万亿元。市场人士认为这有助于稳定经济。".into(),
            source: Some("测试".into()),
            ..Article::default()
        });
        pool.add(&Article {
            id: "b".into(),
            lang: Some(Lang::En),
            title: "Rates cut".into(),
            body:
                "The central bank cut its key rate today. Markets rallied after the decision was announced."
                    .into(),
            ..Article::default()
        });
        let mut first = Vec::new();
        let mut second = Vec::new();
        let written = pool.generate(50, 9, &mut first).expect("generate");
        pool.generate(50, 9, &mut second).expect("generate");
        assert_eq!(first, second, "help: the same seed must give the same corpus");
        assert_eq!(written.articles, 50);
        let mut ids = std::collections::HashSet::new();
        for record in crate::ingest::JsonlReader::new(first.as_slice()) {
            let article = record.expect("io").article.expect("valid article");
            assert!(ids.insert(article.id.clone()));
            assert!(article.date.is_some());
            let lang = article.lang.expect("lang");
            assert_eq!(
                crate::language::detect_language(&article.body),
                lang,
                "help: sentences keep their language"
            );
        }
    }
}
