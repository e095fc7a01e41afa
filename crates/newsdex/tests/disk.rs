//! Disks that fill up or turn read-only: clear errors, and what was committed survives.
//!
//! These tests mount small tmpfs file systems, which needs privileges; without them they
//! skip with a message.

use std::path::{Path, PathBuf};
use std::process::Command;

use newsdex::{Analyzer, Article, NewsIndex, SearchRequest, WriterSettings};

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount {
    path: PathBuf,
    _parent: tempfile::TempDir,
}

impl Mount {
    fn tmpfs(size: &str) -> Option<Mount> {
        let parent = tempfile::tempdir().ok()?;
        let path = parent.path().join("mnt");
        std::fs::create_dir(&path).ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .is_ok_and(|output| output.status.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (needs privileges)");
            return None;
        }
        Some(Mount { path, _parent: parent })
    }

    fn remount(&self, options: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.path)
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// An article of `sentences` sentences of varied characters (so it does not compress
/// away), mentioning 经济 once.
fn article(number: usize, sentences: usize) -> Article {
    let mut state = number as u64 + 1;
    let mut body = String::from("经济数据显示增长放缓。");
    for _ in 0..sentences * 20 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        body.push(char::from_u32(0x4E00 + (state >> 33) as u32 % 20_000).unwrap_or('中'));
    }
    Article { id: format!("a{number}"), title: format!("第{number}篇 报道"), body, ..Article::default() }
}

fn settings() -> WriterSettings {
    WriterSettings::new(1, 20 << 20)
}

fn build(path: &Path, articles: usize) -> NewsIndex {
    let index = NewsIndex::create(path, Analyzer::new()).expect("create");
    let mut writer = index.writer(settings()).expect("writer");
    for number in 0..articles {
        writer.upsert(&article(number, 2)).expect("upsert");
    }
    writer.commit().expect("commit");
    writer.finish().expect("finish");
    index
}

#[test]
fn a_full_disk_is_a_clear_error_and_keeps_the_last_commit() {
    let Some(mount) = Mount::tmpfs("3m") else { return };
    let path = mount.path.join("index");
    build(&path, 20);
    let index = NewsIndex::open(&path).expect("open");
    let mut writer = index.writer(settings()).expect("writer");
    let mut failure = None;
    for number in 20..4000 {
        if let Err(error) = writer.upsert(&article(number, 40)) {
            failure = Some(error);
            break;
        }
        if number % 200 == 0
            && let Err(error) = writer.commit()
        {
            failure = Some(error);
            break;
        }
    }
    let failure = failure.or_else(|| writer.commit().err()).expect("help: 3 MB cannot hold this much");
    let message = failure.to_string();
    assert!(message.contains("space"), "help: the error must say the disk is full: {message}");
    drop(writer);
    let reopened = NewsIndex::open(&path).expect("help: a full disk must not corrupt the index");
    assert!(reopened.num_articles() >= 20, "help: the first commit must survive");
    assert!(reopened.get("a0").expect("get").is_some());
    assert!(reopened.search(&SearchRequest::new("经济")).expect("search").total >= 20);
}

#[test]
fn a_read_only_index_searches_and_refuses_writes_clearly() {
    let Some(mount) = Mount::tmpfs("16m") else { return };
    let path = mount.path.join("index");
    build(&path, 30);
    assert!(mount.remount("ro"), "help: remount read-only failed");
    let index = NewsIndex::open(&path).expect("help: a read-only index must still open for searching");
    assert_eq!(index.search(&SearchRequest::new("经济")).expect("search").total, 30);
    let refused = index.writer(settings()).err().expect("help: writing to a read-only disk must fail");
    let message = refused.to_string();
    assert!(message.contains("read-only"), "help: the error must say why: {message}");
    assert!(mount.remount("rw"));
    let index = NewsIndex::open(&path).expect("open");
    assert_eq!(index.num_articles(), 30, "help: nothing was lost");
}
