//! The search page in headless Chromium, driven over the DevTools protocol: type a
//! Chinese query, see highlighted hits, click a facet, see the results narrow, page on.
//!
//! Skips with a message when Chromium is not installed, unless `NEWSDEX_REQUIRE_BROWSER`
//! is set (as `.ci/run` does after installing it), so CI cannot skip it silently.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use newsdex_server::ServerConfig;
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::support::{Server, read_only};

/// The Chromium binary: `NEWSDEX_CHROMIUM`, else the first of the usual names on `PATH`.
fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NEWSDEX_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|directory| directory.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A headless Chromium and a DevTools connection to one of its pages.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    page: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Browser {
    fn launch(binary: &PathBuf) -> Browser {
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=1280,1000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // Chromium prints its DevTools address on stderr; keep draining it afterwards.
        let stderr = child.stderr.take().expect("stderr");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(address) = line.split("DevTools listening on ").nth(1) {
                    let _ = sender.send(address.trim().to_string());
                }
            }
        });
        let browser_url = match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("chromium did not print its DevTools address within 60 s");
            }
        };
        let (mut browser, _) = tungstenite::connect(browser_url.as_str()).expect("connect to the browser");
        let target = command(&mut browser, &mut 1, "Target.createTarget", json!({ "url": "about:blank" }));
        let target_id = target["targetId"].as_str().expect("a target id").to_string();
        let port = browser_url.split(':').nth(2).and_then(|rest| rest.split('/').next()).expect("a port");
        let (page, _) =
            tungstenite::connect(format!("ws://127.0.0.1:{port}/devtools/page/{target_id}").as_str())
                .expect("connect to the page");
        Browser { child, _profile: profile, page, next_id: 1 }
    }

    fn send(&mut self, method: &str, params: Value) -> Value {
        command(&mut self.page, &mut self.next_id, method, params)
    }

    /// Evaluates `expression` in the page and returns its value.
    fn evaluate(&mut self, expression: &str) -> Value {
        let result = self.send(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("{expression} threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Polls `condition` until it is true, for at most 20 seconds.
    fn wait_for(&mut self, condition: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.evaluate(condition) == json!(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let state = self.evaluate("document.body ? document.body.outerHTML.slice(0, 3000) : ''");
        panic!("timed out waiting for {what}; the page: {state}");
    }

    /// A real mouse click at the centre of the element `selector` finds.
    fn click(&mut self, selector: &str) {
        let rect = self.evaluate(&format!(
            "(() => {{ const e = document.querySelector({selector:?}); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return {{x: r.x + r.width / 2, y: r.y + r.height / 2}}; }})()"
        ));
        let (x, y) = (rect["x"].as_f64().expect("x"), rect["y"].as_f64().expect("y"));
        self.send("Input.dispatchMouseEvent", json!({ "type": "mouseMoved", "x": x, "y": y }));
        for kind in ["mousePressed", "mouseReleased"] {
            self.send(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }

    /// Types `text` into the focused element and presses Enter.
    fn type_and_enter(&mut self, text: &str) {
        self.send("Input.insertText", json!({ "text": text }));
        let enter = json!({ "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13 });
        let mut down = enter.clone();
        down["type"] = json!("keyDown");
        down["text"] = json!("\r");
        self.send("Input.dispatchKeyEvent", down);
        let mut up = enter;
        up["type"] = json!("keyUp");
        self.send("Input.dispatchKeyEvent", up);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.page.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one DevTools command and waits for its answer, skipping events.
fn command(
    socket: &mut WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: &mut u64,
    method: &str,
    params: Value,
) -> Value {
    let id = *next_id;
    *next_id += 1;
    let message = json!({ "id": id, "method": method, "params": params }).to_string();
    socket.send(Message::text(message)).expect("send a DevTools command");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let message = socket.read().expect("a DevTools message");
        let Ok(text) = message.to_text() else { continue };
        let Ok(reply) = serde_json::from_str::<Value>(text) else { continue };
        if reply["id"] == json!(id) {
            if let Some(error) = reply.get("error") {
                panic!("{method} failed: {error}");
            }
            return reply["result"].clone();
        }
    }
    panic!("no answer to {method} within 30 s");
}

#[test]
fn the_page_searches_in_chinese_highlights_filters_and_pages() {
    let Some(chromium) = find_chromium() else {
        assert!(
            std::env::var_os("NEWSDEX_REQUIRE_BROWSER").is_none(),
            "NEWSDEX_REQUIRE_BROWSER is set but Chromium cannot be found"
        );
        eprintln!(
            "skipping the browser test: Chromium not found (install Debian's `chromium`, or set NEWSDEX_CHROMIUM)"
        );
        return;
    };
    let server = Server::start(read_only(ServerConfig::default()));
    let mut browser = Browser::launch(&chromium);
    browser.send("Page.enable", json!({}));
    browser.send("Page.navigate", json!({ "url": format!("http://{}/", server.address) }));
    browser.wait_for(
        "document.readyState === 'complete' && !!document.getElementById('q') && document.body.dataset.state === 'idle'",
        "the page to load",
    );

    // Type a Simplified Chinese query and press Enter.
    browser.evaluate("document.getElementById('q').focus()");
    browser.type_and_enter("半导体");
    browser.wait_for(
        "document.body.dataset.state === 'done' && document.querySelectorAll('.hit').length > 0",
        "results for 半导体",
    );
    let first = browser.evaluate(
        "({ total: Number(document.getElementById('status').dataset.total), \
            search: location.search, \
            hits: document.querySelectorAll('.hit').length, \
            titleMarks: [...document.querySelectorAll('.hit .title mark')].map(m => m.textContent), \
            snippetMarks: [...document.querySelectorAll('.hit .snippet mark')].map(m => m.textContent), \
            metas: [...document.querySelectorAll('.hit .meta')].map(m => m.textContent), \
            keyBoxShown: document.getElementById('key-box').offsetParent !== null, \
            pagerShown: document.getElementById('pager').offsetParent !== null, \
            facets: [...document.querySelectorAll('.facet[data-facet=lang]')].map(b => ({ value: b.dataset.value, count: Number(b.querySelector('.count').textContent) })) })",
    );
    let total = first["total"].as_u64().expect("a total");
    assert!(total >= 2, "{first}");
    assert!(
        first["search"].as_str().is_some_and(|s| s.contains("q=")),
        "help: the query belongs in the URL: {first}"
    );
    let marks: Vec<&str> =
        first["titleMarks"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(!marks.is_empty(), "help: titles must show highlights: {first}");
    assert!(
        marks.iter().all(|mark| ["半导体", "半導體"].contains(mark)),
        "help: highlights must be the query word, in either script: {first}"
    );
    assert!(
        marks.contains(&"半導體"),
        "help: a Traditional article is highlighted in its own script: {first}"
    );
    assert_eq!(
        first["keyBoxShown"],
        json!(false),
        "help: no key is needed, so the key box stays hidden: {first}"
    );
    assert_eq!(
        first["pagerShown"],
        json!(total > 10),
        "help: the pager shows only with more than a page: {first}"
    );
    assert!(first["snippetMarks"].as_array().is_some_and(|m| !m.is_empty()), "{first}");
    assert!(
        first["metas"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m.as_str().is_some_and(|m| m.contains("繁體中文"))),
        "help: each hit shows its language, source and date: {first}"
    );

    // Click the language facet that narrows the results.
    let facet = first["facets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|facet| facet["count"].as_u64().is_some_and(|count| count < total))
        .unwrap_or_else(|| panic!("help: the results should span languages: {first}"))
        .clone();
    let (value, count) =
        (facet["value"].as_str().expect("value").to_string(), facet["count"].as_u64().expect("count"));
    browser.click(&format!(".facet[data-facet=lang][data-value={value}]"));
    browser.wait_for(
        &format!(
            "document.body.dataset.state === 'done' && location.search.includes('lang={value}') && \
             Number(document.getElementById('status').dataset.total) === {count}"
        ),
        "the results to narrow",
    );
    let narrowed = browser.evaluate(
        "({ langs: [...document.querySelectorAll('.hit')].map(h => h.dataset.lang), \
            pressed: [...document.querySelectorAll('.facet[aria-pressed=true]')].map(b => b.dataset.value), \
            chips: [...document.querySelectorAll('#filters .chip')].map(c => c.dataset.value) })",
    );
    let langs: Vec<&str> =
        narrowed["langs"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(!langs.is_empty() && langs.iter().all(|lang| *lang == value), "{narrowed}");
    assert_eq!(narrowed["pressed"], json!([value]), "{narrowed}");
    assert_eq!(narrowed["chips"], json!([value]), "{narrowed}");

    // Clear the filter with its chip, then search English and page forward.
    browser.click("#filters .chip");
    browser.wait_for(
        &format!("document.body.dataset.state === 'done' && Number(document.getElementById('status').dataset.total) === {total}"),
        "the filter to clear",
    );
    browser.evaluate("document.getElementById('q').select()");
    browser.type_and_enter("market OR 市场");
    browser.wait_for(
        "document.body.dataset.state === 'done' && location.search.includes('market') && !document.getElementById('next').disabled",
        "a second page of results for market OR 市场",
    );
    let page_one: Value = browser.evaluate("[...document.querySelectorAll('.hit')].map(h => h.dataset.id)");
    // Fragments are joined by one ellipsis, never two (a cut fragment carries its own).
    let snippets: Value =
        browser.evaluate("[...document.querySelectorAll('.hit .snippet')].map(s => s.textContent)");
    let snippets: Vec<&str> = snippets.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(
        snippets.iter().filter(|s| s.contains('…')).count() >= 2,
        "help: some fragments are cut: {snippets:?}"
    );
    assert!(snippets.iter().all(|s| !s.contains("… …")), "{snippets:?}");
    browser.click("#next");
    browser.wait_for(
        "document.body.dataset.state === 'done' && document.getElementById('page-info').textContent.startsWith('2 /')",
        "page 2",
    );
    let page_two: Value = browser.evaluate("[...document.querySelectorAll('.hit')].map(h => h.dataset.id)");
    let page_one: Vec<_> = page_one.as_array().cloned().unwrap_or_default();
    let page_two: Vec<_> = page_two.as_array().cloned().unwrap_or_default();
    assert!(
        !page_two.is_empty() && page_two.iter().all(|id| !page_one.contains(id)),
        "{page_one:?} {page_two:?}"
    );

    // A misspelt word no article holds: the page shows the respelt query's results, says
    // so, and offers the word as typed; as typed it finds nothing and offers the respelling.
    browser.evaluate("document.getElementById('q').select()");
    browser.type_and_enter("inflaton");
    browser.wait_for(
        "document.body.dataset.state === 'done' && !document.getElementById('suggestion').hidden",
        "the results for the respelling of inflaton",
    );
    let respelt = browser.evaluate(
        "({ text: document.getElementById('suggestion').textContent, \
            suggested: document.getElementById('suggested').textContent, \
            asTyped: document.getElementById('as-typed').textContent, \
            insteadShown: !document.getElementById('instead').hidden, \
            hits: document.querySelectorAll('.hit').length })",
    );
    assert!(respelt["text"].as_str().is_some_and(|t| t.contains("Showing results for")), "{respelt}");
    assert_eq!(
        (&respelt["suggested"], &respelt["asTyped"]),
        (&json!("inflation"), &json!("inflaton")),
        "{respelt}"
    );
    assert!(respelt["insteadShown"] == json!(true) && respelt["hits"].as_u64() > Some(0), "{respelt}");
    browser.click("#as-typed");
    browser.wait_for(
        "document.body.dataset.state === 'done' && location.search.includes('as_typed=1') && \
         document.getElementById('status').dataset.total === '0' && \
         !document.getElementById('suggestion').hidden && document.getElementById('instead').hidden",
        "the query as typed, with a suggestion",
    );
    let did_you_mean = browser.evaluate("document.getElementById('suggestion').textContent");
    assert!(did_you_mean.as_str().is_some_and(|t| t.contains("Did you mean")), "{did_you_mean}");
    browser.click("#suggested");
    browser.wait_for(
        "document.body.dataset.state === 'done' && location.search.includes('q=inflation') && \
         !location.search.includes('as_typed') && document.getElementById('suggestion').hidden && \
         document.querySelectorAll('.hit').length > 0",
        "results for the suggestion",
    );
    assert_eq!(browser.evaluate("document.getElementById('q').value"), json!("inflation"));
}
