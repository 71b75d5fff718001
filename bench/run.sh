#!/usr/bin/env bash
# Runs the side-by-side benchmarks (sync vs lockdep vs go-deadlock) and
# prints a benchstat table with one column per implementation, followed by
# the ratios lockdep/sync and deadlock/lockdep for each benchmark.
#
# Usage, from the repository root or from bench/:
#   bash bench/run.sh
#   COUNT=10 BENCHTIME=500ms bash bench/run.sh
#   BENCH=Nested bash bench/run.sh      # only benchmarks matching a regexp
#
# Absolute times on a shared machine are noise; compare ratios within one run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

count=${COUNT:-6}
benchtime=${BENCHTIME:-200ms}
bench=${BENCH:-.}
benchstat=(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da)

raw=$(mktemp "${TMPDIR:-/tmp}/lockdep-bench.XXXXXX")
echo "raw benchmark output: $raw" >&2

go test -run '^$' -bench "$bench" -count "$count" -benchtime "$benchtime" | tee "$raw" >&2

echo
"${benchstat[@]}" -col /impl "$raw"

echo
echo "ratios of the sec/op medians (lockdep/sync: cost of validation; deadlock/lockdep: lockdep speed-up over go-deadlock):"
"${benchstat[@]}" -format csv -col /impl "$raw" 2>/dev/null | go run ./cmd/ratios
