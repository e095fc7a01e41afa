//! HTTP tests of the server: one binary, one module per concern.
//!
//! - `routes`: every route and every error status through `tower::ServiceExt::oneshot`.
//! - `hostile`: malformed bodies, wrong content types, oversized bodies, huge paging,
//!   bad dates, ids that look like paths, query strings that are not UTF-8.
//! - `socket`: real sockets on 127.0.0.1: group commit under concurrent writes, load
//!   shedding, the request timeout.
//! - `browser`: the search page driven in headless Chromium.
//! - `openapi`: the OpenAPI document against the router, real responses and the README.
//! - `quickwit`: the same API answered by the Quickwit backend, against a fake Quickwit
//!   on 127.0.0.1.

mod browser;
mod hostile;
mod openapi;
mod quickwit;
mod routes;
mod socket;

/// Helpers shared by the modules.
mod support {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::path::PathBuf;
    use std::sync::{Arc, OnceLock};
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode};
    use http_body_util::BodyExt;
    use newsdex::{
        Analyzer, IngestOptions, LocalBackend, NewsIndex, OnError, UserDictionary, WriterSettings,
    };
    use newsdex_server::{AppState, ServerConfig, router};
    use serde_json::Value;
    use tower::ServiceExt;

    pub const KEY: &str = "write-key";
    pub const READ_KEY: &str = "read-key";

    pub fn index_data() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../index-data")
    }

    /// The sample corpus in memory, built once for every test.
    pub fn sample_index() -> NewsIndex {
        static INDEX: OnceLock<NewsIndex> = OnceLock::new();
        INDEX
            .get_or_init(|| {
                let dictionary =
                    UserDictionary::from_path(index_data().join("userdict.txt")).expect("dictionary");
                let index =
                    NewsIndex::create_in_ram(Analyzer::with_user_dictionary(dictionary)).expect("index");
                let mut writer = index.writer(small_writer()).expect("writer");
                let file = std::fs::File::open(index_data().join("articles.jsonl")).expect("sample");
                let options = IngestOptions { on_error: OnError::Fail, ..IngestOptions::default() };
                writer.ingest_jsonl(std::io::BufReader::new(file), &options, &mut |_| {}).expect("ingest");
                writer.commit().expect("commit");
                index
            })
            .clone()
    }

    pub fn small_writer() -> WriterSettings {
        WriterSettings::new(1, 30 << 20)
    }

    /// An empty in-memory index with a writer, the write key and `config`'s other settings.
    pub fn writable(config: ServerConfig) -> AppState {
        let index = NewsIndex::create_in_ram(Analyzer::new()).expect("index");
        let config = ServerConfig { api_key: Some(KEY.to_string()), ..config };
        let backend = LocalBackend::with_writer(index, small_writer()).expect("writer");
        AppState::with_backend(Arc::new(backend)).with_config(config).expect("valid config")
    }

    /// The sample, read-only, with `config`.
    pub fn read_only(config: ServerConfig) -> AppState {
        AppState::new(sample_index()).with_config(config).expect("valid config")
    }

    /// A response: status, headers, and the body as JSON (or `Value::String` of the text).
    pub struct Answer {
        pub status: StatusCode,
        pub headers: HeaderMap,
        pub body: Value,
    }

    impl Answer {
        pub fn code(&self) -> &str {
            self.body["error"]["code"].as_str().unwrap_or("")
        }

        pub fn text(&self) -> &str {
            self.body.as_str().unwrap_or("")
        }
    }

    pub async fn call(state: &AppState, request: Request<Body>) -> Answer {
        let response = router(state.clone()).oneshot(request).await.expect("a response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Answer { status, headers, body }
    }

    pub async fn get(state: &AppState, uri: &str) -> Answer {
        call(state, Request::get(uri).body(Body::empty()).expect("request")).await
    }

    pub async fn get_with_key(state: &AppState, uri: &str, key: &str) -> Answer {
        let request = Request::get(uri)
            .header("authorization", format!("Bearer {key}"))
            .body(Body::empty())
            .expect("request");
        call(state, request).await
    }

    /// `POST uri` with the write key, `content_type` and `body`.
    pub async fn post_articles(state: &AppState, uri: &str, content_type: &str, body: &str) -> Answer {
        let request = Request::post(uri)
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", content_type)
            .body(Body::from(body.to_string()))
            .expect("request");
        call(state, request).await
    }

    /// Percent-encodes everything but ASCII letters and digits.
    pub fn encode(text: &str) -> String {
        text.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect()
    }

    /// A running server on 127.0.0.1:0, stopped (and its writer closed) on drop.
    pub struct Server {
        pub address: SocketAddr,
        pub state: AppState,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Server {
        pub fn start(state: AppState) -> Server {
            let (address_sender, address_receiver) = std::sync::mpsc::channel();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let app = router(state.clone());
            let thread = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                    address_sender.send(listener.local_addr().expect("address")).expect("send");
                    newsdex_server::serve(listener, app, async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
                });
            });
            let address = address_receiver.recv().expect("the server starts");
            Server { address, state, stop: Some(stop), thread: Some(thread) }
        }

        /// Stops accepting, finishes requests in flight, closes the writer.
        pub fn stop(&mut self) {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
            if let Some(thread) = self.thread.take() {
                thread.join().expect("the server thread ends cleanly");
            }
            self.state.close_writer().expect("the writer closes");
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            if self.thread.is_some() {
                self.stop();
            }
        }
    }

    /// One HTTP/1.1 exchange over a new connection: status and body.
    pub fn http(
        address: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(request.as_bytes()).expect("write");
        // A server may answer before reading the whole body (a request timeout on a busy
        // machine) and close: its answer is still there to read.
        if let Err(error) = stream.write_all(body) {
            let answered_early =
                matches!(error.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset);
            assert!(answered_early, "write body: {error}");
        }
        read_response(&mut stream)
    }

    /// Reads a whole response (the server closes the connection after it).
    pub fn read_response(stream: &mut TcpStream) -> (u16, String) {
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
        let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
        (status, if chunked { dechunk(body) } else { body.to_string() })
    }

    fn dechunk(mut body: &str) -> String {
        let mut out = String::new();
        while let Some((size, rest)) = body.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 || rest.len() < size {
                break;
            }
            out.push_str(&rest[..size]);
            body = rest[size..].trim_start_matches("\r\n");
        }
        out
    }
}
