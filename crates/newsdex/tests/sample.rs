//! The sample corpus is what index-data/README.md promises.

use std::collections::{HashMap, HashSet};

use newsdex::{JsonlReader, Lang, detect_language};

use crate::support::index_data;

#[test]
fn sample_corpus_meets_its_promises() {
    let file = std::fs::File::open(index_data().join("articles.jsonl")).expect("the sample corpus");
    let mut per_lang: HashMap<Lang, usize> = HashMap::new();
    let mut categories = HashSet::new();
    let mut sources = HashSet::new();
    let mut years = HashSet::new();
    let mut ids = HashSet::new();
    for record in JsonlReader::new(std::io::BufReader::new(file)) {
        let record = record.expect("readable");
        let article = record.article.unwrap_or_else(|error| panic!("help: bad sample line: {error}"));
        assert!(ids.insert(article.id.clone()), "duplicate id {}", article.id);
        let lang = article.lang.expect("every sample article has lang");
        *per_lang.entry(lang).or_default() += 1;
        categories.insert(article.category.clone().expect("category"));
        sources.insert(article.source.clone().expect("source"));
        years.insert(article.date.expect("date").instant().year());
        assert_eq!(
            detect_language(&format!("{}\n{}", article.title, article.body)),
            lang,
            "help: language detection disagrees with the sample's lang on {}",
            article.id
        );
    }
    assert!(
        per_lang[&Lang::ZhHans] >= 50 && per_lang[&Lang::ZhHant] >= 30 && per_lang[&Lang::En] >= 40,
        "{per_lang:?}"
    );
    for topic in ["technology", "trade", "economy", "sport", "health", "culture"] {
        assert!(categories.contains(topic), "no {topic} articles");
    }
    assert!(sources.len() >= 6, "{sources:?}");
    assert!(years.len() >= 5, "{years:?}");
}
