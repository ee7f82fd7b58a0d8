#!/usr/bin/env bash
# Client-server runs (issue #20): the tiny server natively (collect hw) and
# under qemu-x86_64 (collect qemu) with the tiny driver: metrics stored, the
# server stopped cleanly; then each fault: a server that never listens, a
# driver that fails or is missing, a server that ignores SIGTERM, a port in
# use, a server that crashes mid-load. All traffic is on 127.0.0.1; every
# server this script starts itself is stopped by its pid.
#   test_driver.sh EMUDIFF TINY_SERVER TINY_DRIVER
set -u
emudiff=$1 srv=$2 drv=$3
t=$(mktemp -d)
blocker=
cleanup() { [ -n "$blocker" ] && kill "$blocker" 2>/dev/null; wait 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
db=$t/s.db
port=$((20000 + $$ % 20000))
q() { sqlite3 "$db" "$1"; }
metric() { q "SELECT value FROM run_metric WHERE run_id = $1 AND metric = '$2'"; }
last_run() { q "SELECT max(id) FROM run"; }
collectors=(hw)
command -v qemu-x86_64 >/dev/null && collectors+=(qemu) || echo "note: qemu-x86_64 missing: user-mode cases skipped"
command -v sqlite3 >/dev/null || { echo "skip: sqlite3 missing"; exit 77; }

for c in "${collectors[@]}"; do
	# 1. a good run: driver metrics and, under QEMU, the counts per request
	"$emudiff" collect $c --db "$db" --name ok-$c --timeout 60 --driver "$drv @port@ @budget@" \
		--port $port --budget 200 -- "$srv" $port >"$t/out" 2>"$t/err" || fail "$c: good run exited $?: $(cat "$t/err")"
	r=$(last_run)
	[ "$(q "SELECT status FROM run WHERE id = $r")" = ok ] || fail "$c: good run not ok: $(cat "$t/err")"
	[ "$(metric $r requests)" = 200.0 ] || fail "$c: requests $(metric $r requests), not 200"
	for m in requests_per_s req_p50_ns req_p99_ns req_errors ready_ns; do
		[ -n "$(metric $r $m)" ] || fail "$c: no $m"
	done
	grep -q 'served 200 requests' "$t/out" || fail "$c: the server did not end cleanly after SIGTERM (its stdout: $(cat "$t/out"))"
	if [ $c = qemu ]; then
		ipr=$(metric $r insns_per_req) spr=$(metric $r syscalls_per_req)
		awk -v x="$ipr" 'BEGIN { exit !(x > 10 && x < 100000) }' || fail "qemu: insns_per_req '$ipr'"
		# accept, read, write, close per request at least
		awk -v x="$spr" 'BEGIN { exit !(x >= 4 && x < 20) }' || fail "qemu: syscalls_per_req '$spr'"
		[ "$(metric $r workers)" = 1.0 ] || fail "qemu: workers $(metric $r workers)"
	fi

	# 2. a server that never listens: failed, naming the port, after the deadline
	n0=$(last_run)
	"$emudiff" collect $c --db "$db" --name never-$c --timeout 60 --driver "$drv @port@ 5" --port $port \
		--ready-timeout 1 -- "$srv" $port --never-listen >/dev/null 2>"$t/err"
	r=$(last_run)
	[ "$r" != "$n0" ] && [ "$(q "SELECT status FROM run WHERE id = $r")" = failed ] || fail "$c: never-listening server not a failed run"
	q "SELECT config_json FROM run WHERE id = $r" | grep -q "did not listen on 127.0.0.1:$port within 1 s" ||
		fail "$c: the failed run does not name the port: $(q "SELECT config_json FROM run WHERE id = $r")"
	[ -z "$(metric $r requests)" ] || fail "$c: a failed readiness stored requests"

	# 3. a driver that fails: failed run naming it, no driver metrics
	"$emudiff" collect $c --db "$db" --name drvfail-$c --timeout 60 --driver "$drv @port@ 20 --fail" --port $port \
		-- "$srv" $port >/dev/null 2>"$t/err"
	r=$(last_run)
	[ "$(q "SELECT status FROM run WHERE id = $r")" = failed ] || fail "$c: failing driver not a failed run"
	q "SELECT config_json FROM run WHERE id = $r" | grep -q 'driver tiny_driver failed: exit 3' ||
		fail "$c: failing driver not named: $(q "SELECT config_json FROM run WHERE id = $r")"
	[ -z "$(metric $r requests)" ] || fail "$c: a failed driver's requests stored"

	# 4. a missing driver: one line naming it, nothing stored, exit 2
	n0=$(last_run)
	"$emudiff" collect $c --db "$db" --name nodrv-$c --driver "no-such-driver-xyz @port@" --port $port \
		-- "$srv" $port >/dev/null 2>"$t/err"
	rc=$?
	[ $rc = 2 ] || fail "$c: missing driver exit $rc, not 2"
	# (besides the warning naming the QEMU taken when PATH's has no plugin support)
	grep -v '^warning: .*: QEMU [0-9.]* without plugin support; using .* instead' "$t/err" >"$t/err.1"
	[ "$(wc -l <"$t/err.1")" = 1 ] && grep -q 'driver no-such-driver-xyz: not found' "$t/err.1" ||
		fail "$c: missing driver: $(cat "$t/err")"
	[ "$(last_run)" = "$n0" ] || fail "$c: a run was stored for a missing driver"

	# 5. a server that ignores SIGTERM: killed after the grace, the run failed and marked
	"$emudiff" collect $c --db "$db" --name stubborn-$c --timeout 60 --driver "$drv @port@ 10" --port $port \
		-- "$srv" $port --ignore-term >/dev/null 2>"$t/err"
	r=$(last_run)
	[ "$(q "SELECT status FROM run WHERE id = $r")" = failed ] || fail "$c: stubborn server's run not failed"
	[ "$(q "SELECT json_extract(config_json, '$.driver.server_killed') FROM run WHERE id = $r")" = 1 ] ||
		fail "$c: stubborn server not marked killed: $(q "SELECT config_json FROM run WHERE id = $r")"

	# 6. a server that crashes under load: failed, nothing of the driver stored
	"$emudiff" collect $c --db "$db" --name crash-$c --timeout 60 --driver "$drv @port@ 50" --port $port \
		-- "$srv" $port --crash-after 5 >/dev/null 2>"$t/err"
	r=$(last_run)
	[ "$(q "SELECT status FROM run WHERE id = $r")" = failed ] || fail "$c: crashing server's run not failed"
	[ -z "$(metric $r requests)" ] || fail "$c: a crashed server's run has driver metrics"
done

# 7. a port in use: one line, nothing stored (a server of this script's own holds it)
"$srv" $port >/dev/null &
blocker=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
n0=$(last_run)
"$emudiff" collect hw --db "$db" --name busy --driver "$drv @port@ 5" --port $port -- "$srv" $port >/dev/null 2>"$t/err"
rc=$?
[ $rc = 2 ] || fail "port in use: exit $rc, not 2"
[ "$(wc -l <"$t/err")" = 1 ] && grep -q "port $port: in use" "$t/err" || fail "port in use: $(cat "$t/err")"
[ "$(last_run)" = "$n0" ] || fail "a run was stored with the port in use"
kill "$blocker"; wait "$blocker" 2>/dev/null; blocker=

# 8. bad options: usage errors
"$emudiff" collect hw --db "$db" --driver "$drv" -- "$srv" 1 2>"$t/err"; [ $? = 2 ] || fail "--driver without --port accepted"
"$emudiff" collect hw --db "$db" --driver "$drv" --port 1 --budget 3m -- "$srv" 1 2>"$t/err"; [ $? = 2 ] || fail "--budget 3m accepted"

[ $fails = 0 ] && echo "driver: all cases passed" || echo "$fails failure(s)"
exit $((fails > 0))
