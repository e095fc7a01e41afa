//! Progress for long builds: a bar on a terminal, periodic plain lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often plain progress lines are printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Reports bytes and articles processed, to stderr.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    quiet: bool,
    unit: &'static str,
}

impl Progress {
    /// Progress over `total_bytes` of input (`None` when unknown, as on stdin). `quiet`
    /// silences the plain lines (for `--json`).
    pub fn new(total_bytes: Option<u64>, quiet: bool) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total_bytes {
                Some(total) => ProgressBar::new(total),
                None => ProgressBar::new_spinner(),
            };
            let template = if total_bytes.is_some() {
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {bytes} ({bytes_per_sec}) {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        });
        let now = Instant::now();
        Progress { bar, started: now, last_line: now, quiet, unit: "articles" }
    }

    /// Progress over `total` items (`unit`: what they are, plural). `quiet` silences the
    /// plain lines.
    pub fn counting(total: u64, unit: &'static str, quiet: bool) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let template = format!(
                "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{per_sec}}) {{msg}}"
            );
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style);
            }
            bar
        });
        let now = Instant::now();
        Progress { bar, started: now, last_line: now, quiet, unit }
    }

    /// Records that `done` items are finished and `bytes` sent in total.
    pub fn update_count(&mut self, done: u64, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            bar.set_message(format!("{:.1} MB sent", bytes as f64 / 1e6));
            return;
        }
        let Some(seconds) = self.plain_line_due() else { return };
        eprintln!(
            "progress: {done} {}, {:.1} MB sent in {seconds:.0} s ({:.0} {}/s)",
            self.unit,
            bytes as f64 / 1e6,
            done as f64 / seconds.max(1e-9),
            self.unit
        );
    }

    /// Records that `bytes` of input have been read in total and `articles` indexed.
    pub fn update(&mut self, bytes: u64, articles: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            bar.set_message(format!("{articles} articles"));
            return;
        }
        let Some(seconds) = self.plain_line_due() else { return };
        eprintln!(
            "progress: {articles} articles, {:.1} MB in {seconds:.0} s ({:.0} articles/s)",
            bytes as f64 / 1e6,
            articles as f64 / seconds.max(1e-9)
        );
    }

    /// Without a bar: the seconds since the start when a plain line is due (at most one
    /// every `PLAIN_EVERY`), else `None`.
    fn plain_line_due(&mut self) -> Option<f64> {
        if self.quiet || self.last_line.elapsed() < PLAIN_EVERY {
            return None;
        }
        self.last_line = Instant::now();
        Some(self.started.elapsed().as_secs_f64())
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
