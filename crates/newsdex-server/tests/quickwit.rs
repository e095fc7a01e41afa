//! The Quickwit backend behind the same router: the sample exported to the fake Quickwit
//! of `crates/fake-quickwit` on 127.0.0.1, served on a real socket, answering what the
//! local backend answers, with statuses and bodies the OpenAPI document declares.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use newsdex::{ExportOptions, QuickwitBackend, QuickwitClient, export_to_quickwit};
use newsdex_fake_quickwit::{FakeQuickwit, Scripted};
use newsdex_server::{AppState, ServerConfig, openapi_document};
use serde_json::Value;

use crate::openapi::{conforms, schema};
use crate::support::{KEY, Server, encode, http, read_only, sample_index};

/// The sample exported to `fake` as `index_id`, served by the Quickwit backend with the
/// write key.
fn served_from_quickwit(fake: &FakeQuickwit, index_id: &str) -> AppState {
    let client = QuickwitClient::with_timeout(&fake.url, Duration::from_secs(10))
        .expect("client")
        .with_retries(0, Duration::ZERO);
    let index = sample_index();
    export_to_quickwit(&index, &client, index_id, &ExportOptions::default(), &mut |_| {})
        .expect("the sample exports");
    let backend = QuickwitBackend::connect(client, index_id, index.analyzer().clone()).expect("connects");
    let config = ServerConfig { api_key: Some(KEY.to_string()), ..ServerConfig::default() };
    AppState::with_backend(Arc::new(backend)).with_config(config).expect("valid config")
}

fn get_json(address: SocketAddr, path: &str) -> (u16, Value) {
    let (status, body) = http(address, "GET", path, &[], b"");
    (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
}

fn send_json(address: SocketAddr, method: &str, path: &str, body: &str) -> (u16, Value) {
    let headers = [("Authorization", format!("Bearer {KEY}")), ("Content-Type", "application/json".into())];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let (status, answer) = http(address, method, path, &headers, body.as_bytes());
    (status, serde_json::from_str(&answer).unwrap_or(Value::String(answer)))
}

/// Asserts the document declares `status` for the operation.
fn documented(method: &str, path: &str, status: u16) {
    let document = openapi_document();
    let responses = &document["paths"][path][method]["responses"];
    assert!(
        responses.get(status.to_string()).is_some(),
        "help: {} {path} answers {status}, which /openapi.json does not declare",
        method.to_uppercase()
    );
}

/// The parts of a hit newsdex computes itself: identical whichever backend found it.
fn highlights(hit: &Value) -> Value {
    serde_json::json!([
        hit["title"],
        hit["title_html"],
        hit["title_highlights"],
        hit["snippet"],
        hit["fragments"]
    ])
}

#[test]
fn searches_answer_what_the_local_backend_answers() {
    let fake = FakeQuickwit::start();
    let quickwit = Server::start(served_from_quickwit(&fake, "serve-search"));
    let local = Server::start(read_only(ServerConfig::default()));
    let document = openapi_document();
    let requests = [
        format!("/search?q={}", encode("南京市长江大桥")),
        format!("/search?q={}&facets=true", encode("半导体")),
        format!("/search?q={}&lang=zh-Hant", encode("疫情")),
        format!("/search?q={}&sort=date&limit=5", encode("消费")),
        format!("/search?q={}&fragments=2&fragment_size=40&pre_tag=%5B&post_tag=%5D", encode("tariffs")),
        format!("/search?q={}&from=2021-01-01&to=2023-12-31", encode("企业")),
        format!("/search?q={}", encode("iPhone15 销量")),
        format!("/search?q={}&offset=2&limit=3", encode("china")),
    ];
    for path in &requests {
        let (local_status, expected) = get_json(local.address, path);
        let (status, actual) = get_json(quickwit.address, path);
        assert_eq!((status, local_status), (200, 200), "{path}: {actual}");
        conforms(&document, &schema("SearchResponse"), &actual, "SearchResponse");
        assert_eq!(actual["total"], expected["total"], "help: {path}: totals differ");
        assert_eq!(actual["applied"], expected["applied"], "help: {path}: the request is understood alike");
        assert_eq!(actual["facets"], expected["facets"], "help: {path}: facets differ");
        let expected_hits = expected["hits"].as_array().expect("hits");
        let actual_hits = actual["hits"].as_array().expect("hits");
        assert_eq!(actual_hits.len(), expected_hits.len(), "{path}");
        let ids = |hits: &[Value]| hits.iter().map(|hit| hit["id"].to_string()).collect::<Vec<_>>();
        let expected_ids = ids(expected_hits);
        let shared = ids(actual_hits).iter().filter(|id| expected_ids.contains(id)).count();
        assert!(
            shared * 10 >= expected_hits.len() * 8,
            "help: {path}: the backends share {shared} of {} hits: {:?} vs {:?}",
            expected_hits.len(),
            ids(actual_hits),
            expected_ids
        );
        for hit in actual_hits {
            let keys = |value: &Value| value.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
            let Some(twin) = expected_hits.iter().find(|other| other["id"] == hit["id"]) else { continue };
            assert_eq!(keys(hit), keys(twin), "help: {path}: a hit has the same fields from either backend");
            assert_eq!(
                highlights(hit),
                highlights(twin),
                "help: {path}: highlights and snippets are newsdex's, on the same text"
            );
        }
    }
    let post = r#"{"query": "醫院", "category": ["health"], "facets": true, "snippet": {"fragments": 1}}"#;
    let (status, actual) = send_json(quickwit.address, "POST", "/search", post);
    let (_, expected) = send_json(local.address, "POST", "/search", post);
    assert_eq!(status, 200, "{actual}");
    assert_eq!(actual["hits"][0]["id"], expected["hits"][0]["id"]);
    assert_eq!((&actual["total"], &actual["facets"]), (&expected["total"], &expected["facets"]));
}

#[test]
fn writes_delete_by_id_then_ingest_and_say_when_they_show() {
    let fake = FakeQuickwit::start();
    let server = Server::start(served_from_quickwit(&fake, "serve-writes"));
    let document = openapi_document();
    let article =
        r#"{"id":"qw-1","lang":"en","title":"Port opens a new berth","body":"Larger ships can dock."}"#;
    let (status, report) = send_json(server.address, "POST", "/articles", article);
    assert_eq!(status, 200, "{report}");
    conforms(&document, &schema("WriteReport"), &report, "WriteReport");
    assert_eq!(report["indexed"], 1);
    assert_eq!(report["visibility"]["kind"], "immediate", "help: a new id needs no delete task");

    let replaced = r#"{"id":"qw-1","lang":"en","title":"Port closes the old berth","body":"Ships move."}"#;
    let (status, report) = send_json(server.address, "POST", "/articles", replaced);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["visibility"]["kind"], "deletes_pending", "{report}");
    assert!(report["visibility"]["delete_tasks"].as_array().is_some_and(|tasks| tasks.len() == 1));
    let requests = fake.requests();
    let delete_at = requests.iter().rposition(|r| r.path.ends_with("/delete-tasks")).expect("a delete task");
    let ingest_at = requests.iter().rposition(|r| r.path.ends_with("/ingest")).expect("an ingest");
    assert!(delete_at < ingest_at, "help: the earlier version is deleted by query before the ingest");
    assert_eq!(requests[delete_at].body, r#"{"query":"id:\"qw-1\""}"#);

    let (status, stored) = get_json(server.address, "/articles/qw-1");
    assert_eq!((status, stored["title"].as_str()), (200, Some("Port closes the old berth")));
    conforms(&document, &schema("Article"), &stored, "Article");
    let (_, found) = get_json(server.address, &format!("/search?q={}", encode("berth")));
    assert_eq!(found["hits"][0]["title_html"], "Port closes the old <mark>berth</mark>");

    let (status, deleted) = send_json(server.address, "DELETE", "/articles/qw-1", "");
    assert_eq!(status, 200, "{deleted}");
    conforms(&document, &schema("Deleted"), &deleted, "Deleted");
    assert_eq!(deleted["visibility"]["kind"], "deletes_pending");
    // The fake applies delete tasks at once; Quickwit applies them once splits mature.
    let (status, _) = get_json(server.address, "/articles/qw-1");
    assert_eq!(status, 404);
    let (status, again) = send_json(server.address, "DELETE", "/articles/qw-1", "");
    assert_eq!(status, 404, "{again}");
    assert_eq!(fake.copies_of("serve-writes", "qw-1"), 0);
}

#[test]
fn operations_report_the_quickwit_backend() {
    let fake = FakeQuickwit::start();
    let server = Server::start(served_from_quickwit(&fake, "serve-operations"));
    let document = openapi_document();
    let articles = sample_index().num_articles();

    let (status, ready) = get_json(server.address, "/ready");
    assert_eq!(status, 200, "{ready}");
    conforms(&document, &schema("Ready"), &ready, "Ready");
    assert_eq!((ready["backend"].as_str(), ready["articles"].as_u64()), (Some("quickwit"), Some(articles)));
    assert_eq!(ready["writes"], "enabled");

    let (status, stats) = get_json(server.address, "/stats");
    assert_eq!(status, 200, "{stats}");
    conforms(&document, &schema("Stats"), &stats, "Stats");
    assert_eq!(stats["backend"], "quickwit");
    assert_eq!(stats["articles"], articles);
    assert_eq!(stats["index_id"], "serve-operations");
    assert_eq!(stats["splits"], 1, "help: the fake makes one split of the one export batch");
    assert!(stats["split_bytes"].as_u64() > Some(0));
    assert_eq!(stats["analyzer"], serde_json::to_value(sample_index().analyzer().identity()).expect("json"));

    let (status, related) = get_json(server.address, "/articles/hans-cult-0001/related");
    assert_eq!((status, related["error"]["code"].as_str()), (501, Some("not_implemented")), "{related}");
    conforms(&document, &schema("Error"), &related, "Error");
    documented("get", "/articles/{id}/related", 501);

    let (status, metrics) = http(server.address, "GET", "/metrics", &[], b"");
    assert_eq!(status, 200);
    for line in ["newsdex_backend_up 1", &format!("newsdex_index_articles {articles}")] {
        assert!(metrics.lines().any(|l| l == line), "help: /metrics must have {line:?}:\n{metrics}");
    }
    assert!(metrics.contains("backend=\"quickwit\""), "{metrics}");
    send_json(server.address, "POST", "/articles", r#"{"id":"m1","title":"Metrics count Quickwit writes"}"#);
    let (_, metrics) = http(server.address, "GET", "/metrics", &[], b"");
    assert!(metrics.lines().any(|l| l == "newsdex_commits_total{outcome=\"succeeded\"} 1"), "{metrics}");
}

#[test]
fn quickwit_failures_are_502_and_503_without_its_details() {
    let fake = FakeQuickwit::start();
    let state = served_from_quickwit(&fake, "serve-failures");
    let server = Server::start(state);
    let query = format!("/search?q={}", encode("疫苗"));
    fake.script(Scripted {
        method: "POST",
        path_contains: "/_search",
        status: 500,
        body: r#"{"message": "internal error: split 01H not found"}"#.into(),
        apply: false,
    });
    let (status, failed) = get_json(server.address, &query);
    assert_eq!((status, failed["error"]["code"].as_str()), (502, Some("backend_error")), "{failed}");
    assert!(!failed.to_string().contains("split 01H"), "help: Quickwit's messages stay in the log: {failed}");
    documented("get", "/search", 502);

    let url = fake.url.clone();
    drop(fake);
    let (status, unreachable) = get_json(server.address, &query);
    assert_eq!((status, unreachable["error"]["code"].as_str()), (503, Some("backend_unavailable")));
    assert!(!unreachable.to_string().contains(&url), "help: the cluster's address stays in the log");
    documented("get", "/search", 503);
    let (status, ready) = get_json(server.address, "/ready");
    assert_eq!((status, ready["error"]["code"].as_str()), (503, Some("not_ready")), "{ready}");
    let (status, metrics) = http(server.address, "GET", "/metrics", &[], b"");
    assert_eq!(status, 200, "help: a scrape still answers when the backend does not");
    assert!(metrics.lines().any(|l| l == "newsdex_backend_up 0"), "{metrics}");
}
