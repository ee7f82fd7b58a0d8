#!/usr/bin/env bash
# A riscv64 program built with -DEMUDIFF_FREESTANDING prints its markers
# (rdcycle/rdinstret/rdtime) under qemu-riscv64; collect console stores them.
#   test-console-riscv64.sh EMUDIFF QEMU_RISCV64 PROGRAM
set -u
emudiff=$1
qemu=$2
prog=$3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }

# a serial logger's timestamps before each line, as on a board
"$qemu" "$prog" | sed 's/^/[serial] /' > "$t/serial.log" || fail "program failed under qemu"
[ "$(grep -c '@emudiff mark' "$t/serial.log")" = 5 ] || fail "expected 5 marker lines: $(cat "$t/serial.log")"
"$emudiff" collect console --db "$t/c.db" --elf "$prog" --log "$t/serial.log" > "$t/out" 2>&1 || fail "collect console: $(cat "$t/out")"
db=$t/c.db
q() { sqlite3 "$db" "$@"; }
[ "$(q "SELECT group_concat(mark_id, ',') FROM (SELECT mark_id FROM mark ORDER BY seq)")" = "1,2,2,2,3" ] ||
	fail "marker sequence $(q "SELECT group_concat(mark_id) FROM mark")"
[ "$(q "SELECT status || ' ' || exit_code || ' ' || platform FROM run")" = "ok 0 console" ] || fail "run row"
[ "$(q "SELECT arch FROM workload")" = riscv64 ] || fail "arch from --elf"
# every marker line carried instret and time: none may be missing (the ordering
# check below would pass on NULLs)
[ "$(q "SELECT count(*) FROM mark WHERE insns IS NOT NULL AND time_ns IS NOT NULL")" = 5 ] ||
	fail "instret/time missing at some marker: $(q "SELECT seq, insns, time_ns FROM mark")"
# rdinstret and rdtime only grow
[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.seq = a.seq + 1 WHERE b.insns < a.insns OR b.time_ns < a.time_ns")" = 0 ] ||
	fail "counters decrease"
# each loop body makes 100000 volatile stores: at least that many instructions
# from each '2' marker to the next marker
[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.seq = a.seq + 1 WHERE a.mark_id = 2 AND b.insns - a.insns >= 100000")" = 3 ] ||
	fail "instret across the loops: $(q "SELECT group_concat(insns) FROM mark")"
[ "$(q "SELECT count(*) FROM mark_value WHERE metric='cycles'")" = 5 ] || fail "cycles at each marker"
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "freestanding riscv64 markers: all checks passed"
