#!/bin/sh
# test-threads.sh NATIVE RV64 [VERSION=QEMU_USER ...] - the threaded workload
# (datasets/threads/) without the plugin: the checksum line computed here from
# the loops' definition (threads_asm.h) for 3 threads of 1000 units; the
# default run (4 threads) and --serial byte-identical natively and under every
# qemu-x86_64 / qemu-riscv64 given (default: PATH's); bad arguments refused
# with one line and exit 2.
set -eu
native=$1 rv64=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
if [ $# = 0 ]; then
	for q in qemu-x86_64 qemu-riscv64; do
		command -v $q >/dev/null && set -- "$@" "path=$(command -v $q)"
	done
fi

# The output line for T threads of U units, from the loops' definition:
# worker k: x = k + 1, a = 0, (k + 1) U times a += 3, x ^= a; 100000 atomic
# adds; 64 words, 2000 passes adding the passes left.
expect() {
	python3 - "$1" "$2" <<'PY'
import sys
t, u = int(sys.argv[1]), int(sys.argv[2])
spin = 0
for k in range(t):
    x, a = k + 1, 0
    for _ in range((k + 1) * u):
        a += 3
        x ^= a
    spin += x
atomic = t * 100000
private = t * 64 * 2000 * 2001 // 2
check = (spin * 31 + atomic * 17 + private) % 2**64
print(f"wl-threads: threads={t} units={u} spin={spin} atomic={atomic} private={private} checksum={check:016x}")
PY
}

want=$(expect 3 1000)
for mode in "" --serial; do
	got=$("$native" 3 --units 1000 $mode) || fail "native 3 --units 1000 $mode: exit $?"
	[ "$got" = "$want" ] || fail "native 3 --units 1000 $mode: '$got', want '$want'"
done
"$native" >"$tmp/native.out" || fail "native default run: exit $?"
"$native" --serial >"$tmp/serial.out" || fail "native --serial: exit $?"
cmp -s "$tmp/native.out" "$tmp/serial.out" || fail "--serial output differs"
grep -q '^wl-threads: threads=4 units=1000000 .* atomic=400000 private=512256000 checksum=' "$tmp/native.out" ||
	fail "default run: $(cat "$tmp/native.out")"

n=0
for vq in "$@"; do
	q=${vq#*=}
	case $q in
	*x86_64) prog=$native ;;
	*riscv64) prog=$rv64 ;;
	*) fail "$q: neither qemu-x86_64 nor qemu-riscv64" ;;
	esac
	[ "$prog" = "$native" ] && [ "$(uname -m)" != x86_64 ] && continue
	for args in "" "--serial" "3 --units 1000"; do
		"$q" "$prog" $args >"$tmp/q.out" || fail "$q $prog $args: exit $?"
		ref=$tmp/native.out
		[ "$args" = "3 --units 1000" ] && { echo "$want" >"$tmp/want.out"; ref=$tmp/want.out; }
		cmp -s "$tmp/q.out" "$ref" || fail "$q $prog $args: '$(cat "$tmp/q.out")' differs from '$(cat "$ref")'"
	done
	n=$((n + 1))
done

for bad in 0 257 -1 x "--units 0" --units "--units 1x" "4 5" --threads; do
	if "$native" $bad >/dev/null 2>"$tmp/err"; then fail "accepted '$bad'"; else rc=$?; fi
	[ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^wl-threads: ' "$tmp/err" ||
		fail "'$bad': exit $rc, not one 'wl-threads:' line: $(cat "$tmp/err")"
done
echo "ok: wl-threads checksum natively and under $n QEMUs: $(cat "$tmp/native.out")"
