//! Every route and every error status, through the router without a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use newsdex_server::ServerConfig;

use crate::support::{KEY, READ_KEY, call, encode, get, get_with_key, post_articles, read_only, writable};

#[tokio::test]
async fn health_and_ready_answer() {
    let state = read_only(ServerConfig::default());
    let health = get(&state, "/health").await;
    assert_eq!((health.status, health.body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let ready = get(&state, "/ready").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["writes"], "disabled");
    assert!(ready.body["articles"].as_u64() >= Some(120));

    let writable = writable(ServerConfig::default());
    assert_eq!(get(&writable, "/ready").await.body["writes"], "enabled");
    writable.close_writer().expect("close");
    let stopped = get(&writable, "/ready").await;
    assert_eq!((stopped.status, stopped.code()), (StatusCode::SERVICE_UNAVAILABLE, "not_ready"));
}

#[tokio::test]
async fn search_returns_ranked_highlighted_hits() {
    let state = read_only(ServerConfig::default());
    let answer = get(&state, &format!("/search?q={}&limit=3", encode("南京市长江大桥"))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = answer.body;
    assert_eq!(body["query"], "南京市长江大桥");
    assert!(body["total"].as_u64() >= Some(1));
    let hit = &body["hits"][0];
    assert_eq!(hit["id"], "hans-cult-0001");
    for field in ["id", "score", "title", "title_html", "snippet", "lang", "source", "date", "url"] {
        assert!(hit.get(field).is_some(), "help: hits must carry {field}");
    }
    assert!(hit["snippet"].as_str().is_some_and(|s| s.contains("<mark>")));
    assert_eq!(body["total_exact"], true, "help: the sample is far below the counting limit");
    let exact = get(&state, "/search?q=the&exact_total=true&limit=1").await;
    assert_eq!((exact.status, &exact.body["total_exact"]), (StatusCode::OK, &serde_json::json!(true)));
    let counted = get(&state, "/search?q=the&limit=1").await;
    assert_eq!(counted.body["total"], exact.body["total"]);
    // `synonyms=false` searches the words as typed: 软件 without Taiwan's 軟體.
    let wordings = get(&state, &format!("/search?q={}", encode("软件"))).await;
    let as_typed = get(&state, &format!("/search?q={}&synonyms=false", encode("软件"))).await;
    assert_eq!(as_typed.status, StatusCode::OK, "{}", as_typed.body);
    assert!(as_typed.body["total"].as_u64() < wordings.body["total"].as_u64(), "{}", as_typed.body);
    assert!(as_typed.body["applied"].get("notes").is_none(), "{}", as_typed.body);
    // A misspelt word gets a suggestion; a word articles hold gets none.
    let misspelt = get(&state, "/search?q=tarif+-inflaton").await;
    assert_eq!(misspelt.body["suggestion"], "tariff -inflaton", "{}", misspelt.body);
    // Found by nothing as typed, it was searched respelt, unless asked for as typed.
    assert_eq!(misspelt.body["applied"]["respelt"], true, "{}", misspelt.body);
    assert!(misspelt.body["total"].as_u64() > Some(0), "{}", misspelt.body);
    let as_typed = get(&state, "/search?q=tarif&synonyms=false").await;
    assert_eq!(
        (&as_typed.body["total"], &as_typed.body["suggestion"]),
        (&serde_json::json!(0), &serde_json::json!("tariff"))
    );
    assert!(as_typed.body["applied"].get("respelt").is_none(), "{}", as_typed.body);
    assert!(counted.body.get("suggestion").is_none(), "{}", counted.body);
}

#[tokio::test]
async fn search_errors_are_400s_that_say_what_is_wrong() {
    let state =
        read_only(ServerConfig { max_query_chars: 10, max_result_window: 50, ..ServerConfig::default() });
    for (uri, named) in [
        ("/search", "missing query parameter"),
        ("/search?q=", "is empty"),
        ("/search?q=%20%20", "is empty"),
        ("/search?q=a&limit=abc", "limit"),
        ("/search?q=a&limit=100000", "limit"),
        ("/search?q=a&offset=45", "result window"),
        ("/search?q=a&from=2024-13-45", "from"),
        ("/search?q=a&lang=fr", "lang"),
        ("/search?q=a&sort=oldest", "sort"),
        ("/search?q=a&facets=maybe", "facets"),
        ("/search?q=a&exact_total=all", "exact_total"),
        ("/search?q=a&synonyms=off", "synonyms"),
        ("/search?q=a&recency_weight=2", "recency weight"),
        (
            "/search?q=%E4%B8%80%E4%BA%8C%E4%B8%89%E5%9B%9B%E4%BA%94%E5%85%AD%E4%B8%83%E5%85%AB%E4%B9%9D%E5%8D%81%E5%A3%B9",
            "at most 10",
        ),
    ] {
        let answer = get(&state, uri).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}: {}", answer.body);
        let message = answer.body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(named), "{uri}: {}", answer.body);
    }
    let nothing = get(&state, &format!("/search?q={}", encode("😀，。"))).await;
    assert_eq!(
        (nothing.status, nothing.code()),
        (StatusCode::BAD_REQUEST, "invalid_query"),
        "help: nothing searchable is the caller's problem: {}",
        nothing.body
    );
    // Odd syntax degrades, it never fails.
    for query in ["\"unclosed", "title:", "OR OR", "-", "((", "a~99"] {
        let answer = get(&state, &format!("/search?q={}", encode(query))).await;
        assert!(
            answer.status.is_success() || answer.status == StatusCode::BAD_REQUEST,
            "{query}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn sort_values_are_read_in_any_case_as_languages_are() {
    let state = read_only(ServerConfig::default());
    for uri in ["/search?q=tariff&sort=Date&lang=EN", "/search?q=tariff&sort=%20DATE%20"] {
        let answer = get(&state, uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
        assert_eq!(answer.body["applied"]["sort"], "date", "{uri}");
    }
}

#[tokio::test]
async fn prefixes_and_a_lone_star_over_http() {
    let state = read_only(ServerConfig::default());
    let prefix = get(&state, &format!("/search?q={}", encode("semicond*"))).await;
    assert_eq!(prefix.status, StatusCode::OK, "{}", prefix.body);
    assert_eq!(prefix.body["applied"]["terms"], serde_json::json!(["semicond*"]));
    let snippet = prefix.body["hits"][0]["snippet"].as_str().unwrap_or("");
    assert!(snippet.contains("<mark>semiconductors</mark>"), "{}", prefix.body);
    let everything = get(&state, "/search?q=*&lang=zh-Hant&limit=1").await;
    assert_eq!(everything.status, StatusCode::OK, "{}", everything.body);
    assert_eq!(everything.body["applied"]["sort"], "date");
    assert!(everything.body["total"].as_u64().is_some_and(|total| total > 1), "{}", everything.body);
}

#[tokio::test]
async fn post_search_takes_a_json_body() {
    let state = read_only(ServerConfig::default());
    let request = |content_type: &str, body: &str| {
        Request::post("/search")
            .header("content-type", content_type)
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let answer = call(&state, request("application/json", r#"{"query": "tariff", "limit": 2}"#)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["hits"].as_array().map(Vec::len), Some(2));
    let malformed = call(&state, request("application/json", "{not json")).await;
    assert_eq!((malformed.status, malformed.code()), (StatusCode::BAD_REQUEST, "bad_request"));
    let empty = call(&state, request("application/json", r#"{"query": " "}"#)).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let wrong_type = call(&state, request("text/plain", r#"{"query": "tariff"}"#)).await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", wrong_type.body);
    assert!(!wrong_type.code().is_empty(), "help: every error has the JSON shape");
}

#[tokio::test]
async fn articles_are_written_read_replaced_and_deleted() {
    let state = writable(ServerConfig::default());
    let one = post_articles(
        &state,
        "/articles",
        "application/json",
        r#"{"id":"a1","title":"華為發布Mate 70手機","date":"2024-03-05","source":"s"}"#,
    )
    .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(
        one.body,
        serde_json::json!({"indexed": 1, "rejected": 0, "errors": [], "visibility": {"kind": "immediate"}})
    );
    // Searchable as soon as the write is acknowledged.
    let found = get(&state, &format!("/search?q={}", encode("华为"))).await;
    assert_eq!(found.body["hits"][0]["id"], "a1", "{}", found.body);

    let array = r#"[{"id":"a2","title":"Rates rise"},{"id":"a3","body":"Markets fell."},{"id":"a1","title":"Replaced"}]"#;
    let answer = post_articles(&state, "/articles", "application/json", array).await;
    assert_eq!(answer.body["indexed"], 3, "{}", answer.body);
    let lines = "{\"id\":\"a4\",\"title\":\"one\"}\n{\"id\":\"a5\",\"title\":\"two\"}\n";
    let answer = post_articles(&state, "/articles", "application/x-ndjson", lines).await;
    assert_eq!(answer.body["indexed"], 2, "{}", answer.body);
    assert_eq!(state.backend().num_articles().expect("count"), 5);

    let article = get(&state, "/articles/a1").await;
    assert_eq!((article.status, article.body["title"].as_str()), (StatusCode::OK, Some("Replaced")));
    assert_eq!(article.body["lang"], "en", "help: a missing lang is detected and stored");

    let delete = |uri: &str| {
        Request::delete(uri)
            .header("authorization", format!("Bearer {KEY}"))
            .body(Body::empty())
            .expect("request")
    };
    let deleted = call(&state, delete("/articles/a1")).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(
        deleted.body,
        serde_json::json!({"id": "a1", "deleted": true, "visibility": {"kind": "immediate"}})
    );
    let gone = get(&state, "/articles/a1").await;
    assert_eq!((gone.status, gone.code()), (StatusCode::NOT_FOUND, "not_found"));
    let again = call(&state, delete("/articles/a1")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(state.backend().num_articles().expect("count"), 4);
}

#[tokio::test]
async fn bad_articles_are_reported_by_line_and_lose_nothing_else() {
    let state = writable(ServerConfig::default());
    let body = "{\"id\":\"ok1\",\"title\":\"fine\"}\n{\"title\":\"no id\"}\n{\"id\":\"bad-date\",\"title\":\"t\",\"date\":\"2023-02-30\"}\n{\"id\":\"ok2\",\"body\":\"fine\"}\n";
    let partial = post_articles(&state, "/articles", "application/x-ndjson", body).await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.body);
    assert_eq!((partial.body["indexed"].as_u64(), partial.body["rejected"].as_u64()), (Some(2), Some(2)));
    assert_eq!(
        partial.body["errors"][0],
        serde_json::json!({"line": 2, "message": "missing field \"id\" (column 17)"})
    );
    assert_eq!(partial.body["errors"][1]["line"], 3);
    assert_eq!(partial.body["errors"][1]["id"], "bad-date");
    assert_eq!(state.backend().num_articles().expect("count"), 2);

    let fail = post_articles(
        &state,
        "/articles?on_error=fail",
        "application/x-ndjson",
        "{\"id\":\"x1\",\"title\":\"t\"}\n{\"id\":\"\"}\n",
    )
    .await;
    assert_eq!((fail.status, fail.code()), (StatusCode::BAD_REQUEST, "invalid_articles"), "{}", fail.body);
    assert_eq!((fail.body["indexed"].as_u64(), fail.body["rejected"].as_u64()), (Some(0), Some(1)));
    assert_eq!(state.backend().get("x1").expect("get"), None, "help: on_error=fail writes nothing");

    for (body, content_type) in [
        ("{\"id\": 5}", "application/json"),
        ("[{\"title\":\"no id\"}]", "application/json"),
        ("not json at all", "application/json"),
    ] {
        let answer = post_articles(&state, "/articles", content_type, body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, "invalid_articles"),
            "{body}: {}",
            answer.body
        );
        assert!(answer.body["errors"][0]["line"].is_u64(), "{}", answer.body);
    }
    for body in ["", "  \n\n"] {
        let answer = post_articles(&state, "/articles", "application/json", body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, "bad_request"),
            "{}",
            answer.body
        );
    }
    let answer = post_articles(&state, "/articles?on_error=maybe", "application/json", "{}").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = post_articles(&state, "/articles", "application/x-www-form-urlencoded", "id=a").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    assert_eq!(
        state.backend().num_articles().expect("count"),
        2,
        "help: rejected requests must write nothing"
    );
}

#[tokio::test]
async fn related_articles_are_like_the_given_one() {
    let state = read_only(ServerConfig { max_result_window: 50, ..ServerConfig::default() });
    let answer = get(&state, "/articles/hant-tech-0001/related?limit=3").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["id"], "hant-tech-0001");
    let hits = answer.body["hits"].as_array().expect("hits");
    assert!(!hits.is_empty() && hits.len() <= 3, "{}", answer.body);
    assert!(hits.iter().all(|hit| hit["id"] != "hant-tech-0001"), "help: the article itself is left out");
    // Other sample articles discuss semiconductors; the nearest one must be among them.
    let nearest = get(&state, &format!("/articles/{}", hits[0]["id"].as_str().expect("id"))).await;
    let text = format!("{} {}", nearest.body["title"], nearest.body["body"]);
    assert!(text.contains("半導體") || text.contains("半导体"), "{}", answer.body);
    assert_eq!(
        get(&state, "/articles/hant-tech-0001/related").await.body["hits"].as_array().map(Vec::len),
        Some(5)
    );

    let missing = get(&state, "/articles/no-such-id/related").await;
    assert_eq!((missing.status, missing.code()), (StatusCode::NOT_FOUND, "not_found"));
    for (uri, needle) in [
        ("/articles/hant-tech-0001/related?limit=many", "limit"),
        ("/articles/hant-tech-0001/related?limit=51", "result window"),
        ("/articles/hant-tech-0001/related?k=1", "unknown parameter"),
    ] {
        let answer = get(&state, uri).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}: {}", answer.body);
        let message = answer.body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(needle), "{uri}: {}", answer.body);
    }
}

#[tokio::test]
async fn ids_are_data_never_paths() {
    let state = writable(ServerConfig::default());
    let ids = ["a/b", "../../etc/passwd", "..", "100%", "%41", "空 格?q=1#frag", "a\\b", "tab\u{3000}id"];
    let body: Vec<_> =
        ids.iter().map(|id| serde_json::json!({"id": id, "title": format!("title of {id}")})).collect();
    let answer =
        post_articles(&state, "/articles", "application/json", &serde_json::to_string(&body).expect("json"))
            .await;
    assert_eq!(answer.body["indexed"], ids.len(), "{}", answer.body);
    for id in ids {
        let article = get(&state, &format!("/articles/{}", encode(id))).await;
        assert_eq!(article.status, StatusCode::OK, "{id}: {}", article.body);
        assert_eq!(article.body["id"], id, "help: the id must round-trip exactly");
    }
    // A raw `/` is a path separator, not part of an id: no such route.
    assert_eq!(get(&state, "/articles/a/b").await.status, StatusCode::NOT_FOUND);
    let invalid_utf8 = get(&state, "/articles/%FF").await;
    assert_eq!(invalid_utf8.status, StatusCode::BAD_REQUEST, "{}", invalid_utf8.body);
    let request = Request::delete(format!("/articles/{}", encode("a/b")))
        .header("authorization", format!("Bearer {KEY}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(call(&state, request).await.status, StatusCode::OK);
    assert_eq!(state.backend().get("a/b").expect("get"), None);
    assert!(state.backend().get("..").expect("get").is_some(), "help: deleting a/b must touch nothing else");
}

#[tokio::test]
async fn writes_need_the_api_key() {
    let state = writable(ServerConfig::default());
    let article = r#"{"id":"k","title":"t"}"#;
    for authorization in [None, Some("Bearer wrong"), Some("Basic d3JpdGUta2V5"), Some("Bearer")] {
        let mut request = Request::post("/articles").header("content-type", "application/json");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let answer = call(&state, request.body(Body::from(article)).expect("request")).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{authorization:?}"
        );
        assert!(answer.headers.contains_key("www-authenticate"));
        let delete = Request::delete("/articles/k");
        let delete = match authorization {
            Some(value) => delete.header("authorization", value),
            None => delete,
        };
        let answer = call(&state, delete.body(Body::empty()).expect("request")).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{authorization:?}");
    }
    assert_eq!(state.backend().num_articles().expect("count"), 0);
    // The read key does not write.
    let state = writable(ServerConfig { read_api_key: Some(READ_KEY.into()), ..ServerConfig::default() });
    let request = Request::post("/articles")
        .header("authorization", format!("Bearer {READ_KEY}"))
        .body(Body::from(article))
        .expect("request");
    assert_eq!(call(&state, request).await.status, StatusCode::UNAUTHORIZED);
    // A server without a writer accepts no writes at all.
    let read_only = read_only(ServerConfig::default());
    let answer = post_articles(&read_only, "/articles", "application/json", article).await;
    assert_eq!((answer.status, answer.code()), (StatusCode::FORBIDDEN, "writes_disabled"));
}

#[tokio::test]
async fn a_read_key_guards_reads_but_not_health_or_the_page() {
    let state = read_only(ServerConfig {
        read_api_key: Some(READ_KEY.into()),
        api_key: Some(KEY.into()),
        ..ServerConfig::default()
    });
    for uri in ["/search?q=tariff", "/articles/hans-cult-0001", "/stats", "/metrics"] {
        let without = get(&state, uri).await;
        assert_eq!((without.status, without.code()), (StatusCode::UNAUTHORIZED, "unauthorized"), "{uri}");
        assert_eq!(get_with_key(&state, uri, "nope").await.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(get_with_key(&state, uri, READ_KEY).await.status, StatusCode::OK, "{uri}");
        assert_eq!(
            get_with_key(&state, uri, KEY).await.status,
            StatusCode::OK,
            "help: the write key reads too: {uri}"
        );
    }
    for uri in ["/", "/health", "/ready", "/openapi.json"] {
        assert_eq!(get(&state, uri).await.status, StatusCode::OK, "{uri}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let state = read_only(ServerConfig::default());
    let missing = get(&state, "/nope").await;
    assert_eq!((missing.status, missing.code()), (StatusCode::NOT_FOUND, "not_found"));
    assert!(missing.body["error"]["message"].as_str().is_some_and(|m| m.contains("/nope")));
    let request = Request::put("/search").body(Body::empty()).expect("request");
    let wrong = call(&state, request).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
    assert!(wrong.headers.contains_key("allow"));
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let state = writable(ServerConfig { max_body_bytes: 1024, ..ServerConfig::default() });
    let big = format!(r#"{{"id":"big","body":"{}"}}"#, "x".repeat(4096));
    let answer = post_articles(&state, "/articles", "application/json", &big).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        "{}",
        answer.body
    );
    let request = Request::post("/search")
        .header("content-type", "application/json")
        .body(Body::from(format!(r#"{{"query":"{}"}}"#, "a ".repeat(2048))))
        .expect("request");
    assert_eq!(call(&state, request).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(state.backend().num_articles().expect("count"), 0);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

fn post_encoded(uri: &str, encoding: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", if uri == "/search" { "application/json" } else { "application/x-ndjson" })
        .header("content-encoding", encoding)
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn gzip_bodies_are_read_and_bounded_once_expanded() {
    let state = writable(ServerConfig { max_body_bytes: 4096, ..ServerConfig::default() });
    let lines =
        "{\"id\":\"z1\",\"body\":\"压缩后上传的文章。\"}\n{\"id\":\"z2\",\"body\":\"Compressed upload.\"}\n";
    let answer = call(&state, post_encoded("/articles", "gzip", gzip(lines.as_bytes()))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["indexed"], 2);
    // Content codings are case-insensitive.
    let search = call(&state, post_encoded("/search", "GZIP", gzip(br#"{"query":"upload"}"#))).await;
    assert_eq!(search.body["hits"][0]["id"], "z2", "{}", search.body);
    // The limit bounds what a body expands to: 1 MiB of blank lines is 1 KiB of gzip.
    let bomb = gzip((lines.to_string() + &"\n".repeat(1 << 20)).as_bytes());
    assert!(bomb.len() < 4096, "{}", bomb.len());
    let answer = call(&state, post_encoded("/articles", "gzip", bomb)).await;
    assert_eq!((answer.status, answer.code()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
    // Bytes that are not gzip, and encodings the server does not read, say so.
    let answer = call(&state, post_encoded("/articles", "gzip", lines.as_bytes().to_vec())).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(
        answer.body["error"]["message"].as_str(),
        Some("the body could not be read: Invalid gzip header"),
        "{}",
        answer.body
    );
    let answer = call(&state, post_encoded("/articles", "br", lines.as_bytes().to_vec())).await;
    assert_eq!(
        (answer.status, answer.body["error"]["message"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("Content-Encoding \"br\" is not supported; send the body as it is or with gzip")
        )
    );
    assert_eq!(state.backend().num_articles().expect("count"), 2, "help: refused bodies write nothing");
}

#[tokio::test]
async fn responses_are_gzip_for_clients_that_accept_it() {
    use std::io::Read;
    let state = read_only(ServerConfig::default());
    let uri = format!("/search?q={}&limit=20", encode("经济"));
    let plain = router_bytes(&state, &uri, None).await;
    let compressed = router_bytes(&state, &uri, Some("gzip")).await;
    assert_eq!(compressed.0.as_deref(), Some("gzip"));
    assert_eq!(plain.0, None, "help: only when asked");
    assert!(compressed.1.len() * 2 < plain.1.len(), "{} vs {}", compressed.1.len(), plain.1.len());
    let mut expanded = Vec::new();
    flate2::read::GzDecoder::new(compressed.1.as_slice()).read_to_end(&mut expanded).expect("gzip");
    let (plain, expanded): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(&plain.1).expect("json"), serde_json::from_slice(&expanded).expect("json"));
    assert_eq!(plain["hits"], expanded["hits"]);
}

/// The `Content-Encoding` and the raw body of `GET uri`, accepting `encoding`.
async fn router_bytes(
    state: &newsdex_server::AppState,
    uri: &str,
    encoding: Option<&str>,
) -> (Option<String>, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut request = Request::get(uri);
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    let response = newsdex_server::router(state.clone())
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    let encoding =
        response.headers().get("content-encoding").and_then(|v| v.to_str().ok()).map(str::to_string);
    let bytes = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    (encoding, bytes)
}

#[tokio::test]
async fn stats_and_metrics_describe_the_server() {
    let state = writable(ServerConfig::default());
    post_articles(
        &state,
        "/articles",
        "application/json",
        r#"[{"id":"s1","title":"one"},{"id":"s2","title":"two"}]"#,
    )
    .await;
    let stats = get(&state, "/stats").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.body["articles"], 2);
    assert_eq!(stats.body["segments"], 1);
    assert!(stats.body["index_bytes"].as_u64() > Some(0));
    assert_eq!(stats.body["analyzer"]["version"], newsdex::ANALYZER_VERSION);
    assert!(stats.body["uptime_seconds"].is_number());
    assert_eq!(stats.body["writes"], "enabled");

    get(&state, "/search?q=one").await;
    get(&state, "/search?q=").await;
    get(&state, "/articles/s1").await;
    let metrics = get(&state, "/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.headers["content-type"].to_str().is_ok_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = metrics.text();
    for line in [
        "newsdex_http_requests_total{route=\"/search\",method=\"GET\",status=\"200\"} 1",
        "newsdex_http_requests_total{route=\"/search\",method=\"GET\",status=\"400\"} 1",
        "newsdex_http_requests_total{route=\"/articles/{id}\",method=\"GET\",status=\"200\"} 1",
        "newsdex_http_requests_total{route=\"/articles\",method=\"POST\",status=\"200\"} 1",
        "newsdex_http_request_duration_seconds_count{route=\"/search\",method=\"GET\"} 2",
        "newsdex_articles_indexed_total 2",
        "newsdex_commits_total{outcome=\"succeeded\"} 1",
        "newsdex_commit_duration_seconds_count 1",
        "newsdex_index_articles 2",
        "newsdex_writer_up 1",
    ] {
        assert!(text.lines().any(|l| l == line), "help: /metrics must have {line:?}:\n{text}");
    }
    // Every sample line is `name{labels} value` with a declared family.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        assert!(value.parse::<f64>().is_ok(), "{line}");
        let name = series.split('{').next().unwrap_or("");
        let family =
            ["_bucket", "_sum", "_count"].iter().fold(name, |n, suffix| n.strip_suffix(suffix).unwrap_or(n));
        assert!(
            text.contains(&format!("# TYPE {family} ")) || text.contains(&format!("# TYPE {name} ")),
            "{line}"
        );
    }
}

#[tokio::test]
async fn the_page_is_self_contained() {
    let state = read_only(ServerConfig::default());
    let page = get(&state, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"].to_str().is_ok_and(|t| t.starts_with("text/html")));
    let policy = page.headers["content-security-policy"].to_str().expect("a policy");
    assert!(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"), "{policy}");
    let html = page.text();
    assert!(html.contains("<form id=\"search-form\"") && html.contains("fetch(`/search?"));
    assert!(
        !html.contains(" src=") && !html.contains("<link"),
        "help: the page must load no external assets"
    );
}

#[tokio::test]
async fn cors_is_off_by_default_and_configurable() {
    let preflight = || {
        Request::options("/search")
            .header("origin", "https://news.example")
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .expect("request")
    };
    let closed = call(&read_only(ServerConfig::default()), preflight()).await;
    assert!(!closed.headers.contains_key("access-control-allow-origin"));
    let open = read_only(ServerConfig {
        cors_origins: vec!["https://news.example".into()],
        ..ServerConfig::default()
    });
    let answer = call(&open, preflight()).await;
    assert_eq!(
        answer.headers.get("access-control-allow-origin").map(|v| v.as_bytes()),
        Some(&b"https://news.example"[..])
    );
    let other = Request::get("/search?q=tariff")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .expect("request");
    assert!(!call(&open, other).await.headers.contains_key("access-control-allow-origin"));
}

#[test]
fn internal_errors_hide_their_cause() {
    use axum::response::IntoResponse;
    let error =
        newsdex_server::ApiError::from(newsdex::Error::CommitFailed("disk full at /secret/path".into()));
    assert_eq!((error.status(), error.code()), (StatusCode::INTERNAL_SERVER_ERROR, "internal"));
    let response = error.into_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let closed = newsdex_server::ApiError::from(newsdex::Error::WriterClosed);
    assert_eq!(closed.status(), StatusCode::SERVICE_UNAVAILABLE);
}
