#!/usr/bin/env bash
# Loopback load test of `newsdex serve`: searches at 1, 16 and 64 connections, alone and
# with concurrent writes (POST /articles, 10 articles a request, 2 connections), reporting
# searches/s and p50/p99 latency. Bounded: each run lasts DURATION (default 10s); the
# server listens on 127.0.0.1 and is stopped at the end. Fails if any request fails.
#
#   scripts/loadtest.sh [ARTICLES.jsonl]     # default: the sample corpus, index-data/articles.jsonl
#   DURATION=30s CONNECTIONS="1 16 64" scripts/loadtest.sh
#
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-1 16 64}"
CORPUS="${1:-index-data/articles.jsonl}"
WRITE_CONNECTIONS=2

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
[ -f "$CORPUS" ] || { echo "no such corpus: $CORPUS" >&2; exit 2; }

cargo build --release --quiet
BIN=target/release/newsdex
WORK="$(mktemp -d)"
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" index --index "$WORK/index" --user-dict index-data/userdict.txt --json "$CORPUS" > "$WORK/index.json"
ARTICLES=$(sed -n 's/.*"indexed": *\([0-9]*\).*/\1/p' "$WORK/index.json" | head -1)

export NEWSDEX_API_KEY="loadtest-$$-$RANDOM"
NEWSDEX_LOG=warn "$BIN" serve --index "$WORK/index" --addr 127.0.0.1:0 --max-concurrent-requests 1024 \
    > "$WORK/serve.out" 2> "$WORK/serve.log" &
SERVER=$!
ADDRESS=""
for _ in $(seq 1 300); do
    ADDRESS=$(sed -n 's|^newsdex: listening on http://||p' "$WORK/serve.out" | head -1)
    [ -n "$ADDRESS" ] && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$ADDRESS" ] || { echo "the server did not start" >&2; exit 1; }
URL="http://$ADDRESS"

# field NAME FILE: a number from the RESULT line.
field() { sed -n "s/^RESULT.* $1=\([0-9]*\).*/\1/p" "$2" | tail -1; }

check() {  # FILE WHAT: fail on any failed request
    local socket status
    socket=$(field socket_errors "$1"); status=$(field status_errors "$1")
    if [ -z "$socket" ] || [ "$socket" != 0 ] || [ "$status" != 0 ]; then
        echo "FAILED: $2 had socket errors ${socket:-?} and non-2xx responses ${status:-?}" >&2
        cat "$1" >&2
        exit 1
    fi
}

echo "corpus: $CORPUS ($ARTICLES articles); $(nproc) cores; $DURATION per run; server and wrk share the machine"
wrk -t1 -c4 -d2s -s scripts/loadtest/search.lua "$URL" > "$WORK/warmup.txt"
check "$WORK/warmup.txt" "warm-up"

ROWS=()
for writes in no yes; do
    for connections in $CONNECTIONS; do
        threads=$(( connections < 2 ? 1 : 2 ))
        WRITER=""
        if [ "$writes" = yes ]; then
            wrk -t1 -c"$WRITE_CONNECTIONS" -d"$DURATION" --timeout 10s -s scripts/loadtest/writes.lua "$URL" \
                > "$WORK/writes.txt" &
            WRITER=$!
        fi
        wrk -t"$threads" -c"$connections" -d"$DURATION" --timeout 10s -s scripts/loadtest/search.lua "$URL" \
            > "$WORK/search.txt"
        check "$WORK/search.txt" "searches at $connections connections"
        write_cells="| – | – |"
        if [ -n "$WRITER" ]; then
            wait "$WRITER"
            check "$WORK/writes.txt" "writes beside $connections search connections"
            write_cells=$(awk -v r="$(field requests "$WORK/writes.txt")" -v d="$(field duration_us "$WORK/writes.txt")" \
                -v p="$(field p99_us "$WORK/writes.txt")" \
                'BEGIN { printf "| %.0f req/s (%.0f articles/s) | %.1f |", r / (d / 1e6), 10 * r / (d / 1e6), p / 1000 }')
        fi
        row=$(awk -v c="$connections" -v w="$writes" -v r="$(field requests "$WORK/search.txt")" \
            -v d="$(field duration_us "$WORK/search.txt")" -v p50="$(field p50_us "$WORK/search.txt")" \
            -v p99="$(field p99_us "$WORK/search.txt")" \
            'BEGIN { printf "| %d | %s | %.0f | %.2f | %.2f | %d | 0 ", c, w, r / (d / 1e6), p50 / 1000, p99 / 1000, r }')
        ROWS+=("$row$write_cells")
        echo "$row$write_cells" >&2
    done
done

FINAL=$(curl -fsS "$URL/stats" 2>/dev/null | sed -n 's/.*"articles":\([0-9]*\).*/\1/p' || true)
echo
echo "| connections | concurrent writes | searches/s | p50 ms | p99 ms | searches | failed | writes | write p99 ms |"
echo "| ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo
echo "articles in the index at the end: ${FINAL:-?} (started with $ARTICLES)"
