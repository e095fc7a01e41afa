//! HTTP tests: the router through `oneshot`, and one real socket on 127.0.0.1.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use newsdex::{Analyzer, IngestOptions, NewsIndex, OnError, UserDictionary, WriterSettings};
use newsdex_server::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

fn sample_index() -> NewsIndex {
    static INDEX: OnceLock<NewsIndex> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../index-data");
            let dictionary = UserDictionary::from_path(data.join("userdict.txt")).expect("dictionary");
            let index = NewsIndex::create_in_ram(Analyzer::with_user_dictionary(dictionary)).expect("index");
            let mut writer =
                index.writer(WriterSettings { threads: 1, memory_budget_bytes: 50 << 20 }).expect("writer");
            let file = std::fs::File::open(data.join("articles.jsonl")).expect("sample");
            let options = IngestOptions { on_error: OnError::Fail, ..IngestOptions::default() };
            writer.ingest_jsonl(std::io::BufReader::new(file), &options, &mut |_| {}).expect("ingest");
            writer.commit().expect("commit");
            index
        })
        .clone()
}

async fn get(uri: &str) -> (StatusCode, Value) {
    let app = router(AppState::new(sample_index()));
    let response =
        app.oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn post(uri: &str, content_type: &str, body: &str) -> (StatusCode, Value) {
    let app = router(AppState::new(sample_index()));
    let request = Request::post(uri)
        .header("content-type", content_type)
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app.oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn health_answers_ok() {
    let (status, body) = get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn search_returns_ranked_highlighted_hits() {
    let (status, body) = get(&format!("/search?q={}&limit=3", encode("南京市长江大桥"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["query"], "南京市长江大桥");
    assert!(body["total"].as_u64() >= Some(1));
    assert!(body["took_ms"].is_u64());
    let hit = &body["hits"][0];
    assert_eq!(hit["id"], "hans-cult-0001");
    for field in ["id", "score", "title", "title_html", "snippet", "lang", "source", "date", "url"] {
        assert!(hit.get(field).is_some(), "help: hits must carry {field}");
    }
    assert!(hit["snippet"].as_str().is_some_and(|s| s.contains("<mark>")));
}

#[tokio::test]
async fn missing_or_empty_q_is_a_400_with_a_json_error() {
    for uri in ["/search", "/search?q=", "/search?q=%20%20", "/search?limit=3"] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{uri}: {body}");
    }
}

#[tokio::test]
async fn bad_parameters_are_400s_that_name_the_parameter() {
    for (uri, named) in [
        ("/search?q=a&limit=abc", "limit"),
        ("/search?q=a&limit=100000", "limit"),
        ("/search?q=a&offset=5000", "offset"),
        ("/search?q=a&from=2024-13-45", "from"),
        ("/search?q=a&lang=fr", "lang"),
        ("/search?q=a&sort=oldest", "sort"),
    ] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains(named)), "{uri}: {body}");
    }
    let (status, body) = get(&format!("/search?q={}", encode("😀，。"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "help: nothing searchable is the caller's problem: {body}");
}

#[tokio::test]
async fn post_search_takes_a_json_body() {
    let (status, body) = post("/search", "application/json", r#"{"query": "tariff", "limit": 2}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hits"].as_array().map(Vec::len), Some(2));
    let (status, _) = post("/search", "application/json", "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post("/search", "text/plain", r#"{"query": "tariff"}"#).await;
    assert!(status.is_client_error());
}

#[tokio::test]
async fn a_real_socket_serves_search() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        tokio::spawn(newsdex_server::serve(listener, router(AppState::new(sample_index())), async {
            let _ = stopped.await;
        }));
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let request = format!(
        "GET /search?q={}&limit=1 HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n",
        encode("华为 Mate")
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).expect("a body");
    let json: Value = serde_json::from_str(body).expect("json body");
    assert_eq!(json["hits"][0]["id"], "hans-tech-0001");
    let _ = stop.send(());
    server.await.expect("server task").expect("clean shutdown");
}
