#!/bin/sh
# hw-kvm-sampling.sh EMUDIFF TWIN - the exit-sampling machinery of `collect
# hw-kvm` (per-CPU tracepoint events on the VMM pid, inherited, ring buffers,
# raw-data decoding by the format file) run for real on a tracepoint this
# machine has: raw_syscalls:sys_enter, decoded by its `id` field, on the
# Linux twin, which makes exactly 64 getppid system calls. Per the machine's
# facts: tracefs mounted -> the exact counts; not mounted -> the no-tracefs
# reason recorded (and warned), nothing counted.
set -eu
emudiff=$1 twin=$2
. "$EMUDIFF_TEST_LIB/facts.sh"
[ "$(uname -m)" = x86_64 ] || skip "syscall numbers below are x86_64's"
command -v sqlite3 >/dev/null || skip "no sqlite3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/s.db
"$emudiff" collect hw-kvm --db "$db" --name twin --exit-event raw_syscalls:sys_enter/id -- "$twin" \
	>/dev/null 2>"$tmp/err" || fail "collect hw-kvm exited $?: $(cat "$tmp/err")"
state=$(sqlite3 "$db" "SELECT json_extract(config_json, '$.exit_events.\"raw_syscalls:sys_enter/id\"') FROM run")
why=$(sqlite3 "$db" "SELECT json_extract(config_json, '$.unsupported.\"raw_syscalls:sys_enter/id\"') FROM run")
refused_why="EACCES (perf_event_paranoid $paranoid)"
if [ -z "$tracefs" ]; then
	no_tracefs="no-tracefs: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)"
	[ "$state" = unsupported ] || fail "no tracefs here, yet the event is '$state'"
	# an ordinary user cannot tell a tracefs closed to it from none (the facts
	# probe sees neither); the collector names the refusal then
	[ "$why" = "$no_tracefs" ] || { [ "$privileged" != 1 ] && [ "$why" = "$refused_why" ]; } ||
		fail "reason '$why', want '$no_tracefs'"
	grep -qxF "warning: exit event raw_syscalls:sys_enter/id: unsupported: $why" "$tmp/err" ||
		fail "warning: $(cat "$tmp/err")"
	[ "$(sqlite3 "$db" "SELECT status FROM run")" = ok ] || fail "the twin's run: $(sqlite3 "$db" 'SELECT status FROM run')"
	[ "$(sqlite3 "$db" "SELECT count(*) FROM event_count") $(sqlite3 "$db" "SELECT count(*) FROM run_metric WHERE metric = 'exits'")" = "0 0" ] ||
		fail "counts recorded without a sampled source"
	echo "ok: tracefs not mounted: raw_syscalls:sys_enter recorded as '$why'"
	exit 0
fi
# tracefs is mounted: root or a user with the capabilities (privileged=1)
# samples
# with paranoid >= 2 an ordinary user gets no kernel event; below, it may
if [ "$privileged" != 1 ] && { [ "$paranoid" -ge 2 ] || [ "$state" != sampled ]; }; then
	[ "$state" = unsupported ] && [ "$why" = "$refused_why" ] ||
		fail "unprivileged with perf_event_paranoid $paranoid: '$state' '$why'"
	echo "ok: unprivileged: raw_syscalls:sys_enter recorded as '$why'"
	exit 0
fi
[ "$state" = sampled ] || fail "tracefs at $tracefs, yet raw_syscalls:sys_enter/id is '$state' ($why)"
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

# The refused side, where this root can play it: the same run as an ordinary
# user, for whom perf_event_paranoid >= 2 forbids kernel events (and tracefs
# is root's only). The reason names the setting.
refused=""
if [ "$(id -u)" = 0 ] && [ "$paranoid" -ge 2 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$emudiff" -a -x "$twin"; then
	mkdir "$tmp/user" && chmod 755 "$tmp" && chmod 777 "$tmp/user"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$emudiff" collect hw-kvm --db "$tmp/user/u.db" --name twin --exit-event raw_syscalls:sys_enter/id \
		-- "$twin" >/dev/null 2>"$tmp/user/err" || fail "as an ordinary user: exit $?: $(cat "$tmp/user/err")"
	u() { sqlite3 "$tmp/user/u.db" "$1"; }
	[ "$(u "SELECT json_extract(config_json, '$.unsupported.\"raw_syscalls:sys_enter/id\"') FROM run")" = \
	  "EACCES (perf_event_paranoid $paranoid)" ] || fail "as an ordinary user: $(u 'SELECT config_json FROM run')"
	grep -qxF "warning: exit event raw_syscalls:sys_enter/id: unsupported: EACCES (perf_event_paranoid $paranoid)" \
		"$tmp/user/err" || fail "as an ordinary user, warning: $(cat "$tmp/user/err")"
	[ "$(u "SELECT count(*) FROM event_count")" = 0 ] || fail "as an ordinary user: counts recorded"
	refused="; refused to an ordinary user: EACCES (perf_event_paranoid $paranoid)"
fi
echo "ok: exit sampling (getppid 64, setitimer 16, rt_sigreturn 16; by region 64 then 128)$refused"
