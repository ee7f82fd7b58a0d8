#!/usr/bin/env bash
# collect console on recorded serial logs (clean, noisy, damaged), import
# perf-stat on recorded and live `perf stat -x,` output (and --platform),
# import perf-script on recorded `perf script` output and a planted one (--main).
#   test-console-import.sh EMUDIFF DATADIR
set -u
emudiff=$1
data=$2
. "$EMUDIFF_TEST_LIB/check.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
db=$t/c.db
q() { sqlite3 "$db" "$@"; }

# ---- console: two runs split at '@emudiff exit', timestamps before the marker
expect 0 "$emudiff" collect console --db "$db" --name hermit --log "$data/console-boot.log"
grep -q '18 of 28 lines' "$t/err" || fail "garbage lines not reported: $(cat "$t/err")"
[ "$(q "SELECT group_concat(platform || ':' || status || ':' || exit_code || ':' || rep, ' ') FROM run")" = \
	"console:ok:0:0 console:failed:3:1" ] || fail "console runs: $(q "SELECT platform, status, exit_code, rep FROM run")"
[ "$(q "SELECT group_concat(mark_id || '/' || insns || '/' || time_ns, ' ') FROM (SELECT * FROM mark WHERE run_id=1 ORDER BY seq)")" = \
	"1/900/0 2/40900/50000000 3/140900/150000000 2/141900/151000000 3/241900/251000000" ] ||
	fail "console marks: $(q "SELECT * FROM mark WHERE run_id=1")"
[ "$(q "SELECT value FROM mark_value WHERE run_id=1 AND seq=2 AND metric='cycles'")" = 151000.0 ] || fail "cycles mark_value"
[ "$(q "SELECT value FROM run_metric WHERE run_id=2 AND metric='instret'")" = 140000.0 ] || fail "instret total"
[ "$(q "SELECT json_extract(config_json, '\$.garbage_lines') FROM run WHERE id=1")" = 18 ] || fail "garbage in config"
# another timebase: 1 MHz -> ticks are microseconds
expect 0 "$emudiff" collect console --db "$db" --name tb --timebase 1000000 --log "$data/console-noisy.log"
[ "$(q "SELECT time_ns FROM mark WHERE run_id=3 AND seq=2")" = 200000 ] || fail "--timebase"
[ "$(q "SELECT exit_code IS NULL FROM run WHERE id=3")" = 1 ] || fail "no exit line: exit code unknown"

# SMP: marks on their hart's thread ordinal (hart order: 0, 3, 5), run_thread
# rows, per-hart totals adding up to the run's, times from the earliest mark
expect 0 "$emudiff" collect console --db "$t/smp.db" --name smp --log "$data/console-smp.log"
qs() { sqlite3 "$t/smp.db" "$@"; }
[ "$(qs "SELECT group_concat(thread || ':' || mark_id || '/' || ifnull(insns, '-') || '/' || time_ns, ' ') FROM (SELECT * FROM mark ORDER BY seq)")" = \
	"2:1/10/2000 1:1/-/1000 2:2/25/22000 0:1/5/0 1:2/-/12000 0:2/7/32000" ] ||
	fail "smp marks: $(qs "SELECT * FROM mark ORDER BY seq")"
[ "$(qs "SELECT group_concat(thread || '=' || os_id || '/' || kind, ' ') FROM (SELECT * FROM run_thread ORDER BY thread)")" = \
	"0=0/hart 1=3/hart 2=5/hart" ] || fail "smp run_thread: $(qs "SELECT * FROM run_thread")"
[ "$(qs "SELECT group_concat(thread || ':' || metric || '=' || value, ' ') FROM (SELECT * FROM thread_metric ORDER BY thread, metric)")" = \
	"0:cycles=4.0 0:instret=2.0 2:cycles=20.0 2:instret=15.0" ] || fail "smp thread_metric: $(qs "SELECT * FROM thread_metric")"
[ "$(qs "SELECT group_concat(metric || '=' || value, ' ') FROM (SELECT * FROM run_metric ORDER BY metric)")" = \
	"cycles=24.0 instret=17.0 time_ns=32000.0" ] || fail "smp run_metric: $(qs "SELECT * FROM run_metric")"
[ "$(qs "SELECT wall_ns FROM run")" = 32000 ] || fail "smp wall_ns: $(qs "SELECT wall_ns FROM run")"
# a log without hart= has no run_thread rows
[ "$(q "SELECT count(*) FROM run_thread") $(q "SELECT count(*) FROM mark WHERE thread != 0")" = "0 0" ] ||
	fail "run_thread rows or threads for a log without hart="

# damaged logs: exit 2, FILE:LINE named, one line, nothing stored
n=$(q "SELECT count(*) FROM run")
for spec in console-damaged.log:5 console-truncated.log:7 console-badid.log:2 console-badexit.log:2; do
	f=${spec%%:*}
	expect 2 "$emudiff" collect console --db "$db" --log "$data/$f"
	grep -q "$f:${spec##*:}:" "$t/err" || fail "$f: error does not name line ${spec##*:}: $(cat "$t/err")"
	[ "$(wc -l < "$t/err")" = 1 ] || fail "$f: not a one-line error"
done
expect 2 "$emudiff" collect console --db "$db" --log "$data/console-boot.log" --reps 3
expect 2 "$emudiff" collect console --db "$db" --log "$t/missing.log"
expect 2 "$emudiff" collect console --db "$db"
[ "$(q "SELECT count(*) FROM run")" = "$n" ] || fail "a refused log stored runs"

# ---- perf stat -x, (recorded here, with and without -r) ----------------------
db=$t/p.db
expect 0 "$emudiff" import perf-stat --db "$db" --name t "$data/perf-stat-true.csv"
[ "$(q "SELECT value FROM run_metric WHERE metric='task_clock_ns'")" = 3730000.0 ] || fail "task-clock msec -> ns"
[ "$(q "SELECT value FROM run_metric WHERE metric='page_faults'")" = 49.0 ] || fail "page-faults"
[ "$(q "SELECT count(*) FROM run_metric WHERE metric IN ('cycles','instret')")" = 0 ] || fail "<not supported> stored"
[ "$(q "SELECT json_extract(config_json, '\$.unsupported.cycles') FROM run")" = "not supported" ] || fail "unsupported noted"
expect 0 "$emudiff" import perf-stat --db "$db" --name t --rep 1 --repeats 3 "$data/perf-stat-true-r3.csv"
[ "$(q "SELECT json_extract(config_json, '\$.variance_pct.\"task-clock\"') FROM run WHERE id=2")" = 12.08 ] || fail "variance"
[ "$(q "SELECT value FROM run_metric WHERE run_id=2 AND metric='context_switches'")" = 2.0 ] || fail "-r values"
expect 2 "$emudiff" import perf-stat --db "$db" "$data/console-boot.log"
grep -q 'console-boot.log:2:' "$t/err" || fail "perf-stat: bad file not named with its line"
expect 2 "$emudiff" import perf-stat --db "$db" "$data/perf-script-sh.txt"
expect 2 "$emudiff" import perf-stat --db "$db" "$data/perf-stat-truncated.csv"
grep -q 'perf-stat-truncated.csv:2: truncated' "$t/err" || fail "perf-stat: truncated file not detected"
[ "$(q "SELECT count(*) FROM run")" = 2 ] || fail "a refused perf-stat file stored a run"
# --platform (README: platform `import`, or `--platform hw`): the same values either way
expect 0 "$emudiff" import perf-stat --db "$db" --name t --platform hw "$data/perf-stat-true.csv"
[ "$(q "SELECT platform FROM run WHERE id=3")" = hw ] || fail "--platform hw: platform $(q "SELECT platform FROM run WHERE id=3")"
[ "$(q "SELECT platform FROM run WHERE id=1")" = import ] || fail "default platform is not import"
[ "$(q "SELECT value FROM run_metric WHERE run_id=3 AND metric='task_clock_ns'")" = 3730000.0 ] || fail "--platform hw: values"
[ "$(q "SELECT json_extract(config_json, '\$.unsupported.instructions') FROM run WHERE id=3")" = "not supported" ] ||
	fail "--platform hw: unsupported"
expect 2 "$emudiff" import perf-stat --db "$db" --platform qemu-user "$data/perf-stat-true.csv"
grep -q -- '--platform' "$t/err" && [ "$(wc -l < "$t/err")" = 1 ] || fail "bad --platform: not one line naming it"
[ "$(q "SELECT count(*) FROM run")" = 3 ] || fail "a refused --platform stored a run"
# live perf stat output, when perf works here
if command -v perf >/dev/null && perf stat -x, -o "$t/live.csv" -e task-clock,page-faults,cycles -- true 2>/dev/null; then
	expect 0 "$emudiff" import perf-stat --db "$db" --name live "$t/live.csv"
	[ "$(q "SELECT value > 0 FROM run_metric WHERE run_id=4 AND metric='task_clock_ns'")" = 1 ] || fail "live perf stat"
	c=$(q "SELECT count(*) FROM run_metric WHERE run_id=4 AND metric='cycles'")
	u=$(q "SELECT json_extract(config_json, '\$.unsupported.cycles') IS NOT NULL FROM run WHERE id=4")
	[ "$c$u" = 10 ] || [ "$c$u" = 01 ] || fail "live cycles neither counted nor unsupported ($c$u)"
else
	echo "note: perf not usable here: live perf stat part skipped"
fi

# ---- perf script ----------------------------------------------------------------
db=$t/s.db
expect 0 "$emudiff" import perf-script --db "$db" --name sh "$data/perf-script-sh.txt"
# expected from awk over the same file: sampled symbol per sample
[ "$(q "SELECT group_concat(g.key || '=' || CAST(m.value AS INTEGER), ' ') FROM (SELECT * FROM region_metric WHERE metric='samples'
        ORDER BY value DESC, region_id LIMIT 3) m JOIN region g ON g.id=m.region_id")" = \
	"s:[unknown]=11 s:__strcmp_evex@libc.so.6=7 s:__strpbrk_sse42@libc.so.6=6" ] ||
	fail "perf script samples: $(q "SELECT g.key, m.value FROM region_metric m JOIN region g ON g.id=m.region_id WHERE metric='samples'")"
[ "$(q "SELECT sum(value) FROM region_metric WHERE metric='samples'")" = 37.0 ] || fail "samples total"
[ "$(q "SELECT m.value FROM region_metric m JOIN region g ON g.id=m.region_id WHERE g.key='s:__strcmp_evex@libc.so.6'
        AND metric='time_ns'")" = 7000000.0 ] || fail "cpu-clock time_ns"
expect 2 "$emudiff" import perf-script --db "$db" "$data/perf-stat-true.csv"
expect 2 "$emudiff" import perf-script --db "$db" "$data/perf-script-truncated.txt"
grep -q 'perf-script-truncated.txt:25: truncated' "$t/err" || fail "perf-script: truncated file not detected"
[ "$(q "SELECT count(*) FROM run")" = 1 ] || fail "a refused perf-script file stored a run"

# --main DSO: whose symbols keep bare names. Planted file, counted by hand: 3 samples
# in /opt/w/prog (main 1, work 2), 2 in /opt/w/helper (helper_fn), 1 in libc, 1 kernel
two=$data/perf-script-two-bins.txt
keys() { # RUN -> "key=samples ..." sorted by key
	q "SELECT group_concat(k, ' ') FROM (SELECT g.key || '=' || CAST(m.value AS INTEGER) AS k FROM region_metric m
	   JOIN region g ON g.id=m.region_id WHERE m.run_id=$1 AND m.metric='samples' ORDER BY g.key)"
}
db=$t/main.db
expect 0 "$emudiff" import perf-script --db "$db" --name two "$two"
[ "$(keys 1)" = "s:[kernel]=1 s:helper_fn@helper=2 s:main=1 s:memcpy@libc.so.6=1 s:work=2" ] ||
	fail "perf-script default main (the non-.so binary with most samples, prog): $(keys 1)"
expect 0 "$emudiff" import perf-script --db "$db" --name two --main helper "$two"
[ "$(keys 2)" = "s:[kernel]=1 s:helper_fn=2 s:main@prog=1 s:memcpy@libc.so.6=1 s:work@prog=2" ] ||
	fail "perf-script --main helper: $(keys 2)"
expect 0 "$emudiff" import perf-script --db "$db" --name two --main libc.so.6 "$two"
[ "$(keys 3)" = "s:[kernel]=1 s:helper_fn@helper=2 s:main@prog=1 s:memcpy=1 s:work@prog=2" ] ||
	fail "perf-script --main libc.so.6: $(keys 3)"
[ "$(q "SELECT m.value FROM region_metric m JOIN region g ON g.id=m.region_id WHERE m.run_id=2 AND g.key='s:work@prog'
        AND m.metric='time_ns'")" = 2000000.0 ] || fail "--main: cpu-clock time_ns of s:work@prog"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "console and imports: all checks passed"
