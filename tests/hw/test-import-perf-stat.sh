#!/usr/bin/env bash
# `emudiff import perf-stat` on what boards already have (issue #19, item 6):
# perf stat's default text (with and without -r, multiplexed), -j JSON and -x,
# CSV, stored as perf printed the values with the multiplexing fraction noted;
# bad files get one line naming the file, exit 2, and nothing stored.
#   test-import-perf-stat.sh EMUDIFF DATA_DIR
set -u
emudiff=$1
data=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
db=$t/s.db
q() { sqlite3 "$db" "$1"; }
imp() { "$emudiff" import perf-stat --db "$db" "$@" >"$t/out" 2>"$t/err"; }

# the multiplexed text: workload named after the program perf names
imp "$data/perf-stat-multiplexed.txt" || fail "multiplexed: exit $?: $(cat "$t/err")"
[ "$(q "SELECT w.name FROM run r JOIN workload w ON w.id = r.workload_id WHERE r.id = 1")" = xz ] ||
	fail "workload name: $(q 'SELECT name FROM workload')"
[ "$(q "SELECT json_extract(config_json, '\$.form') || '|' || json_extract(config_json, '\$.command') || '|' ||
	json_extract(config_json, '\$.runs') FROM run WHERE id = 1")" = "text|/usr/bin/xz -T1 -1 -k -c data20|5" ] ||
	fail "config: $(q 'SELECT config_json FROM run WHERE id = 1')"
# the value as perf printed it (perf's scaled estimate), the fraction counted noted
[ "$(q "SELECT value FROM run_metric WHERE run_id = 1 AND metric = 'cycles'")" = 2401456789.0 ] || fail "cycles value"
[ "$(q "SELECT json_extract(config_json, '\$.printed.cycles') || '|' || json_extract(config_json, '\$.scaled.cycles')
	FROM run WHERE id = 1")" = "2,401,456,789|59.53" ] || fail "cycles printed/scaled: $(q 'SELECT config_json FROM run')"
[ "$(q "SELECT json_extract(config_json, '\$.scaled.\"branch-misses\"') IS NULL FROM run WHERE id = 1")" = 1 ] ||
	fail "an event counted all the time is not noted as scaled"
# not counted / not supported: absent, noted, never 0
[ "$(q "SELECT count(*) FROM run_metric WHERE run_id = 1 AND metric IN ('cache_misses', 'stalled_cycles_frontend')")" = 0 ] ||
	fail "an uncounted event was stored"
[ "$(q "SELECT json_extract(config_json, '\$.unsupported.\"cache-misses\"') FROM run WHERE id = 1")" = "not counted" ] ||
	fail "not counted is not noted"
[ "$(q "SELECT value FROM run_metric WHERE run_id = 1 AND metric = 'wall_ns'")" = 613520000.0 ] || fail "elapsed time"
[ "$(q "SELECT value FROM run_metric WHERE run_id = 1 AND metric = 'task_clock_ns'")" = 612310000.0 ] || fail "task-clock"

# user and sys times; --name wins over the command
imp --name g "$data/perf-stat-grep.txt" || fail "grep: exit $?: $(cat "$t/err")"
[ "$(q "SELECT group_concat(metric || '=' || value, ' ') FROM (SELECT * FROM run_metric WHERE run_id = 2 AND metric IN ('user_ns', 'sys_ns') ORDER BY metric)")" = \
	"sys_ns=2356000.0 user_ns=3580000.0" ] || fail "user/sys: $(q 'SELECT * FROM run_metric WHERE run_id = 2')"
[ "$(q "SELECT name FROM workload w JOIN run r ON r.workload_id = w.id WHERE r.id = 2")" = g ] || fail "--name"

# every form of this machine's perf: one run each, with page-faults, cycles unsupported
n=2
for f in perf-stat-true.txt perf-stat-true-r3.txt perf-stat-true.json perf-stat-true-r3.json perf-stat-true.csv; do
	imp "$data/$f" || fail "$f: exit $?: $(cat "$t/err")"
	n=$((n + 1))
	[ "$(q "SELECT count(*) FROM run_metric WHERE run_id = $n AND metric = 'page_faults'")" = 1 ] || fail "$f: no page_faults"
	[ "$(q "SELECT json_extract(config_json, '\$.unsupported.cycles') FROM run WHERE id = $n")" = "not supported" ] ||
		fail "$f: cycles not noted unsupported"
	[ ! -s "$t/err" ] || fail "$f: stderr: $(cat "$t/err")"
done

# bad input: one line naming the file, exit 2, nothing stored
runs=$(q "SELECT count(*) FROM run")
for f in perf-stat-malformed.txt perf-stat-badvalue.txt perf-stat-truncated.txt perf-stat-malformed.json; do
	imp "$data/$f"
	rc=$?
	[ $rc = 2 ] || fail "$f: exit $rc, expected 2"
	[ "$(wc -l <"$t/err")" = 1 ] && grep -q "^error: .*$f:[0-9]*: " "$t/err" ||
		fail "$f: expected one error line naming the file and line: $(cat "$t/err")"
done
[ "$(q "SELECT count(*) FROM run")" = "$runs" ] || fail "bad input stored runs"
imp "$t/none.txt"
[ $? = 2 ] && grep -q none.txt "$t/err" || fail "a missing file: $(cat "$t/err")"

[ $fails = 0 ] || exit 1
echo "ok: perf stat's text, JSON and CSV imported as printed; bad files refused whole"
