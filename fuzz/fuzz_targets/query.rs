//! The query language on arbitrary input: a search answers or fails as the caller's error.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use newsdex::{Analyzer, Article, NewsIndex, SearchRequest, WriterSettings};

static INDEX: LazyLock<NewsIndex> = LazyLock::new(|| {
    let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
    let mut writer = index.writer(WriterSettings { threads: 1, memory_budget_bytes: 20 << 20 }).expect("writer");
    for (id, title, body) in [
        ("a", "華為發布Mate 70手機", "新機搭載自研晶片，預購人數已超過三百萬。"),
        ("b", "Exporters brace for new tariffs", "Shipping firms said the tariffs would hit electronics first."),
        ("c", "南京市长江大桥夜景", "游客在南京市长江大桥上拍照。COVID-19 疫苗 G20 iPhone15 3.6.3"),
    ] {
        writer
            .upsert(&Article { id: id.into(), title: title.into(), body: body.into(), ..Article::default() })
            .expect("upsert");
    }
    writer.commit().expect("commit");
    index
});

fuzz_target!(|query: &str| {
    match INDEX.search(&SearchRequest::new(query)) {
        Ok(response) => {
            for hit in response.hits {
                for fragment in hit.fragments {
                    assert!(fragment.range.byte[1] >= fragment.range.byte[0]);
                }
            }
        }
        Err(error) => assert!(error.is_user_error(), "{query:?}: {error}"),
    }
});
