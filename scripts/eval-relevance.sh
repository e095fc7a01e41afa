#!/usr/bin/env bash
# Relevance of newsdex search on known-item sets drawn from the real corpus, before and
# after the ranking choices (fallback to any word, title boost, proximity bonus).
#
#   scripts/eval-relevance.sh [WORK_DIR]
#
# NEWSDEX_CORPUS points at the corpus (default ../shared/corpus); WORK_DIR (default a
# temporary directory) receives the sets and indexes. Needs the release binary
# (cargo build --release). Prints one markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${NEWSDEX_CORPUS:-../shared/corpus}"
work="${1:-$(mktemp -d -t newsdex-eval-XXXX)}"
newsdex=target/release/newsdex
[ -x "$newsdex" ] || { echo "build first: cargo build --release" >&2; exit 1; }
[ -d "$corpus" ] || { echo "no corpus at $corpus (set NEWSDEX_CORPUS)" >&2; exit 1; }
export NEWSDEX_LOG=warn

declare -A files=(
  [zh-Hans]=chinanews.part1.zh.jsonl
  [zh-Hant]=appledaily-tw.zh-Hant.jsonl
  [en]=reuters21578.en.jsonl
)

score() { # set-dir, extra eval flags...
  "$newsdex" eval search --index "$1/index" --queries "$1/queries.tsv" --qrels "$1/qrels.tsv" --json "${@:2}" |
    python3 -c 'import json,sys; d=json.load(sys.stdin)["score"]; print("%.3f / %.3f / %.3f" % (d["mrr_at_10"], d["recall_at_10"], d["ndcg_at_10"]))'
}

echo "| lang | set | before: MRR@10 / Recall@10 / nDCG@10 | after: MRR@10 / Recall@10 / nDCG@10 |"
echo "| --- | --- | --- | --- |"
for lang in zh-Hans zh-Hant en; do
  for mode in title title-words lead-words; do
    set_dir="$work/$lang-$mode"
    if [ ! -f "$set_dir/qrels.tsv" ]; then
      "$newsdex" eval known-items --corpus "$corpus/${files[$lang]}" --out "$set_dir" --mode "$mode" \
        --queries 300 --documents 20000 --seed 2026 >/dev/null
      "$newsdex" index --index "$set_dir/index" --json "$set_dir/articles.jsonl" >/dev/null
    fi
    before=$(score "$set_dir" --title-boost 1 --proximity-boost 0 --no-fallback)
    after=$(score "$set_dir")
    echo "| $lang | $mode | $before | $after |"
  done
done
