#!/bin/sh
# hw-kvm-tcg.sh EMUDIFF PAYLOAD - `emudiff collect hw-kvm` with QEMU TCG
# standing in for the VMM (a riscv64 guest, whatever the host's KVM): the
# console path (stdout and --serial-log), the reason recorded for a missing
# tracepoint as the machine's tracefs calls for (mounted: ENOENT; not mounted:
# no-tracefs), counters, and --dry-run. Boot stages from the console as it
# arrives (OpenSBI's banner, then the payload's first marker line: init), and
# their comparison with the same payload under collect qemu --system.
set -eu
emudiff=$1 payload=$2
. "$EMUDIFF_TEST_LIB/facts.sh"
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
command -v qemu-system-riscv64 >/dev/null || { echo "skip: no qemu-system-riscv64"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
[ -r $fw ] || { echo "skip: no $fw"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/k.db
q() { sqlite3 "$db" "$1"; }

# 1. console from the VMM's stdout; a tracepoint that does not exist
"$emudiff" collect hw-kvm --db "$db" --name payload --timeout 60 --exit-event kvm:no_such_event \
	-- qemu-system-riscv64 -M virt -nographic -bios $fw -kernel "$payload" >"$tmp/out" 2>"$tmp/err" ||
	fail "collect hw-kvm exited $?: $(cat "$tmp/err")"
[ "$(q "SELECT platform || ' ' || status || ' ' || exit_code FROM run")" = "hw-kvm ok 0" ] ||
	fail "run row: $(q 'SELECT * FROM run')"
[ "$(q "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark ORDER BY seq)")" = "1 2 3 4 5 6" ] ||
	fail "marks: $(q 'SELECT * FROM mark')"
[ "$(q "SELECT count(*) FROM mark WHERE insns IS NOT NULL AND time_ns IS NOT NULL")" = 6 ] ||
	fail "marks without instret/time"
[ "$(q "SELECT count(*) FROM mark_value WHERE metric = 'cycles'")" = 6 ] || fail "cycles per mark"
# time_ns = time CSR ticks * 1e9 / 10 MHz: exactly 100 ns per tick (the
# console, passed through to our stdout, has the ticks)
t1=$(sed -n 's/^@emudiff mark 1 .*time=\([0-9]*\).*/\1/p' "$tmp/out" | tr -d '\r')
[ -n "$t1" ] && [ "$(q "SELECT time_ns FROM mark WHERE run_id = 1 AND seq = 0")" = "$((t1 * 100))" ] ||
	fail "10 MHz timebase: mark 1 time=$t1, time_ns $(q "SELECT time_ns FROM mark WHERE run_id = 1 AND seq = 0")"
# the missing tracepoint: what the machine's tracefs makes of it
if [ -n "$tracefs" ]; then
	want_why="ENOENT: no tracepoint kvm:no_such_event in $tracefs/events"
else
	want_why="no-tracefs: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)"
fi
# (an ordinary user may find tracefs closed: the facts probe sees none, the
# collector names the refusal)
got_why=$(q "SELECT json_extract(config_json, '$.unsupported.\"kvm:no_such_event\"') FROM run")
[ "$privileged" != 1 ] && [ "$got_why" = "EACCES (perf_event_paranoid $paranoid)" ] && want_why=$got_why
[ "$got_why" = "$want_why" ] ||
	fail "missing tracepoint not recorded as '$want_why': $(q 'SELECT config_json FROM run')"
[ "$(grep -c '^warning: exit event kvm:no_such_event: ' "$tmp/err")" = 1 ] &&
	grep -qxF "warning: exit event kvm:no_such_event: unsupported: $want_why" "$tmp/err" ||
	fail "warning line: $(cat "$tmp/err")"
[ "$(q "SELECT json_extract(config_json, '$.tracefs') FROM run")" = "$tracefs" ] || fail "tracefs in config_json"
[ "$(q "SELECT json_extract(config_json, '$.exit_events.\"kvm:no_such_event\"') FROM run")" = unsupported ] ||
	fail "exit_events entry"
[ "$(q "SELECT count(*) FROM run_metric WHERE metric = 'exits'")" = 0 ] ||
	fail "an unsupported exit tracepoint must leave no 'exits' metric"
[ "$(q "SELECT json_extract(config_json, '$.dev_kvm') FROM run")" = "$dev_kvm" ] || fail "dev_kvm, machine's $dev_kvm"
# hardware counters: present as metrics, or named as unsupported; never 0 for a refused one
for m in cycles instret; do
	have=$(q "SELECT count(*) FROM run_metric WHERE metric = '$m'")
	ev=$m; [ $m = instret ] && ev=instructions
	uns=$(q "SELECT json_extract(config_json, '$.unsupported.$ev') IS NOT NULL FROM run")
	[ "$have$uns" = 10 ] || [ "$have$uns" = 01 ] || fail "$m: metric rows $have, unsupported $uns"
	[ "$hw_counters" = 1 ] || [ "$uns" = 1 ] || fail "$m: a metric on a machine without hardware counters"
done

# boot stages, timed from the VMM's start as the lines arrive: OpenSBI, then the first marker (init)
# (lines that arrive in one read of a log file share their time: ties in stage order)
stages() { q "SELECT group_concat(metric, ' ') FROM (SELECT metric FROM run_metric WHERE run_id = $1 AND metric LIKE 'boot%'
	ORDER BY value, metric = 'boot_init_ns')"; }
[ "$(stages 1)" = "boot_opensbi_ns boot_init_ns" ] && [ "$(q "SELECT min(value) > 0 FROM run_metric WHERE metric LIKE 'boot%'")" = 1 ] ||
	fail "boot stages from stdout: $(q "SELECT metric, value FROM run_metric WHERE run_id = 1")"

# 2. console from --serial-log FILE written by the VMM
"$emudiff" collect hw-kvm --db "$db" --name payload --serial-log "$tmp/serial.log" --timebase-hz 1e9 --timeout 60 \
	-- qemu-system-riscv64 -M virt -display none -monitor none -serial "file:$tmp/serial.log" \
	-bios $fw -kernel "$payload" >/dev/null 2>&1 || fail "collect hw-kvm --serial-log exited $?"
[ "$(q "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark WHERE run_id = 2 ORDER BY seq)")" = "1 2 3 4 5 6" ] ||
	fail "--serial-log marks: $(q 'SELECT * FROM mark WHERE run_id = 2')"
# with a 1 GHz timebase, time_ns equals the time CSR value of the line
t1=$(sed -n 's/^@emudiff mark 1 .*time=\([0-9]*\).*/\1/p' "$tmp/serial.log")
[ "$(q "SELECT time_ns FROM mark WHERE run_id = 2 AND seq = 0")" = "$t1" ] || fail "timebase conversion"
[ "$(stages 2)" = "boot_opensbi_ns boot_init_ns" ] || fail "boot stages from --serial-log: $(stages 2)"

# 3. a VMM that fails: stored as failed, exit 0 (1 with --fail-on-error)
"$emudiff" collect hw-kvm --db "$db" --name failing -- sh -c 'echo "@emudiff mark 1 time=5"; exit 3' \
	>/dev/null 2>&1 || fail "a failing VMM must not fail the collector"
[ "$(q "SELECT status || ' ' || exit_code FROM run WHERE id = 3")" = "failed 3" ] || fail "failed run"
set +e
"$emudiff" collect hw-kvm --db "$db" --name failing --fail-on-error -- sh -c 'exit 3' >/dev/null 2>&1
rc=$?
"$emudiff" collect hw-kvm --db "$db" --name slow --timeout 0.5 -- sleep 5 >/dev/null 2>&1
rc2=$?
set -e
[ $rc = 1 ] || fail "--fail-on-error exit $rc, want 1"
[ $rc2 = 0 ] && [ "$(q "SELECT status FROM run WHERE id = 5")" = timeout ] || fail "timeout run"

# 4. a damaged console: one-line error, exit 2, nothing stored
before=$(q "SELECT count(*) FROM run")
set +e
"$emudiff" collect hw-kvm --db "$db" --name bad -- sh -c 'echo "@emudiff mark x"' >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc = 2 ] || fail "damaged console: exit $rc, want 2"
[ "$(grep -c '^error: ' "$tmp/err")" = 1 ] && grep -q '^error: VMM stdout:1: malformed marker line' "$tmp/err" || fail "error message: $(cat "$tmp/err")"
[ "$(q "SELECT count(*) FROM run")" = "$before" ] || fail "a damaged console left a run behind"

# 5. the boot under QEMU with the plugin against the two hw-kvm runs: a comparison per stage
"$emudiff" collect qemu --db "$db" --name payload --system --elf "$payload" --reps 2 --timeout 60 \
	-- qemu-system-riscv64 -M virt -nographic -bios $fw -kernel "$payload" >/dev/null 2>"$tmp/err" ||
	fail "collect qemu --system exited $?: $(cat "$tmp/err")"
"$emudiff" stats --db "$db" --resamples 200 >"$tmp/stats" 2>&1 || fail "stats: $(cat "$tmp/stats")"
grep -qx 'stats: 1 booted workloads, 2 boot latencies compared, [0-2] beyond the tolerance (emudiff show boot)' "$tmp/stats" ||
	fail "stats summary: $(cat "$tmp/stats")"
[ "$(q "SELECT group_concat(metric || ' ' || emu_platform || '/' || hw_platform || ' ' || n_emu || '/' || n_hw, '; ')
	FROM (SELECT * FROM server_compare WHERE kind = 'boot' ORDER BY ord)")" = \
	"boot_opensbi_ns qemu-system/hw-kvm 2/2; boot_init_ns qemu-system/hw-kvm 2/2" ] ||
	fail "boot comparison: $(q "SELECT * FROM server_compare")"
"$emudiff" show boot --db "$db" --workload payload >"$tmp/boot" || fail "show boot"
grep -q '^payload  *init  *qemu-system/hw-kvm  *2/2 ' "$tmp/boot" || fail "show boot: $(cat "$tmp/boot")"

# 6. --dry-run says what this machine supports and writes nothing
"$emudiff" collect hw-kvm --db "$tmp/none.db" --dry-run --exit-event kvm:no_such_event >"$tmp/dry" ||
	fail "--dry-run exited $?"
grep -qxF "exit event kvm:no_such_event: unsupported ($want_why)" "$tmp/dry" || fail "dry run: $(cat "$tmp/dry")"
if [ "$dev_kvm" = 1 ]; then want_kvm="/dev/kvm: present"; else want_kvm="/dev/kvm: absent (no guest can run under KVM here)"; fi
grep -qxF "$want_kvm" "$tmp/dry" || fail "dry run: $(cat "$tmp/dry")"
[ ! -e "$tmp/none.db" ] || fail "--dry-run created a store"
echo "ok: hw-kvm with TCG as the VMM"
