//! Which segments the writer merges: tantivy's log-sized levels, with no merge reading more
//! than a set number of bytes.
//!
//! A merge maps every file of its input segments and reads all of it, so while it runs the
//! process holds its whole input resident. Tantivy's log merge policy merges a level of
//! eight similar segments at once; at a million articles that is a gigabyte of input, far
//! past the writer's memory budget. Here each level the log policy picks is cut, smallest
//! segments first, into merges of at most the limit, and segments that cannot pair within
//! it stay as they are. With one merge thread ([`crate::WriterSettings`] asks for one), a
//! build's resident memory stays near the writer's budget plus the limit.

use std::path::Path;

use tantivy::SegmentMeta;
use tantivy::directory::{Directory, ManagedDirectory};
use tantivy::index::{SegmentComponent, SegmentId};
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// Tantivy's log merge policy with a limit on the bytes one merge reads.
#[derive(Debug)]
pub(crate) struct BoundedMergePolicy {
    levels: LogMergePolicy,
    directory: ManagedDirectory,
    max_merge_bytes: u64,
}

impl BoundedMergePolicy {
    pub(crate) fn new(directory: ManagedDirectory, max_merge_bytes: u64) -> BoundedMergePolicy {
        BoundedMergePolicy { levels: LogMergePolicy::default(), directory, max_merge_bytes }
    }

    /// The bytes of a segment's files (a file that cannot be opened counts nothing).
    fn segment_bytes(&self, segment: &SegmentMeta) -> u64 {
        let mut components = vec![
            SegmentComponent::Postings,
            SegmentComponent::Positions,
            SegmentComponent::FastFields,
            SegmentComponent::FieldNorms,
            SegmentComponent::Terms,
            SegmentComponent::Store,
        ];
        if segment.has_deletes() {
            components.push(SegmentComponent::Delete);
        }
        components
            .into_iter()
            .map(|component| file_bytes(&self.directory, &segment.relative_path(component)))
            .sum()
    }
}

fn file_bytes(directory: &ManagedDirectory, path: &Path) -> u64 {
    directory.get_file_handle(path).map_or(0, |handle| handle.len() as u64)
}

impl MergePolicy for BoundedMergePolicy {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        // Only the segments of the levels proposed are sized (their files opened).
        let size_of = |id: &SegmentId| {
            segments
                .iter()
                .find(|segment| segment.id() == *id)
                .map_or(0, |segment| self.segment_bytes(segment))
        };
        self.levels
            .compute_merge_candidates(segments)
            .into_iter()
            .flat_map(|MergeCandidate(level)| {
                let level = level.into_iter().map(|id| (size_of(&id), id)).collect();
                merges_of_level(level, self.max_merge_bytes)
            })
            .collect()
    }
}

/// The merges of one level (segments with their sizes, in the log policy's order): runs
/// of the smallest segments that fit within `limit`, each listed in the log policy's order
/// (most documents first), not by size. Tantivy hands the merged segment the pending
/// deletes of the first segment listed; with the newest, smallest segment first, a delete
/// issued around a commit while such a merge ran was never applied to the merged segment,
/// and an upserted article stayed twice (seen under load in `tests/crash.rs`).
fn merges_of_level(level: Vec<(u64, SegmentId)>, limit: u64) -> Vec<MergeCandidate> {
    let offered: Vec<SegmentId> = level.iter().map(|(_, id)| *id).collect();
    let mut by_size = level;
    by_size.sort_by_key(|(bytes, _)| *bytes);
    split_within(by_size, limit)
        .into_iter()
        .map(|MergeCandidate(mut run)| {
            run.sort_by_key(|id| offered.iter().position(|offered_id| offered_id == id));
            MergeCandidate(run)
        })
        .collect()
}

/// Cuts `level` (sorted by size, smallest first) into runs of at least two segments whose
/// sizes add up to at most `limit`.
fn split_within(level: Vec<(u64, SegmentId)>, limit: u64) -> Vec<MergeCandidate> {
    let mut merges = Vec::new();
    let mut run = Vec::new();
    let mut run_bytes = 0u64;
    for (bytes, id) in level {
        if run_bytes + bytes > limit {
            if run.len() >= 2 {
                merges.push(MergeCandidate(std::mem::take(&mut run)));
            }
            run.clear();
            run_bytes = 0;
            if bytes > limit {
                // Sorted by size: no later segment fits either.
                break;
            }
        }
        run.push(id);
        run_bytes += bytes;
    }
    if run.len() >= 2 {
        merges.push(MergeCandidate(run));
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(sizes: &[u64]) -> (Vec<(u64, SegmentId)>, Vec<SegmentId>) {
        let ids: Vec<SegmentId> = sizes.iter().map(|_| SegmentId::generate_random()).collect();
        (sizes.iter().copied().zip(ids.iter().copied()).collect(), ids)
    }

    fn runs(merges: Vec<MergeCandidate>) -> Vec<Vec<SegmentId>> {
        merges.into_iter().map(|MergeCandidate(run)| run).collect()
    }

    #[test]
    fn merges_list_their_segments_in_the_order_offered() {
        // Offered most documents first; the two smallest fit together.
        let (level, ids) = sized(&[300, 40, 900, 30]);
        assert_eq!(
            runs(merges_of_level(level, 100)),
            vec![vec![ids[1], ids[3]]],
            "help: the first segment listed decides which deletes the merged segment still owes"
        );
        let (level, ids) = sized(&[50, 40, 30, 20]);
        assert_eq!(runs(merges_of_level(level, 1000)), vec![ids]);
    }

    #[test]
    fn a_level_within_the_limit_merges_whole() {
        let (level, ids) = sized(&[10, 20, 30, 40]);
        assert_eq!(runs(split_within(level, 100)), vec![ids]);
    }

    #[test]
    fn a_level_past_the_limit_is_cut_into_runs_that_fit() {
        let (level, ids) = sized(&[100, 100, 120, 125, 125, 126, 127, 128]);
        assert_eq!(
            runs(split_within(level, 256)),
            vec![ids[0..2].to_vec(), ids[2..4].to_vec(), ids[4..6].to_vec(), ids[6..8].to_vec()]
        );
    }

    #[test]
    fn segments_that_cannot_pair_within_the_limit_stay() {
        // 90 + 200 and 200 + 210 are past the limit; 300 alone is past it.
        let (level, _) = sized(&[90, 200, 210, 300]);
        assert!(split_within(level, 256).is_empty());
        let (level, ids) = sized(&[60, 70, 200]);
        assert_eq!(runs(split_within(level, 256)), vec![ids[0..2].to_vec()]);
    }
}
