#!/bin/sh
# payload-console.sh EMUDIFF PAYLOAD HOST_TWIN [RV64_TWIN] - the bare-metal payload under
# qemu-system-riscv64 (OpenSBI fw_jump, then with -cpu rv64,h=true and QEMU's
# -bios default): the exact marker sequence on the console, the phase results,
# the exit line; then the serial log through `emudiff collect console`.
set -eu
emudiff=$1 payload=$2 twin=$3 rv_twin=${4:-}
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
command -v qemu-system-riscv64 >/dev/null || { echo "skip: no qemu-system-riscv64"; exit 77; }
[ -r $fw ] || { echo "skip: no $fw (package opensbi)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The checksum of the compute phase, computed by the same C code on the host.
want_sum=$("$twin" | sed -n 's/.*checksum=\([0-9]*\).*/\1/p')
[ -n "$want_sum" ] || fail "host twin printed no checksum"
# The riscv64 twin under qemu-riscv64 does the same work: same results line.
if [ -n "$rv_twin" ] && command -v qemu-riscv64 >/dev/null; then
	got=$(qemu-riscv64 "$rv_twin") || fail "riscv64 twin exited $?"
	[ "$got" = "$("$twin")" ] || fail "riscv64 twin: '$got' differs from the host twin"
fi

check_log() { # LOG WHAT
	seq=$(sed -n 's/^@emudiff mark \([0-9]*\) cycles=[0-9]* instret=[0-9]* time=[0-9]*\r\{0,1\}$/\1/p' "$1" | tr '\n' ' ')
	[ "$seq" = "1 2 3 4 5 6 " ] || fail "$2: marker sequence '$seq', want '1 2 3 4 5 6 '"
	# the latency phase: 64 SBI deadlines (and 64 Sstc ones, QEMU 7.2 has Sstc),
	# each line exactly '@emudiff lat <name> ticks=<n>', between marks 5 and 6
	[ "$(tr -d '\r' <"$1" | grep -c '^@emudiff lat timer_sbi ticks=[0-9]*$')" = 64 ] || fail "$2: timer_sbi latency lines"
	[ "$(tr -d '\r' <"$1" | grep -c '^@emudiff lat timer_sstc ticks=[0-9]*$')" = 64 ] || fail "$2: timer_sstc latency lines"
	sed -n '/^@emudiff mark 5 /,/^@emudiff mark 6 /p' "$1" | grep -c '^@emudiff lat ' | grep -qx 128 ||
		fail "$2: latency lines outside the timer_latency region"
	grep -q "^payload: done checksum=$want_sum sbi_calls=64 probe_ok=64 timer_irqs=16 touched=1597440 unexpected_traps=0 latency_irqs=128" "$1" ||
		fail "$2: phase results differ: $(grep '^payload: done' "$1")"
	grep -q '^@emudiff exit 0' "$1" || fail "$2: no '@emudiff exit 0' line"
	# time (the time CSR) must grow from marker to marker
	sed -n 's/^@emudiff mark [0-9]* .*time=\([0-9]*\).*/\1/p' "$1" | awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }' ||
		fail "$2: time does not increase across markers"
}

timeout 60 qemu-system-riscv64 -M virt -nographic -bios $fw -kernel "$payload" </dev/null >"$tmp/fw_jump.log" 2>&1 ||
	fail "qemu (fw_jump) exited with $? (SBI SRST should power off cleanly)"
check_log "$tmp/fw_jump.log" "fw_jump"

# The hypervisor extension on: OpenSBI must report it and the payload run the same.
timeout 60 qemu-system-riscv64 -M virt -cpu rv64,h=true -nographic -bios default -kernel "$payload" \
	</dev/null >"$tmp/h.log" 2>&1 || fail "qemu (h=true) exited with $?"
grep -q 'Boot HART Base ISA *: rv64[a-z]*h' "$tmp/h.log" || fail "OpenSBI does not report the H extension"
check_log "$tmp/h.log" "h=true"

# The serial log through the console collector (skipped while it is not built).
if "$emudiff" collect console --help >/dev/null 2>&1; then
	"$emudiff" collect console --db "$tmp/c.db" --name payload --log "$tmp/fw_jump.log" >/dev/null ||
		fail "emudiff collect console refused the payload's serial log"
	got=$(sqlite3 "$tmp/c.db" "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark ORDER BY seq)")
	[ "$got" = "1 2 3 4 5 6" ] || fail "collect console stored marks '$got'"
	got=$(sqlite3 "$tmp/c.db" "SELECT group_concat(region_key || ' ' || metric || ' ' || n, ',') FROM (SELECT * FROM latency_sample ORDER BY metric)")
	[ "$got" = "m:5->6#1 lat_timer_sbi_ns 64,m:5->6#1 lat_timer_sstc_ns 64" ] || fail "collect console stored latencies '$got'"
	# ticks of the 10 MHz time CSR: 100 ns each, in the order printed
	first=$(sed -n 's/^@emudiff lat timer_sbi ticks=\([0-9]*\).*/\1/p' "$tmp/fw_jump.log" | head -1)
	[ "$(sqlite3 "$tmp/c.db" "SELECT hex(substr(samples, 1, 8)) FROM latency_sample WHERE metric = 'lat_timer_sbi_ns'")" = \
	  "$(python3 -c "import struct; print(struct.pack('<d', $first * 100.0).hex().upper())")" ] ||
		fail "first timer_sbi latency is not $first ticks * 100 ns"
else
	echo "note: emudiff collect console not available in this build; serial log not fed to it"
fi

# The QEMU collector reads the same latency lines from the console it copies through.
if "$emudiff" collect qemu --db "$tmp/q.db" --name payload --system --timeout 60 -- qemu-system-riscv64 -M virt \
	-nographic -nic none -bios $fw -kernel "$payload" >"$tmp/q.out" 2>"$tmp/q.err"; then
	got=$(sqlite3 "$tmp/q.db" "SELECT group_concat(region_key || ' ' || metric || ' ' || n, ',') FROM (SELECT * FROM latency_sample ORDER BY metric)")
	[ "$got" = "m:5->6#1 lat_timer_sbi_ns 64,m:5->6#1 lat_timer_sstc_ns 64" ] || fail "collect qemu stored latencies '$got'"
	grep -q '^@emudiff lat timer_sbi ticks=' "$tmp/q.out" || fail "collect qemu did not pass the console through"
elif grep -q 'libemudiff-qemu.so not found' "$tmp/q.err"; then
	echo "note: no QEMU plugin in this build; collect qemu not run"
else
	fail "collect qemu --system exited: $(cat "$tmp/q.err")"
fi
echo "ok: payload console"
