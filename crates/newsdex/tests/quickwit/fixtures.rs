//! Request shapes against fixtures written from Quickwit's documented REST API, and the
//! parsing of recorded answers. `tests/fixtures/quickwit/README.md` says where each
//! fixture's shape comes from.

use std::path::PathBuf;

use newsdex::{
    Analyzer, Article, BackendStats, Error, Lang, QuickwitBackend, QuickwitClient, SearchBackend,
    SearchRequest, Visibility, quickwit_index_config,
};
use serde_json::Value;

use newsdex_fake_quickwit::{FakeQuickwit, Scripted};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/quickwit").join(name)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap_or_else(|error| panic!("fixture {name}: {error}"))
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|error| panic!("fixture {name}: {error}"))
}

/// A fake that answers from recorded responses only: the index metadata, then what the
/// test scripts.
fn replaying(fake: &FakeQuickwit) -> QuickwitBackend {
    fake.script(Scripted {
        method: "GET",
        path_contains: "/api/v1/indexes/news",
        status: 200,
        body: fixture("index-metadata-response.json"),
        apply: false,
    });
    let client = QuickwitClient::new(&fake.url).expect("client");
    QuickwitBackend::connect(client, "news", Analyzer::new())
        .expect("the recorded metadata is a newsdex export")
}

/// Checks a generated index config against the rules Quickwit documents for index
/// configs (docs/configuration/index-config.md): these are what Quickwit validates.
fn check_documented_rules(config: &Value) {
    let index_id = config["index_id"].as_str().expect("index_id");
    assert!(newsdex::quickwit_index_config(index_id, &Analyzer::new()).is_ok());
    assert!(["0.7", "0.8", "0.9"].contains(&config["version"].as_str().expect("version")));
    let mappings =
        config.pointer("/doc_mapping/field_mappings").and_then(Value::as_array).expect("field_mappings");
    let mut names = std::collections::HashSet::new();
    for mapping in mappings {
        let name = mapping["name"].as_str().expect("name");
        assert!(names.insert(name), "duplicate field {name}");
        let mut chars = name.chars();
        assert!(
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)),
            "help: field names match [a-zA-Z][_\\-a-zA-Z0-9]*: {name}"
        );
        let kind = mapping["type"].as_str().expect("type");
        let allowed: &[&str] = match kind {
            "text" => &[
                "name",
                "type",
                "description",
                "stored",
                "indexed",
                "tokenizer",
                "record",
                "fieldnorms",
                "fast",
            ],
            "datetime" => &[
                "name",
                "type",
                "description",
                "input_formats",
                "output_format",
                "stored",
                "indexed",
                "fast",
                "fast_precision",
            ],
            "u64" => &["name", "type", "description", "stored", "indexed", "fast", "coerce", "output_format"],
            other => panic!("unexpected field type {other}"),
        };
        for key in mapping.as_object().expect("object").keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "help: {key} is not a documented {kind} parameter ({name})"
            );
        }
        if let Some(tokenizer) = mapping.get("tokenizer") {
            assert!(["raw", "whitespace"].contains(&tokenizer.as_str().expect("tokenizer")), "{name}");
        }
        if let Some(record) = mapping.get("record") {
            assert!(["basic", "freq", "position"].contains(&record.as_str().expect("record")), "{name}");
        }
        if mapping.get("indexed") == Some(&Value::Bool(false)) {
            assert!(mapping.get("record").is_none() && mapping.get("tokenizer").is_none(), "{name}");
        }
    }
    for analysed in ["title_words", "body_words", "title_subwords", "body_subwords"] {
        let mapping = mappings.iter().find(|m| m["name"] == analysed).expect("analysed field");
        assert_eq!(
            mapping["tokenizer"], "whitespace",
            "help: newsdex analyses; quickwit only splits on spaces"
        );
        assert_eq!(mapping["fieldnorms"], true, "help: BM25 needs fieldnorms");
    }
    for positional in ["title_words", "body_words"] {
        let mapping = mappings.iter().find(|m| m["name"] == positional).expect("positional field");
        assert_eq!(mapping["record"], "position", "help: phrases need positions");
    }
    for default_field in
        config.pointer("/search_settings/default_search_fields").and_then(Value::as_array).expect("defaults")
    {
        assert!(names.contains(default_field.as_str().expect("name")));
    }
}

#[test]
fn the_index_config_matches_its_fixture_and_the_documented_rules() {
    let generated = quickwit_index_config("news", &Analyzer::new()).expect("config");
    let expected = json_fixture("index-config.json");
    assert_eq!(
        generated,
        expected,
        "help: the generated config changed; check it against Quickwit's docs, then update the fixture:\n{}",
        serde_json::to_string_pretty(&generated).expect("json")
    );
    check_documented_rules(&expected);
    let metadata = json_fixture("index-metadata-response.json");
    assert_eq!(metadata["index_config"], expected, "help: the recorded metadata carries the same config");
}

#[test]
fn a_search_request_and_its_recorded_answer() {
    let fake = FakeQuickwit::start();
    let backend = replaying(&fake);
    fake.script(Scripted {
        method: "POST",
        path_contains: "/api/v1/_elastic/news/_search",
        status: 200,
        body: fixture("es-search-response.json"),
        apply: false,
    });
    let request = SearchRequest {
        lang: vec![Lang::ZhHant, Lang::ZhHans],
        from: Some("2020-01-01".parse().expect("date")),
        to: Some("2024-12-31".parse().expect("date")),
        facets: true,
        limit: 5,
        ..SearchRequest::new("半导体 产业 -足球")
    };
    let response = backend.search(&request).expect("search");
    let sent = fake.requests().into_iter().find(|r| r.path.ends_with("/_search")).expect("a search was sent");
    let sent: Value = serde_json::from_str(&sent.body).expect("json body");
    assert_eq!(
        sent,
        json_fixture("search-request.json"),
        "help: the search request changed:\n{}",
        serde_json::to_string_pretty(&sent).expect("json")
    );
    let ids: Vec<&str> = response.hits.iter().map(|hit| hit.id.as_str()).collect();
    assert_eq!(ids, ["hant-tech-0001", "hans-tech-0007"]);
    assert_eq!(response.hits[0].score, 12.5, "help: the score is the hit's sort value");
    assert_eq!(response.hits[1].score, 7.25);
    assert_eq!(response.total, 2);
    assert_eq!(response.hits[0].title_html, "臺灣<mark>半導體產業</mark>擴大海外布局 人才培育成隱憂");
    assert_eq!(response.hits[0].lang, Some(Lang::ZhHant));
    assert_eq!(response.hits[0].date.map(|d| d.to_string()), Some("2023-05-16".to_string()));
    let facets = response.facets.expect("facets");
    assert_eq!(facets.lang.len(), 2);
    assert_eq!((facets.lang[0].value.as_str(), facets.lang[0].count), ("zh-Hant", 1));
    assert_eq!(facets.month[0].value, "2023-05");
}

#[test]
fn an_ingest_batch_matches_its_fixture() {
    let fake = FakeQuickwit::start();
    let backend = replaying(&fake);
    fake.script(Scripted {
        method: "POST",
        path_contains: "/_search",
        status: 200,
        body: fixture("es-search-response-empty.json"),
        apply: false,
    });
    fake.script(Scripted {
        method: "POST",
        path_contains: "/api/v1/news/ingest",
        status: 200,
        body: fixture("ingest-response-0.9.json"),
        apply: false,
    });
    let articles = [
        Article {
            id: "hant-1".into(),
            lang: Some(Lang::ZhHant),
            title: "華為發布Mate 70手機".into(),
            body: "新機搭載自研晶片。預購人數已超過三百萬！".into(),
            date: Some("2024-11-26".parse().expect("date")),
            source: Some("香江日報".into()),
            category: Some("technology".into()),
            url: Some("https://news.example/1".into()),
        },
        Article {
            id: "en-1".into(),
            title: "Exporters brace for new tariffs".into(),
            body: "Shipping firms said the tariffs would hit iPhone15 parts first.".into(),
            date: Some("2024-03-05T16:30:00+08:00".parse().expect("date")),
            ..Article::default()
        },
    ];
    let receipt = backend.upsert(&articles).expect("upsert");
    assert_eq!(receipt.visibility, Visibility::Immediate);
    let ingest =
        fake.requests().into_iter().find(|r| r.path.ends_with("/ingest")).expect("an ingest was sent");
    assert_eq!(ingest.query, "commit=wait_for&detailed_response=true");
    let sent: Vec<Value> =
        ingest.body.lines().map(|line| serde_json::from_str(line).expect("json line")).collect();
    let expected: Vec<Value> = fixture("ingest-batch.ndjson")
        .lines()
        .map(|line| serde_json::from_str(line).expect("json line"))
        .collect();
    assert_eq!(sent.len(), expected.len());
    for (mut sent, expected) in sent.into_iter().zip(expected) {
        assert!(sent["revision"].as_u64().is_some_and(|r| r > 1_600_000_000_000_000), "help: revision in µs");
        sent["revision"] = expected["revision"].clone();
        assert_eq!(
            sent,
            expected,
            "help: the document changed:\n{}",
            serde_json::to_string(&sent).expect("json")
        );
    }
}

#[test]
fn an_upsert_of_an_existing_article_sends_the_documented_delete_task() {
    let fake = FakeQuickwit::start();
    let backend = replaying(&fake);
    fake.script(Scripted {
        method: "POST",
        path_contains: "/_search",
        status: 200,
        body: fixture("es-search-response.json"),
        apply: false,
    });
    fake.script(Scripted {
        method: "POST",
        path_contains: "/delete-tasks",
        status: 200,
        body: fixture("delete-task-response.json"),
        apply: false,
    });
    fake.script(Scripted {
        method: "POST",
        path_contains: "/ingest",
        status: 200,
        body: fixture("ingest-response-0.8.json"),
        apply: false,
    });
    let article = Article {
        id: "hant-tech-0001".into(),
        title: "更新".into(),
        body: "內文".into(),
        ..Article::default()
    };
    let receipt = backend.upsert(&[article]).expect("upsert");
    match receipt.visibility {
        Visibility::DeletesPending { delete_tasks, detail } => {
            assert_eq!(delete_tasks, [42], "help: the opstamp of the recorded delete task");
            assert!(detail.contains("mature"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    let delete =
        fake.requests().into_iter().find(|r| r.path.ends_with("/delete-tasks")).expect("a delete task");
    assert_eq!(delete.path, "/api/v1/news/delete-tasks");
    let sent: Value = serde_json::from_str(&delete.body).expect("json");
    assert_eq!(sent, json_fixture("delete-task-request.json"));
}

#[test]
fn rejected_documents_are_an_error_with_quickwits_reason() {
    let fake = FakeQuickwit::start();
    let backend = replaying(&fake);
    fake.script(Scripted {
        method: "POST",
        path_contains: "/_search",
        status: 200,
        body: fixture("es-search-response-empty.json"),
        apply: false,
    });
    fake.script(Scripted {
        method: "POST",
        path_contains: "/ingest",
        status: 200,
        body: fixture("ingest-response-rejected.json"),
        apply: false,
    });
    let article = Article { id: "x1".into(), body: "text".into(), ..Article::default() };
    let error = backend.upsert(&[article]).expect_err("rejected");
    assert!(matches!(error, Error::QuickwitResponse { .. }), "{error:?}");
    assert!(error.to_string().contains("rejected 1 of 1"), "{error}");
    assert!(error.to_string().contains("invalid_schema"), "{error}");
}

#[test]
fn stats_read_the_documented_describe_answer() {
    let fake = FakeQuickwit::start();
    let backend = replaying(&fake);
    fake.script(Scripted {
        method: "GET",
        path_contains: "/api/v1/indexes/news/describe",
        status: 200,
        body: fixture("index-describe-response.json"),
        apply: false,
    });
    fake.script(Scripted {
        method: "POST",
        path_contains: "/_search",
        status: 200,
        body: fixture("es-search-response.json"),
        apply: false,
    });
    let stats = match backend.stats().expect("stats") {
        BackendStats::Quickwit(stats) => stats,
        other => panic!("{other:?}"),
    };
    assert_eq!((stats.splits, stats.split_bytes), (3, 1_843_200));
    assert_eq!(stats.articles, 2, "help: articles are what a search counts");
    assert_eq!(stats.index_id, "news");
    assert_eq!(&stats.analyzer, Analyzer::new().identity());
    let json = serde_json::to_value(BackendStats::Quickwit(stats)).expect("json");
    assert_eq!(json["backend"], "quickwit", "help: stats are tagged with the backend");
}
