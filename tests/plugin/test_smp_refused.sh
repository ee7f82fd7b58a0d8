#!/bin/bash
# test_smp_refused.sh QEMU_SYS PLUGIN SMODE - the plugin refuses a guest with
# more than one vCPU (it counts exactly on one only): QEMU exits 1 with the
# plugin's one-line reason, then QEMU's own line about the plugin; no output
# file. The same command with -smp 1 runs (exit 0, output written), so the
# refusal is the vCPU count's and not a missing kernel or plugin.
set -u
qemu=$1 plugin=$2 smode=$3
tmp=$(mktemp -d /tmp/emudiff-smp-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() { # run SMP
	timeout 60 "$qemu" -M virt -smp "$1" -m 64M -nographic -bios default -kernel "$smode" \
		-plugin "$plugin,out=$tmp/smp$1.out" >"$tmp/console$1" 2>"$tmp/err$1" </dev/null
}

run 2
rc=$?
[ "$rc" = 1 ] || fail "-smp 2: exit $rc, want 1"
[ "$(sed -n 1p "$tmp/err2")" = "emudiff plugin: 2 vCPUs: the plugin counts exactly on one vCPU only; run with -smp 1" ] ||
	fail "-smp 2: the plugin's reason: $(cat "$tmp/err2")"
[ "$(wc -l <"$tmp/err2")" = 2 ] && grep -q "^qemu-system-riscv64: Could not load plugin .*: qemu_plugin_install returned error code -1$" "$tmp/err2" ||
	fail "-smp 2: want the reason and QEMU's one line, got: $(cat "$tmp/err2")"
[ ! -e "$tmp/smp2.out" ] || fail "-smp 2: the plugin wrote an output file"

run 1
rc=$?
[ "$rc" = 0 ] || fail "-smp 1: exit $rc, want 0 ($(cat "$tmp/err1"))"
[ "$(head -c 20 "$tmp/smp1.out" 2>/dev/null)" = "emudiff-qemu-plugin " ] || fail "-smp 1: no plugin output"
[ "$fails" = 0 ] || exit 1
echo "ok: -smp 2 refused with the plugin's reason, -smp 1 runs"
