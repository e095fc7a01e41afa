//! The whole path through the fake Quickwit: export the sample, search it with the
//! Quickwit backend, and compare with the local backend on the same articles.

use std::time::Duration;

use newsdex::{
    Analyzer, Article, ArticleDate, Error, ExportOptions, Lang, LocalBackend, QuickwitBackend,
    QuickwitClient, SearchBackend, SearchRequest, SortOrder, Visibility, export_to_quickwit,
};

use super::{compare, compare_on, top_ten};
use crate::support::{sample_analyzer, sample_index};
use newsdex_fake_quickwit::{FakeQuickwit, Scripted};

fn exported(fake: &FakeQuickwit, index_id: &str) -> QuickwitBackend {
    exported_in_batches(fake, index_id, ExportOptions::default().batch_articles)
}

/// The sample exported in batches of `batch` articles: the fake makes a split of each.
fn exported_in_batches(fake: &FakeQuickwit, index_id: &str, batch: usize) -> QuickwitBackend {
    let client = QuickwitClient::new(&fake.url).expect("client");
    let options = ExportOptions { batch_articles: batch, ..ExportOptions::default() };
    let report = export_to_quickwit(sample_index(), &client, index_id, &options, &mut |_| {})
        .expect("the sample exports");
    assert_eq!(report.exported, sample_index().num_articles());
    QuickwitBackend::connect(client, index_id, sample_analyzer()).expect("connects")
}

/// The proxy measurement of the goal: the fake runs the exported layout on tantivy and
/// parses the translated queries with tantivy's query grammar — not Quickwit itself.
/// Reproduce with `cargo test -p newsdex --test integration proxy -- --nocapture`.
#[test]
fn proxy_quickwit_backend_agrees_with_the_local_backend() {
    let fake = FakeQuickwit::start();
    let local = LocalBackend::new(sample_index().clone());
    for (index_id, batch, splits) in
        [("sample-proxy", 1000, "1 split"), ("sample-proxy-splits", 20, "8 splits")]
    {
        let quickwit = exported_in_batches(&fake, index_id, batch);
        let (mean, per_query, differences) = compare(&local, &quickwit);
        println!(
            "PROXY, not a quickwit measurement (fake quickwit on tantivy, {splits}, BM25 per split): \
             mean top-10 overlap {mean:.3} over {} queries",
            per_query.len()
        );
        for (query, value) in &per_query {
            if *value < 1.0 {
                println!("  {value:.2}  {query}");
            }
        }
        assert!(mean >= 0.9, "help: {splits}: mean top-10 overlap {mean:.3} < 0.9: {per_query:?}");
        assert!(differences.is_empty(), "help: snippets must be identical: {differences:#?}");
    }
}

/// The corpus directory: `NEWSDEX_CORPUS`, else `../shared/corpus` beside the workspace.
fn corpus_directory() -> std::path::PathBuf {
    std::env::var_os("NEWSDEX_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

/// The shared corpus files the corpus proxy reads: English (BBC), Traditional Chinese
/// (Apple Daily Taiwan) and Simplified Chinese (Sohu via China News part 3, LCSTS).
const CORPUS_FILES: [&str; 4] =
    ["bbc-news.en.jsonl", "appledaily-tw.zh-Hant.jsonl", "chinanews.part3.zh.jsonl", "lcsts-part3.zh.jsonl"];

/// The same proxy on real news: about 5,000 articles of the shared corpus, with the
/// mixed queries of [`QUERIES`](super::QUERIES) and 300 known-item queries drawn from
/// headlines and leads. Slow (half a minute on two cores), so ignored by default:
/// `cargo test --release -p newsdex --test integration proxy -- --include-ignored --nocapture`.
/// Reads `NEWSDEX_CORPUS` (default `../shared/corpus`); skips, saying so, when absent.
#[test]
#[ignore = "half a minute of indexing real news; run with --include-ignored --nocapture"]
fn proxy_on_the_shared_corpus() {
    let directory = corpus_directory();
    let missing: Vec<&str> =
        CORPUS_FILES.iter().copied().filter(|file| !directory.join(file).is_file()).collect();
    if !missing.is_empty() {
        eprintln!(
            "skipped: {} lacks {} (set NEWSDEX_CORPUS to the shared corpus directory)",
            directory.display(),
            missing.join(", ")
        );
        return;
    }
    let mut articles = Vec::new();
    for file in CORPUS_FILES {
        let path = directory.join(file);
        let opened = std::fs::File::open(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        for record in newsdex::JsonlReader::new(std::io::BufReader::new(opened)) {
            if let Ok(article) = record.expect("readable").article {
                articles.push(article);
            }
        }
    }
    let analyzer = Analyzer::new();
    let index = newsdex::NewsIndex::create_in_ram(analyzer.clone()).expect("index");
    let mut writer = index.writer(newsdex::WriterSettings::new(2, 200 << 20)).expect("writer");
    for article in &articles {
        writer.upsert(article).expect("a valid article");
    }
    writer.commit().expect("commit");
    let mut queries: Vec<String> = super::QUERIES.iter().map(|query| query.to_string()).collect();
    for (query, seed) in [(newsdex::KnownItemQuery::TitleWords, 11), (newsdex::KnownItemQuery::LeadWords, 13)]
    {
        let options = newsdex::KnownItemOptions { queries: 150, documents: usize::MAX, query, seed };
        let set = newsdex::build_known_items(articles.clone(), &analyzer, &options);
        queries.extend(set.queries.into_iter().map(|(_, text)| text));
    }
    let local = LocalBackend::new(index.clone());
    let fake = FakeQuickwit::start();
    let client = QuickwitClient::new(&fake.url).expect("client");
    for (index_id, batch, splits) in [
        ("corpus-large-splits", usize::MAX, "splits of at most 8 MiB of documents"),
        ("corpus-small-splits", 500, "splits of 500 articles"),
    ] {
        let options = ExportOptions { batch_articles: batch, ..ExportOptions::default() };
        let report = export_to_quickwit(&index, &client, index_id, &options, &mut |_| {}).expect("export");
        let quickwit =
            QuickwitBackend::connect(client.clone(), index_id, analyzer.clone()).expect("connects");
        let (mean, per_query, differences) =
            compare_on(&local, &quickwit, queries.iter().map(String::as_str));
        let (mixed_mean, _, _) = compare_on(&local, &quickwit, super::QUERIES.iter().copied());
        println!(
            "PROXY, not a quickwit measurement (fake quickwit on tantivy, {} articles, {} {splits}, BM25 per \
             split): mean top-10 overlap {mean:.3} over {} queries ({mixed_mean:.3} over the {} mixed queries); \
             {} snippet differences",
            articles.len(),
            report.batches,
            per_query.len(),
            super::QUERIES.len(),
            differences.len()
        );
        let worst: Vec<&(String, f64)> = per_query.iter().filter(|(_, value)| *value < 0.8).collect();
        println!("  queries under 0.8: {}", worst.len());
        for (query, value) in worst.iter().take(10) {
            println!("  {value:.2}  {query}");
        }
        assert!(mean >= 0.9, "help: {splits}: mean top-10 overlap {mean:.3} < 0.9");
        assert!(
            differences.is_empty(),
            "help: snippets must be identical: {:#?}",
            &differences[..differences.len().min(5)]
        );
    }
}

#[test]
fn filters_sorting_facets_and_paging_agree() {
    let fake = FakeQuickwit::start();
    let quickwit = exported(&fake, "sample-options");
    let local = LocalBackend::new(sample_index().clone());
    let requests = [
        SearchRequest { lang: vec![Lang::ZhHant], ..SearchRequest::new("疫情") },
        SearchRequest {
            from: Some("2021-01-01".parse::<ArticleDate>().expect("date")),
            to: Some("2023-12-31".parse::<ArticleDate>().expect("date")),
            ..SearchRequest::new("企业")
        },
        SearchRequest { sort: SortOrder::Date, limit: 5, ..SearchRequest::new("消费") },
        SearchRequest { facets: true, ..SearchRequest::new("economy") },
        SearchRequest {
            category: vec!["health".into()],
            source: vec!["台北觀察報".into()],
            ..SearchRequest::new("醫院")
        },
        SearchRequest { offset: 3, limit: 4, ..SearchRequest::new("china") },
        SearchRequest::new("-疫苗"),
        // Filters typed into the query, also alone.
        SearchRequest::new("lang:zh-Hant category:health 醫院"),
        SearchRequest { limit: 3, ..SearchRequest::new("lang:en") },
    ];
    for request in requests {
        let expected = local.search(&request).expect("local");
        let actual = quickwit.search(&request).expect("quickwit");
        assert_eq!(actual.total, expected.total, "help: totals differ for {request:?}");
        assert_eq!(actual.facets, expected.facets, "help: facets differ for {request:?}");
        assert_eq!(actual.applied, expected.applied, "help: applied options differ for {request:?}");
        if request.sort == SortOrder::Date {
            let ids = |response: &newsdex::SearchResponse| {
                response.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>()
            };
            assert_eq!(ids(&actual), ids(&expected), "help: date order is exact");
        }
        assert_eq!(actual.hits.len(), expected.hits.len(), "{request:?}");
    }
}

#[test]
fn nothing_matching_every_word_relaxes_to_any_word_on_both() {
    let fake = FakeQuickwit::start();
    let quickwit = exported(&fake, "sample-relax");
    let local = LocalBackend::new(sample_index().clone());
    let expected = top_ten(&local, "马拉松 半导体");
    let actual = top_ten(&quickwit, "马拉松 半导体");
    assert_eq!(expected.applied.matching, newsdex::Matching::Any);
    assert_eq!(actual.applied.matching, newsdex::Matching::Any);
    assert_eq!(actual.total, expected.total);
}

#[test]
fn prefixes_and_fuzzy_words_are_refused_by_quickwit_but_a_star_alone_is_searched() {
    let fake = FakeQuickwit::start();
    let quickwit = exported(&fake, "sample-prefix");
    let searches = || fake.requests().iter().filter(|request| request.path.ends_with("_search")).count();
    let before = searches();
    let error = quickwit.search(&SearchRequest::new("trade semicond*")).expect_err("a prefix");
    assert!(error.is_user_error(), "{error:?}");
    assert_eq!(
        error.to_string(),
        "invalid query: prefix search (semicond*) needs a local index: Quickwit does not list the indexed words a prefix stands for"
    );
    assert_eq!(searches(), before, "help: nothing is sent");
    let error = quickwit.search(&SearchRequest::new("\"trade wa\"*")).expect_err("a phrase prefix");
    assert_eq!(
        error.to_string(),
        "invalid query: phrase prefix search (\"trade wa\"*) needs a local index: Quickwit does not list the indexed words a prefix stands for"
    );
    assert_eq!(searches(), before, "help: nothing is sent");
    let error = quickwit.search(&SearchRequest::new("tarif~")).expect_err("a fuzzy word");
    assert_eq!(
        error.to_string(),
        "invalid query: fuzzy search (tarif~) needs a local index: Quickwit does not list the indexed words a fuzzy word stands for"
    );
    assert_eq!(searches(), before, "help: nothing is sent");
    // `*` alone lists every article, as locally.
    let everything = quickwit.search(&SearchRequest::new("*")).expect("searches");
    assert_eq!(everything.total, sample_index().num_articles());
    // A star too short to be a prefix is searched as a word, as locally.
    assert_eq!(
        top_ten(&quickwit, "trade a*").total,
        top_ten(&LocalBackend::new(sample_index().clone()), "trade a*").total
    );
}

#[test]
fn an_interrupted_export_resumes_without_duplicates() {
    let fake = FakeQuickwit::start();
    let client = QuickwitClient::new(&fake.url).expect("client").with_retries(0, Duration::ZERO);
    let directory = tempfile::tempdir().expect("tempdir");
    let options = ExportOptions {
        batch_articles: 40,
        checkpoint: Some(directory.path().join("checkpoint.json")),
        settle: Some(Duration::ZERO),
        ..ExportOptions::default()
    };
    // Run 1: the first batch's answer is garbled (an empty 200): nothing was written, the
    // export stops with the batch in flight.
    fake.script(Scripted {
        method: "POST",
        path_contains: "/ingest",
        status: 200,
        body: String::new(),
        apply: false,
    });
    // Run 2: the batch is sent again and written, but the answer is lost behind a 502.
    fake.script(Scripted {
        method: "POST",
        path_contains: "/ingest",
        status: 502,
        body: "bad gateway".into(),
        apply: true,
    });
    let first = export_to_quickwit(sample_index(), &client, "sample-resume", &options, &mut |_| {});
    assert!(matches!(first, Err(Error::QuickwitResponse { .. })), "{first:?}");
    let second = export_to_quickwit(sample_index(), &client, "sample-resume", &options, &mut |_| {});
    assert!(matches!(second, Err(Error::QuickwitStatus { status: 502, .. })), "{second:?}");
    // Run 3 finds the in-flight batch already there and sends only the rest.
    let report = export_to_quickwit(sample_index(), &client, "sample-resume", &options, &mut |_| {})
        .expect("the third run finishes");
    assert_eq!(report.already_present, 40, "help: the batch whose acknowledgement was lost had arrived");
    let total = sample_index().num_articles();
    let mut ids = Vec::new();
    for record in newsdex::JsonlReader::new(std::io::BufReader::new(
        std::fs::File::open(crate::support::index_data().join("articles.jsonl")).expect("sample"),
    )) {
        ids.push(record.expect("line").article.expect("article").id);
    }
    assert_eq!(ids.len() as u64, total);
    for id in &ids {
        let copies = fake.copies_of("sample-resume", id);
        assert!(copies <= 1, "help: {id} was ingested {copies} times: quickwit has no primary key");
    }
    let backend =
        QuickwitBackend::connect(client.clone(), "sample-resume", sample_analyzer()).expect("connects");
    assert_eq!(backend.num_articles().expect("count"), total, "help: every article once");
    let again =
        export_to_quickwit(sample_index(), &client, "sample-resume", &options, &mut |_| {}).expect("done");
    assert_eq!((again.exported, again.batches), (0, 0), "help: a finished export sends nothing");
}

#[test]
fn exporting_twice_into_a_filled_index_is_refused() {
    let fake = FakeQuickwit::start();
    exported(&fake, "sample-twice");
    let client = QuickwitClient::new(&fake.url).expect("client");
    let error =
        export_to_quickwit(sample_index(), &client, "sample-twice", &ExportOptions::default(), &mut |_| {})
            .expect_err("a second export would duplicate every article");
    assert!(error.to_string().contains("duplicate"), "{error}");
}

#[test]
fn upserts_and_deletes_go_through_delete_tasks() {
    let fake = FakeQuickwit::start();
    let client = QuickwitClient::new(&fake.url).expect("client");
    let analyzer = Analyzer::new();
    let index = newsdex::NewsIndex::create_in_ram(analyzer.clone()).expect("index");
    let local =
        LocalBackend::with_writer(index, newsdex::WriterSettings::new(1, 20 << 20)).expect("a writer");
    let article = Article {
        id: "w1".into(),
        lang: Some(Lang::En),
        title: "Port opens new berth".into(),
        body: "The port opened a berth for larger ships.".into(),
        ..Article::default()
    };
    local.upsert(std::slice::from_ref(&article)).expect("local upsert");
    export_to_quickwit(local.index(), &client, "writes", &ExportOptions::default(), &mut |_| {})
        .expect("export");
    let quickwit = QuickwitBackend::connect(client, "writes", analyzer).expect("connects");
    let fresh = Article {
        id: "w2".into(),
        title: "Tariffs rise on steel".into(),
        body: "Importers expect higher prices.".into(),
        ..article.clone()
    };
    let receipt = quickwit.upsert(std::slice::from_ref(&fresh)).expect("insert");
    assert_eq!(receipt.visibility, Visibility::Immediate, "help: a new article needs no delete");
    let replaced = Article { title: "Port closes old berth".into(), ..article };
    let receipt = quickwit.upsert(&[replaced]).expect("replace");
    assert!(
        matches!(receipt.visibility, Visibility::DeletesPending { ref delete_tasks, .. } if delete_tasks.len() == 1)
    );
    let requests = fake.requests();
    let delete_at = requests.iter().rposition(|r| r.path.ends_with("/delete-tasks")).expect("a delete task");
    let ingest_at = requests.iter().rposition(|r| r.path.ends_with("/ingest")).expect("an ingest");
    assert!(delete_at < ingest_at, "help: the old version is deleted before the new one is ingested");
    assert!(requests[ingest_at].query.contains("commit=wait_for"), "{}", requests[ingest_at].query);
    assert_eq!(requests[delete_at].body, r#"{"query":"id:\"w1\""}"#);
    let response = quickwit.search(&SearchRequest::new("berth")).expect("search");
    assert_eq!(response.hits.len(), 1);
    assert_eq!(response.hits[0].title_html, "Port closes old <mark>berth</mark>");
    assert_eq!(quickwit.get("w1").expect("get").map(|a| a.title), Some("Port closes old berth".to_string()));
    quickwit.delete(&["w1".to_string(), "nope".to_string()]).expect("delete");
    assert_eq!(quickwit.get("w1").expect("get"), None);
    assert_eq!(quickwit.num_articles().expect("count"), 1);
    assert_eq!((fake.copies_of("writes", "w1"), fake.copies_of("writes", "w2")), (0, 1));
}

#[test]
fn failures_are_typed_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let address = closed.local_addr().expect("address");
    drop(closed);
    let client =
        QuickwitClient::with_timeout(&format!("http://{address}"), Duration::from_secs(5)).expect("client");
    let error = QuickwitBackend::connect(client, "news", Analyzer::new()).expect_err("nothing listens");
    assert!(matches!(error, Error::QuickwitUnreachable { .. }), "{error:?}");
    assert!(!error.is_user_error());

    let fake = FakeQuickwit::start();
    let client = QuickwitClient::new(&fake.url).expect("client");
    let error =
        QuickwitBackend::connect(client.clone(), "missing", Analyzer::new()).expect_err("no such index");
    assert!(matches!(error, Error::QuickwitStatus { status: 404, .. }), "{error:?}");
    assert!(error.to_string().contains("newsdex export quickwit"), "{error}");

    let quickwit = exported(&fake, "sample-errors");
    let mismatch =
        QuickwitBackend::connect(client, "sample-errors", Analyzer::new()).expect_err("other analyzer");
    assert!(matches!(mismatch, Error::AnalyzerMismatch { .. }), "{mismatch:?}");

    fake.script(Scripted {
        method: "POST",
        path_contains: "/_search",
        status: 500,
        body: r#"{"message": "internal error: split 01H not found"}"#.into(),
        apply: false,
    });
    let error = quickwit.search(&SearchRequest::new("疫苗")).expect_err("a 500");
    match &error {
        Error::QuickwitStatus { status, message, .. } => {
            assert_eq!(*status, 500);
            assert_eq!(message, "internal error: split 01H not found");
        }
        other => panic!("{other:?}"),
    }
    fake.script(Scripted {
        method: "POST",
        path_contains: "/_search",
        status: 200,
        body: "<html>proxy</html>".into(),
        apply: false,
    });
    let error = quickwit.search(&SearchRequest::new("疫苗")).expect_err("not json");
    assert!(matches!(error, Error::QuickwitResponse { .. }), "{error:?}");
    fake.script(Scripted {
        method: "POST",
        path_contains: "/_search",
        status: 400,
        body: r#"{"status": 400, "error": {"type": "illegal_argument_exception", "reason": "failed to parse query"}}"#.into(),
        apply: false,
    });
    let error = quickwit.search(&SearchRequest::new("疫苗")).expect_err("a 400");
    assert!(error.to_string().contains("failed to parse query"), "{error}");
}

#[test]
fn open_reads_the_analyzer_options_and_asks_for_the_dictionary() {
    let fake = FakeQuickwit::start();
    exported(&fake, "sample-open");
    let client = QuickwitClient::new(&fake.url).expect("client");
    let error = QuickwitBackend::open(client.clone(), "sample-open", None).expect_err("no dictionary");
    assert!(error.to_string().contains("--user-dict"), "{error}");
    let dictionary = newsdex::UserDictionary::from_path(crate::support::index_data().join("userdict.txt"))
        .expect("dictionary");
    let backend = QuickwitBackend::open(client, "sample-open", Some(dictionary)).expect("opens");
    assert_eq!(backend.analyzer().identity(), sample_analyzer().identity());
    assert_eq!(
        backend.search(&SearchRequest::new("南京市长江大桥")).expect("search").hits[0].id,
        "hans-cult-0001"
    );
}

#[test]
fn stats_related_and_the_commit_observer() {
    let fake = FakeQuickwit::start();
    let quickwit = exported_in_batches(&fake, "sample-stats", 50);
    let stats = match quickwit.stats().expect("stats") {
        newsdex::BackendStats::Quickwit(stats) => stats,
        other => panic!("{other:?}"),
    };
    assert_eq!(stats.articles, sample_index().num_articles());
    assert_eq!(
        stats.splits,
        sample_index().num_articles().div_ceil(50),
        "help: the fake makes a split a batch"
    );
    assert!(stats.split_bytes > 0);
    let error = quickwit.related("hans-cult-0001", 5).expect_err("not available");
    assert!(matches!(error, Error::Unsupported(_)), "{error:?}");
    assert!(error.to_string().contains("local index"), "{error}");
    assert_eq!(quickwit.writes(), newsdex::WriteState::Accepting);

    let commits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&commits);
    quickwit.observe_commits(std::sync::Arc::new(move |commit: &newsdex::CommitInfo| {
        seen.lock().expect("lock").push((commit.commit, commit.upserted, commit.deleted, commit.succeeded));
    }));
    let article = Article { id: "new-1".into(), body: "Port opens a berth.".into(), ..Article::default() };
    let receipt = quickwit
        .submit(vec![
            newsdex::WriteOp::Upsert(article),
            newsdex::WriteOp::Delete("hans-cult-0001".into()),
            newsdex::WriteOp::Delete("no-such-id".into()),
        ])
        .expect("written");
    assert_eq!((receipt.upserted, receipt.deleted), (1, 1), "help: only ids that exist count as deleted");
    assert!(matches!(receipt.visibility, Visibility::DeletesPending { .. }));
    assert_eq!(*commits.lock().expect("lock"), [(1, 1, 1, true)]);
    assert_eq!(quickwit.get("hans-cult-0001").expect("get"), None, "help: the fake applies deletes at once");
    assert!(quickwit.get("new-1").expect("get").is_some());
}
