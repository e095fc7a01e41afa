//! Hostile requests: each is the caller's mistake, answered with a 4xx and a JSON error
//! that says what is wrong — never a 500, never a panic, never a write.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use newsdex_server::ServerConfig;

use crate::support::{Answer, KEY, Server, call, encode, get, post_articles, read_only, writable};

/// Asserts `answer` is `status` with the JSON error shape and a message holding `named`.
fn assert_error(answer: &Answer, status: StatusCode, named: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.body);
    let message = answer.body["error"]["message"].as_str().unwrap_or_default();
    assert!(!answer.code().is_empty(), "help: {what} must answer {{\"error\": {{\"code\", \"message\"}}}}");
    assert!(
        message.to_lowercase().contains(&named.to_lowercase()),
        "{what}: the message should name {named:?}: {}",
        answer.body
    );
    let code_as_words = format!("{}: ", answer.code().replace('_', " "));
    assert!(
        !message.starts_with(&code_as_words),
        "{what}: the message should not repeat the code: {}",
        answer.body
    );
}

fn post_search(content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post("/search");
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.body(body.into()).expect("request")
}

#[tokio::test]
async fn malformed_and_mistyped_json_bodies_are_4xx() {
    let state = read_only(ServerConfig::default());
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: [(&[u8], StatusCode, &str); 17] = [
        // Fields in order are not a search: each object must be a JSON object.
        (
            br#"["tariff", 3]"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body is not a search request: invalid type: sequence, expected a search request (a JSON object) at line 1 column 1",
        ),
        (b"[]", StatusCode::UNPROCESSABLE_ENTITY, "expected a search request (a JSON object)"),
        (br#"{"query": "a", "recency": [30, 0.5]}"#, StatusCode::UNPROCESSABLE_ENTITY, "a recency setting"),
        (br#"{"query": "a", "snippet": [1]}"#, StatusCode::UNPROCESSABLE_ENTITY, "snippet options"),
        (
            b"{not json",
            StatusCode::BAD_REQUEST,
            "the body is not JSON: key must be a string at line 1 column 2",
        ),
        (b"", StatusCode::BAD_REQUEST, "json"),
        (br#"{"query": "tariff"} trailing"#, StatusCode::BAD_REQUEST, "trailing"),
        (br#"{"query": 5}"#, StatusCode::UNPROCESSABLE_ENTITY, "query"),
        (br#"{"query": null}"#, StatusCode::UNPROCESSABLE_ENTITY, "query"),
        (br#""tariff""#, StatusCode::UNPROCESSABLE_ENTITY, "expected"),
        (
            br#"{"query": "a", "limit": -1}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body is not a search request: limit: invalid value: integer `-1`, expected usize at line 1 column 26",
        ),
        (br#"{"query": "a", "limit": 1e400}"#, StatusCode::BAD_REQUEST, "number"),
        (br#"{"query": "a", "from": "2024-13-01"}"#, StatusCode::UNPROCESSABLE_ENTITY, "from"),
        (br#"{"query": "a", "lang": ["fr"]}"#, StatusCode::UNPROCESSABLE_ENTITY, "lang"),
        (br#"{"query": "\ud800"}"#, StatusCode::BAD_REQUEST, "escape"),
        (b"{\"query\": \"\xff\xfe\"}", StatusCode::BAD_REQUEST, "unicode"),
        (deep.as_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "expected"),
    ];
    for (body, status, named) in cases {
        let what = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let answer = call(&state, post_search(Some("application/json"), body.to_vec())).await;
        assert_error(&answer, status, named, &what);
    }
    // An unknown field is refused by name, a misspelt option never silently ignored;
    // deep nesting in one is not even read (no stack overflow).
    let deep_unknown = format!("{{\"query\": \"tariff\", \"x\": {deep}}}");
    let answer = call(&state, post_search(Some("application/json"), deep_unknown)).await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "unknown field `x`", "a deep unknown field");
    for (body, named) in [
        (r#"{"query": "a", "limt": 5}"#, "unknown field `limt`, expected one of"),
        (r#"{"query": "a", "snippet": {"fragment_length": 50}}"#, "unknown field `fragment_length`"),
        (r#"{"query": "a", "recency": {"half_life": 30}}"#, "unknown field `half_life`"),
    ] {
        let answer = call(&state, post_search(Some("application/json"), body)).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, named, body);
    }
    // Valid JSON, but a search the engine refuses.
    for (body, named) in [
        (r#"{}"#, "query"),
        (r#"{"query": " \u3000 "}"#, "query"),
        (r#"{"query": "a", "offset": 18446744073709551615, "limit": 18446744073709551615}"#, "limit"),
        (r#"{"query": "a", "limit": 101}"#, "limit"),
        (r#"{"query": "a", "from": "2024-05-01", "to": "2024-04-01"}"#, "after"),
        (r#"{"query": "a", "recency": {"half_life_days": -1, "weight": 0.5}}"#, "half"),
        (r#"{"query": "a", "snippet": {"fragments": 1000000}}"#, "fragments"),
        (r#"{"query": "a", "snippet": {"fragment_chars": 0}}"#, "fragment size"),
        // `fragment_size`, the parameter's name, is the same field.
        (r#"{"query": "a", "snippet": {"fragment_size": 0}}"#, "fragment size"),
    ] {
        let answer = call(&state, post_search(Some("application/json"), body)).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, named, body);
    }
}

#[tokio::test]
async fn wrong_content_types_are_415s() {
    let state = writable(ServerConfig::default());
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let answer = call(&state, post_search(content_type, r#"{"query": "tariff"}"#)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            "POST /search with {content_type:?}: {}",
            answer.body
        );
        assert!(answer.body["error"]["message"].as_str().is_some_and(|m| {
            m.contains("POST /search takes a JSON body: send Content-Type: application/json")
        }));
    }
    for content_type in
        ["text/plain", "text/csv", "application/xml", "image/png", "", "application/json\u{e9}"]
    {
        let request = Request::post("/articles")
            .header("authorization", format!("Bearer {KEY}"))
            .header(
                "content-type",
                axum::http::HeaderValue::from_bytes(content_type.as_bytes()).expect("a header"),
            )
            .body(Body::from(r#"{"id": "t", "title": "t"}"#))
            .expect("request");
        let answer = call(&state, request).await;
        assert_error(&answer, StatusCode::UNSUPPORTED_MEDIA_TYPE, "content type", content_type);
    }
    // Parameters and case do not matter.
    let answer =
        post_articles(&state, "/articles", "Application/JSON; charset=utf-8", r#"{"id": "t", "title": "t"}"#)
            .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(state.backend().num_articles().expect("count"), 1);
}

#[tokio::test]
async fn article_bodies_that_are_not_articles_write_nothing() {
    let state = writable(ServerConfig::default());
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{{\"id\": \"d\", \"x\": {}{}}}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let cases: [&[u8]; 9] = [
        // Arrays of fields in order are not articles, alone or as items.
        b"[[\"x1\", null, \"title\", \"body\"]]",
        b"[\"x1\", null, \"title\", \"body\"]",
        deep.as_bytes(),
        deep_object.as_bytes(),
        b"\xff\xfe{\"id\": \"u\", \"title\": \"t\"}",
        b"{\"id\": \"u\", \"title\": \"\xc3\x28\"}",
        b"{\"id\": \"ctl\x01\", \"title\": \"t\"}",
        b"{\"id\": \"\\u0000\", \"title\": \"t\"}",
        b"null",
    ];
    for body in cases {
        let what = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
        let request = Request::post("/articles")
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_vec()))
            .expect("request");
        let answer = call(&state, request).await;
        assert!(answer.status.is_client_error(), "{what}: {}", answer.body);
        assert!(!answer.code().is_empty(), "{what}: {}", answer.body);
    }
    assert_eq!(state.backend().num_articles().expect("count"), 0, "help: no hostile body may write anything");
}

#[test]
fn oversized_bodies_are_413_however_they_arrive() {
    let state = writable(ServerConfig { max_body_bytes: 4096, ..ServerConfig::default() });
    let mut server = Server::start(state.clone());
    let head = |path: &str, content_type: &str, framing: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {KEY}\r\n\
             Content-Type: {content_type}\r\n{framing}\r\n\r\n"
        )
    };
    // Streamed in chunks without a length: the limit applies as the bytes arrive.
    let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
    for (path, content_type) in [("/articles", "application/x-ndjson"), ("/search", "application/json")] {
        let head = head(path, content_type, "Transfer-Encoding: chunked");
        let request = format!("{head}{}0\r\n\r\n", chunk.repeat(64));
        let (status, body) = raw_request(server.address, request.as_bytes());
        assert_eq!(status, 413, "chunked POST {path}: {body}");
        assert!(body.contains("payload_too_large") && body.contains("4096 bytes"), "{body}");
    }
    // A declared length over the limit is refused before the body is read.
    let request = format!("{}{{}}", head("/articles", "application/json", "Content-Length: 1099511627776"));
    let (status, body) = raw_request(server.address, request.as_bytes());
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large"), "{body}");
    server.stop();
    assert_eq!(state.backend().num_articles().expect("count"), 0);
}

#[tokio::test]
async fn huge_or_negative_paging_is_a_400() {
    let state = read_only(ServerConfig::default());
    for (query, named) in [
        ("limit=18446744073709551615", "limit"),
        ("limit=18446744073709551616", "limit"),
        ("limit=99999999999999999999999999", "limit"),
        ("limit=-1", "limit"),
        ("limit=1e3", "limit"),
        ("limit=%200x10", "limit"),
        ("offset=18446744073709551615", "result window"),
        ("offset=18446744073709551615&limit=18446744073709551615", "limit"),
        ("offset=-5", "offset"),
        ("offset=1000", "result window"),
        ("fragments=4294967296", "fragments"),
        ("fragment_size=0", "fragment size"),
        ("fragment_size=18446744073709551615", "fragment size"),
        ("fragment_chars=0", "fragment size"),
        (
            "fragment_size=40&fragment_chars=40",
            "parameters \"fragment_size\" and \"fragment_chars\" are the same",
        ),
        ("recency_half_life=NaN", "half"),
        ("recency_half_life=inf", "half"),
        ("recency_half_life=-3", "half-life must be a positive number of days, not -3"),
        ("recency_weight=1e999", "recency weight"),
        ("recency_weight=2", "recency weight must be between 0 and 1, not 2"),
        (&format!("pre_tag={}", "x".repeat(65)), "tags"),
        ("pre_tag=%3Cb%3E&post_tag=", "highlight tags come in pairs"),
        ("post_tag=%3C%2Fb%3E&pre_tag=", "both be set or both be empty"),
    ] {
        let answer = get(&state, &format!("/search?q=tariff&{query}")).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, named, query);
    }
}

#[tokio::test]
async fn invalid_dates_are_400s() {
    let state = read_only(ServerConfig::default());
    for (query, named) in [
        ("from=2024-02-30", "from"),
        ("from=2023-02-29", "from"),
        ("to=2024-04-31", "to"),
        ("from=2024-13-01", "from"),
        ("from=2024-00-10", "from"),
        ("from=24-01-01", "from"),
        ("from=2024%2F01%2F01", "from"),
        ("from=2024-01-01T25:00:00Z", "from"),
        ("from=2024-01-01T12:00:00%2B99:00", "from"),
        ("from=yesterday", "from"),
        ("to=", "to"),
        ("from=%2B999999-01-01", "from"),
        ("from=2024-05-01&to=2024-04-01", "after"),
        // A misspelt option is named, never silently ignored.
        ("form=2024-01-01", "unknown parameter \"form\": GET /search takes q, limit"),
        // Beyond the dates an index holds: they used to wrap around and match everything.
        ("from=2263-01-01", "outside the years 1678 to 2261"),
        ("to=1000-01-01", "outside the years 1678 to 2261"),
        ("from=9999-12-31T00:00:00Z", "from"),
    ] {
        let answer = get(&state, &format!("/search?q=tariff&{query}")).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, named, query);
        let message = answer.body["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.contains("article"), "help: a date parameter is not an article: {message}");
    }
}

#[tokio::test]
async fn a_parameter_that_takes_one_value_given_twice_is_a_400() {
    let state = writable(ServerConfig::default());
    for (uri, named) in [
        ("/search?q=tariff&q=semiconductor", "parameter \"q\" is given more than once"),
        ("/search?q=tariff&query=semiconductor", "parameters \"q\" and \"query\" are the same"),
        ("/search?q=tariff&limit=1&limit=5", "\"limit\" is given more than once"),
        ("/search?q=tariff&from=2020-01-01&from=2024-01-01", "\"from\" is given more than once"),
        ("/search?q=tariff&recency=30&recency_half_life=7", "are the same"),
        ("/search?q=tariff&sort=date&sort=relevance", "\"sort\""),
        ("/articles/a/related?limit=1&limit=2", "\"limit\" is given more than once"),
    ] {
        let answer = get(&state, uri).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, named, uri);
    }
    let answer = post_articles(
        &state,
        "/articles?on_error=fail&on_error=skip",
        "application/json",
        r#"{"id":"a","title":"t"}"#,
    )
    .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "\"on_error\" is given more than once", "on_error twice");
    assert_eq!(state.backend().num_articles().expect("count"), 0);
    // List filters take any number of values.
    let answer =
        get(&state, "/search?q=tariff&lang=en&lang=zh-Hans&source=a&source=b&category=c&category=d").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["applied"]["lang"], serde_json::json!(["en", "zh-Hans"]), "{}", answer.body);
}

#[tokio::test]
async fn query_strings_that_are_not_utf8_are_400s() {
    let state = writable(ServerConfig::default());
    for uri in [
        "/search?q=%FF",
        "/search?q=abc%C3%28",
        "/search?q=%E5%8D",
        "/search?%FF=1&q=a",
        "/search?q=a&lang=%C0%AF",
    ] {
        let answer = get(&state, uri).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "utf-8", uri);
    }
    let answer =
        post_articles(&state, "/articles?on_error=%FF", "application/json", r#"{"id":"a","title":"t"}"#)
            .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "utf-8", "on_error=%FF");
    // Percent-encoded UTF-8, `+` for a space and an encoded comma are read as meant.
    let answer = get(&state, &format!("/search?q={}+tariff&lang=en%2Czh-Hans", encode("华为"))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["applied"]["terms"], serde_json::json!(["华为", "tariff"]), "{}", answer.body);
    assert_eq!(answer.body["applied"]["lang"], serde_json::json!(["en", "zh-Hans"]), "{}", answer.body);
    assert_eq!(state.backend().num_articles().expect("count"), 0);

    // Raw bytes that are not even ASCII never reach a handler: the HTTP layer refuses them.
    let mut server = Server::start(read_only(ServerConfig::default()));
    let (status, _) = raw_request(
        server.address,
        b"GET /search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 400, "help: raw non-ASCII bytes in the request line are a 400");
    server.stop();
}

#[tokio::test]
async fn empty_queries_are_400s() {
    let state = read_only(ServerConfig::default());
    for uri in [
        "/search",
        "/search?q",
        "/search?q=",
        "/search?q=+++",
        "/search?q=%E3%80%80%09%0A",
        "/search?query=&limit=3",
        "/search?q=tariff&q=",
    ] {
        let answer = get(&state, uri).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "q", uri);
    }
    for query in ["-", "\"\"", "\"", "OR", "-😀"] {
        let answer = get(&state, &format!("/search?q={}", encode(query))).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "nothing searchable", query);
    }
    for query in ["title:", "，。！", "-tariff"] {
        let answer = get(&state, &format!("/search?q={}", encode(query))).await;
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::BAD_REQUEST,
            "{query}: {}",
            answer.body
        );
        assert!(
            answer.status == StatusCode::OK || answer.code() == "invalid_query",
            "{query}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn ids_with_slashes_dots_and_escapes_stay_data() {
    let state = writable(ServerConfig::default());
    // Nothing stored yet: every spelling is a JSON 404, never a file or another route.
    for uri in [
        "/articles/%2e%2e",
        "/articles/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/articles/..%2F..%2Fstats",
        "/articles/%2F",
        "/articles/%252F",
        "/articles/%00",
        "/articles/..",
        "/articles/.",
        "/articles/../stats",
        "/articles/%2e%2e/stats",
        "/articles//",
        "/articles/",
    ] {
        let answer = get(&state, uri).await;
        assert_error(&answer, StatusCode::NOT_FOUND, "", uri);
    }
    let long_id = "x".repeat(newsdex::MAX_ID_BYTES + 1);
    let answer = get(&state, &format!("/articles/{long_id}")).await;
    assert!(answer.status.is_client_error() && !answer.code().is_empty(), "{}", answer.body);
    for uri in ["/articles/%FF", "/articles/%C3%28", "/articles/a%E4%B8"] {
        let answer = get(&state, uri).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "the article id in the path is not UTF-8", uri);
    }

    let ids = ["..", "../..", "/", "%2F", "%2e%2e", "a/../b", "."];
    let body: Vec<_> =
        ids.iter().map(|id| serde_json::json!({"id": id, "title": format!("title {id}")})).collect();
    let answer =
        post_articles(&state, "/articles", "application/json", &serde_json::to_string(&body).expect("json"))
            .await;
    assert_eq!(answer.body["indexed"], ids.len(), "{}", answer.body);
    // Each id is reached by its percent-encoding, in either case of hex digit, and only by it.
    for id in ids {
        let lower_hex = encode(id).split('%').enumerate().fold(String::new(), |mut uri, (index, piece)| {
            if index > 0 {
                uri.push('%');
                uri.push_str(&piece[..2].to_lowercase());
                uri.push_str(&piece[2..]);
            } else {
                uri.push_str(piece);
            }
            uri
        });
        for uri in [format!("/articles/{}", encode(id)), format!("/articles/{lower_hex}")] {
            let answer = get(&state, &uri).await;
            assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
            assert_eq!(answer.body["id"], id, "help: {uri} must read the article {id:?}");
        }
    }
    assert_eq!(get(&state, "/articles/%2e%2e").await.body["id"], "..");
    assert_eq!(
        get(&state, "/articles/%252e%252e").await.body["id"],
        "%2e%2e",
        "help: decoded once, not twice"
    );
    let delete = Request::delete("/articles/%2e%2e")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(call(&state, delete).await.status, StatusCode::OK);
    assert_eq!(
        state.backend().num_articles().expect("count"),
        ids.len() as u64 - 1,
        "help: deleting .. must delete only .."
    );
    assert!(state.backend().get("../..").expect("get").is_some());
}

/// Sends `request` as is on a new connection and reads the answer: status and body. The
/// server may answer and close before reading all of a large request, so a failed write
/// is not an error.
fn raw_request(address: std::net::SocketAddr, request: &[u8]) -> (u16, String) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
    let _ = stream.write_all(request);
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    // A reset after the answer (the server closed with our bytes unread) ends the read.
    while let Ok(read) = std::io::Read::read(&mut stream, &mut buffer) {
        if read == 0 {
            break;
        }
        raw.extend_from_slice(&buffer[..read]);
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}
