//! Real sockets on 127.0.0.1: concurrent writes sharing commits, load shedding and the
//! request timeout.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use newsdex_server::ServerConfig;
use serde_json::Value;

use crate::support::{KEY, Server, encode, http, read_only, read_response, writable};

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

#[test]
fn concurrent_writes_share_commits_and_every_article_is_counted() {
    const CLIENTS: usize = 24;
    const REQUESTS: usize = 5;
    const ARTICLES: usize = 2;
    let server = Server::start(writable(ServerConfig::default()));
    let address = server.address;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            std::thread::spawn(move || {
                for request in 0..REQUESTS {
                    let body: String = (0..ARTICLES)
                        .map(|n| {
                            format!(
                                "{{\"id\":\"c{client}-r{request}-{n}\",\"title\":\"并发写入 concurrent write {client}\"}}\n"
                            )
                        })
                        .collect();
                    let (status, answer) = http(
                        address,
                        "POST",
                        "/articles",
                        &[("Authorization", &format!("Bearer {KEY}")), ("Content-Type", "application/x-ndjson")],
                        body.as_bytes(),
                    );
                    assert_eq!(status, 200, "{answer}");
                    let report: Value = serde_json::from_str(&answer).expect("json");
                    assert_eq!(report["indexed"], ARTICLES, "{answer}");
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("every client succeeds");
    }
    let total = CLIENTS * REQUESTS * ARTICLES;
    let (status, stats) = http(address, "GET", "/stats", &[], b"");
    assert_eq!(status, 200);
    let stats: Value = serde_json::from_str(&stats).expect("json");
    assert_eq!(stats["articles"], total, "help: every acknowledged article must be searchable");

    let (_, metrics) = http(address, "GET", "/metrics", &[], b"");
    assert_eq!(metric(&metrics, "newsdex_articles_indexed_total"), total as f64);
    let requests =
        metric(&metrics, "newsdex_http_requests_total{route=\"/articles\",method=\"POST\",status=\"200\"}");
    assert_eq!(requests, (CLIENTS * REQUESTS) as f64);
    let commits = metric(&metrics, "newsdex_commits_total{outcome=\"succeeded\"}");
    let grouped = metric(&metrics, "newsdex_commit_group_submissions_sum");
    assert_eq!(grouped, requests, "help: each request is in exactly one commit");
    assert!(commits >= 1.0 && commits <= requests, "{commits} commits for {requests} requests");
    eprintln!("{requests} write requests committed in {commits} commits");

    let query = encode("并发写入");
    let (_, search) = http(address, "GET", &format!("/search?q={query}&limit=0"), &[], b"");
    let search: Value = serde_json::from_str(&search).expect("json");
    assert_eq!(search["total"], total);
}

#[test]
fn requests_over_the_concurrency_limit_are_shed_with_503() {
    let server =
        Server::start(writable(ServerConfig { max_concurrent_requests: 1, ..ServerConfig::default() }));
    let address = server.address;
    // Holds the only permit: a write whose body never finishes arriving.
    let mut slow = TcpStream::connect(address).expect("connect");
    let head = format!(
        "POST /articles HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"id\":"
    );
    slow.write_all(head.as_bytes()).expect("write");
    // Wait until the server is answering it (the /metrics request itself is the other one).
    let mut in_flight = 0.0;
    for _ in 0..250 {
        let (_, metrics) = http(address, "GET", "/metrics", &[], b"");
        in_flight = metric(&metrics, "newsdex_http_requests_in_flight");
        if in_flight >= 2.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(in_flight >= 2.0, "help: the slow write never reached the server");
    let mut shed = None;
    for _ in 0..100 {
        let (status, body) = http(address, "GET", "/search?q=tariff", &[], b"");
        if status == 503 {
            shed = Some(body);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let body = shed.expect("help: a second request must be shed while the first holds the only permit");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["error"]["code"], "overloaded");
    // Health and metrics stay reachable under load.
    assert_eq!(http(address, "GET", "/health", &[], b"").0, 200);
    let (_, metrics) = http(address, "GET", "/metrics", &[], b"");
    assert!(metric(&metrics, "newsdex_http_requests_shed_total") >= 1.0);
    drop(slow);
    // Once the permit is free, requests are served again.
    let mut served = false;
    for _ in 0..100 {
        if http(address, "GET", "/search?q=tariff", &[], b"").0 != 503 {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(served, "help: the permit must be released when the client goes away");
}

#[test]
fn work_past_the_timeout_still_counts_against_the_limit() {
    let config = ServerConfig {
        request_timeout: Duration::from_millis(500),
        max_concurrent_requests: 1,
        max_body_bytes: 64 << 20,
        ..ServerConfig::default()
    };
    let server = Server::start(writable(config));
    let address = server.address;
    // A body whose parsing, on a blocking thread, runs far past the timeout, while its
    // upload ends well before it: the timeout also covers reading the body, and a request
    // timed out then has no work left to hold its place. Many tiny articles make parsing
    // long (about 2 s in a test build) for an upload of 24 MB (about 20 ms on 127.0.0.1).
    let lines: String = (0..ARTICLES_PARSED_PAST_THE_TIMEOUT)
        .map(|i| format!("{{\"id\":\"{i}\",\"body\":\"Port\"}}\n"))
        .collect();
    let started = std::time::Instant::now();
    let headers = [("Authorization", &*format!("Bearer {KEY}")), ("Content-Type", "application/x-ndjson")];
    let (status, body) = http(address, "POST", "/articles", &headers, lines.as_bytes());
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"timeout\""), "{body}");
    // The parsing goes on, and holds the only place: the next request is shed.
    let (status, body) = http(address, "GET", "/search?q=port", &[], b"");
    let answered = started.elapsed();
    assert_eq!(status, 503, "help: answered {answered:?} after the write was sent: {body}");
    assert!(body.contains("\"overloaded\""), "{body}");
    // Once it ends, requests are served again.
    let mut served = false;
    for _ in 0..300 {
        if http(address, "GET", "/search?q=port", &[], b"").0 == 200 {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(served, "help: the place must be given back when the work ends");
    assert_eq!(
        server.state.backend().num_articles().expect("count"),
        0,
        "help: a timed-out write is not made"
    );
}

/// Enough articles that parsing them takes seconds in a test build.
const ARTICLES_PARSED_PAST_THE_TIMEOUT: usize = 800_000;

#[test]
fn a_request_over_the_time_limit_is_a_503_timeout() {
    let config = ServerConfig { request_timeout: Duration::from_millis(300), ..ServerConfig::default() };
    let server = Server::start(read_only(config));
    let address = server.address;
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let head = format!(
        "POST /search HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 50\r\nConnection: close\r\n\r\n{{\"query\":"
    );
    stream.write_all(head.as_bytes()).expect("write");
    let (status, body) = read_response(&mut stream);
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["error"]["code"], "timeout");
}

#[test]
fn a_real_socket_serves_search() {
    let server = Server::start(read_only(ServerConfig::default()));
    let (status, body) =
        http(server.address, "GET", &format!("/search?q={}&limit=1", encode("华为 Mate")), &[], b"");
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).expect("json body");
    assert_eq!(json["hits"][0]["id"], "hans-tech-0001");
}
