#!/usr/bin/env bash
# The study runner with a fake collector (fake_collect.c): planned cells, the
# collector conventions, failures and timeouts recorded, hardware cells alone,
# warm-up once per workload, no re-runs on --resume, and a study killed in the
# middle (SIGINT and SIGKILL) that --resume completes with every cell exactly once.
#
# usage: test_study_runner.sh EMUDIFF FAKE_COLLECT SUITES_DIR
set -u
emudiff=$1 fake=$2 suites=$3
command -v sqlite3 >/dev/null || { echo "sqlite3 command-line tool missing"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
check_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
q() { sqlite3 "$1" "$2"; }
suite=$suites/basic.ini
# until the store holds a first run (slow starts under sanitizers), at most 20 s
wait_for_runs() {
	for _ in $(seq 200); do
		[ "$(sqlite3 "$1" "SELECT count(*) FROM run" 2>/dev/null || echo 0)" -gt 0 ] && return 0
		sleep 0.1
	done
	fail "no run stored in $1 after 20 s"
}
all_cells="alpha/qemu-user/0 alpha/hw/0 beta/qemu-user/0 gamma/qemu-user/0 gamma/hw/0 alpha/qemu-user/1 alpha/hw/1 beta/qemu-user/1 alpha/qemu-user/2 alpha/hw/2"

# 1. the plan, for batch systems
check_eq "$("$emudiff" study "$suite" --list-cells | tr '\n' ' ')" "$all_cells " "--list-cells"
n=$("$emudiff" study "$suite" --print-commands --db x.db | grep -c -- ' collect ')
check_eq "$n" 10 "--print-commands lines"

# 2. a full collection: one cell fails, one hangs, one crashes; the rest are ok
export FAKE_LOG=$t/log FAKE_FAIL=beta/qemu-user/1 FAKE_HANG=alpha/qemu-user/2 FAKE_CRASH=gamma/qemu-user/0
export FAKE_SLEEP_MS=150
"$emudiff" study "$suite" --exe "$fake" --out "$t/o1" --collect-only --grace 1 >"$t/out1" 2>"$t/err1"
check_eq "$?" 0 "exit code with failed cells"
db=$t/o1/emudiff.db
check_eq "$(q "$db" "SELECT count(*) FROM run")" 10 "runs stored"
check_eq "$(q "$db" "SELECT count(DISTINCT cell) FROM run")" 10 "distinct cells"
check_eq "$(q "$db" "SELECT group_concat(cell || '=' || status, ' ') FROM (SELECT cell, status FROM run WHERE status <> 'ok' ORDER BY cell)")" \
	"alpha/qemu-user/2=timeout beta/qemu-user/1=failed gamma/qemu-user/0=failed" "failure statuses"
check_eq "$(q "$db" "SELECT json_extract(config_json, '$.study_error') FROM run WHERE cell = 'beta/qemu-user/1'")" \
	"collector exited with status 2: error: fake: beta/qemu-user/1: the workload is not an ELF file" "recorded failure reason"
check_eq "$(q "$db" "SELECT json_extract(config_json, '$.study_error') FROM run WHERE cell = 'gamma/qemu-user/0'")" \
	"collector died of signal 6" "recorded crash"
check_eq "$(q "$db" "SELECT platform || ' ' || rep FROM run WHERE cell = 'alpha/hw/2'")" "hw 2" "platform and rep"
grep -q 'study: .* beta/qemu-user/1: failed' "$t/err1" || fail "failed cell not reported on stderr"
[ -s "$t/o1/logs/beta_qemu-user_1.log" ] || fail "no log file for a failed cell"
check_eq "$(q "$db" "SELECT a_workload || '>' || b_workload || ' ' || coalesce(a_platform, '-') || ' ' || b_platform FROM ab_pair WHERE name = 'ab'")" \
	"alpha>beta - qemu-user" "A/B pair recorded"
check_eq "$(q "$db" "SELECT value FROM meta WHERE key = 'study.tolerance'")" 1.5 "tolerance recorded"
grep -q '^store: ' "$t/out1" || fail "--collect-only does not print the store"

# hardware cells ran alone: no other cell's interval overlaps a hw interval
awk '
	$1 == "start" { s[$2] = substr($5, 3); k[$2] = $3 }
	$1 == "end"   { e[$2] = substr($5, 3) }
	END {
		for (h in e) if (k[h] == "hw")
			for (o in e) if (o != h && s[o] < e[h] && s[h] < e[o]) { print "overlap " h " " o; bad = 1 }
		exit bad
	}' "$t/log" || fail "a hardware cell overlapped another cell"
# emulation cells did run two at a time (jobs = 2)
awk '
	$1 == "start" && $3 == "qemu" { s[$2] = substr($5, 3) }
	$1 == "end" && $3 == "qemu" { e[$2] = substr($5, 3) }
	END { for (a in e) for (b in e) if (a < b && s[a] < e[b] && s[b] < e[a]) found = 1; exit !found }' "$t/log" ||
	fail "no two emulation cells ran in parallel"
# warm-up only before each workload's first hardware cell
check_eq "$(awk '$1 == "start" && $3 == "hw" { print $2, $4 }' "$t/log" | tr '\n' ',')" \
	"alpha/hw/0 warmup=2,gamma/hw/0 warmup=2,alpha/hw/1 warmup=0,alpha/hw/2 warmup=0," "warm-up arguments"

# 3. no silent re-run: without --resume a used store is refused (one line, exit 2)
"$emudiff" study "$suite" --exe "$fake" --out "$t/o1" --collect-only >/dev/null 2>"$t/err2"
check_eq "$?" 2 "exit code without --resume"
check_eq "$(wc -l <"$t/err2")" 1 "one-line error"
grep -q "already holds 10 of the 10 cells of suite 'basic': --resume" "$t/err2" || fail "message: $(cat "$t/err2")"

# 4. --resume runs nothing; --retry-failed runs exactly the three failures again
: >"$t/log"
"$emudiff" study "$suite" --exe "$fake" --out "$t/o1" --collect-only --resume >/dev/null 2>&1
check_eq "$(grep -c '^start' "$t/log")" 0 "cells run again by --resume"
unset FAKE_FAIL FAKE_HANG FAKE_CRASH
"$emudiff" study "$suite" --exe "$fake" --out "$t/o1" --collect-only --resume --retry-failed --fail-on-error >/dev/null 2>&1
check_eq "$?" 0 "exit code of --retry-failed"
check_eq "$(grep '^start' "$t/log" | awk '{print $2}' | sort | tr '\n' ' ')" \
	"alpha/qemu-user/2 beta/qemu-user/1 gamma/qemu-user/0 " "cells re-run by --retry-failed"
check_eq "$(q "$db" "SELECT count(*) FROM run WHERE status = 'ok'")" 10 "ok runs after retry"

# 5. --fail-on-error: a failed cell makes exit code 1
FAKE_FAIL=gamma/hw/0 "$emudiff" study "$suite" --exe "$fake" --out "$t/o5" --collect-only --fail-on-error >/dev/null 2>&1
check_eq "$?" 1 "exit code with --fail-on-error"

# 6. one cell for a batch system's array task; an unknown cell is bad input
"$emudiff" study "$suite" --exe "$fake" --db "$t/one.db" --out "$t/o6" --cell alpha/hw/1 >/dev/null 2>&1
check_eq "$(q "$t/one.db" "SELECT group_concat(cell) FROM run")" "alpha/hw/1" "--cell ran one cell"
"$emudiff" study "$suite" --exe "$fake" --db "$t/one.db" --out "$t/o6" --cell alpha/hw/9 >/dev/null 2>"$t/err6"
check_eq "$?" 2 "exit code for an unknown cell"
grep -q "no cell 'alpha/hw/9' in this suite" "$t/err6" || fail "unknown cell message: $(cat "$t/err6")"

# 7. SIGINT in the middle: children stopped, nothing half-done, --resume completes
export FAKE_SLEEP_MS=400
"$emudiff" study "$suite" --exe "$fake" --out "$t/o7" --collect-only >/dev/null 2>"$t/err7" &
pid=$!
wait_for_runs "$t/o7/emudiff.db"
kill -INT $pid
wait $pid
check_eq "$?" 130 "exit code after SIGINT"
grep -q 'rerun with --resume' "$t/err7" || fail "SIGINT message: $(cat "$t/err7")"
n7=$(q "$t/o7/emudiff.db" "SELECT count(*) FROM run")
[ "$n7" -gt 0 ] && [ "$n7" -lt 10 ] || fail "runs stored before SIGINT: $n7 (expected some, not all)"
check_eq "$(q "$t/o7/emudiff.db" "SELECT count(*) FROM run WHERE status <> 'ok'")" 0 "no failure recorded for stopped cells"
"$emudiff" study "$suite" --exe "$fake" --out "$t/o7" --collect-only --resume >/dev/null 2>&1
check_eq "$(q "$t/o7/emudiff.db" "SELECT count(*) || ' ' || count(DISTINCT cell) FROM run")" "10 10" "cells after resume (SIGINT)"

# 8. SIGKILL of the study: orphaned collectors finish or not, each cell still ends up exactly once
"$emudiff" study "$suite" --exe "$fake" --out "$t/o8" --collect-only >/dev/null 2>&1 &
pid=$!
wait_for_runs "$t/o8/emudiff.db"
kill -KILL $pid
wait $pid 2>/dev/null
sleep 1 # in-flight collectors commit or die on their own
"$emudiff" study "$suite" --exe "$fake" --out "$t/o8" --collect-only --resume >/dev/null 2>&1
check_eq "$(q "$t/o8/emudiff.db" "SELECT count(*) || ' ' || count(DISTINCT cell) || ' ' || sum(status = 'ok') FROM run")" \
	"10 10 10" "cells after resume (SIGKILL)"

# 9. bad suite: exit 2, one line naming the file and line
printf '[workload a]\nbinary = no-op\nreps = many\n' >"$t/bad.ini"
cp "$suites/no-op" "$t/no-op"
"$emudiff" study "$t/bad.ini" --out "$t/o9" >/dev/null 2>"$t/err9"
check_eq "$?" 2 "exit code for a bad suite"
check_eq "$(cat "$t/err9")" "error: $t/bad.ini:3: reps must be an integer in 1..100000, not 'many'" "bad suite message"
[ ! -e "$t/o9" ] || fail "a bad suite left an output folder"

# 10. a hw cell of another architecture is refused (it belongs on that machine),
#     while the same suite's emulation cells run here
m=$(uname -m); other=riscv64; [ "$m" = riscv64 ] && other=x86_64
printf '[workload far]\nbinary = no-op\narch = %s\nplatforms = qemu-user hw\nreps = 1\n' "$other" >"$t/far.ini"
"$emudiff" study "$t/far.ini" --exe "$fake" --out "$t/o10" --collect-only >/dev/null 2>"$t/err10"
check_eq "$?" 2 "exit code for a foreign hw cell"
check_eq "$(cat "$t/err10")" "error: $t/far.ini:1: workload 'far' is built for $other, this machine is $m: run its hw cells on a $other machine (--list-cells, --cell) and join the stores with emudiff merge" "foreign hw message"
"$emudiff" study "$t/far.ini" --exe "$fake" --out "$t/o10" --cell far/qemu-user/0 >/dev/null 2>&1
check_eq "$?" 0 "emulation cell of a foreign workload"

# 11. Slurm's bad input that needs no cluster (test_study_slurm.sh runs one):
#     no sbatch on PATH, and a merge of a store of another suite
env PATH=/nonexistent "$emudiff" study "$suite" --exe "$fake" --out "$t/o11" --submit slurm >/dev/null 2>"$t/err11"
check_eq "$?" 2 "exit code without sbatch"
check_eq "$(cat "$t/err11")" "error: study: --submit slurm: no sbatch on PATH (Slurm's client commands are needed)" \
	"no sbatch message"
[ ! -e "$t/o11" ] || fail "a submission without sbatch left an output folder"
"$emudiff" study "$suite" --submit pbs >/dev/null 2>"$t/err11"
check_eq "$?" 2 "exit code for --submit pbs"
sed 's/^name = basic$/name = other/' "$suite" >"$t/other.ini"
cp "$suites/no-op" "$t/"
"$emudiff" study "$t/other.ini" --exe "$fake" --out "$t/o12" --cell beta/qemu-user/0 >/dev/null 2>&1
"$emudiff" study "$suite" --exe "$fake" --out "$t/o13" --cell beta/qemu-user/0 >/dev/null 2>&1
m1=$t/o1/emudiff.db
before=$(q "$m1" "SELECT count(*) FROM run")
"$emudiff" merge --db "$m1" "$t/o13/emudiff.db" "$t/o12/emudiff.db" >/dev/null 2>"$t/err12"
check_eq "$?" 2 "exit code for a store of another suite in the merge"
check_eq "$(cat "$t/err12")" \
	"error: $t/o12/emudiff.db: a store of study 'other', not 'basic' like $m1; nothing merged" "another suite's message"
check_eq "$(q "$m1" "SELECT count(*) FROM run")" "$before" "runs after a refused merge"

[ $fails -eq 0 ] && echo "all study runner checks passed"
exit $((fails > 0))
