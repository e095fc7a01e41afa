//! Prometheus metrics, kept in a few maps and atomics and rendered by hand in the text
//! exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use newsdex::{CommitInfo, WriteState};

use crate::AppState;

/// Upper bounds, in seconds, of the request latency buckets.
const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Upper bounds, in seconds, of the commit duration buckets.
const COMMIT_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// Upper bounds of the submissions-per-commit buckets.
const GROUP_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// A cumulative histogram over fixed buckets.
#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, counts: vec![0; bounds.len()], sum: 0.0, count: 0 }
    }

    fn observe(&mut self, value: f64) {
        if let Some(bucket) = self.bounds.iter().position(|&bound| value <= bound) {
            self.counts[bucket] += 1;
        }
        self.sum += value;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let separator = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Labels of one request series: the route template (never the raw path, which would
/// make a series per article id), the method and the status.
type RequestKey = (String, String, u16);

/// Everything the server counts.
#[derive(Debug)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<RequestKey, u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    in_flight: AtomicU64,
    shed: AtomicU64,
    articles_indexed: AtomicU64,
    articles_rejected: AtomicU64,
    articles_deleted: AtomicU64,
    commits: Mutex<CommitMetrics>,
}

#[derive(Debug)]
struct CommitMetrics {
    succeeded: u64,
    failed: u64,
    duration: Histogram,
    submissions: Histogram,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        Metrics {
            requests: Mutex::new(BTreeMap::new()),
            latency: Mutex::new(BTreeMap::new()),
            in_flight: AtomicU64::new(0),
            shed: AtomicU64::new(0),
            articles_indexed: AtomicU64::new(0),
            articles_rejected: AtomicU64::new(0),
            articles_deleted: AtomicU64::new(0),
            commits: Mutex::new(CommitMetrics {
                succeeded: 0,
                failed: 0,
                duration: Histogram::new(&COMMIT_BUCKETS),
                submissions: Histogram::new(&GROUP_BUCKETS),
            }),
        }
    }

    fn record_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        *lock(&self.requests).entry((route.to_string(), method.to_string(), status)).or_insert(0) += 1;
        lock(&self.latency)
            .entry((route.to_string(), method.to_string()))
            .or_insert_with(|| Histogram::new(&LATENCY_BUCKETS))
            .observe(elapsed.as_secs_f64());
    }

    pub(crate) fn record_shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_written(&self, indexed: u64, rejected: u64, deleted: u64) {
        self.articles_indexed.fetch_add(indexed, Ordering::Relaxed);
        self.articles_rejected.fetch_add(rejected, Ordering::Relaxed);
        self.articles_deleted.fetch_add(deleted, Ordering::Relaxed);
    }

    pub(crate) fn record_commit(&self, commit: &CommitInfo) {
        let mut commits = lock(&self.commits);
        if commit.succeeded {
            commits.succeeded += 1;
        } else {
            commits.failed += 1;
        }
        commits.duration.observe(commit.duration.as_secs_f64());
        commits.submissions.observe(commit.submissions as f64);
    }

    /// The text exposition, with the gauges read now (`articles`: counted by the backend,
    /// `None` when it does not answer).
    pub(crate) fn render(&self, state: &AppState, articles: Option<u64>) -> String {
        let mut out = String::with_capacity(8192);
        let family = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
        };

        family(
            &mut out,
            "newsdex_http_requests_total",
            "counter",
            "HTTP requests answered, by route, method and status.",
        );
        for ((route, method, status), count) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "newsdex_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
                escape(route),
                escape(method)
            );
        }
        family(
            &mut out,
            "newsdex_http_request_duration_seconds",
            "histogram",
            "Time to answer HTTP requests, by route and method.",
        );
        for ((route, method), histogram) in lock(&self.latency).iter() {
            let labels = format!("route=\"{}\",method=\"{}\"", escape(route), escape(method));
            histogram.render(&mut out, "newsdex_http_request_duration_seconds", &labels);
        }
        family(&mut out, "newsdex_http_requests_in_flight", "gauge", "HTTP requests being answered now.");
        let _ = writeln!(out, "newsdex_http_requests_in_flight {}", self.in_flight.load(Ordering::Relaxed));
        family(
            &mut out,
            "newsdex_http_requests_shed_total",
            "counter",
            "Requests answered 503 because the concurrency limit was reached.",
        );
        let _ = writeln!(out, "newsdex_http_requests_shed_total {}", self.shed.load(Ordering::Relaxed));

        for (name, help, counter) in [
            (
                "newsdex_articles_indexed_total",
                "Articles written (upserted) and committed.",
                &self.articles_indexed,
            ),
            ("newsdex_articles_rejected_total", "Articles rejected as invalid.", &self.articles_rejected),
            ("newsdex_articles_deleted_total", "Articles deleted and committed.", &self.articles_deleted),
        ] {
            family(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
        }

        {
            let commits = lock(&self.commits);
            family(&mut out, "newsdex_commits_total", "counter", "Commits of the index, by outcome.");
            let _ = writeln!(out, "newsdex_commits_total{{outcome=\"succeeded\"}} {}", commits.succeeded);
            let _ = writeln!(out, "newsdex_commits_total{{outcome=\"failed\"}} {}", commits.failed);
            family(
                &mut out,
                "newsdex_commit_duration_seconds",
                "histogram",
                "Time to apply a group of writes and commit it durably.",
            );
            commits.duration.render(&mut out, "newsdex_commit_duration_seconds", "");
            family(
                &mut out,
                "newsdex_commit_group_submissions",
                "histogram",
                "Write requests grouped into one commit.",
            );
            commits.submissions.render(&mut out, "newsdex_commit_group_submissions", "");
        }

        family(&mut out, "newsdex_backend_up", "gauge", "1 when the search backend answers, else 0.");
        let _ = writeln!(out, "newsdex_backend_up {}", u8::from(articles.is_some()));
        family(&mut out, "newsdex_index_articles", "gauge", "Articles visible to searches.");
        if let Some(articles) = articles {
            let _ = writeln!(out, "newsdex_index_articles {articles}");
        }
        family(&mut out, "newsdex_writer_up", "gauge", "1 when the server accepts writes, else 0.");
        let writer_up = state.writes_enabled() && state.backend().writes() == WriteState::Accepting;
        let _ = writeln!(out, "newsdex_writer_up {}", u8::from(writer_up));
        family(&mut out, "newsdex_uptime_seconds", "gauge", "Seconds since the server started.");
        let _ = writeln!(out, "newsdex_uptime_seconds {:.3}", state.started().elapsed().as_secs_f64());
        family(
            &mut out,
            "newsdex_build_info",
            "gauge",
            "The server's version, its backend and the index's analyzer.",
        );
        let analyzer = state.backend().analyzer().identity().to_string();
        let _ = writeln!(
            out,
            "newsdex_build_info{{version=\"{}\",backend=\"{}\",analyzer=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            state.backend().name(),
            escape(&analyzer)
        );
        out
    }
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Middleware: counts every request by route template and status, and times it.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let method = request.method().as_str().to_string();
    let metrics = state.metrics();
    let started = std::time::Instant::now();
    let response = {
        // Decrements even when the client goes away and the request is dropped.
        let _in_flight = InFlight::enter(&metrics.in_flight);
        next.run(request).await
    };
    metrics.record_request(&route, &method, response.status().as_u16(), started.elapsed());
    response
}

/// Counts a request in flight while alive.
struct InFlight<'a>(&'a AtomicU64);

impl<'a> InFlight<'a> {
    fn enter(gauge: &'a AtomicU64) -> InFlight<'a> {
        gauge.fetch_add(1, Ordering::Relaxed);
        InFlight(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_with_sum_and_count() {
        let mut histogram = Histogram::new(&GROUP_BUCKETS);
        for value in [1.0, 3.0, 3.0, 500.0] {
            histogram.observe(value);
        }
        let mut out = String::new();
        histogram.render(&mut out, "h", "a=\"b\"");
        assert!(out.contains("h_bucket{a=\"b\",le=\"1\"} 1\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"b\",le=\"4\"} 3\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"b\",le=\"128\"} 3\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"b\",le=\"+Inf\"} 4\n"), "{out}");
        assert!(out.contains("h_sum{a=\"b\"} 507\n") && out.contains("h_count{a=\"b\"} 4\n"), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
