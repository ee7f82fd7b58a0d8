#!/bin/sh
# test-cyclictest-run.sh EMUDIFF - cyclictest (rt-tests, unmodified) as a
# suite workload (`parse = cyclictest`, issue #24): `emudiff import cyclictest
# --run` runs it natively, and under qemu-x86_64 with the plugin (collect
# qemu --parse cyclictest: its measurement thread counted apart), and stores
# its histogram as lat_wakeup_ns samples of a run with its status, exit code
# and wall time (under QEMU in the same run as the plugin's counts: >= 2
# threads, each with instructions), its stdout passed through unchanged (the
# run's line on stderr); the faults (a program that fails, one whose output
# is not cyclictest's, natively and under QEMU, a timeout, a missing
# program); then a suite of it through `emudiff study`: every cell ok, 500
# events per run on both sides, the qemu-user cells counted, and
# latency_compare's p50/p99/max.
set -eu
emudiff=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$EMUDIFF_TEST_LIB/facts.sh"
command -v sqlite3 >/dev/null || skip "no sqlite3"
ct=$(command -v cyclictest) || skip "rt-tests' cyclictest not installed"
# cyclictest sets its scheduling policy (even SCHED_OTHER) and stops without
[ "$sys_nice" = 1 ] || skip "sys_nice=$sys_nice: cyclictest needs CAP_SYS_NICE (root)"
qemu=qemu-$(uname -m)
db=$tmp/c.db
q() { sqlite3 "$db" "$1"; }
args="-l 500 -i 200 -h 2000 -q"

# cyclictest's stdout as passed through ($1): the 500 loops' events in the
# histogram and beyond it, its 2000 rows, and no line but its own
passed_through() {
	[ "$(sed -n 's/^# Total: 0*\([0-9]\)/\1/p; s/^# Histogram Overflows: 0*\([0-9]\)/\1/p' "$1" | awk '{ s += $1 } END { print s }')" = 500 ] ||
		fail "cyclictest's histogram not passed through: $(tail -5 "$1")"
	[ "$(grep -c '^[0-9][0-9]* [0-9][0-9]*$' "$1")" = 2000 ] || fail "the 2000 histogram rows not passed through"
	[ "$(grep -cv '^[0-9][0-9]* [0-9][0-9]*$\|^# \|^$' "$1")" = 0 ] ||
		fail "lines on stdout that are not cyclictest's: $(grep -v '^[0-9][0-9]* [0-9][0-9]*$\|^# \|^$' "$1")"
}

# natively: the run, its samples, and its stdout passed through byte for byte
"$emudiff" import cyclictest --db "$db" --name ct --platform hw --run -- cyclictest $args >"$tmp/out" 2>"$tmp/err" ||
	fail "native run exited $?: $(cat "$tmp/err")"
grep -qx 'run 1: hw ct: ok' "$tmp/err" || fail "native run line: $(cat "$tmp/err")"
passed_through "$tmp/out"
[ "$(q "SELECT platform || ' ' || status || ' ' || exit_code || ' ' || (wall_ns > 0) || ' ' ||
	json_extract(config_json, '$.run') FROM run")" = "hw ok 0 1 native" ] || fail "native run: $(q 'SELECT * FROM run')"
[ "$(q "SELECT region_key || ' ' || metric || ' ' || n FROM latency_sample")" = "run lat_wakeup_ns 500" ] ||
	fail "native samples: $(q 'SELECT run_id, region_key, metric, n FROM latency_sample')"
[ "$(q "SELECT value FROM run_metric WHERE metric = 'lat_wakeup_events'")" = 500.0 ] || fail "native events"
[ "$(q "SELECT count(*) FROM workload WHERE name = 'ct' AND elf_path = '$ct' AND argv LIKE '[\"$ct\",\"-l\",\"500\",%'")" = 1 ] ||
	fail "workload: $(q 'SELECT * FROM workload')"

# under user-mode QEMU with the plugin: the counts and the samples in one run
if command -v "$qemu" >/dev/null; then
	"$emudiff" import cyclictest --db "$db" --name ct --platform qemu-user --run -- cyclictest $args \
		>"$tmp/out" 2>"$tmp/err" || fail "$qemu run exited $?: $(cat "$tmp/err")"
	grep -qx 'run 2: qemu-user, ok, 0 marks, plugin output ingested' "$tmp/err" || fail "qemu run line: $(cat "$tmp/err")"
	passed_through "$tmp/out"
	[ "$(q "SELECT platform || ' ' || status || ' ' || json_extract(config_json, '$.collector') || ' ' ||
		json_extract(config_json, '$.parse') || ' ' || json_extract(config_json, '$.form') || ' ' ||
		(json_extract(config_json, '$.qemu') LIKE '$qemu version %') FROM run WHERE id = 2")" = \
		"qemu-user ok qemu cyclictest histogram 1" ] || fail "qemu run config: $(q 'SELECT config_json FROM run WHERE id = 2')"
	[ "$(q "SELECT value > 0 FROM run_metric WHERE run_id = 2 AND metric = 'insns'")" = 1 ] || fail "qemu run: no instructions"
	nth=$(q "SELECT count(*) FROM run_thread WHERE run_id = 2")
	[ "$nth" -ge 2 ] || fail "qemu run: $nth threads, not main + measurement thread"
	[ "$(q "SELECT count(*) FROM thread_metric WHERE run_id = 2 AND metric = 'insns' AND value > 0")" = "$nth" ] ||
		fail "qemu run: threads without instructions: $(q "SELECT * FROM thread_metric WHERE run_id = 2")"
	[ "$(q "SELECT sum(value) FROM thread_metric WHERE run_id = 2 AND metric = 'insns'") " = \
		"$(q "SELECT value FROM run_metric WHERE run_id = 2 AND metric = 'insns'") " ] || fail "qemu run: the threads do not add up"
	[ "$(q "SELECT region_key || ' ' || metric || ' ' || n FROM latency_sample WHERE run_id = 2")" = "run lat_wakeup_ns 500" ] ||
		fail "qemu samples: $(q 'SELECT run_id, region_key, metric, n FROM latency_sample')"
	[ "$(q "SELECT value FROM run_metric WHERE run_id = 2 AND metric = 'lat_wakeup_events'")" = 500.0 ] || fail "qemu events"
else
	echo "note: $qemu missing: the qemu-user runs skipped"
fi

# faults: a failing program and one whose output is not cyclictest's are failed
# runs without samples, saying why; a timeout is a timeout; a missing program is
# one line, exit 2, nothing stored
n0=$(q "SELECT count(*) FROM run")
"$emudiff" import cyclictest --db "$db" --name bad --run -- sh -c 'echo "000001 000002"; exit 3' >/dev/null 2>"$tmp/err" ||
	fail "a failing program: exit $?"
[ "$(q "SELECT status || ' ' || exit_code || ' ' || json_extract(config_json, '$.why') FROM run WHERE id = $((n0 + 1))")" = \
	"failed 3 exit 3" ] || fail "failing program: $(q "SELECT * FROM run WHERE id = $((n0 + 1))")"
"$emudiff" import cyclictest --db "$db" --name bad --run -- sh -c 'echo "T: what"' >/dev/null 2>"$tmp/err" ||
	fail "garbage output: exit $?"
grep -q "'s output:1: " "$tmp/err" || fail "garbage output: no line named: $(cat "$tmp/err")"
[ "$(q "SELECT status || ' ' || json_extract(config_json, '$.why') FROM run WHERE id = $((n0 + 2))")" = \
	"failed its output is not cyclictest's (the error above names the line)" ] ||
	fail "garbage output: $(q "SELECT * FROM run WHERE id = $((n0 + 2))")"
"$emudiff" import cyclictest --db "$db" --name bad --timeout 0.3 --run -- sleep 10 >/dev/null 2>&1 || fail "timeout: exit $?"
[ "$(q "SELECT status FROM run WHERE id = $((n0 + 3))")" = timeout ] || fail "timeout: $(q "SELECT * FROM run WHERE id = $((n0 + 3))")"
if command -v "$qemu" >/dev/null; then
	# under QEMU: counted, but failed for its output, without samples
	"$emudiff" import cyclictest --db "$db" --name bad --platform qemu-user --run -- sh -c 'echo "T: what"' \
		>/dev/null 2>"$tmp/err" || fail "garbage output under QEMU: exit $?"
	grep -q "'s output:1: " "$tmp/err" || fail "garbage output under QEMU: no line named: $(cat "$tmp/err")"
	[ "$(q "SELECT platform || ' ' || status || ' ' || json_extract(config_json, '$.why') FROM run WHERE id = $((n0 + 4))")" = \
		"qemu-user failed its output is not cyclictest's (the error above names the line)" ] ||
		fail "garbage output under QEMU: $(q "SELECT * FROM run WHERE id = $((n0 + 4))")"
	[ "$(q "SELECT count(*) FROM run_metric WHERE run_id = $((n0 + 4)) AND metric = 'insns' AND value > 0")" = 1 ] ||
		fail "garbage output under QEMU: not counted"
fi
[ "$(q "SELECT count(*) FROM latency_sample WHERE run_id > $n0")" = 0 ] || fail "a failed run kept samples"
set +e
"$emudiff" import cyclictest --db "$db" --run -- no-such-cyclictest-xyz >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^error: no-such-cyclictest-xyz: not found' "$tmp/err" ||
	fail "missing program: exit $rc, $(cat "$tmp/err")"
[ "$(q "SELECT count(*) FROM run WHERE workload_id IN (SELECT id FROM workload WHERE name = 'bad')")" = \
	"$(q "SELECT count(*) FROM run WHERE id > $n0")" ] && [ "$(q "SELECT count(*) FROM workload WHERE name = 'no-such-cyclictest-xyz'")" = 0 ] ||
	fail "a missing program stored a run"

# a suite of it: every cell through the importer, compared by stats
platforms=hw
command -v "$qemu" >/dev/null && platforms="qemu-user hw"
cat >"$tmp/ct.ini" <<EOS
[study]
name = ct
platforms = $platforms
reps = 2
timeout = 60

[workload wakeup]
binary = $ct
parse = cyclictest
args = $args
EOS
"$emudiff" study "$tmp/ct.ini" --out "$tmp/study" >"$tmp/out" 2>"$tmp/err" || fail "study exited $?: $(tail -5 "$tmp/err")"
sdb=$tmp/study/emudiff.db
sq() { sqlite3 "$sdb" "$1"; }
[ "$(sq "SELECT count(*) FROM run WHERE status = 'ok' AND cell LIKE 'wakeup/%'")" = $((2 * $(echo $platforms | wc -w))) ] ||
	fail "study runs: $(sq 'SELECT id, platform, status, cell FROM run')"
[ "$(sq "SELECT min(n) || ' ' || max(n) FROM latency_sample")" = "500 500" ] || fail "study samples"
grep -q '^# Total: ' "$tmp/study/logs/wakeup_hw_0.log" || fail "the cell log lacks cyclictest's output"
if command -v "$qemu" >/dev/null; then
	[ "$(sq "SELECT count(*) FROM run r JOIN run_metric m ON m.run_id = r.id AND m.metric = 'insns' AND m.value > 0
		WHERE r.platform = 'qemu-user' AND r.status = 'ok' AND (SELECT count(*) FROM run_thread t WHERE t.run_id = r.id) >= 2")" = 2 ] ||
		fail "study: the qemu-user cells not counted per thread: $(sq "SELECT id, platform, config_json FROM run")"
	[ "$(sq "SELECT group_concat(stat) FROM (SELECT stat FROM latency_compare ORDER BY stat)")" = "max,p50,p99" ] ||
		fail "latency_compare: $(sq 'SELECT * FROM latency_compare')"
	"$emudiff" show latency-compare --db "$sdb" | grep -q '^wakeup  *run  *lat_wakeup_ns  *qemu-user/hw  *p50 ' ||
		fail "show latency-compare: $("$emudiff" show latency-compare --db "$sdb")"
fi
echo "ok: cyclictest as a suite workload ($platforms)"
