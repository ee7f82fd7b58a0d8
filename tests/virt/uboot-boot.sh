#!/bin/sh
# uboot-boot.sh EMUDIFF BOOT_SCRIPT - the boot workload (docs/virtualization.md "Boot
# workload"): `emudiff collect qemu --system --until-console '=>'` on the QEMU
# command of datasets/baremetal/uboot-boot.sh. Asserts what emudiff stores:
# one ok qemu-system run stopped at U-Boot's prompt, the console string and
# its result in config_json, a boot latency (until_console_ns) that is
# positive and below the deadline, instructions to the prompt; and that the
# console passed through is U-Boot's (OpenSBI and U-Boot banners, the prompt
# last). Boot stages (docs/virtualization.md "Boot stages"): OpenSBI's and
# U-Boot's banners and a stage of one's own (--stage autoboot=..., the line
# U-Boot's 2 s countdown starts on) get their times, in boot order, before
# the prompt, the countdown's 2 s of guest time (its clock is the host's
# under TCG) between autoboot and the prompt. Then the script's own
# standalone run.
set -eu
emudiff=$1 boot=$2
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
# OpenSBI's ELF gives the firmware's symbols where it is linked where it runs
# (OpenSBI 1.1, Debian 12: at 0x80000000); 1.6 (Debian 13) is position-independent
fw_elf=${fw%.bin}.elf
elf_args=
if readelf -h "$fw_elf" 2>/dev/null | grep -q 'Type: *EXEC'; then elf_args="--elf $fw_elf"; fi
command -v qemu-system-riscv64 >/dev/null || { echo "skip: no qemu-system-riscv64 (package qemu-system-misc)"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
[ -r $fw ] || { echo "skip: no $fw (package opensbi)"; exit 77; }
[ -r /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin ] || { echo "skip: no U-Boot for qemu-riscv64 (package u-boot-qemu)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/u.db
q() { sqlite3 "$db" "$1"; }
deadline=60

sh "$boot" --print-args >"$tmp/args" || fail "--print-args exited $?"
# shellcheck disable=SC2046
"$emudiff" collect qemu --db "$db" --system --until-console '=>' --name uboot-boot --timeout $deadline \
	--stage 'autoboot=Hit any key to stop autoboot' \
	$elf_args -- $(cat "$tmp/args") >"$tmp/out" 2>"$tmp/err" || fail "collect qemu exited $?: $(cat "$tmp/err")"
[ "$(q "SELECT w.name || ' ' || r.platform || ' ' || r.status FROM run r JOIN workload w ON w.id = r.workload_id")" = \
  "uboot-boot qemu-system ok" ] || fail "run: $(q 'SELECT * FROM run')"
[ "$(q "SELECT json_extract(config_json, '\$.until_console') || ' ' || json_extract(config_json, '\$.until_console_result') FROM run")" = "=> seen" ] ||
	fail "console string: $(q 'SELECT config_json FROM run')"
ns=$(q "SELECT CAST(value AS INT) FROM run_metric WHERE metric = 'until_console_ns'")
[ -n "$ns" ] && [ "$ns" -gt 0 ] && [ "$ns" -lt $((deadline * 1000000000)) ] ||
	fail "boot latency until_console_ns '$ns': want 0 < ns < ${deadline} s"
insns=$(q "SELECT CAST(value AS INT) FROM run_metric WHERE metric = 'until_console_insns'")
[ -n "$insns" ] && [ "$insns" -gt 0 ] || fail "instructions to the prompt: '$insns'"
[ "$insns" -le "$(q "SELECT CAST(value AS INT) FROM run_metric WHERE metric = 'insns'")" ] ||
	fail "more instructions to the prompt than in the whole run"
# boot stages in boot order, before the prompt: opensbi < uboot < autoboot < until_console
stages=$(q "SELECT group_concat(metric, ' ') FROM (SELECT metric FROM run_metric WHERE metric LIKE 'boot%' OR metric = 'until_console_ns' ORDER BY value)")
[ "$stages" = "boot_opensbi_ns boot_uboot_ns boot_autoboot_ns until_console_ns" ] ||
	fail "boot stages: '$stages': $(q "SELECT metric, value FROM run_metric")"
v() { q "SELECT CAST(value AS INT) FROM run_metric WHERE metric = '$1'"; }
[ "$(v boot_opensbi_ns)" -gt 0 ] || fail "OpenSBI at $(v boot_opensbi_ns) ns"
# U-Boot counts 2 s down (bootdelay) between the autoboot line and the prompt
[ $(( $(v until_console_ns) - $(v boot_autoboot_ns) )) -ge 1500000000 ] ||
	fail "autoboot $(v boot_autoboot_ns) ns, prompt $(v until_console_ns) ns: less than the 2 s countdown apart"
[ "$(q "SELECT json_extract(config_json, '\$.stages.autoboot') FROM run")" = "Hit any key to stop autoboot" ] ||
	fail "the stage's pattern in config_json: $(q 'SELECT config_json FROM run')"
# the console emudiff watched is the firmware's: OpenSBI, then U-Boot, which
# prints its prompt "=> " last; emudiff's own summary line is on stderr
grep -q '^OpenSBI v[0-9]' "$tmp/out" || fail "no OpenSBI banner on the console"
grep -q '^U-Boot 20[0-9][0-9]\.[0-9][0-9]' "$tmp/out" || fail "no U-Boot banner on the console"
tail -n 1 "$tmp/out" | grep -q "^=> *$" || fail "the prompt is not the console's last output: $(tail -3 "$tmp/out")"
grep -q '^run 1: qemu-system, ok' "$tmp/err" || fail "no summary line on stderr: $(cat "$tmp/err")"

# standalone, as docs/virtualization.md shows it: exit 0 at the prompt, the log holds it
sh "$boot" --timeout $deadline --log "$tmp/serial.log" >"$tmp/alone" || fail "uboot-boot.sh exited $?"
grep -q '^uboot-boot.sh: prompt after [0-9]* ms$' "$tmp/alone" || fail "standalone: $(cat "$tmp/alone")"
grep -q '^U-Boot 20[0-9][0-9]\.[0-9][0-9]' "$tmp/serial.log" && grep -qF '=>' "$tmp/serial.log" ||
	fail "standalone serial log: $(tail -3 "$tmp/serial.log")"
echo "ok: OpenSBI after $(( $(v boot_opensbi_ns) / 1000000 )) ms, U-Boot after $(( $(v boot_uboot_ns) / 1000000 )) ms, U-Boot prompt after $((ns / 1000000)) ms, $insns instructions (collect qemu --until-console)"
