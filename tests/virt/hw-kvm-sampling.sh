#!/bin/sh
# hw-kvm-sampling.sh EMUDIFF TWIN - the exit-sampling machinery of `collect
# hw-kvm` (per-CPU tracepoint events on the VMM pid, inherited, ring buffers,
# raw-data decoding by the format file) run for real on a tracepoint this
# machine has: raw_syscalls:sys_enter, decoded by its `id` field, on the
# Linux twin, which makes exactly 64 getppid system calls.
set -eu
emudiff=$1 twin=$2
[ "$(uname -m)" = x86_64 ] || { echo "skip: syscall numbers below are x86_64's"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/s.db
"$emudiff" collect hw-kvm --db "$db" --name twin --exit-event raw_syscalls:sys_enter/id -- "$twin" \
	>/dev/null 2>"$tmp/err" || fail "collect hw-kvm exited $?: $(cat "$tmp/err")"
state=$(sqlite3 "$db" "SELECT json_extract(config_json, '$.exit_events.\"raw_syscalls:sys_enter/id\"') FROM run")
if [ "$state" != sampled ]; then
	why=$(sqlite3 "$db" "SELECT json_extract(config_json, '$.unsupported.\"raw_syscalls:sys_enter/id\"') FROM run")
	echo "skip: raw_syscalls:sys_enter cannot be sampled here ($why)"
	exit 77
fi
q() { sqlite3 "$db" "SELECT coalesce(sum(count), 0) FROM event_count WHERE kind = 'vm_exit' AND detail = '$1'"; }
[ "$(q id=110)" = 64 ] || fail "getppid (110): $(q id=110), want 64"
[ "$(q id=38)" = 16 ] || fail "setitimer (38): $(q id=38), want 16"
[ "$(q id=15)" = 16 ] || fail "rt_sigreturn (15): $(q id=15), want 16"
total=$(sqlite3 "$db" "SELECT sum(count) FROM event_count")
[ "$(sqlite3 "$db" "SELECT value FROM run_metric WHERE metric = 'exits'")" = "$total.0" ] ||
	fail "exits metric is not the sum of the reasons"

# Exits between two marker lines of the console belong to the region the
# first one starts: a "VMM" that prints markers and runs the twin in between.
"$emudiff" collect hw-kvm --db "$db" --name regions --exit-event raw_syscalls:sys_enter/id -- sh -c '
	echo "@emudiff mark 1 time=1"; sleep 0.3; "$0" >/dev/null; sleep 0.3
	echo "@emudiff mark 2 time=2"; sleep 0.3; "$0" >/dev/null; "$0" >/dev/null; sleep 0.3
	echo "@emudiff mark 3 time=3"' "$twin" >/dev/null 2>"$tmp/err" || fail "regions run: $(cat "$tmp/err")"
# (the shell's own getppid for $PPID, before the first marker, has seq NULL)
by_seq=$(sqlite3 "$db" "SELECT group_concat(x, ' ') FROM (SELECT seq || ':' || count AS x
	FROM event_count WHERE run_id = 2 AND detail = 'id=110' AND seq IS NOT NULL ORDER BY seq)")
[ "$by_seq" = "0:64 1:128" ] || fail "getppid by marker seq: '$by_seq', want '0:64 1:128'"
echo "ok: exit sampling (getppid 64, setitimer 16, rt_sigreturn 16; by region 64 then 128)"
