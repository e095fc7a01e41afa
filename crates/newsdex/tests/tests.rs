//! Integration tests of the library: one binary, one module per concern.

mod concurrency;
mod disk;
mod fuzz_seeds;
mod hostile_input;
mod index_lifecycle;
mod properties;
mod quickwit;
mod sample;
mod search_options;
mod search_sample;

/// Helpers shared by the modules.
mod support {
    use std::path::PathBuf;
    use std::sync::OnceLock;

    use newsdex::{Analyzer, Article, IngestOptions, NewsIndex, OnError, UserDictionary, WriterSettings};

    /// The repository's index-data directory.
    pub fn index_data() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../index-data")
    }

    /// The analyzer with the sample's user dictionary.
    pub fn sample_analyzer() -> Analyzer {
        let dictionary = UserDictionary::from_path(index_data().join("userdict.txt"))
            .expect("the sample dictionary loads");
        Analyzer::with_user_dictionary(dictionary)
    }

    /// An index in memory of articles with these bodies, each body in as many articles
    /// as it is paired with.
    pub fn index_of_bodies(bodies: &[(usize, &str)]) -> NewsIndex {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("an index in memory");
        let mut writer = index.writer(WriterSettings::new(1, 20 << 20)).expect("a writer");
        let articles: Vec<Article> = bodies
            .iter()
            .enumerate()
            .flat_map(|(kind, &(count, body))| {
                let article =
                    move |n| Article { id: format!("{kind}-{n}"), body: body.into(), ..Article::default() };
                (0..count).map(article)
            })
            .collect();
        writer.upsert_all(&articles).expect("upsert");
        writer.commit().expect("commit");
        index
    }

    /// The sample corpus indexed in memory, built once for all tests.
    pub fn sample_index() -> &'static NewsIndex {
        static INDEX: OnceLock<NewsIndex> = OnceLock::new();
        INDEX.get_or_init(|| {
            let index = NewsIndex::create_in_ram(sample_analyzer()).expect("an index in memory");
            let mut writer = index.writer(WriterSettings::new(1, 50 << 20)).expect("a writer");
            let file = std::fs::File::open(index_data().join("articles.jsonl")).expect("the sample corpus");
            let options = IngestOptions { on_error: OnError::Fail, ..IngestOptions::default() };
            let report = writer
                .ingest_jsonl(std::io::BufReader::new(file), &options, &mut |_| {})
                .expect("the sample corpus is valid");
            assert!(report.indexed >= 120, "help: the sample corpus must hold at least 120 articles");
            writer.commit().expect("commit");
            index
        })
    }
}
