#!/usr/bin/env bash
# Redis under QEMU (issues #20, #24): Debian's redis-server (dynamically
# linked, Redis 7 runs three bio threads and jemalloc's besides its main one)
# against redis-benchmark, under qemu-x86_64 with the plugin (collect qemu,
# threads counted apart) and natively (collect hw). Each run must be ok with
# the driver's metrics (requests = 2 x budget, requests_per_s > 0, no errors);
# under QEMU every thread has its row and its counts, which add up to the
# run's, and the server was stopped by its own shutdown (not killed). Redis's
# stdout is its own: the same lines as natively, pids and times aside. Then
# the suite's redis cell (datasets/suites/servers.ini, on this test's port) as
# a study of 2 runs per side: its stats hold server_compare rows for redis,
# which `emudiff show servers` prints.
#   test_redis.sh EMUDIFF SRCDIR
set -u
emudiff=$(realpath "$1") src=$(realpath "$2")
command -v redis-server >/dev/null || { echo "skip: redis-server missing (package redis-server)"; exit 77; }
command -v redis-benchmark >/dev/null || { echo "skip: redis-benchmark missing (package redis-tools)"; exit 77; }
command -v qemu-x86_64 >/dev/null || { echo "skip: qemu-x86_64 missing"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: sqlite3 missing"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
db=$t/r.db
port=$((20000 + ($$ + 11) % 20000))
q() { sqlite3 "$db" "$1"; }
metric() { q "SELECT value FROM run_metric WHERE run_id = $1 AND metric = '$2'"; }
positive() { awk -v x="$1" 'BEGIN { exit !(x > 0) }'; }
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; }
redis=$(command -v redis-server)
sed "s/^port .*/port $port/" "$src/datasets/servers/redis.conf" >"$t/redis.conf"
budget=1000
driver="redis-benchmark -h 127.0.0.1 -p @port@ -n @budget@ -c 4 -t set,get --csv"

# Redis's log lines with the pid, the date and the signal handler's time left out
normalize() {
	sed -E 's/^[0-9]+:([A-Z]|signal-handler) ([0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:.]+ )?/PID:\1 /;
		s/pid=[0-9]+/pid=N/; s/^PID:signal-handler \([0-9]+\)/PID:signal-handler (T)/' "$1"
}

for c in qemu hw; do
	"$emudiff" collect $c --db "$db" --name redis-$c --timeout 120 --driver "$driver" --port $port \
		--budget $budget -- "$redis" "$t/redis.conf" >"$t/out.$c" 2>"$t/err.$c" ||
		fail "$c: exit $?: $(tail -3 "$t/err.$c")"
	r=$(q "SELECT coalesce(max(id), 0) FROM run")
	[ "$(q "SELECT status FROM run WHERE id = $r")" = ok ] ||
		fail "$c: run not ok: $(q "SELECT config_json FROM run WHERE id = $r")"
	[ "$(metric $r requests)" = $((2 * budget)).0 ] || fail "$c: requests '$(metric $r requests)'"
	positive "$(metric $r requests_per_s)" || fail "$c: requests_per_s '$(metric $r requests_per_s)'"
	[ "$(metric $r req_errors)" = 0.0 ] || fail "$c: req_errors '$(metric $r req_errors)'"
	positive "$(metric $r req_p50_ns)" || fail "$c: no req_p50_ns"
	[ "$(q "SELECT json_extract(config_json, '$.driver.server_killed') FROM run WHERE id = $r")" = 0 ] ||
		fail "$c: the server had to be killed"
	grep -q 'Redis is now ready to exit, bye bye' "$t/out.$c" || fail "$c: Redis did not shut down: $(tail -3 "$t/out.$c")"
	port_free || fail "$c: the port is still served after the run"
	eval "run_$c=$r"
done

# under QEMU: every thread counted (threads=on), each with its counts, summing up
r=$run_qemu
[ "$(q "SELECT json_extract(config_json, '$.plugin_options') FROM run WHERE id = $r")" = threads=on ] ||
	fail "qemu: plugin options '$(q "SELECT json_extract(config_json, '$.plugin_options') FROM run WHERE id = $r")'"
nth=$(q "SELECT count(*) FROM run_thread WHERE run_id = $r AND kind = 'thread'")
[ "$nth" -gt 1 ] || fail "qemu: $nth thread rows"
[ "$(q "SELECT count(*) FROM thread_metric WHERE run_id = $r AND metric = 'insns' AND value > 0")" = "$nth" ] ||
	fail "qemu: threads without instructions: $(q "SELECT thread, value FROM thread_metric WHERE run_id = $r AND metric = 'insns'")"
for m in insns syscalls; do
	[ "$(q "SELECT sum(value) FROM thread_metric WHERE run_id = $r AND metric = '$m'")" = "$(metric $r $m)" ] ||
		fail "qemu: the threads' $m do not add up to the run's $(metric $r $m)"
done
positive "$(metric $r insns_per_req)" || fail "qemu: no insns_per_req"
positive "$(metric $r syscalls_per_req)" || fail "qemu: no syscalls_per_req"
# (the native run's threads, as the machine shows them, are collect hw's business)

# Redis's own lines, the same in both runs but for pids and times
normalize "$t/out.qemu" >"$t/norm.qemu"
normalize "$t/out.hw" >"$t/norm.hw"
grep -q 'Ready to accept connections' "$t/norm.hw" || fail "hw: Redis's stdout: $(cat "$t/out.hw")"
cmp -s "$t/norm.qemu" "$t/norm.hw" || fail "Redis's stdout differs under QEMU: $(diff "$t/norm.hw" "$t/norm.qemu")"
grep -q '^"SET",' "$t/out.qemu" && fail "qemu: the driver's report is on the workload's stdout"

figures="qemu-user $(metric $run_qemu requests_per_s) requests/s ($nth threads), hw $(metric $run_hw requests_per_s)"

# the suite's cell, on this test's port, as a study: server_compare rows for redis
{
	printf '[study]\nname = redis\nplatforms = qemu-user hw\nreps = 2\nwarmup = 0\ntimeout = 120\n'
	awk '/^\[workload redis\]/ { on = 1; print; next } /^\[/ { on = 0 } on && /^[a-z_]+ *=/' \
		"$src/datasets/suites/servers.ini" |
		sed "s|^args = .*|args = $t/redis.conf|; s/^port = .*/port = $port/; s/^budget = .*/budget = $budget/"
} >"$t/redis.ini"
grep -q '^driver = redis-benchmark' "$t/redis.ini" || fail "no redis cell in servers.ini: $(cat "$t/redis.ini")"
grep -q '^platforms' <(sed -n '/^\[workload/,$p' "$t/redis.ini") && fail "servers.ini's redis cell names its own platforms"
"$emudiff" study "$t/redis.ini" --db "$t/study.db" --out "$t/report" >"$t/study.out" 2>&1 ||
	fail "study: exit $?: $(tail -5 "$t/study.out")"
db=$t/study.db
[ "$(q "SELECT platform || ':' || count(*) FROM run WHERE status = 'ok' GROUP BY platform ORDER BY platform" | tr '\n' ' ')" = \
	"hw:2 qemu-user:2 " ] || fail "study runs: $(q "SELECT platform, status, config_json FROM run")"
for m in requests_per_s req_p50_ns req_p99_ns; do
	[ "$(q "SELECT count(*) FROM server_compare s JOIN workload w ON w.id = s.workload_id
		WHERE w.name = 'redis' AND metric = '$m' AND emu_platform = 'qemu-user' AND hw_platform = 'hw' AND n_emu = 2 AND n_hw = 2 AND ratio > 0")" = 1 ] ||
		fail "server_compare: no $m row for redis: $(q "SELECT * FROM server_compare")"
done
grep -q '^server redis, qemu-user / hw: requests_per_s [0-9.e+]*x \[' "$t/study.out" ||
	fail "the study's closing line for redis: $(tail -5 "$t/study.out")"
"$emudiff" show servers --db "$db" --workload redis >"$t/show" || fail "show servers"
grep -q '^redis  *requests_per_s  *qemu-user/hw  *2/2 ' "$t/show" || fail "show servers: $(cat "$t/show")"
echo "redis: $figures (one run each, budget $budget per test)"

[ $fails = 0 ] && echo "redis: all cases passed" || echo "$fails failure(s)"
exit $((fails > 0))
