#!/bin/sh
# hw-kvm-x86.sh EMUDIFF GUEST - `collect hw-kvm` with a real QEMU under
# -accel kvm running the x86 multiboot guest (datasets/baremetal/x86-guest.c),
# asserting what the machine's facts call for:
#   kvm=runs-guest  an ok run with the guest's marks 1 2 3; exit tracepoints
#                   sampled when tracefs is mounted (at least the guest's own
#                   port writes as user-space I/O exits), else recorded as
#                   unsupported with the no-tracefs reason
#   kvm=absent      a failed run carrying QEMU's message (no /dev/kvm)
#   kvm=unusable    a failed run carrying QEMU's message, never a hang
set -eu
emudiff=$1 guest=$2
. "$EMUDIFF_TEST_LIB/facts.sh"
[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host: the guest is x86"
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (package qemu-system-x86)"
command -v sqlite3 >/dev/null || skip "no sqlite3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/x.db
q() { sqlite3 "$db" "$1"; }
cfg() { q "SELECT json_extract(config_json, '\$.$1') FROM run"; }
no_tracefs="no-tracefs: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)"

"$emudiff" collect hw-kvm --db "$db" --name x86-guest --timeout 100 -- \
	qemu-system-x86_64 -accel kvm -M pc -m 32M -display none -monitor none -serial stdio \
	-nic none -no-reboot -kernel "$guest" >"$tmp/out" 2>"$tmp/err" ||
	fail "collect hw-kvm exited $?: $(cat "$tmp/err")"
[ "$(q "SELECT count(*) FROM run WHERE platform = 'hw-kvm'")" = 1 ] || fail "runs: $(q 'SELECT * FROM run')"
[ "$(cfg dev_kvm)" = "$dev_kvm" ] || fail "dev_kvm $(cfg dev_kvm), the machine's $dev_kvm"

case $kvm in
runs-guest)
	[ "$(q "SELECT status || ' ' || exit_code FROM run")" = "ok 0" ] ||
		fail "KVM runs guests here, yet: $(q 'SELECT status, exit_code, config_json FROM run')"
	[ "$(q "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark ORDER BY seq)")" = "1 2 3" ] ||
		fail "marks: $(q 'SELECT * FROM mark')"
	grep -qx 'x86-guest: done port80_writes=1000' "$tmp/out" || fail "guest console: $(cat "$tmp/out")"
	# sampled where tracefs is mounted and this user may sample kernel events;
	# else the reason: no tracefs, or (an ordinary user) the refusal
	states=$(cfg 'exit_events."kvm:kvm_exit"')/$(cfg 'exit_events."kvm:kvm_userspace_exit"')
	if [ -n "$tracefs" ] && { [ "$privileged" = 1 ] || [ "$states" = sampled/sampled ]; }; then
		[ "$states" = sampled/sampled ] || fail "exit events $states: $(cfg unsupported)"
		# The guest's own port writes alone (x86-guest.c): 1000 to port 0x80,
		# 99 console bytes to COM1 (5 lines: 3 x 16 + 35 + 16), 1 to the i8042;
		# each leaves KVM for the VMM. The firmware adds more.
		io=$(q "SELECT coalesce(sum(count), 0) FROM event_count WHERE kind = 'vm_exit' AND detail = 'userspace:KVM_EXIT_IO'")
		[ "$io" -ge 1100 ] || fail "user-space I/O exits: $io, want at least 1100"
		# 'exits' counts kvm_exit only (some KVM back-ends never fire it: then 0)
		[ "$(q "SELECT CAST(value AS INT) FROM run_metric WHERE metric = 'exits'")" = \
		  "$(q "SELECT coalesce(sum(count), 0) FROM event_count WHERE kind = 'vm_exit' AND detail NOT LIKE 'userspace:%'")" ] ||
			fail "exits metric is not the sum of the kvm_exit reasons"
	else
		refused="EACCES (perf_event_paranoid $paranoid)"
		if [ -n "$tracefs" ]; then
			want=$refused # mounted, not sampled: only an ordinary user's refusal
		elif [ "$privileged" != 1 ] && [ "$(cfg 'unsupported."kvm:kvm_exit"')" = "$refused" ]; then
			want=$refused # a tracefs closed to this user looks absent to the probe
		else
			want=$no_tracefs
		fi
		for ev in kvm:kvm_exit kvm:kvm_userspace_exit; do
			[ "$(cfg "exit_events.\"$ev\"")" = unsupported ] || fail "$ev: $(cfg exit_events)"
			[ "$(cfg "unsupported.\"$ev\"")" = "$want" ] || fail "$ev: reason '$(cfg "unsupported.\"$ev\"")', want '$want'"
			grep -qxF "warning: exit event $ev: unsupported: $want" "$tmp/err" || fail "no warning for $ev: $(cat "$tmp/err")"
		done
		[ "$(q "SELECT count(*) FROM run_metric WHERE metric = 'exits'") $(q "SELECT count(*) FROM event_count")" = "0 0" ] ||
			fail "exits recorded without a sampled source"
	fi
	# guest-only counters: a metric, or named unsupported; never both, never neither
	for m in cycles instret; do
		ev=$m; [ $m = instret ] && ev=instructions
		have=$(q "SELECT count(*) FROM run_metric WHERE metric = '$m'")
		uns=$(q "SELECT json_extract(config_json, '\$.unsupported.$ev') IS NOT NULL FROM run")
		[ "$have$uns" = 10 ] || [ "$have$uns" = 01 ] || fail "$m: metric rows $have, unsupported $uns"
		[ "$hw_counters" = 1 ] || [ "$uns" = 1 ] || fail "$m: a metric on a machine without hardware counters"
	done
	echo "ok: a real x86 guest under KVM: marks 1 2 3, exit tracepoints as tracefs='$tracefs' calls for" ;;
absent)
	[ "$(q "SELECT status || ' ' || exit_code FROM run")" = "failed 1" ] ||
		fail "no /dev/kvm, yet: $(q 'SELECT status, exit_code FROM run')"
	case $(cfg vmm_message) in
	*"failed to initialize kvm: No such file or directory") ;;
	*) fail "vmm_message '$(cfg vmm_message)', want QEMU's 'failed to initialize kvm: No such file or directory'" ;;
	esac
	grep -q '^Could not access KVM kernel module: No such file or directory' "$tmp/err" ||
		fail "QEMU's stderr not passed through: $(cat "$tmp/err")"
	[ "$(q "SELECT count(*) FROM mark")" = 0 ] || fail "marks from a guest that never ran"
	echo "ok: no /dev/kvm: a failed run with QEMU's message" ;;
*)
	# KVM there but not running guests: QEMU fails or stops; either way a
	# failed run that ended, with QEMU's own words
	[ "$(q "SELECT status FROM run")" = failed ] || fail "kvm=$kvm ($kvm_why), yet: $(q 'SELECT status FROM run')"
	[ -n "$(cfg vmm_message)" ] || fail "kvm=$kvm: no vmm_message: $(q 'SELECT config_json FROM run')"
	echo "ok: kvm=$kvm ($kvm_why): a failed run with QEMU's message: $(cfg vmm_message)" ;;
esac

# --dry-run names the machine's side of both facts
"$emudiff" collect hw-kvm --dry-run >"$tmp/dry" || fail "--dry-run exited $?"
if [ "$dev_kvm" = 1 ]; then want_kvm="/dev/kvm: present"; else want_kvm="/dev/kvm: absent (no guest can run under KVM here)"; fi
grep -qxF "$want_kvm" "$tmp/dry" || fail "dry run: $(cat "$tmp/dry")"
grep -qxF "tracefs: ${tracefs:-not mounted}" "$tmp/dry" || fail "dry run tracefs: $(cat "$tmp/dry")"
