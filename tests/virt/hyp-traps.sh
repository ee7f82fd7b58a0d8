#!/bin/sh
# hyp-traps.sh EMUDIFF HYP_ELF - the hypervisor payload (datasets/baremetal/
# hyp.c) under qemu-system-riscv64 -cpu rv64,h=true with the plugin: trap
# entries split into HS (host vector) and VS (guest vector), and VM exits,
# counted exactly per region; the payload checks the same counts itself.
set -eu
emudiff=$1 hyp=$2
. "$EMUDIFF_TEST_LIB/facts.sh"
command -v qemu-system-riscv64 >/dev/null || { echo "skip: no qemu-system-riscv64"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/h.db
q() { sqlite3 "$db" "$1"; }
qemu="qemu-system-riscv64 -M virt -cpu rv64,h=true -smp 1 -m 128M -nographic -nic none -bios default -kernel $hyp"
guest="--guest vs_trap_vector --guest guest_breakpoints --guest guest_hypercalls --guest guest_virq"

# 1. tagged vectors and the guest's code: HS entries, VS entries, exits
# shellcheck disable=SC2086
"$emudiff" collect qemu --db "$db" --name hyp --timeout 60 --system --elf "$hyp" \
	--trapvec hs_trap_vector@hs --trapvec vs_trap_vector@vs $guest -- $qemu >"$tmp/out" 2>"$tmp/err" ||
	fail "collect exited $?: $(cat "$tmp/err")"
grep -q 'Boot HART Base ISA *: rv64imafdch' "$tmp/out" || fail "no H extension: $(grep ISA "$tmp/out")"
# the payload's own count (hstatus.SPV in its handler) agrees: exit 0 only then
grep -q '^hyp: done vs_breakpoints=72 vs_interrupts=36 host_breakpoints=48 hypercalls=120 injects=36 exits=165 unexpected=0 ' \
	"$tmp/out" || fail "payload counts: $(grep '^hyp:' "$tmp/out")"
[ "$(q "SELECT status || ' ' || exit_code FROM run")" = "ok 0" ] || fail "run: $(q 'SELECT * FROM run')"
"$emudiff" align --db "$db" >/dev/null 2>"$tmp/err" || fail "align: $(cat "$tmp/err")"

# per region: HS entries, VS entries, VM exits (event rows), and align's totals
per_region() {
	q "SELECT g.name || ' hs=' || coalesce(sum(CASE WHEN e.detail = 'hs:hs_trap_vector' THEN e.count END), 0)
		|| ' vs=' || coalesce(sum(CASE WHEN e.detail = 'vs:vs_trap_vector' THEN e.count END), 0)
		|| ' exit=' || coalesce(sum(CASE WHEN e.kind = 'vm_exit' THEN e.count END), 0)
	   FROM region g LEFT JOIN event_count e ON e.region_id = g.id AND e.run_id = $1
	     AND e.kind IN ('trap_entry', 'vm_exit')
	   WHERE g.key LIKE 'm:%' GROUP BY g.id ORDER BY min(e.seq)"
}
# round k of 3 has k times the base counts (hyp.c); regions in order of rounds
want=$(for k in 1 2 3; do
	echo "guest_breakpoints hs=1 vs=$((12 * k)) exit=1"
	echo "host_breakpoints hs=$((8 * k)) vs=0 exit=0"
	echo "guest_hypercalls hs=$((20 * k + 1)) vs=0 exit=$((20 * k + 1))"
	echo "guest_virq hs=$((6 * k + 1)) vs=$((6 * k)) exit=$((6 * k + 1))"
done)
got=$(per_region 1)
[ "$got" = "$want" ] || fail "per region, got:
$got
want:
$want"
# exit details name the host vector
[ "$(q "SELECT group_concat(DISTINCT detail) FROM event_count WHERE kind = 'vm_exit'")" = hs_trap_vector ] ||
	fail "vm_exit details: $(q "SELECT DISTINCT detail FROM event_count WHERE kind = 'vm_exit'")"
# align's region totals: traps = every vector entry; exits = vm_exit plus the
# host's ecalls (the marker lines' SBI console calls, whose number depends on
# the printed values); the guest's ecalls are counted once, as their vm_exit
metrics=$(q "SELECT g.name || ' traps=' || CAST(t.value AS INT) || ' exits-ecalls='
		|| CAST(coalesce(x.value, 0) - (SELECT coalesce(sum(count), 0) FROM event_count e
			WHERE e.run_id = 1 AND e.region_id = g.id AND e.kind = 'ecall') AS INT)
	FROM region g JOIN region_metric t ON t.region_id = g.id AND t.run_id = 1 AND t.metric = 'traps'
	LEFT JOIN region_metric x ON x.region_id = g.id AND x.run_id = 1 AND x.metric = 'exits'
	ORDER BY (SELECT min(seq) FROM event_count e WHERE e.run_id = 1 AND e.region_id = g.id)" | tr '\n' ' ')
want_m=$(for k in 1 2 3; do
	printf 'guest_breakpoints traps=%d exits-ecalls=1 ' $((12 * k + 1))
	printf 'host_breakpoints traps=%d exits-ecalls=0 ' $((8 * k))
	printf 'guest_hypercalls traps=%d exits-ecalls=%d ' $((20 * k + 1)) $((20 * k + 1))
	printf 'guest_virq traps=%d exits-ecalls=%d ' $((12 * k + 1)) $((6 * k + 1))
done)
[ "$metrics" = "$want_m" ] || fail "region metrics: $metrics
want: $want_m"
# no ecall row at a guest pc
[ "$(q "SELECT count(*) FROM event_count WHERE run_id = 1 AND kind = 'ecall' AND detail LIKE 'guest%'")" = 0 ] ||
	fail "guest ecalls counted as ecall: $(q "SELECT * FROM event_count WHERE kind = 'ecall' AND detail LIKE 'guest%'")"
# sret: 12 VS handler returns + the entry into the guest
[ "$(q "SELECT count FROM event_count WHERE run_id = 1 AND seq = 0 AND kind = 'trap_return' AND detail = 'sret'")" = 13 ] ||
	fail "sret in guest_breakpoints"

# 2. the guest's code given as an address range [LO, HI) instead of symbols
range=$(q "SELECT json_extract(config_json, '\$.plugin_options') FROM run WHERE id = 1" |
	sed 's/.*guest=\(0x[0-9a-f]*\)-0x[0-9a-f]*:.*-\(0x[0-9a-f]*\)$/\1-\2/')
case $range in 0x*-0x*) ;; *) fail "plugin options: $range" ;; esac
# shellcheck disable=SC2086
"$emudiff" collect qemu --db "$db" --name hyp --timeout 60 --system --elf "$hyp" \
	--trapvec hs_trap_vector@hs --trapvec 'vs_trap_vector@vs' --guest "$range" -- $qemu >/dev/null 2>"$tmp/err" ||
	fail "collect with --guest LO-HI exited $?: $(cat "$tmp/err")"
"$emudiff" align --db "$db" >/dev/null 2>&1 || fail "align 2"
got=$(per_region 2)
[ "$got" = "$want" ] || fail "--guest $range, got:
$got"

# 3. no --guest: HS and VS entries still split, no exits claimed
# 4. the untagged syntax still works: detail is the bare symbol
# shellcheck disable=SC2086
"$emudiff" collect qemu --db "$db" --name hyp --timeout 60 --system --elf "$hyp" \
	--trapvec hs_trap_vector --trapvec vs_trap_vector@vs -- $qemu >/dev/null 2>"$tmp/err" ||
	fail "collect without --guest exited $?: $(cat "$tmp/err")"
[ "$(q "SELECT count(*) FROM event_count WHERE run_id = 3 AND kind = 'vm_exit'")" = 0 ] || fail "exits without --guest"
[ "$(q "SELECT sum(count) FROM event_count WHERE run_id = 3 AND detail = 'hs_trap_vector'")" = $((3 * 3 + 6 * (8 + 20 + 6))) ] ||
	fail "untagged HS entries: $(q "SELECT * FROM event_count WHERE run_id = 3 AND kind = 'trap_entry'")"
[ "$(q "SELECT sum(count) FROM event_count WHERE run_id = 3 AND detail = 'vs:vs_trap_vector'")" = $((6 * (12 + 6))) ] ||
	fail "VS entries without --guest"

# 5. bad options: one-line error, exit 2, nothing stored
runs=$(q "SELECT count(*) FROM run")
hs="--trapvec hs_trap_vector@hs"
for bad in "--trapvec hs_trap_vector@xs" "--trapvec no_such_vector@hs" "$hs --guest no_such_function" \
	"$hs --guest guest_virq-vs_trap_vector" "$hs --guest 0x10-" "--trapvec hs_trap_vector --guest guest_virq"; do
	set +e
	# shellcheck disable=SC2086
	"$emudiff" collect qemu --db "$db" --system --elf "$hyp" $bad -- $qemu >/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	[ $rc = 2 ] || fail "$bad: exit $rc, want 2"
	[ "$(grep -c . "$tmp/err")" = 1 ] && grep -Eq '^(error|usage): --' "$tmp/err" || fail "$bad: message: $(cat "$tmp/err")"
done
[ "$(q "SELECT count(*) FROM run")" = "$runs" ] || fail "a bad option left a run behind"
# 6. end to end: emulated instructions per trap and per exit (stats/event_cost.c),
# with QEMU TCG under collect hw-kvm standing in for the hardware side (no
# board here; its times are not the point). The 12 regions differ in their
# counts (3 rounds). A VM exit is also an HS trap entry, so instructions per
# exit + per trap estimate an HS entry, whose handler instructions the plugin
# attributes to hs_trap_vector and hs_trap: that quotient must lie in the sum
# of the two intervals.
db=$tmp/e2e.db
# shellcheck disable=SC2086
"$emudiff" collect qemu --db "$db" --name hyp --reps 2 --timeout 60 --system --elf "$hyp" \
	--trapvec hs_trap_vector@hs --trapvec vs_trap_vector@vs $guest -- $qemu >/dev/null 2>"$tmp/err" ||
	fail "e2e collect qemu: $(cat "$tmp/err")"
# shellcheck disable=SC2086
"$emudiff" collect hw-kvm --db "$db" --name hyp --reps 2 --timeout 60 -- $qemu >/dev/null 2>"$tmp/err" ||
	fail "e2e collect hw-kvm: $(cat "$tmp/err")"
# the stand-in's exits as the machine's facts call for: TCG never enters KVM,
# so a sampled kvm_exit counts exactly 0; without tracefs (or, for an ordinary
# user, with it closed) there is no count at all, only the reason
hwk="SELECT count(*) FROM run WHERE platform = 'hw-kvm'"
if [ -n "$tracefs" ] && [ "$privileged" = 1 ]; then
	[ "$(q "$hwk AND json_extract(config_json, '\$.exit_events.\"kvm:kvm_exit\"') = 'sampled'")" = 2 ] ||
		fail "e2e hw-kvm: kvm_exit not sampled with tracefs at $tracefs: $(q "SELECT config_json FROM run WHERE platform = 'hw-kvm'")"
	[ "$(q "SELECT group_concat(value) FROM run_metric m JOIN run r ON r.id = m.run_id
		WHERE r.platform = 'hw-kvm' AND m.metric = 'exits'")" = "0.0,0.0" ] ||
		fail "e2e hw-kvm: TCG's KVM exits are not exactly 0"
elif [ -z "$tracefs" ]; then
	no_tracefs="no-tracefs: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)"
	[ "$(q "$hwk AND json_extract(config_json, '\$.unsupported.\"kvm:kvm_exit\"') IN ('$no_tracefs',
		'EACCES (perf_event_paranoid $paranoid)')")" = 2 ] ||
		fail "e2e hw-kvm without tracefs: $(q "SELECT config_json FROM run WHERE platform = 'hw-kvm'")"
	[ "$(q "SELECT count(*) FROM run_metric m JOIN run r ON r.id = m.run_id
		WHERE r.platform = 'hw-kvm' AND m.metric = 'exits'")" = 0 ] || fail "e2e hw-kvm: exits without tracefs"
fi
"$emudiff" align --db "$db" >/dev/null 2>&1 && "$emudiff" stats --db "$db" --metric time_ns --resamples 200 >/dev/null 2>&1 ||
	fail "e2e align/stats"
[ "$(q "SELECT group_concat(event || ':' || n, ' ') FROM (SELECT * FROM event_cost ORDER BY event)")" = "exits:12 traps:12" ] ||
	fail "e2e event_cost rows: $(q 'SELECT * FROM event_cost')"
handler=$(q "SELECT (SELECT sum(m.value) FROM region_metric m JOIN region g ON g.id = m.region_id
		WHERE m.run_id = 1 AND m.metric = 'insns' AND g.key IN ('s:hs_trap_vector', 's:hs_trap'))
	/ (SELECT sum(count) FROM event_count WHERE run_id = 1 AND detail = 'hs:hs_trap_vector')")
inside=$(q "SELECT $handler BETWEEN (SELECT sum(emu_lo) FROM event_cost) AND (SELECT sum(emu_hi) FROM event_cost)")
[ "$inside" = 1 ] || fail "e2e: $handler handler instructions per HS entry outside the fitted
$(q 'SELECT event, emu_per_event, emu_lo, emu_hi FROM event_cost')"
"$emudiff" show costs --db "$db" >"$tmp/costs" || fail "show costs"
grep -q '^hyp  *exit  *[0-9-]* \[' "$tmp/costs" || fail "show costs: $(cat "$tmp/costs")"
echo "ok: per-region HS/VS trap entries and VM exits exact; $handler instructions per HS entry"

