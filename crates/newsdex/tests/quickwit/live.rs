//! Against a real Quickwit, when `NEWSDEX_QUICKWIT_URL` names one (e.g.
//! `http://127.0.0.1:7280`): exports the sample to a fresh index, compares the top 10 of
//! every query in [`QUERIES`](super::QUERIES) with the local backend, and deletes the
//! index. Skipped, with a message, when the variable is unset.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use newsdex::{ExportOptions, LocalBackend, QuickwitBackend, QuickwitClient, export_to_quickwit};

use super::compare;
use crate::support::{sample_analyzer, sample_index};

#[test]
fn live_quickwit_agrees_with_the_local_backend() {
    let Some(url) = std::env::var("NEWSDEX_QUICKWIT_URL").ok().filter(|url| !url.trim().is_empty()) else {
        eprintln!(
            "skipped: set NEWSDEX_QUICKWIT_URL to a running Quickwit (e.g. http://127.0.0.1:7280) to compare it \
             with the local backend"
        );
        return;
    };
    let client = QuickwitClient::with_timeout(&url, Duration::from_secs(120)).expect("a valid url");
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
    let index_id = format!("newsdex-live-test-{stamp}-{}", std::process::id());
    let report =
        export_to_quickwit(sample_index(), &client, &index_id, &ExportOptions::default(), &mut |_| {})
            .unwrap_or_else(|error| panic!("export to {url}: {error}"));
    assert_eq!(report.exported, sample_index().num_articles());
    let quickwit = QuickwitBackend::connect(client.clone(), &index_id, sample_analyzer()).expect("connects");
    let local = LocalBackend::new(sample_index().clone());
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compare(&local, &quickwit)));
    let deleted = client.delete_index(&index_id);
    let (mean, per_query, differences) = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    println!("LIVE quickwit at {url}: mean top-10 overlap {mean:.3} over {} queries", per_query.len());
    for (query, value) in &per_query {
        if *value < 1.0 {
            println!("  {value:.2}  {query}");
        }
    }
    assert!(mean >= 0.9, "help: mean top-10 overlap {mean:.3} < 0.9: {per_query:?}");
    assert!(differences.is_empty(), "help: snippets must be identical: {differences:#?}");
    assert!(deleted.expect("the test index is deleted"), "help: the test index was already gone");
}
