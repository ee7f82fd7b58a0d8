#!/usr/bin/env bash
# Servers with forked workers (issue #20): the tiny server's --workers 2 mode
# (its master ends the workers with kill(0, SIGTERM), as lighttpd's does) and
# Debian's lighttpd with server.max-worker = 2 against wrk, natively (collect
# hw) and under qemu-x86_64 (collect qemu). Each run must be ok with the
# collector alive (exit 0, its "run N:" line), the server's stdout untouched
# (its own lines, every worker's included), three processes counted (workers
# = 3; under QEMU the two workers' plugin files too: children = 2), and the
# port free afterwards (no worker left). Then collect hw is stopped with
# SIGTERM mid-load: it stops the server (in a group of its own the signal does
# not reach it), stores nothing and dies of the signal.
#   test_workers.sh EMUDIFF TINY_SERVER TINY_DRIVER SRCDIR
set -u
emudiff=$(realpath "$1") srv=$(realpath "$2") drv=$(realpath "$3") src=$(realpath "$4")
t=$(mktemp -d)
coll=
cleanup() { [ -n "$coll" ] && kill "$coll" 2>/dev/null; wait 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
command -v sqlite3 >/dev/null || { echo "skip: sqlite3 missing"; exit 77; }
db=$t/s.db
port=$((20000 + ($$ + 7) % 20000))
q() { sqlite3 "$db" "$1"; }
metric() { q "SELECT value FROM run_metric WHERE run_id = $1 AND metric = '$2'"; }
last_run() { q "SELECT coalesce(max(id), 0) FROM run"; }
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; }
collectors=(hw)
command -v qemu-x86_64 >/dev/null && collectors+=(qemu) || echo "note: qemu-x86_64 missing: user-mode cases skipped"

# one good run of collector $1, workload name $2, server and driver after it
# ($3: driver command); checks what every worker-server run must hold
run_ok() {
	local c=$1 name=$2 dcmd=$3 r
	shift 3
	"$emudiff" collect $c --db "$db" --name $name --timeout 90 --driver "$dcmd" --port $port "$@" \
		>"$t/out" 2>"$t/err" || fail "$name: exit $? (the collector killed?): $(tail -3 "$t/err")"
	grep -q "^run [0-9]*: .*ok" "$t/err" || fail "$name: no 'run N: ... ok' line: $(tail -3 "$t/err")"
	r=$(last_run)
	[ "$(q "SELECT status FROM run WHERE id = $r")" = ok ] || fail "$name: run not ok: $(q "SELECT config_json FROM run WHERE id = $r")"
	[ "$(metric $r workers)" = 3.0 ] || fail "$name: workers '$(metric $r workers)', not 3"
	if [ $c = qemu ]; then
		[ "$(metric $r children)" = 2.0 ] || fail "$name: children '$(metric $r children)', not 2"
		awk -v x="$(metric $r insns_children)" 'BEGIN { exit !(x > 0) }' || fail "$name: no worker instructions"
		awk -v x="$(metric $r insns_per_req)" 'BEGIN { exit !(x > 0) }' || fail "$name: no insns_per_req"
	fi
	port_free || fail "$name: the port is still served after the run"
	last=$r
}

for c in "${collectors[@]}"; do
	run_ok $c tiny-workers-$c "$drv @port@ @budget@" --budget 200 -- "$srv" $port --workers 2
	# the server's own lines, byte for byte in its order: both workers' counts add up to 200
	head -1 "$t/out" | grep -qx "tiny_server: listening on 127.0.0.1:$port" || fail "$c: stdout: $(cat "$t/out")"
	tail -1 "$t/out" | grep -qx 'tiny_server: 2 of 2 workers ended cleanly' || fail "$c: stdout: $(cat "$t/out")"
	[ "$(wc -l <"$t/out")" = 4 ] || fail "$c: stdout has other lines: $(cat "$t/out")"
	[ "$(sed -n 's/^tiny_server: worker [01] served \([0-9]*\) requests$/\1/p' "$t/out" | awk '{ s += $1; n++ } END { print n, s }')" = "2 200" ] ||
		fail "$c: the workers' counts: $(cat "$t/out")"

	# a master that leaves its workers to end on their own (lighttpd's): they get
	# the grace period, so their reports and (under QEMU) plugin files are complete
	run_ok $c tiny-orphans-$c "$drv @port@ @budget@" --budget 200 -- "$srv" $port --orphan-workers 2
	[ "$(sed -n 's/^tiny_server: worker [01] served \([0-9]*\) requests$/\1/p' "$t/out" | awk '{ s += $1; n++ } END { print n, s }')" = "2 200" ] ||
		fail "$c: the orphaned workers' counts: $(cat "$t/out")"
	grep -qx 'tiny_server: the master leaves 2 workers' "$t/out" || fail "$c: orphans: $(cat "$t/out")"
done

if command -v lighttpd >/dev/null && command -v wrk >/dev/null; then
	# datasets/servers/lighttpd-workers.conf, on this test's port
	sed "s/^server.port = .*/server.port = $port/" "$src/datasets/servers/lighttpd-workers.conf" >"$t/lighttpd.conf"
	for c in "${collectors[@]}"; do
		cd "$src" # the configuration's document root is relative to it
		run_ok $c lighttpd-workers-$c "wrk -t1 -c4 -d@budget@s --latency http://127.0.0.1:@port@/" \
			--budget 1s -- "$(command -v lighttpd)" -D -f "$t/lighttpd.conf"
		cd - >/dev/null
		r=$(last_run)
		awk -v x="$(metric $r requests_per_s)" 'BEGIN { exit !(x > 0) }' || fail "lighttpd $c: no throughput"
		[ "$(metric $r req_errors)" = 0.0 ] || fail "lighttpd $c: req_errors $(metric $r req_errors)"
	done
else
	echo "note: lighttpd or wrk missing: the lighttpd cases skipped"
fi

# SIGTERM to collect hw mid-load: the server (its own group) is stopped, nothing stored
n0=$(last_run)
"$emudiff" collect hw --db "$db" --name interrupted --timeout 90 --driver "$drv @port@ 100000" --port $port \
	-- "$srv" $port --workers 2 >"$t/out" 2>"$t/err" &
coll=$!
for i in $(seq 100); do grep -q 'listening' "$t/out" 2>/dev/null && break; sleep 0.1; done
sleep 0.3
kill -TERM $coll
wait $coll
rc=$?
coll=
[ $rc = 143 ] || fail "interrupted collect hw: exit $rc, not 143 (SIGTERM): $(tail -3 "$t/err")"
grep -q 'interrupted: run 0 not stored' "$t/err" || fail "interrupted: $(tail -3 "$t/err")"
tail -1 "$t/out" | grep -qx 'tiny_server: 2 of 2 workers ended cleanly' || fail "interrupted: the server was not stopped cleanly: $(cat "$t/out")"
[ "$(last_run)" = "$n0" ] || fail "interrupted: a run was stored"
port_free || fail "interrupted: the server still listens"

[ $fails = 0 ] && echo "workers: all cases passed" || echo "$fails failure(s)"
exit $((fails > 0))
