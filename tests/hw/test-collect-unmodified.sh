#!/usr/bin/env bash
# emudiff collect hw on an unmodified threaded program (xz -T2, Debian's
# xz-utils): its stdout byte-identical to a native run, its threads numbered
# in creation order, each thread's own whole-run totals adding up to the run's.
#   test-collect-unmodified.sh EMUDIFF
set -u
. "$EMUDIFF_TEST_LIB/facts.sh"
emudiff=$1
xz=$(command -v xz) || skip "no xz on this machine (Debian package xz-utils)"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
db=$t/xz.db
q() { sqlite3 "$db" "$@"; }

# 4.6 MB of text in 256 KiB blocks: both worker threads get work
awk 'BEGIN { for (i = 0; i < 120000; i++) print i, (i * i) % 7919, "some text for the compressor" }' > "$t/in"
args=(-T2 -0 --block-size=262144 -c "$t/in")
"$xz" "${args[@]}" > "$t/native.xz" || fail "native xz failed"
"$emudiff" collect hw --db "$db" --name xz -- "$xz" "${args[@]}" > "$t/hw.xz" 2> "$t/err" ||
	fail "collect hw failed: $(head -c 400 "$t/err")"
cmp -s "$t/native.xz" "$t/hw.xz" || fail "stdout under collect hw differs from the native run's"
run=$(q "SELECT max(id) FROM run")
[ "$(q "SELECT status FROM run WHERE id=$run")" = ok ] || fail "run status $(q "SELECT status FROM run WHERE id=$run")"
n=$(q "SELECT count(*) FROM run_thread WHERE run_id=$run")
[ "$n" -ge 3 ] || fail "$n threads: expected the main thread and 2 workers"
[ "$(q "SELECT count(DISTINCT os_id) FROM run_thread WHERE run_id=$run")" = "$n" ] || fail "thread ids not distinct"
[ "$(q "SELECT json_extract(config_json, '\$.threads.order') || '/' || json_extract(config_json, '\$.threads.totals')
        FROM run WHERE id=$run")" = created/1 ] ||
	fail "config threads: $(q "SELECT json_extract(config_json, '\$.threads') FROM run WHERE id=$run")"
for m in $(q "SELECT metric FROM run_metric WHERE run_id=$run AND metric IN
              ('task_clock_ns','page_faults','context_switches','cpu_migrations','instret','cycles')"); do
	[ "$(q "SELECT count(*) FROM thread_metric WHERE run_id=$run AND metric='$m'")" = "$n" ] ||
		fail "$m: not one total per thread"
	[ "$(q "SELECT abs(sum(t.value) - r.value) <= 1e-9 * max(1, r.value) FROM thread_metric t
	        JOIN run_metric r ON r.run_id=t.run_id AND r.metric=t.metric WHERE t.run_id=$run AND t.metric='$m'")" = 1 ] ||
		fail "$m: the threads' totals do not add up to the run's"
done
if [ -n "$(q "SELECT value FROM run_metric WHERE run_id=$run AND metric='task_clock_ns'")" ]; then
	# the workers compress: each has CPU time of its own
	[ "$(q "SELECT count(*) FROM thread_metric WHERE run_id=$run AND thread > 0 AND metric='task_clock_ns' AND value > 0")" -ge 2 ] ||
		fail "workers without task clock: $(q "SELECT group_concat(thread || '=' || value) FROM thread_metric WHERE run_id=$run AND metric='task_clock_ns'")"
elif [ "$privileged" = 1 ]; then
	fail "task-clock refused to a privileged user"
fi
[ "$fails" = 0 ] || exit 1
echo "ok: $n threads"
