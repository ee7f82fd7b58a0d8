#!/usr/bin/env bash
# A server's workers (docs/servers.md, "Workers"), exactly: fork_server
# forks a start-up helper before it listens, a worker after each of its
# first 3 requests (worker i makes i*K getppid() calls) and a shutdown
# helper on SIGTERM, each child nothing but its calls and exit_group. Under
# qemu-x86_64 and natively (collect hw) every run must list the same
# processes (ordinals 1 to 5 in creation order, one thread each), only the
# 3 workers of them in the load with the master (workers = 4), and under
# QEMU each child's exact system calls (i*K + 2: the fork's return counted
# in the child, then the calls and exit_group), natively (i*K + 1, as
# raw_syscalls:sys_enter sees them) when the machine's facts let collect hw
# trace them, else no per-worker system calls at all (never a 0). Then two
# runs a side through emudiff stats: the workers compared (4 and 4: not
# informative) and in `show servers` and the report's Under load table.
# Natively also 3000 short-lived workers at once: each one's fork record.
#   test_fork_workers.sh EMUDIFF FORK_SERVER TINY_DRIVER
set -u
emudiff=$(realpath "$1") srv=$(realpath "$2") drv=$(realpath "$3")
. "$EMUDIFF_TEST_LIB/facts.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
command -v sqlite3 >/dev/null || skip "sqlite3 missing"
db=$t/s.db
port=$((20000 + ($$ + 11) % 20000))
K=1000
q() { sqlite3 "$db" "$1"; }
metric() { q "SELECT value FROM run_metric WHERE run_id = $1 AND metric = '$2'"; }
collectors=(hw)
command -v qemu-x86_64 >/dev/null && collectors+=(qemu) || echo "note: qemu-x86_64 missing: the QEMU cases skipped"
# natively the system calls are traced when tracefs is mounted and we are privileged
native_sys=0
[ -n "$tracefs" ] && [ "$privileged" = 1 ] && native_sys=1

for c in "${collectors[@]}"; do
	"$emudiff" collect $c --db "$db" --name fork --timeout 90 --reps 2 --driver "$drv @port@ @budget@" \
		--port $port --budget 20 -- "$srv" $port 3 $K >"$t/out" 2>"$t/err" ||
		fail "$c: exit $?: $(tail -3 "$t/err")"
	tail -1 "$t/out" | grep -qx 'fork_server: served 20 requests, 5 of 5 children ended cleanly' ||
		fail "$c: stdout: $(cat "$t/out")"
	plat=$([ $c = qemu ] && echo qemu-user || echo hw)
	for r in $(q "SELECT id FROM run WHERE platform = '$plat'"); do
		[ "$(q "SELECT status FROM run WHERE id = $r")" = ok ] || fail "$c run $r: not ok"
		# every process, one thread each, in creation order; in the load: the master and the workers
		[ "$(q "SELECT group_concat(process || ':' || in_load || ':' || (pid IS NOT NULL), ' ') FROM
		       (SELECT * FROM run_thread WHERE run_id = $r ORDER BY thread)")" = "0:1:1 1:0:1 2:1:1 3:1:1 4:1:1 5:0:1" ] ||
			fail "$c run $r: threads $(q "SELECT group_concat(thread || '/' || process || '/' || in_load, ' ') FROM run_thread WHERE run_id = $r")"
		[ "$(metric $r workers)" = 4.0 ] || fail "$c run $r: workers '$(metric $r workers)', not 4"
		if [ $c = qemu ]; then
			sys="$(q "SELECT group_concat(CAST(m.value AS INTEGER), ' ') FROM run_thread t JOIN thread_metric m
			          ON m.run_id = t.run_id AND m.thread = t.thread AND m.metric = 'syscalls'
			          WHERE t.run_id = $r AND t.process > 0 ORDER BY t.process")"
			[ "$sys" = "$((K + 2)) $((K + 2)) $((2 * K + 2)) $((3 * K + 2)) $((K + 2))" ] ||
				fail "qemu run $r: the children's system calls '$sys'"
			master=$(q "SELECT value FROM thread_metric WHERE run_id = $r AND thread = 0 AND metric = 'syscalls'")
			[ "$(metric $r syscalls_per_worker_max)" = "$((3 * K + 2)).0" ] ||
				fail "qemu run $r: syscalls_per_worker_max $(metric $r syscalls_per_worker_max) (master $master)"
			[ "$(q "SELECT value * 4 = $master + $((6 * K + 6)) FROM run_metric WHERE run_id = $r
			       AND metric = 'syscalls_per_worker'")" = 1 ] ||
				fail "qemu run $r: syscalls_per_worker $(metric $r syscalls_per_worker) (master $master)"
			# the workers' instructions: the mean and max of the master's and the three workers'
			[ "$(q "SELECT (SELECT avg(m.value) || ' ' || max(m.value) FROM run_thread t JOIN thread_metric m
			       ON m.run_id = t.run_id AND m.thread = t.thread AND m.metric = 'insns' WHERE t.run_id = $r AND t.in_load)
			       = (SELECT a.value || ' ' || b.value FROM run_metric a, run_metric b WHERE a.run_id = $r
			       AND b.run_id = $r AND a.metric = 'insns_per_worker' AND b.metric = 'insns_per_worker_max')")" = 1 ] ||
				fail "qemu run $r: insns per worker"
			# thread_metric: process 0 adds up to the run's insns, the others to insns_children
			[ "$(q "SELECT sum(m.value) = (SELECT value FROM run_metric WHERE run_id = $r AND metric = 'insns_children')
			       FROM run_thread t JOIN thread_metric m ON m.run_id = t.run_id AND m.thread = t.thread
			       AND m.metric = 'insns' WHERE t.run_id = $r AND t.process > 0")" = 1 ] ||
				fail "qemu run $r: children's insns do not add up to insns_children"
		elif [ $native_sys = 1 ]; then
			sys="$(q "SELECT group_concat(CAST(m.value AS INTEGER), ' ') FROM run_thread t JOIN thread_metric m
			          ON m.run_id = t.run_id AND m.thread = t.thread AND m.metric = 'syscalls'
			          WHERE t.run_id = $r AND t.process > 0 ORDER BY t.process")"
			[ "$sys" = "$((K + 1)) $((K + 1)) $((2 * K + 1)) $((3 * K + 1)) $((K + 1))" ] ||
				fail "hw run $r: the children's system calls '$sys'"
			[ "$(metric $r syscalls_per_worker_max)" = "$((3 * K + 1)).0" ] ||
				fail "hw run $r: syscalls_per_worker_max $(metric $r syscalls_per_worker_max)"
		else
			[ -z "$(metric $r syscalls_per_worker)$(metric $r syscalls_per_worker_max)" ] ||
				fail "hw run $r: per-worker system calls stored though none were traced"
			[ -n "$(q "SELECT json_extract(config_json, '\$.unsupported.syscalls') FROM run WHERE id = $r")" ] ||
				fail "hw run $r: untraced system calls not recorded as unsupported"
		fi
	done
done
# natively, many short-lived workers on several CPUs at once: every one has its
# fork record (one ring per CPU; a ring shared by all CPUs lost most of them)
"$emudiff" collect hw --db "$db" --name many --timeout 120 --driver "$drv @port@ @budget@" --port $port \
	--budget 3000 -- "$srv" $port 3000 1 >"$t/out" 2>"$t/err" || fail "many: exit $?: $(tail -3 "$t/err")"
r=$(q "SELECT max(id) FROM run")
if [ "$(q "SELECT json_extract(config_json, '\$.threads.order') FROM run WHERE id = $r")" = created ]; then
	[ "$(metric $r workers)" = 3001.0 ] && [ "$(q "SELECT count(*) FROM run_thread WHERE run_id = $r")" = 3003 ] ||
		fail "many: workers $(metric $r workers), threads $(q "SELECT json_extract(config_json, '\$.threads') FROM run WHERE id = $r")"
else
	echo "note: natively no fork records here ($(q "SELECT json_extract(config_json, '\$.threads.why') FROM run WHERE id = $r")): the many-workers case skipped"
fi
[ $native_sys = 1 ] || echo "note: natively no system calls traced (tracefs '${tracefs}', privileged $privileged): per-worker counts checked under QEMU only"

if [ ${#collectors[@]} = 2 ]; then
	"$emudiff" stats --db "$db" >"$t/stats" 2>&1 || fail "stats: $(tail -3 "$t/stats")"
	"$emudiff" show servers --db "$db" >"$t/show" || fail "show servers"
	grep -q '^fork  *workers  *qemu-user/hw  *2/2 .*not informative: workers is 4.00 in every qemu-user run and 4.00 in every hw run' "$t/show" ||
		fail "show servers: no workers row: $(cat "$t/show")"
	"$emudiff" show servers --db "$db" --json >"$t/json" || fail "show servers --json"
	[ "$(sqlite3 :memory: "SELECT json_extract(value, '\$.emu') || '/' || json_extract(value, '\$.hw') FROM
	     json_each(readfile('$t/json')) WHERE json_extract(value, '\$.metric') = 'workers'")" = 4.0/4.0 ] ||
		fail "show servers --json: $(cat "$t/json")"
	if [ $native_sys = 1 ]; then
		grep -q '^fork  *syscalls_per_worker_max ' "$t/show" || fail "show servers: no syscalls_per_worker_max row"
	fi
	"$emudiff" report --db "$db" --out "$t/report" >/dev/null 2>&1 || fail "report"
	grep -rl 'Under load' "$t/report" | xargs grep -l '<code>workers</code>' >/dev/null ||
		fail "report: no workers row in the Under load table"
fi
# emudiff merge keeps each thread's process and whether it ran during the load
"$emudiff" merge --db "$t/merged.db" "$db" >/dev/null 2>&1 || fail "merge"
threads() { sqlite3 "$1" "SELECT count(*), sum(process), sum(in_load), count(pid) FROM run_thread"; }
[ "$(threads "$t/merged.db")" = "$(threads "$db")" ] || fail "merge: run_thread $(threads "$t/merged.db"), not $(threads "$db")"
[ $fails = 0 ] && echo "fork workers: all cases passed" || echo "$fails failure(s)"
[ $fails = 0 ]
