#!/bin/sh
# test-cyclictest-import.sh EMUDIFF DATA_DIR - `emudiff import cyclictest`:
# recorded outputs stored as latency samples and run metrics; a malformed line
# refused with exit 2, one line naming FILE:LINE, nothing stored; then, where
# rt-tests is installed, cyclictest run natively and under qemu-x86_64 (the
# same unmodified binary) and compared by `emudiff stats`.
set -eu
emudiff=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/c.db
q() { sqlite3 "$db" "$1"; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }

"$emudiff" import cyclictest --db "$db" --name ct --platform hw "$data/cyclictest-H.txt" >"$tmp/out" 2>"$tmp/err" ||
	fail "import -H exited $?: $(cat "$tmp/err")"
grep -q "events beyond the histogram's range" "$tmp/err" || fail "no warning about overflows"
[ "$(q "SELECT region_key || ' ' || metric || ' ' || n || ' ' || length(samples) FROM latency_sample")" = \
  "run lat_wakeup_ns 600 4800" ] || fail "latency_sample: $(q 'SELECT run_id, region_key, metric, n FROM latency_sample')"
[ "$(q "SELECT value FROM run_metric WHERE metric = 'lat_wakeup_max_ns'")" = 7367000.0 ] || fail "max"
"$emudiff" import cyclictest --db "$db" --name ct-sum "$data/cyclictest-summary.txt" >/dev/null ||
	fail "summary form refused"
[ "$(q "SELECT value FROM run_metric WHERE metric = 'lat_wakeup_events' AND run_id = 2")" = 326.0 ] ||
	fail "summary events"

# malformed: exit 2, one line naming the file and line, nothing stored
printf '# Histogram\n000000 000001\n000001 00000x\n# Total: 000000001\n' >"$tmp/bad.txt"
set +e
"$emudiff" import cyclictest --db "$db" --name bad "$tmp/bad.txt" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ $rc = 2 ] || fail "malformed histogram: exit $rc, want 2"
[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "^error: $tmp/bad.txt:3: malformed cyclictest line: " "$tmp/err" ||
	fail "malformed histogram: stderr '$(cat "$tmp/err")'"
[ "$(q "SELECT count(*) FROM run")" = 2 ] || fail "a malformed file stored a run"

# real runs: natively (hw) and under qemu-user, a few hundred wake-ups each
if ! command -v cyclictest >/dev/null; then
	echo "ok: cyclictest import (recorded outputs; rt-tests not installed, no live runs)"
	exit 0
fi
qemu=qemu-$(uname -m)
for rep in 0 1; do
	cyclictest -q -i 500 -l 300 -h 5000 >"$tmp/n$rep.txt" 2>/dev/null || fail "cyclictest exited $?"
	"$emudiff" import cyclictest --db "$db" --name live --platform hw --rep $rep "$tmp/n$rep.txt" >/dev/null 2>&1 ||
		fail "native cyclictest output refused"
	if command -v "$qemu" >/dev/null; then
		"$qemu" "$(command -v cyclictest)" -q -i 500 -l 300 -h 5000 >"$tmp/q$rep.txt" 2>/dev/null ||
			fail "cyclictest under $qemu exited $?"
		"$emudiff" import cyclictest --db "$db" --name live --platform qemu-user --rep $rep "$tmp/q$rep.txt" \
			>/dev/null 2>&1 || fail "qemu-user cyclictest output refused"
	fi
done
"$emudiff" stats --db "$db" >/dev/null 2>&1 || fail "stats exited $?"
[ "$(q "SELECT count(*) FROM latency_quantile q JOIN workload w ON w.id = q.workload_id WHERE w.name = 'live'")" -ge 1 ] ||
	fail "no latency quantiles for the live runs"
if command -v "$qemu" >/dev/null; then
	[ "$(q "SELECT group_concat(stat) FROM (SELECT stat FROM latency_compare ORDER BY stat)")" = "max,p50,p99" ] ||
		fail "latency_compare: $(q 'SELECT * FROM latency_compare')"
	"$emudiff" show latency-compare --db "$db" --json | grep -q '"hw_platform":"hw"' || fail "show latency-compare --json"
	# the report: one CDF figure for the region, the comparison table, what TCG measures
	"$emudiff" report --db "$db" --out "$tmp/rep" >/dev/null 2>&1 || fail "report exited $?"
	[ -s "$tmp/rep/live/latency-1.svg" ] || fail "no latency CDF figure: $(ls "$tmp/rep/live")"
	grep -q 'without <code>-icount</code>' "$tmp/rep/live/index.html" && grep -q 'KS D' "$tmp/rep/live/index.html" ||
		fail "the workload page lacks the latency note or table"
fi
"$emudiff" show latency --db "$db" | grep -q '^live ' || fail "show latency"
echo "ok: cyclictest import, natively and under $qemu"
