#!/bin/bash
# test_crash_interrupt.sh EMUDIFF PLUGIN QEMU_X86 CRASH SPIN OK - what the README
# promises when a guest crashes under `emudiff collect qemu`, and when the
# collector is interrupted:
#  - a guest killed by SIGSEGV is stored as a 'failed' run with exit code
#    128 + 11 = 139, with no counts where QEMU does not run the plugin's exit
#    hook on that path (7.2), with the counts up to the crash where it does
#    (10.0: marker 1, 4 instructions); the command goes on to the next
#    repetition (exit 0, 1 with --fail-on-error), and a study goes on to the
#    next cell;
#  - SIGINT in the middle, to the process group (Ctrl-C) or to the collector
#    alone: the collector dies of SIGINT (status 130), QEMU is stopped, the
#    runs finished before are stored whole, the one in flight not at all, the
#    store passes its integrity check, and its temporary directory is gone.
set -u
emudiff=$1 plugin=$2 qemu=$3 crash=$4 spin=$5 okprog=$6
[ -n "$qemu" ] && [ -x "$qemu" ] || { echo "skip: qemu-x86_64 not installed"; exit 77; }
tmp=$(mktemp -d /tmp/emudiff-crash-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export EMUDIFF_PLUGIN=$plugin
. "$(dirname "$0")/expect.sh"

# --- a crashing guest, two repetitions
# Does this QEMU write the plugin's output when the guest dies of a signal?
# (QEMU itself, run with the plugin: 7.2 does not, 10.0 does)
"$qemu" -plugin "$plugin,out=$tmp/crash.out" "$crash" >/dev/null 2>&1
if [ -s "$tmp/crash.out" ]; then
	# (default mode: the block cut short by the fault is counted whole: marker, xor, mov, ud2)
	marks="1:0 1:0" insns="4 4"
else
	marks="" insns=""
fi
db=$tmp/crash.db
expect_rc 0 "$emudiff" collect qemu --db "$db" --name crash --reps 2 -- "$crash"
expect "SELECT group_concat(rep || ':' || platform || ':' || status || ':' || exit_code, ' ') FROM run" \
	"0:qemu-user:failed:139 1:qemu-user:failed:139"
expect "SELECT group_concat(mark_id || ':' || insns, ' ') FROM (SELECT * FROM mark ORDER BY run_id, seq)" "$marks"
expect "SELECT group_concat(CAST(value AS INTEGER), ' ') FROM (SELECT * FROM run_metric WHERE metric = 'insns' ORDER BY run_id)" "$insns"
expect_rc 1 "$emudiff" collect qemu --db "$db" --name crash --fail-on-error -- "$crash"
expect "SELECT count(*) FROM run WHERE status = 'failed' AND exit_code = 139" "3"

# --- a study with the crashing guest first: the cells after it still run
cat >"$tmp/suite.ini" <<INI
[study]
name = crash
platforms = qemu-user
reps = 2
jobs = 1
timeout = 60

[workload crash]
binary = $crash
arch = x86_64

[workload fine]
binary = $okprog
arch = x86_64
INI
expect_rc 0 "$emudiff" study "$tmp/suite.ini" --out "$tmp/study" --collect-only
db=$tmp/study/emudiff.db
expect "SELECT group_concat(cell || '=' || status || ':' || exit_code, ' ') FROM (SELECT * FROM run ORDER BY cell)" \
	"crash/qemu-user/0=failed:139 crash/qemu-user/1=failed:139 fine/qemu-user/0=ok:0 fine/qemu-user/1=ok:0"

# --- SIGINT in the middle of 5 repetitions of a guest that never ends
# (each stops at its 1 s timeout); job control gives each collector its own
# process group with SIGINT not ignored
set -m
interrupt() { # interrupt NAME KILL-TARGET-PREFIX
	local name=$1 prefix=$2 pid rc left
	db=$tmp/$name.db
	mkdir -p "$tmp/tmp-$name"
	TMPDIR=$tmp/tmp-$name "$emudiff" collect qemu --db "$db" --name spin --reps 5 --timeout 1 -- "$spin" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	for _ in $(seq 300); do # until the first run is stored, at most 30 s
		[ "$(sqlite3 "$db" "SELECT count(*) FROM run" 2>/dev/null || echo 0)" -gt 0 ] && break
		sleep 0.1
	done
	sleep 0.3 # into the second run
	kill -INT -- "$prefix$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 130 ] || { echo "FAIL: $name: exit $rc, want 130 (died of SIGINT)"; failures=$((failures + 1)); }
	sleep 0.5
	left=$(pgrep -g "$pid" | tr '\n' ' ')
	if [ -n "$left" ]; then
		echo "FAIL: $name: processes left running: $(ps -o pid,cmd -p ${left// /,})"
		failures=$((failures + 1))
		kill $left 2>/dev/null
	fi
	expect "SELECT count(*) BETWEEN 1 AND 4 FROM run" "1"
	expect "SELECT count(*) FROM run WHERE status <> 'timeout' OR id NOT IN (SELECT run_id FROM mark WHERE mark_id = 1)" "0"
	expect "PRAGMA integrity_check" "ok"
	[ -z "$(ls -A "$tmp/tmp-$name")" ] || { echo "FAIL: $name: temporary files left: $(ls "$tmp/tmp-$name")"; failures=$((failures + 1)); }
	grep -q "^warning: interrupted: run [1-4] not stored$" "$tmp/$name.err" ||
		{ echo "FAIL: $name: no 'interrupted' line: $(cat "$tmp/$name.err")"; failures=$((failures + 1)); }
}
interrupt ctrl-c -   # the whole process group, as a terminal's Ctrl-C
interrupt collector "" # the collector alone: it must stop QEMU itself

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "crash and interrupt checks passed"
