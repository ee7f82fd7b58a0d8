#!/bin/bash
# test_rollup.sh - symbols per marker interval end to end: `collect qemu` of
# x86_64_phases (hand-counted, see the .S file) stores mark_symbol rows,
# `align` rolls them up into ms:<from>-><to>/<symbol> regions that add up
# exactly to the marker regions, re-aligning changes nothing, the plugin's
# limit leaves a run without roll-ups, and damaged msym lines are refused.
#   test_rollup.sh EMUDIFF PLUGIN QEMU_X86 X86_PHASES
set -u
emudiff=$1 plugin=$2 qemu_x86=$3 phases=$4
[ -n "$qemu_x86" ] && [ -x "$qemu_x86" ] || { echo "qemu-x86_64 not installed: skipped"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (the command) not installed"; exit 1; }

tmp=$(mktemp -d /tmp/emudiff-rollup-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/t.db
export EMUDIFF_PLUGIN=$plugin
. "$(dirname "$0")/expect.sh"

ms() { # RUN KEY -> insns of roll-up region KEY in RUN
	echo "SELECT CAST(rm.value AS INTEGER) FROM region_metric rm JOIN region r ON r.id = rm.region_id
	      WHERE rm.run_id = $1 AND r.key = '$2' AND rm.metric = 'insns'"
}

# --- two runs: per-interval rows, then roll-ups with hand-counted values
expect_rc 0 "$emudiff" collect qemu --db "$db" --name ph --reps 2 -- "$phases"
expect "SELECT count(*) FROM mark WHERE run_id = 1" "7"
expect "SELECT json_extract(config_json, '$.mark_symbols_complete') FROM run WHERE id = 1" "7"
expect "SELECT group_concat(symbol || '=' || CAST(value AS INTEGER), ' ') FROM (SELECT * FROM mark_symbol
	WHERE run_id = 1 AND seq = 1 AND metric = 'insns' ORDER BY symbol)" "_start=5 fa=5 fb=12"
expect "SELECT CAST(sum(value) AS INTEGER) FROM mark_symbol WHERE run_id = 1" "143"
expect_rc 0 "$emudiff" align --db "$db"
grep -q "8 symbol roll-ups of marker pairs (ms:) from 2 runs" "$tmp/out" ||
	{ echo "FAIL: align says: $(cat "$tmp/out")"; failures=$((failures + 1)); }
for run in 1 2; do
	expect "$(ms $run 'ms:1->2/fa')" "63"
	expect "$(ms $run 'ms:1->2/_start')" "9"
	expect "$(ms $run 'ms:2->1/fb')" "24"
	expect "$(ms $run 'ms:2->1/fa')" "10"
	expect "$(ms $run 'ms:2->1/_start')" "10"
	expect "$(ms $run 'ms:2->3/fb')" "12"
	expect "$(ms $run 'ms:2->3/fa')" "5"
	expect "$(ms $run 'ms:2->3/_start')" "5"
done
# inclusive and exact: per run and pair, the symbols are the marker regions
expect "SELECT count(*) FROM (
	SELECT rm.run_id, substr(r.key, 4, instr(r.key, '/') - 4) AS pair, sum(rm.value) AS v
	FROM region_metric rm JOIN region r ON r.id = rm.region_id
	WHERE r.key LIKE 'ms:%' AND rm.metric = 'insns' GROUP BY 1, 2) s
	JOIN (SELECT rm.run_id, substr(r.key, 3, instr(r.key, '#') - 3) AS pair, sum(rm.value) AS v
	FROM region_metric rm JOIN region r ON r.id = rm.region_id
	WHERE r.key LIKE 'm:%' AND rm.metric = 'insns' GROUP BY 1, 2) m
	ON m.run_id = s.run_id AND m.pair = s.pair AND m.v = s.v" "6"
expect "SELECT name FROM region WHERE key = 'ms:2->1/fb'" "fb"
expect "SELECT count(*) FROM region WHERE key LIKE 'ms:%'" "8"
# the whole-run symbol regions are the collector's, untouched
expect "$(ms 1 's:fa')" "78"

# --- align again: the same rows, nothing more
dump="SELECT r.key, rm.run_id, rm.metric, rm.value FROM region r JOIN region_metric rm ON rm.region_id = r.id ORDER BY 1, 2, 3"
sqlite3 "$db" "$dump" >"$tmp/before"
expect_rc 0 "$emudiff" align --db "$db"
sqlite3 "$db" "$dump" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" || { echo "FAIL: a second align changed regions"; diff "$tmp/before" "$tmp/after" | head; failures=$((failures + 1)); }

# --- the plugin's limit stops the attribution at the first marker: no roll-up for that run
expect_rc 0 "$emudiff" collect qemu --db "$db" --name ph --plugin-opt marksyms_limit=0 -- "$phases"
grep -q "marksyms_limit stopped" "$tmp/err" ||
	{ echo "FAIL: the limit is not reported: $(cat "$tmp/err")"; failures=$((failures + 1)); }
expect "SELECT json_extract(config_json, '$.mark_symbols_complete') FROM run WHERE id = 3" "-1"
expect "SELECT count(*) FROM mark_symbol WHERE run_id = 3" "0"
# marksyms=off: no attribution recorded at all
expect_rc 0 "$emudiff" collect qemu --db "$db" --name ph --plugin-opt marksyms=off -- "$phases"
expect "SELECT json_extract(config_json, '$.mark_symbols_complete') IS NULL FROM run WHERE id = 4" "1"
expect_rc 0 "$emudiff" align --db "$db"
expect "SELECT count(*) FROM region_metric rm JOIN region r ON r.id = rm.region_id
	WHERE r.key LIKE 'ms:%' AND rm.run_id IN (3, 4)" "0"
expect "SELECT count(*) FROM region_metric rm JOIN region r ON r.id = rm.region_id
	WHERE r.key LIKE 'm:%' AND rm.run_id = 3 AND rm.metric = 'insns'" "6"
expect "SELECT count(DISTINCT rm.run_id) FROM region_metric rm JOIN region r ON r.id = rm.region_id
	WHERE r.key LIKE 'ms:%'" "2"

# --- damaged msym lines: one line naming the file, exit 2, nothing stored
good=$tmp/good.out
"$qemu_x86" -plugin "$plugin,out=$good" "$phases"
runs() { sqlite3 "$db" "SELECT count(*) FROM run"; }
before=$(runs)
bad_case() { # NAME SED-SCRIPT: damage the good file, fix its end count, ingest
	sed -e "$2" "$good" | grep -v '^end ' >"$tmp/$1.out"
	echo "end $(wc -l <"$tmp/$1.out")" >>"$tmp/$1.out"
	expect_rc 2 "$emudiff" collect qemu --db "$db" --ingest "$tmp/$1.out"
	if [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q "$1.out" "$tmp/err"; then
		echo "FAIL: $1: not one line naming the file: $(cat "$tmp/err")"
		failures=$((failures + 1))
	fi
}
bad_case no-complete '/^msym_complete /d'
bad_case past-complete 's/^msym_complete 7$/msym_complete 3/'
bad_case beyond-marks 's/^msym_complete 7$/msym_complete 8/'
bad_case negative 's/^msym 1 12 fb$/msym 1 -12 fb/'
bad_case out-of-order 's/^msym 1 5 fa$/msym 1 5 zz/'
bad_case no-name 's/^msym 1 12 fb$/msym 1 12 /'
bad_case version-1 's/^emudiff-qemu-plugin [0-9]*$/emudiff-qemu-plugin 1/'
expect "SELECT count(*) FROM run" "$before"
expect_rc 0 "$emudiff" collect qemu --db "$db" --name ph --ingest "$good"

[ "$failures" = 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "rollup: all checks passed"
