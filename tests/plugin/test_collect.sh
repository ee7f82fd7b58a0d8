#!/bin/bash
# test_collect.sh - `emudiff collect qemu` end to end: runs the hand-counted
# guests (see the .S files) and checks what lands in the store.
#   test_collect.sh EMUDIFF PLUGIN RV_USER X86_USER SMODE QEMU_RV QEMU_X86 QEMU_SYS RV_SPIN RV_THREADS
#                   X86_THREADS SMODE_SMP
set -u
emudiff=$1 plugin=$2 rv_user=$3 x86_user=$4 smode=$5 qemu_rv=$6 qemu_x86=$7 qemu_sys=$8 rv_spin=$9 rv_threads=${10}
x86_threads=${11} smode_smp=${12}
[ -n "$qemu_rv" ] && [ -x "$qemu_rv" ] || { echo "qemu-riscv64 not installed: skipped"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (the command) not installed"; exit 1; }

tmp=$(mktemp -d /tmp/emudiff-collect-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/t.db
export EMUDIFF_PLUGIN=$plugin
. "$(dirname "$0")/expect.sh"

# --- riscv64 user mode, default mode: the guest exits 3, so the run is 'failed'
expect_rc 0 "$emudiff" collect qemu --db "$db" --name rv -- "$rv_user"
expect "SELECT platform, status, exit_code FROM run WHERE id = 1" "qemu-user|failed|3"
expect "SELECT count(*) FROM mark WHERE run_id = 1" "1003"
expect "SELECT group_concat(mark_id) FROM (SELECT mark_id FROM mark WHERE run_id = 1 AND (seq < 2 OR seq > 1000) ORDER BY seq)" "1,3,2,4"
expect "SELECT insns FROM mark WHERE run_id = 1 AND seq IN (0, 1, 1001, 1002) ORDER BY seq" $'0\n4\n6002\n6034'
expect "SELECT count(*) FROM mark WHERE run_id = 1 AND time_ns IS NULL" "0"
expect "SELECT sum(count) FROM event_count WHERE run_id = 1 AND kind = 'syscall' AND seq = 1001" "4"
expect "SELECT count FROM event_count WHERE run_id = 1 AND kind = 'syscall' AND seq = 1001 AND detail = '64:-9'" "1"
expect "SELECT count FROM event_count WHERE run_id = 1 AND kind = 'syscall' AND seq = 1002 AND detail = '94'" "1"
expect "SELECT CAST(value AS INTEGER) FROM run_metric WHERE run_id = 1 AND metric = 'insns'" "6038"
expect "SELECT value > 0 FROM run_metric WHERE run_id = 1 AND metric = 'qemu_host_ns'" "1"
expect "SELECT value > 0 FROM run_metric WHERE run_id = 1 AND metric = 'wall_ns'" "1"
expect "SELECT CAST(rm.value AS INTEGER) FROM region_metric rm JOIN region r ON r.id = rm.region_id WHERE rm.run_id = 1 AND r.key = 's:_start' AND rm.metric = 'insns'" "6038"
expect "SELECT json_extract(config_json, '$.mode') FROM run WHERE id = 1" "default"
expect "SELECT arch FROM workload WHERE name = 'rv'" "riscv64"

# --- exact mode, two repetitions, mix and memory counters per mark
expect_rc 0 "$emudiff" collect qemu --db "$db" --name rv --reps 2 --plugin-opt mode=exact \
	--plugin-opt mix=on --plugin-opt mem=on -- "$rv_user"
expect "SELECT group_concat(rep) FROM run WHERE id IN (2, 3)" "0,1"
expect "SELECT group_concat(insns) FROM mark WHERE run_id IN (2, 3) AND seq = 1002" "6034,6034"
expect "SELECT json_extract(config_json, '$.mode') FROM run WHERE id = 3" "exact"
expect "SELECT CAST(value AS INTEGER) FROM mark_value WHERE run_id = 2 AND seq = 1001 AND metric = 'mem_accesses'" "2000"
expect "SELECT CAST(value AS INTEGER) FROM mark_value WHERE run_id = 2 AND seq = 1001 AND metric = 'insns_load'" "1000"
expect "SELECT CAST(value AS INTEGER) FROM mark_value WHERE run_id = 2 AND seq = 1001 AND metric = 'pages'" "1001"

# --- x86_64 user mode
if [ -n "$qemu_x86" ] && [ -x "$qemu_x86" ]; then
	expect_rc 0 "$emudiff" collect qemu --db "$db" --name x86 -- "$x86_user"
	expect "SELECT insns FROM mark WHERE run_id = 4 AND seq = 1002" "6030"
	expect "SELECT sum(count) FROM event_count WHERE run_id = 4 AND kind = 'syscall' AND seq = 1001 AND detail = '1'" "3"
	expect "SELECT arch FROM workload WHERE name = 'x86'" "x86_64"
	next=5
else
	next=4
fi

# --- system mode: trap vector found from the ELF symbol trap_vector
if [ -n "$qemu_sys" ] && [ -x "$qemu_sys" ]; then
	r=$next
	expect_rc 0 "$emudiff" collect qemu --db "$db" --name smode --system --elf "$smode" --timeout 60 -- \
		"$qemu_sys" -M virt -smp 1 -m 64M -nographic -bios default -kernel "$smode"
	expect "SELECT platform, status FROM run WHERE id = $r" "qemu-system|ok"
	expect "SELECT group_concat(mark_id) FROM (SELECT mark_id FROM mark WHERE run_id = $r ORDER BY seq)" "1,2,3"
	expect "SELECT count FROM event_count WHERE run_id = $r AND kind = 'trap_entry' AND seq = 1 AND detail = 'trap_vector'" "4"
	expect "SELECT count FROM event_count WHERE run_id = $r AND kind = 'trap_return' AND seq = 1 AND detail = 'sret'" "4"
	expect "SELECT sum(count) FROM event_count WHERE run_id = $r AND kind = 'ecall' AND seq = 1" "8"
	expect "SELECT count FROM event_count WHERE run_id = $r AND kind = 'ecall' AND seq = 0 AND detail = '_start+0x1e'" "3"
	expect "SELECT json_extract(config_json, '$.plugin_options') FROM run WHERE id = $r" "trapvec=0x80200100"

	# stop at a console string (OpenSBI's banner): boot latency
	r=$((next + 1))
	expect_rc 0 "$emudiff" collect qemu --db "$db" --name smode --system --elf "$smode" --timeout 60 \
		--until-console "Boot HART ID" -- -M virt -smp 1 -m 64M -nographic -bios default -kernel "$smode"
	expect "SELECT status FROM run WHERE id = $r" "ok"
	expect "SELECT count(*) FROM run_metric WHERE run_id = $r AND metric IN ('until_console_ns', 'until_console_insns') AND value > 0" "2"
	next=$((next + 2))
fi

# --- a hang is stopped by --timeout and stored as a 'timeout' run with what the plugin saw
expect_rc 0 "$emudiff" collect qemu --db "$db" --name spin --timeout 0.5 -- "$rv_spin"
expect "SELECT status FROM run WHERE id = $next" "timeout"
expect "SELECT mark_id FROM mark WHERE run_id = $next" "5"
next=$((next + 1))

# --- standalone plugin output: good file ingested, damaged ones rejected with nothing stored
"$qemu_rv" -plugin "$plugin,out=$tmp/good.out" "$rv_user" >/dev/null
expect_rc 0 "$emudiff" collect qemu --db "$db" --name rv --ingest "$tmp/good.out" -- "$rv_user"
expect "SELECT count(*) FROM mark WHERE run_id = $next" "1003"
runs=$(sqlite3 "$db" "SELECT count(*) FROM run")
head -c 2000 "$tmp/good.out" >"$tmp/trunc.out"
expect_rc 2 "$emudiff" collect qemu --db "$db" --name rv --ingest "$tmp/trunc.out" -- "$rv_user"
grep -q "trunc.out: .*truncated" "$tmp/err" || { echo "FAIL: no truncation message"; cat "$tmp/err"; failures=$((failures + 1)); }
[ "$(wc -l <"$tmp/err")" = 1 ] || { echo "FAIL: error is not one line"; failures=$((failures + 1)); }
sed '5d' "$tmp/good.out" >"$tmp/hole.out"
expect_rc 2 "$emudiff" collect qemu --db "$db" --name rv --ingest "$tmp/hole.out" -- "$rv_user"
expect_rc 2 "$emudiff" collect qemu --db "$db" --name x86 --ingest "$tmp/good.out" -- "$x86_user"
expect "SELECT count(*) FROM run" "$runs"

# --- bad input
# (each refusal for its own reason: one line saying what is wrong)
one_line() { [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -e "$1" "$tmp/err" ||
	{ echo "FAIL: want one line matching '$1', got: $(cat "$tmp/err")"; failures=$((failures + 1)); }; }
expect_rc 2 "$emudiff" collect qemu --db "$db" -- /etc/passwd
one_line "^error: /etc/passwd: not an ELF file$"
expect_rc 2 "$emudiff" collect qemu --db "$db" --plugin-opt mode=fast -- "$rv_user"
one_line "mode=fast: expected default or exact"
expect_rc 2 "$emudiff" collect qemu --db "$db" --qemu "$tmp/no-qemu" -- "$rv_user"
one_line "no-qemu: not found"
expect_rc 2 "$emudiff" collect qemu --db "$db" --system --elf "$smode" -- -M virt -smp 2000 -kernel "$smode"
one_line "^usage: -smp 2000: the plugin counts at most 1024 vCPUs$"
expect_rc 2 "$emudiff" collect qemu --db "$db" --system --elf "$smode" -- -M virt -smp sockets=2,cores=1024 -kernel "$smode"
one_line "^usage: -smp sockets=2,cores=1024: the plugin counts at most 1024 vCPUs$"
expect_rc 2 "$emudiff" collect qemu --db "$db" --threads --system --elf "$smode" -- -M virt -kernel "$smode"
one_line "^usage: --threads is for running a program in user mode$"
expect_rc 2 "$emudiff" collect qemu --db "$db" --parse perf -- "$rv_user"
one_line "^usage: --parse: cyclictest or cyclictest-nsecs, not 'perf'$"
expect_rc 2 "$emudiff" collect qemu --db "$db" --parse cyclictest --ingest "$tmp/none.out"
one_line "^usage: --parse is for running a program or a guest (without --ingest or --driver)$"
EMUDIFF_PLUGIN=$tmp/nothing expect_rc 2 "$emudiff" collect qemu --db "$db" -- "$rv_user"
# Bad QEMUs: one line before the run, exit 2, nothing stored (not even a new store)
expect_rc 2 "$emudiff" collect qemu --db "$tmp/new.db" --qemu /bin/true -- "$rv_user"
one_line "^error: /[a-z/]*true: not a QEMU (its --version printed"
[ ! -e "$tmp/new.db" ] || { echo "FAIL: a store was created for a QEMU refused"; failures=$((failures + 1)); }
mkdir -p "$tmp/static" && printf '#!/bin/sh\necho "qemu-riscv64 version 10.0.2 (Debian 1:10.0.2+ds-2)"\n' >"$tmp/static/qemu-riscv64"
chmod +x "$tmp/static/qemu-riscv64"
expect_rc 2 "$emudiff" collect qemu --db "$db" --qemu "$tmp/static/qemu-riscv64" -- "$rv_user"
# (it names the plugin-enabled qemu-riscv64 of the build's qemu-versions.txt, or the list)
one_line "qemu-riscv64: QEMU 10.0 without plugin support .*qemu-versions.txt)$"
printf '#!/bin/sh\necho "QEMU emulator version 12.0.0"\n' >"$tmp/static/qemu-system-riscv64"
chmod +x "$tmp/static/qemu-system-riscv64"
# the version is read before the plugin check: a QEMU 12 script is refused as without plugins
expect_rc 2 "$emudiff" collect qemu --db "$db" --system --elf "$smode" --qemu "$tmp/static/qemu-system-riscv64" -- -M virt -kernel "$smode"
one_line "without plugin support"
# --- threads: a pthread program gets threads=on by itself; its threads and their totals
tdb=$tmp/threads.db
expect_rc 0 "$emudiff" collect qemu --db "$tdb" --name rvt -- "$rv_threads"
expect_db() { got=$(sqlite3 "$tdb" "$1"); [ "$got" = "$2" ] || { echo "FAIL: $1: got '$got', want '$2'"; failures=$((failures + 1)); }; }
expect_db "SELECT status, json_extract(config_json, '$.plugin_options') FROM run WHERE id = 1" "ok|threads=on"
expect_db "SELECT group_concat(thread || ':' || kind) FROM (SELECT * FROM run_thread WHERE run_id = 1 ORDER BY thread)" "0:thread,1:thread"
expect_db "SELECT (SELECT sum(value) FROM thread_metric WHERE run_id = 1 AND metric = 'insns') = (SELECT value FROM run_metric WHERE run_id = 1 AND metric = 'insns')" "1"
# raw clone: no thread symbol, so --threads; each hit's thread and count stored
if [ -n "$qemu_x86" ] && [ -x "$qemu_x86" ]; then
	expect_rc 0 "$emudiff" collect qemu --db "$tdb" --name x86t --threads -- "$x86_threads"
	expect_db "SELECT status FROM run WHERE id = 2" "ok"
	expect_db "SELECT group_concat(mark_id || '@' || insns) FROM (SELECT * FROM mark WHERE run_id = 2 AND thread = 1 ORDER BY seq)" "11@2,12@1004,13@1014,14@1116"
	expect_db "SELECT group_concat(thread || ':' || CAST(value AS INTEGER)) FROM (SELECT * FROM thread_metric WHERE run_id = 2 AND metric = 'insns' ORDER BY thread)" "0:818,1:1120,2:1408"
	expect_db "SELECT CAST(value AS INTEGER) FROM run_metric WHERE run_id = 2 AND metric = 'syscalls'" "5"
	# without --threads, a plugin of API 1 cannot count them: a failed run, why, no counts
	expect_rc 0 "$emudiff" collect qemu --db "$tdb" --name x86t -- "$x86_threads"
	case $plugin in
	*-api1.so)
		expect_db "SELECT status, json_extract(config_json, '$.why') LIKE '%threads=on%', (SELECT count(*) FROM mark WHERE run_id = 3) FROM run WHERE id = 3" "failed|1|0"
		grep -q "warning: run 0: failed (.*threads=on" "$tmp/err" || { echo "FAIL: no warning: $(cat "$tmp/err")"; failures=$((failures + 1)); } ;;
	*)
		expect_db "SELECT status, (SELECT count(*) FROM mark WHERE run_id = 3) FROM run WHERE id = 3" "ok|10" ;;
	esac
fi
# -smp 2: one vcpu row per hart
if [ -n "$qemu_sys" ] && [ -x "$qemu_sys" ]; then
	expect_rc 0 "$emudiff" collect qemu --db "$tdb" --name smp --system --elf "$smode_smp" --timeout 60 -- \
		"$qemu_sys" -M virt -smp 2 -m 64M -nographic -bios default -kernel "$smode_smp"
	expect_db "SELECT group_concat(thread || ':' || os_id || ':' || kind) FROM (SELECT r.* FROM run_thread r JOIN run ON run.id = r.run_id JOIN workload w ON w.id = run.workload_id WHERE w.name = 'smp' ORDER BY thread)" "0:0:vcpu,1:1:vcpu"
	expect_db "SELECT group_concat(mark_id) FROM (SELECT m.mark_id FROM mark m JOIN run ON run.id = m.run_id JOIN workload w ON w.id = run.workload_id WHERE w.name = 'smp' AND m.thread = 1 ORDER BY m.seq)" "11,12,13"
fi

# config_json: the QEMU's version and the plugin build chosen for it
EMUDIFF_PLUGIN= expect_rc 0 "$emudiff" collect qemu --db "$tmp/pick.db" --qemu "$qemu_x86" -- "$x86_user"
v=$("$qemu_x86" --version | head -1 | sed 's/.*version \([0-9.]*\).*/\1/')
expect_in() { got=$(sqlite3 "$1" "$2"); [[ "$got" =~ $3 ]] || { echo "FAIL: $2: got '$got', want /$3/"; failures=$((failures + 1)); }; }
expect_in "$tmp/pick.db" "SELECT json_extract(config_json, '$.qemu_version') || ' ' || json_extract(config_json, '$.plugin_build') FROM run" "^$v libemudiff-qemu-api[0-9]+\.so$"
expect "SELECT count(*) FROM run" "$runs"

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all collect qemu checks passed"
