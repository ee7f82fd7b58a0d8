#!/usr/bin/env bash
# A riscv64 program built with -DEMUDIFF_FREESTANDING prints its markers
# (rdcycle/rdinstret/rdtime) under qemu-riscv64; collect console stores them.
# SMP_PROGRAM (marked-freestanding-smp.c) prints as two harts through the
# header's SMP hooks: whole lines with hart=, stored on the hart ordinals.
#   test-console-riscv64.sh EMUDIFF QEMU_RISCV64 PROGRAM [SMP_PROGRAM]
set -u
emudiff=$1
qemu=$2
prog=$3
smp_prog=${4:-}
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
if [ -n "$smp_prog" ]; then
	"$qemu" "$smp_prog" > "$t/smp.log" || fail "SMP program failed under qemu"
	# 2 x 202 whole lines (one character per write: interleaved lines would not match)
	[ "$(grep -c '^@emudiff mark [123] hart=[12] cycles=[0-9]* instret=[0-9]* time=[0-9]*$' "$t/smp.log")" = 404 ] ||
		fail "SMP: expected 404 whole marker lines: $(head -5 "$t/smp.log")"
	for h in 1 2; do
		[ "$(sed -n "s/^@emudiff mark \([0-9]*\) hart=$h .*/\1/p" "$t/smp.log" | uniq -c | tr -s ' ' | tr '\n' ,)" = \
			" 1 1, 200 2, 1 3," ] || fail "SMP: hart $h's marks"
	done
	"$emudiff" collect console --db "$t/s.db" --elf "$smp_prog" --log "$t/smp.log" > "$t/out" 2>&1 ||
		fail "collect console (SMP): $(cat "$t/out")"
	[ "$(sqlite3 "$t/s.db" "SELECT group_concat(thread || '=' || os_id, ' ') FROM (SELECT * FROM run_thread ORDER BY thread)")" = "0=1 1=2" ] ||
		fail "SMP: run_thread $(sqlite3 "$t/s.db" "SELECT * FROM run_thread")"
	[ "$(sqlite3 "$t/s.db" "SELECT group_concat(thread || ':' || n, ' ') FROM (SELECT thread, count(*) AS n FROM mark GROUP BY thread)")" = "0:202 1:202" ] ||
		fail "SMP: marks per thread"
	# ordinals by hart number, not by who printed first: hart 1 is thread 0
	first=$(sed -n '1s/^@emudiff mark 1 hart=\([12]\) .*/\1/p' "$t/smp.log")
	[ "$(sqlite3 "$t/s.db" "SELECT thread FROM mark WHERE seq = 0")" = "$((first - 1))" ] ||
		fail "SMP: the first mark (hart $first) is not on thread $((first - 1))"
fi
[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "freestanding riscv64 markers: all checks passed"
