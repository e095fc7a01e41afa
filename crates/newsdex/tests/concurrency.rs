//! Searching while a bulk ingestion commits and merges: answers stay consistent and no
//! search ever sees part of a batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use newsdex::{Analyzer, Article, NewsIndex, SearchRequest, SnippetOptions, WriterSettings};

const BATCHES: usize = 40;
const BATCH: usize = 50;

#[test]
fn searches_never_see_a_partial_batch_while_ingestion_and_merges_run() {
    let directory = tempfile::tempdir().expect("tempdir");
    let index = Arc::new(NewsIndex::create(directory.path().join("index"), Analyzer::new()).expect("create"));
    let done = Arc::new(AtomicBool::new(false));
    let searchers: Vec<_> = (0..2)
        .map(|_| {
            let index = Arc::clone(&index);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let request = SearchRequest {
                    limit: 5,
                    snippet: SnippetOptions { fragments: 1, ..SnippetOptions::default() },
                    ..SearchRequest::new("共同 市场")
                };
                let mut last = 0;
                let mut searches = 0;
                while !done.load(Ordering::Acquire) || searches == 0 {
                    let response = index.search(&request).expect("search keeps answering");
                    assert_eq!(
                        response.total % BATCH as u64,
                        0,
                        "help: saw part of a batch: {}",
                        response.total
                    );
                    assert!(response.total >= last, "help: results went back in time");
                    assert!(response.hits.iter().all(|hit| hit.snippet.contains("<mark>")));
                    last = response.total;
                    searches += 1;
                }
                (searches, last)
            })
        })
        .collect();
    let mut writer = index.writer(WriterSettings::new(2, 60 << 20)).expect("writer");
    for batch in 0..BATCHES {
        for number in 0..BATCH {
            writer
                .upsert(&Article {
                    id: format!("b{batch}-{number}"),
                    title: format!("第{batch}批 第{number}篇"),
                    body: format!("共同市场的报道，批次{batch}，编号{number}。Common market report {batch}."),
                    ..Article::default()
                })
                .expect("upsert");
        }
        writer.commit().expect("commit");
    }
    writer.finish().expect("merges finish");
    done.store(true, Ordering::Release);
    for searcher in searchers {
        let (searches, last) = searcher.join().expect("searcher");
        assert!(searches > 0);
        assert!(last <= (BATCHES * BATCH) as u64);
    }
    index.reload().expect("reload");
    assert_eq!(
        index.search(&SearchRequest::new("共同 市场")).expect("search").total,
        (BATCHES * BATCH) as u64
    );
    assert!(
        index.num_segments() < BATCHES,
        "help: merges ran while searching ({} segments)",
        index.num_segments()
    );
}
