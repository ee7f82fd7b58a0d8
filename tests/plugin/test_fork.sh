#!/bin/bash
# test_fork.sh - a guest that forks under qemu-x86_64: the child's plugin
# output (FILE.<pid>) is counted as insns_children, the parent's counts and
# marks are unchanged (x86_64_fork.S has the hand counts).
#   test_fork.sh EMUDIFF PLUGIN QEMU_X86 FORK NOFORK SPIN
set -u
emudiff=$1 plugin=$2 qemu_x86=$3 fork=$4 nofork=$5 spin=$6
[ -n "$qemu_x86" ] && [ -x "$qemu_x86" ] || { echo "qemu-x86_64 not installed: skipped"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (the command) not installed"; exit 1; }

tmp=$(mktemp -d /tmp/emudiff-fork-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/t.db
export EMUDIFF_PLUGIN=$plugin
. "$(dirname "$0")/expect.sh"
metric() { echo "SELECT CAST(value AS INTEGER) FROM run_metric WHERE run_id = $1 AND metric = '$2'"; }

# run 1: without the fork (getpid instead): the parent's reference counts
expect_rc 0 "$emudiff" collect qemu --db "$db" --name nofork -- "$nofork"
expect "$(metric 1 insns)" "2019"
expect "SELECT count(*) FROM run_metric WHERE run_id = 1 AND metric IN ('children', 'insns_children')" "0"
expect "SELECT json_extract(config_json, '$.forked') IS NULL FROM run WHERE id = 1" "1"

# run 2: with the fork
expect_rc 0 "$emudiff" collect qemu --db "$db" --name fork -- "$fork"
expect "SELECT status, exit_code FROM run WHERE id = 2" "ok|0"
expect "$(metric 2 insns)" "2019"
expect "$(metric 2 children)" "1"
expect "$(metric 2 insns_children)" "2000007"
expect "SELECT json_extract(config_json, '$.forked') FROM run WHERE id = 2" "1"
expect "SELECT group_concat(mark_id || ':' || insns) FROM (SELECT * FROM mark WHERE run_id = 2 ORDER BY seq)" "1:0,2:2003"
expect "SELECT group_concat(detail) FROM (SELECT detail FROM event_count WHERE run_id = 2 AND kind = 'syscall' ORDER BY detail)" "231,57,61"
grep -q "^warning: .*forked 1 child process(es); their 2000007 instructions are stored as insns_children" "$tmp/err" ||
	{ echo "FAIL: no fork warning"; cat "$tmp/err"; failures=$((failures + 1)); }

# --ingest: the child's file next to FILE is found the same way
"$qemu_x86" -plugin "$plugin,out=$tmp/p.out" "$fork" || { echo "FAIL: qemu-x86_64 failed"; failures=$((failures + 1)); }
children=$(ls "$tmp" | grep -c '^p\.out\.[0-9][0-9]*$')
[ "$children" = 1 ] || { echo "FAIL: $children child files, expected 1"; failures=$((failures + 1)); }
expect_rc 0 "$emudiff" collect qemu --db "$db" --name fork --ingest "$tmp/p.out" -- "$fork"
expect "$(metric 3 insns)" "2019"
expect "$(metric 3 insns_children)" "2000007"

# a damaged child file is bad input: one line, exit 2, nothing stored
child=$(ls "$tmp"/p.out.[0-9]*)
head -c 200 "$child" >"$tmp/c" && mv "$tmp/c" "$child"
runs=$(sqlite3 "$db" "SELECT count(*) FROM run")
expect_rc 2 "$emudiff" collect qemu --db "$db" --name fork --ingest "$tmp/p.out" -- "$fork"
grep -q "p.out.[0-9]*: .*truncated" "$tmp/err" || { echo "FAIL: no message naming the child file"; cat "$tmp/err"; failures=$((failures + 1)); }
[ "$(wc -l <"$tmp/err")" = 1 ] || { echo "FAIL: error is not one line"; cat "$tmp/err"; failures=$((failures + 1)); }
expect "SELECT count(*) FROM run" "$runs"

# SIGTERM to the forked child: the child (not the parent) writes its file
# and dies of the signal, which the parent passes on as its exit status
rm -f "$tmp"/s.out*
"$qemu_x86" -plugin "$plugin,out=$tmp/s.out" "$spin" >"$tmp/s.log" &
qpid=$!
for _ in $(seq 200); do grep -q r "$tmp/s.log" && break; sleep 0.05; done
cpid=$(cat /proc/$qpid/task/$qpid/children 2>/dev/null | tr -d ' ')
if [ -n "$cpid" ]; then
	kill -TERM "$cpid"
	wait "$qpid"
	rc=$?
	[ "$rc" = 15 ] || { echo "FAIL: parent exit $rc, expected 15 (child killed by SIGTERM)"; failures=$((failures + 1)); }
	[ -f "$tmp/s.out.$cpid" ] || { echo "FAIL: no $tmp/s.out.$cpid after SIGTERM"; ls "$tmp"; failures=$((failures + 1)); }
	expect_rc 0 "$emudiff" collect qemu --db "$db" --name spin --ingest "$tmp/s.out" -- "$spin"
	r=$(sqlite3 "$db" "SELECT max(id) FROM run")
	expect "SELECT status, exit_code FROM run WHERE id = $r" "failed|15"
	expect "$(metric "$r" insns)" "2020" # the wait4 status pointer: one more instruction
	expect "$(metric "$r" children)" "1"
	# the child's count is open-ended: 7 before the spin, then the spin
	expect "SELECT value > 7 FROM run_metric WHERE run_id = $r AND metric = 'insns_children'" "1"
else
	echo "FAIL: the spinning child did not start"
	kill -KILL "$qpid"
	failures=$((failures + 1))
fi

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all fork checks passed"
