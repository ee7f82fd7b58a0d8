#!/bin/sh
# uboot-boot.sh - the boot workload: Debian's OpenSBI + U-Boot (S-mode) on
# qemu-system-riscv64 -M virt, from reset to U-Boot's "=>" prompt.
#
#   uboot-boot.sh --print-args   print the QEMU command, one argument a line, for
#       emudiff collect qemu --system --until-console '=>' --name uboot-boot -- ARGS
#   uboot-boot.sh [--timeout SEC] [--log FILE]
#       run it standalone: start QEMU, wait for the prompt, stop QEMU, print the
#       seconds it took; exit 0 at the prompt, 1 on timeout, 2 on bad setup
#
# Environment: QEMU_SYSTEM_RISCV64, OPENSBI_FW (default fw_jump.bin),
# UBOOT_SMODE (default Debian's qemu-riscv64_smode/u-boot.bin).
set -eu

qemu=${QEMU_SYSTEM_RISCV64:-qemu-system-riscv64}
bios=${OPENSBI_FW:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin}
uboot=${UBOOT_SMODE:-/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin}
timeout=60
log=
print_args=0

while [ $# -gt 0 ]; do
	case $1 in
	--print-args) print_args=1 ;;
	--timeout) timeout=${2:?--timeout needs seconds}; shift ;;
	--log) log=${2:?--log needs a file}; shift ;;
	-h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "uboot-boot.sh: error: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

for f in "$bios" "$uboot"; do
	[ -r "$f" ] || { echo "uboot-boot.sh: error: $f: not readable (packages opensbi, u-boot-qemu)" >&2; exit 2; }
done

# No network card: U-Boot's boot attempts then fail at once instead of waiting for DHCP.
set -- -M virt -m 256M -smp 1 -bios "$bios" -kernel "$uboot" -nic none

if [ $print_args = 1 ]; then
	printf '%s\n' "$qemu" "$@" -nographic
	exit 0
fi

command -v "$qemu" >/dev/null 2>&1 || { echo "uboot-boot.sh: error: $qemu not found" >&2; exit 2; }
own_log=0
if [ -z "$log" ]; then
	log=$(mktemp)
	own_log=1
fi
: >"$log"
start=$(date +%s%N)
"$qemu" "$@" -display none -monitor none -serial "file:$log" </dev/null 2>"$log.stderr" &
pid=$!
status=1
deadline=$(( $(date +%s) + timeout ))
while [ "$(date +%s)" -le $deadline ]; do
	# The prompt is "=> " with no newline after it, so look at the raw bytes.
	if grep -qF '=>' "$log"; then
		status=0
		break
	fi
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
end=$(date +%s%N)
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
if [ $status = 0 ]; then
	echo "uboot-boot.sh: prompt after $(( (end - start) / 1000000 )) ms"
else
	echo "uboot-boot.sh: error: no U-Boot prompt within ${timeout}s (serial log: $log)" >&2
	cat "$log.stderr" >&2
	own_log=0
fi
rm -f "$log.stderr"
[ $own_log = 1 ] && rm -f "$log"
exit $status
