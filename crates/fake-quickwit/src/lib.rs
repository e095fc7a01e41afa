//! A fake Quickwit on 127.0.0.1 for tests: an HTTP server that answers the REST
//! endpoints newsdex uses, in their documented shapes, by running them on tantivy.
//!
//! It is an emulator, not Quickwit: every ingest request becomes a split, a tantivy index
//! built from the posted index config (the same field types, tokenizers, record options
//! and fieldnorms); `query_string` queries are parsed by tantivy's `QueryParser`, whose
//! grammar is the one Quickwit's query language is parsed with (`tantivy::query_grammar`);
//! each split is searched with its own BM25 statistics and the hits merged by score, as
//! Quickwit's leaf searches are; splits never merge; delete tasks apply at once (Quickwit's
//! apply asynchronously); every ingest request is committed.
//!
//! Tests can also script answers ([`FakeQuickwit::script`]) to replay recorded
//! responses or to fail, and read back every request ([`FakeQuickwit::requests`]).
//!
//! Endpoints: `POST /api/v1/indexes`, `GET` and `DELETE /api/v1/indexes/{id}`,
//! `GET /api/v1/indexes/{id}/describe`, `POST /api/v1/{id}/ingest`,
//! `POST /api/v1/{id}/delete-tasks`, `POST /api/v1/_elastic/{id}/_search` (`match_all`,
//! `query_string`, `term`, `range`, `bool`; sorts; terms aggregations). It is test support for newsdex's crates, not published.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{Map, Value, json};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, FieldType, IndexRecordOption, NumericOptions, OwnedValue, Schema,
    TextFieldIndexing, TextOptions, Value as _,
};
use tantivy::{DateTime, DocAddress, Index, IndexWriter, Score, TantivyDocument, Term};

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`…
    pub method: String,
    /// The path, percent-decoded.
    pub path: String,
    /// The query string, percent-decoded.
    pub query: String,
    /// The body as text.
    pub body: String,
}

/// A scripted answer: the next request whose method and path start match gets it
/// instead of the emulated one. `apply` also runs the emulated request first (its answer
/// is discarded): a write that happened but whose acknowledgement was lost.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// The method to match.
    pub method: &'static str,
    /// A part of the path to match.
    pub path_contains: &'static str,
    /// The status answered.
    pub status: u16,
    /// The body answered.
    pub body: String,
    /// Whether the emulated request runs too (its answer discarded).
    pub apply: bool,
}

struct EmulatedIndex {
    config: Value,
    schema: Schema,
    splits: Vec<Index>,
    opstamp: u64,
}

#[derive(Default)]
struct State {
    indexes: HashMap<String, EmulatedIndex>,
    requests: Vec<Recorded>,
    scripted: VecDeque<Scripted>,
}

/// The fake server; stops when dropped.
pub struct FakeQuickwit {
    /// The base address, `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    address: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl FakeQuickwit {
    /// Starts a fake on a free port of 127.0.0.1.
    pub fn start() -> FakeQuickwit {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free local port");
        let address = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve_one(stream, &state);
                    }
                }
            })
        };
        FakeQuickwit { url: format!("http://{address}"), state, stop, address, thread: Some(thread) }
    }

    /// Queues a scripted answer.
    pub fn script(&self, scripted: Scripted) {
        self.state.lock().expect("state").scripted.push_back(scripted);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("state").requests.clone()
    }

    /// How many live documents of `index_id` have `id` (0 when the index is missing).
    pub fn copies_of(&self, index_id: &str, id: &str) -> usize {
        let state = self.state.lock().expect("state");
        let Some(emulated) = state.indexes.get(index_id) else { return 0 };
        let Ok(field) = emulated.schema.get_field("id") else { return 0 };
        let query = TermQuery::new(Term::from_field_text(field, id), IndexRecordOption::Basic);
        emulated
            .splits
            .iter()
            .filter_map(|split| split.reader().ok())
            .map(|reader| reader.searcher().search(&query, &Count).unwrap_or(0))
            .sum()
    }
}

impl Drop for FakeQuickwit {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_one(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() || request_line.trim().is_empty() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    let recorded = Recorded {
        method,
        path: percent_decode(path),
        query: percent_decode(query),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let (status, answer) = {
        let mut state = state.lock().expect("state");
        state.requests.push(recorded.clone());
        let scripted_at = state
            .scripted
            .iter()
            .position(|s| s.method == recorded.method && recorded.path.contains(s.path_contains));
        match scripted_at.and_then(|at| state.scripted.remove(at)) {
            Some(scripted) => {
                if scripted.apply {
                    let _ = route(&mut state, &recorded);
                }
                (scripted.status, scripted.body)
            }
            None => match route(&mut state, &recorded) {
                Ok((status, value)) => (status, value.to_string()),
                Err((status, message)) => (status, json!({ "message": message }).to_string()),
            },
        }
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        answer.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(answer.as_bytes());
    let _ = stream.flush();
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && index + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[index + 1..index + 3], 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(if bytes[index] == b'+' { b' ' } else { bytes[index] });
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type Answer = Result<(u16, Value), (u16, String)>;

fn route(state: &mut State, request: &Recorded) -> Answer {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["api", "v1", "indexes"]) => create_index(state, &request.body),
        ("GET", ["api", "v1", "indexes", index_id]) => match state.indexes.get(*index_id) {
            Some(emulated) => Ok((
                200,
                json!({"version": "0.8", "index_uid": format!("{index_id}:01"), "index_config": emulated.config}),
            )),
            None => Err((404, format!("index `{index_id}` not found"))),
        },
        ("GET", ["api", "v1", "indexes", index_id, "describe"]) => match state.indexes.get(*index_id) {
            Some(emulated) => Ok((200, describe(index_id, emulated))),
            None => Err((404, format!("index `{index_id}` not found"))),
        },
        ("DELETE", ["api", "v1", "indexes", index_id]) => match state.indexes.remove(*index_id) {
            Some(_) => Ok((200, json!([]))),
            None => Err((404, format!("index `{index_id}` not found"))),
        },
        ("POST", ["api", "v1", index_id, "ingest"]) => ingest(emulated(state, index_id)?, &request.body),
        ("POST", ["api", "v1", index_id, "delete-tasks"]) => {
            delete_task(emulated(state, index_id)?, &request.body)
        }
        ("POST", ["api", "v1", "_elastic", index_id, "_search"]) => {
            search(emulated(state, index_id)?, &request.body)
        }
        _ => Err((404, format!("no route for {} {}", request.method, request.path))),
    }
}

/// `GET /api/v1/indexes/{id}/describe`: the fields rest-api.md documents.
fn describe(index_id: &str, emulated: &EmulatedIndex) -> Value {
    let mut documents = 0u64;
    let mut bytes = 0u64;
    for split in &emulated.splits {
        if let Ok(reader) = split.reader() {
            let searcher = reader.searcher();
            documents += searcher.num_docs();
            bytes += searcher.space_usage().map(|usage| usage.total().get_bytes()).unwrap_or(0);
        }
    }
    json!({
        "index_id": index_id,
        "index_uri": format!("ram:///indexes/{index_id}"),
        "num_published_splits": emulated.splits.len(),
        "size_published_splits": bytes,
        "num_published_docs": documents,
        "size_published_docs_uncompressed": bytes,
        "timestamp_field_name": null,
        "min_timestamp": null,
        "max_timestamp": null,
    })
}

fn emulated<'a>(state: &'a mut State, index_id: &str) -> Result<&'a mut EmulatedIndex, (u16, String)> {
    state.indexes.get_mut(index_id).ok_or_else(|| (404, format!("index `{index_id}` not found")))
}

fn bad(message: impl ToString) -> (u16, String) {
    (400, message.to_string())
}

fn create_index(state: &mut State, body: &str) -> Answer {
    let config: Value = serde_json::from_str(body).map_err(bad)?;
    let index_id = config["index_id"].as_str().ok_or_else(|| bad("missing index_id"))?.to_string();
    if state.indexes.contains_key(&index_id) {
        return Err(bad(format!("index `{index_id}` already exists")));
    }
    let mut builder = Schema::builder();
    let mappings = config
        .pointer("/doc_mapping/field_mappings")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no field_mappings"))?;
    for mapping in mappings {
        let name = mapping["name"].as_str().ok_or_else(|| bad("field without name"))?;
        let flag = |key: &str, default: bool| mapping.get(key).and_then(Value::as_bool).unwrap_or(default);
        match mapping["type"].as_str() {
            Some("text") => {
                let mut options = TextOptions::default();
                if flag("indexed", true) {
                    let record = match mapping.get("record").and_then(Value::as_str).unwrap_or("basic") {
                        "basic" => IndexRecordOption::Basic,
                        "freq" => IndexRecordOption::WithFreqs,
                        "position" => IndexRecordOption::WithFreqsAndPositions,
                        other => return Err(bad(format!("unknown record option {other}"))),
                    };
                    let tokenizer = mapping.get("tokenizer").and_then(Value::as_str).unwrap_or("default");
                    options = options.set_indexing_options(
                        TextFieldIndexing::default()
                            .set_tokenizer(tokenizer)
                            .set_index_option(record)
                            .set_fieldnorms(flag("fieldnorms", false)),
                    );
                }
                if flag("stored", true) {
                    options = options.set_stored();
                }
                if flag("fast", false) {
                    options = options.set_fast("raw");
                }
                builder.add_text_field(name, options);
            }
            Some("datetime") => {
                let mut options = DateOptions::default().set_precision(DateTimePrecision::Seconds);
                if flag("indexed", true) {
                    options = options.set_indexed();
                }
                if flag("stored", true) {
                    options = options.set_stored();
                }
                if flag("fast", false) {
                    options = options.set_fast();
                }
                builder.add_date_field(name, options);
            }
            Some("u64") => {
                let mut options = NumericOptions::default();
                if flag("indexed", true) {
                    options = options.set_indexed();
                }
                if flag("stored", true) {
                    options = options.set_stored();
                }
                if flag("fast", false) {
                    options = options.set_fast();
                }
                builder.add_u64_field(name, options);
            }
            other => return Err(bad(format!("the fake does not emulate field type {other:?}"))),
        }
    }
    let emulated =
        EmulatedIndex { config: config.clone(), schema: builder.build(), splits: Vec::new(), opstamp: 0 };
    state.indexes.insert(index_id.clone(), emulated);
    Ok((
        200,
        json!({"version": "0.8", "index_uid": format!("{index_id}:01"), "index_config": config, "checkpoint": {}, "sources": []}),
    ))
}

fn ingest(emulated: &mut EmulatedIndex, body: &str) -> Answer {
    let schema = emulated.schema.clone();
    let split = Index::create_in_ram(schema.clone());
    let mut writer: IndexWriter = split.writer(20_000_000).map_err(|error| (500, error.to_string()))?;
    let mut ingested = 0u64;
    let mut failures = Vec::new();
    let lines: Vec<&str> = body.lines().filter(|line| !line.trim().is_empty()).collect();
    for line in &lines {
        let object: Map<String, Value> = match serde_json::from_str(line) {
            Ok(object) => object,
            Err(error) => {
                failures
                    .push(json!({"message": error.to_string(), "reason": "invalid_json", "document": line}));
                continue;
            }
        };
        if let Some(unknown) = object.keys().find(|key| schema.get_field(key).is_err()) {
            failures.push(json!({"message": format!("field `{unknown}` is not mapped (strict mode)"), "reason": "invalid_schema", "document": line}));
            continue;
        }
        match TantivyDocument::from_json_object(&schema, object) {
            Ok(document) => {
                writer.add_document(document).map_err(|error| (500, error.to_string()))?;
                ingested += 1;
            }
            Err(error) => failures
                .push(json!({"message": error.to_string(), "reason": "invalid_schema", "document": line})),
        }
    }
    writer.commit().map_err(|error| (500, error.to_string()))?;
    if ingested > 0 {
        emulated.splits.push(split);
    }
    Ok((
        200,
        json!({
            "num_docs_for_processing": lines.len(),
            "num_ingested_docs": ingested,
            "num_rejected_docs": failures.len(),
            "parse_failures": failures,
        }),
    ))
}

fn delete_task(emulated: &mut EmulatedIndex, body: &str) -> Answer {
    let request: Value = serde_json::from_str(body).map_err(bad)?;
    let text = request["query"].as_str().ok_or_else(|| bad("missing query"))?;
    for split in &emulated.splits {
        let parser = QueryParser::for_index(split, Vec::new());
        let query = parser
            .parse_query(text)
            .map_err(|error| bad(format!("failed to parse query `{text}`: {error}")))?;
        let mut writer: IndexWriter = split.writer(20_000_000).map_err(|error| (500, error.to_string()))?;
        writer.delete_query(query).map_err(|error| (500, error.to_string()))?;
        writer.commit().map_err(|error| (500, error.to_string()))?;
    }
    emulated.opstamp += 1;
    Ok((
        200,
        json!({"create_timestamp": 1_700_000_000, "opstamp": emulated.opstamp, "delete_query": request}),
    ))
}

fn es_query(index: &Index, value: &Value) -> Result<Box<dyn Query>, (u16, String)> {
    let schema = index.schema();
    let (kind, body) =
        value.as_object().and_then(|object| object.iter().next()).ok_or_else(|| bad("empty query"))?;
    let field = |name: &str| schema.get_field(name).map_err(|_| bad(format!("unknown field {name}")));
    match kind.as_str() {
        "match_all" => Ok(Box::new(AllQuery)),
        "query_string" => {
            let text = body["query"].as_str().ok_or_else(|| bad("query_string without query"))?;
            let mut parser = QueryParser::for_index(index, Vec::new());
            if body.get("default_operator").and_then(Value::as_str) == Some("AND") {
                parser.set_conjunction_by_default();
            }
            parser.parse_query(text).map_err(|error| bad(format!("failed to parse query `{text}`: {error}")))
        }
        "term" => {
            let (name, term) =
                body.as_object().and_then(|o| o.iter().next()).ok_or_else(|| bad("empty term"))?;
            let text = term.get("value").unwrap_or(term).as_str().ok_or_else(|| bad("term value"))?;
            Ok(Box::new(TermQuery::new(
                Term::from_field_text(field(name)?, text),
                IndexRecordOption::WithFreqs,
            )))
        }
        "range" => {
            let (name, bounds) =
                body.as_object().and_then(|o| o.iter().next()).ok_or_else(|| bad("empty range"))?;
            let date_field = field(name)?;
            let date = |key: &str| -> Result<Option<Term>, (u16, String)> {
                let Some(text) = bounds.get(key).and_then(Value::as_str) else { return Ok(None) };
                let instant =
                    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                        .map_err(|error| bad(format!("bad date {text}: {error}")))?;
                Ok(Some(Term::from_field_date(
                    date_field,
                    DateTime::from_timestamp_secs(instant.unix_timestamp()),
                )))
            };
            let lower = match (date("gte")?, date("gt")?) {
                (Some(term), _) => Bound::Included(term),
                (None, Some(term)) => Bound::Excluded(term),
                _ => Bound::Unbounded,
            };
            let upper = match (date("lte")?, date("lt")?) {
                (Some(term), _) => Bound::Included(term),
                (None, Some(term)) => Bound::Excluded(term),
                _ => Bound::Unbounded,
            };
            Ok(Box::new(RangeQuery::new(lower, upper)))
        }
        "bool" => {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (key, occur) in [
                ("must", Occur::Must),
                ("should", Occur::Should),
                ("must_not", Occur::MustNot),
                ("filter", Occur::Must),
            ] {
                let items = match body.get(key) {
                    Some(Value::Array(items)) => items.clone(),
                    Some(item @ Value::Object(_)) => vec![item.clone()],
                    _ => Vec::new(),
                };
                for item in items {
                    let query = es_query(index, &item)?;
                    let query: Box<dyn Query> =
                        if key == "filter" { Box::new(ConstScoreQuery::new(query, 0.0)) } else { query };
                    clauses.push((occur, query));
                }
            }
            Ok(Box::new(BooleanQuery::new(clauses)))
        }
        other => Err(bad(format!("the fake does not emulate {other} queries"))),
    }
}

/// A stored document as Quickwit returns it: one value per field, dates in RFC 3339.
fn source_of(schema: &Schema, document: &TantivyDocument) -> Value {
    let mut object = Map::new();
    for (field, entry) in schema.fields() {
        let Some(value) = document.get_first(field) else { continue };
        let json_value = match (entry.field_type(), value.as_value()) {
            (FieldType::Date(_), _) => {
                let seconds = value.as_datetime().map(|d| d.into_timestamp_secs()).unwrap_or(0);
                let instant = time::OffsetDateTime::from_unix_timestamp(seconds).expect("valid instant");
                Value::String(
                    instant.format(&time::format_description::well_known::Rfc3339).expect("rfc3339"),
                )
            }
            _ => match OwnedValue::from(value.as_value()) {
                OwnedValue::Str(text) => Value::String(text),
                OwnedValue::U64(number) => json!(number),
                other => Value::String(format!("{other:?}")),
            },
        };
        object.insert(entry.name().to_string(), json_value);
    }
    Value::Object(object)
}

fn search(emulated: &mut EmulatedIndex, body: &str) -> Answer {
    let request: Value = serde_json::from_str(body).map_err(bad)?;
    let schema = emulated.schema.clone();
    let from = request.get("from").and_then(Value::as_u64).unwrap_or(0) as usize;
    let size = request.get("size").and_then(Value::as_u64).unwrap_or(10) as usize;
    let sort: Vec<(String, bool)> = request
        .get("sort")
        .and_then(Value::as_array)
        .map(|criteria| {
            criteria
                .iter()
                .filter_map(|criterion| {
                    let (name, spec) = criterion.as_object()?.iter().next()?;
                    let descending =
                        spec.get("order").and_then(Value::as_str).map_or(name == "_score", |o| o == "desc");
                    Some((name.clone(), descending))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rows: Vec<(Vec<f64>, Value)> = Vec::new();
    let mut total = 0usize;
    let mut split_aggregations = Vec::new();
    for split in &emulated.splits {
        // Each split is searched on its own, with its own BM25 statistics.
        let query = match request.get("query") {
            Some(query) => es_query(split, query)?,
            None => Box::new(AllQuery),
        };
        let reader = split.reader().map_err(|error| (500, error.to_string()))?;
        reader.reload().map_err(|error| (500, error.to_string()))?;
        let searcher = reader.searcher();
        let everything = (searcher.num_docs() as usize).max(1);
        let (scored, count): (Vec<(Score, DocAddress)>, usize) = searcher
            .search(&query, &(TopDocs::with_limit(everything).order_by_score(), Count))
            .map_err(|error| (500, error.to_string()))?;
        total += count;
        for (score, address) in scored {
            let document: TantivyDocument =
                searcher.doc(address).map_err(|error| (500, error.to_string()))?;
            let source = source_of(&schema, &document);
            let keys = sort
                .iter()
                .map(|(name, _)| match name.as_str() {
                    "_score" => f64::from(score),
                    "date" => document
                        .get_first(field_of(&schema, "date"))
                        .and_then(|value| value.as_datetime())
                        .map_or(f64::MIN, |d| d.into_timestamp_secs() as f64 * 1000.0),
                    other => source.get(other).and_then(Value::as_f64).unwrap_or(f64::MIN),
                })
                .collect();
            rows.push((keys, source));
        }
        if let Some(aggs) = request.get("aggs") {
            let aggregations: Aggregations = serde_json::from_value(aggs.clone()).map_err(bad)?;
            let collector = AggregationCollector::from_aggs(
                aggregations,
                AggContextParams::new(AggregationLimitsGuard::default(), split.tokenizers().clone()),
            );
            let results = searcher.search(&query, &collector).map_err(|error| (500, error.to_string()))?;
            split_aggregations.push(serde_json::to_value(results).map_err(|error| (500, error.to_string()))?);
        }
    }
    if sort.is_empty() {
        // Quickwit's default order is by document, newest first, not by score.
        rows.reverse();
    } else {
        rows.sort_by(|a, b| {
            for (position, (_, descending)) in sort.iter().enumerate() {
                let ordering = a.0[position].total_cmp(&b.0[position]);
                let ordering = if *descending { ordering.reverse() } else { ordering };
                if ordering.is_ne() {
                    return ordering;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    let hits: Vec<Value> = rows
        .into_iter()
        .skip(from)
        .take(size)
        .map(|(keys, source)| json!({"_index": "fake", "_id": "", "_score": null, "_source": source, "sort": keys}))
        .collect();
    let mut answer = json!({
        "took": 1,
        "timed_out": false,
        "_shards": {"total": emulated.splits.len(), "successful": emulated.splits.len(), "skipped": 0, "failed": 0},
        "hits": {"total": {"value": total, "relation": "eq"}, "max_score": null, "hits": hits},
    });
    if let Some(aggs) = request.get("aggs") {
        answer["aggregations"] = merge_terms(aggs, &split_aggregations);
    }
    Ok((200, answer))
}

/// Terms aggregations of several splits merged: counts summed per key, ordered by count
/// (then key) or by key when the request says so, cut to the requested size.
fn merge_terms(request: &Value, per_split: &[Value]) -> Value {
    let mut merged = Map::new();
    let Some(names) = request.as_object() else { return Value::Object(merged) };
    for (name, spec) in names {
        let mut counts: HashMap<String, (Value, u64)> = HashMap::new();
        for split in per_split {
            for bucket in
                split.pointer(&format!("/{name}/buckets")).and_then(Value::as_array).into_iter().flatten()
            {
                let key = bucket["key"].clone();
                let entry = counts.entry(key.to_string()).or_insert((key, 0));
                entry.1 += bucket["doc_count"].as_u64().unwrap_or(0);
            }
        }
        let mut buckets: Vec<(Value, u64)> = counts.into_values().collect();
        let by_key_descending = spec.pointer("/terms/order/_key").and_then(Value::as_str) == Some("desc");
        buckets.sort_by(|a, b| {
            if by_key_descending {
                b.0.to_string().cmp(&a.0.to_string())
            } else {
                b.1.cmp(&a.1).then_with(|| a.0.to_string().cmp(&b.0.to_string()))
            }
        });
        let size = spec.pointer("/terms/size").and_then(Value::as_u64).unwrap_or(10) as usize;
        let buckets: Vec<Value> = buckets
            .into_iter()
            .take(size)
            .map(|(key, count)| json!({"key": key, "doc_count": count}))
            .collect();
        merged.insert(
            name.clone(),
            json!({"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": buckets}),
        );
    }
    Value::Object(merged)
}

fn field_of(schema: &Schema, name: &str) -> Field {
    schema.get_field(name).expect("a mapped field")
}
