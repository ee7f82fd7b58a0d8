#!/bin/bash
# test_libraries.sh - instructions in shared libraries are named as on hardware:
# a dynamically linked program calls emu_spin(1000) of libemuspin.so (2002
# instructions, x86_64_libspin.S); under `collect qemu` the region
# s:emu_spin@libemuspin.so has exactly 2002, also with the library stripped
# (.dynsym); `collect hw --sample` of the same program keys its samples the
# same way, and both sides' regions are the same rows of the store.
#   test_libraries.sh EMUDIFF PLUGIN PROG LIB QEMU_X86
set -u
emudiff=$1 plugin=$2 prog=$3 lib=$4 qemu_x86=$5
[ -n "$qemu_x86" ] && [ -x "$qemu_x86" ] || { echo "qemu-x86_64 not installed: skipped"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (the command) not installed"; exit 1; }

tmp=$(mktemp -d /tmp/emudiff-libraries-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/t.db
export EMUDIFF_PLUGIN=$plugin
. "$(dirname "$0")/expect.sh"
insns() { # insns RUN KEY
	echo "SELECT CAST(rm.value AS INTEGER) FROM region_metric rm JOIN region r ON r.id = rm.region_id WHERE rm.run_id = $1 AND r.key = '$2' AND rm.metric = 'insns'"
}

# the program finds the library next to it ($ORIGIN)
mkdir "$tmp/full" "$tmp/stripped"
cp "$prog" "$lib" "$tmp/full/"
cp "$prog" "$lib" "$tmp/stripped/"
strip --strip-all "$tmp/stripped/libemuspin.so"
if readelf -S "$tmp/stripped/libemuspin.so" | grep -q '\.symtab'; then
	echo "FAIL: strip left a .symtab"; failures=$((failures + 1))
fi

# --- QEMU: the library's function by name, exact count; the loader and libc by file
expect_rc 0 "$emudiff" collect qemu --db "$db" --name spin -- "$tmp/full/libspin_main" 1000
expect "$(insns 1 's:emu_spin@libemuspin.so')" "2002"
expect "SELECT count(*) > 0 FROM region WHERE key LIKE 's:%@libc.so.6'" "1"
expect "SELECT count(*) > 0 FROM region WHERE key LIKE 's:%@ld-linux-x86-64.so.2'" "1"
# the program's own symbols keep bare names
expect "SELECT value > 0 FROM region_metric rm JOIN region r ON r.id = rm.region_id WHERE rm.run_id = 1 AND r.key = 's:main' AND rm.metric = 'insns'" "1"
expect "SELECT count(*) FROM region WHERE key LIKE 's:main@%'" "0"
# everything is attributed: regions + unattributed = total
expect "SELECT CAST((SELECT sum(value) FROM region_metric WHERE run_id = 1 AND metric = 'insns') + (SELECT value FROM run_metric WHERE run_id = 1 AND metric = 'insns_unattributed') - (SELECT value FROM run_metric WHERE run_id = 1 AND metric = 'insns') AS INTEGER)" "0"

# --- stripped library: through .dynsym, same key, same count
expect_rc 0 "$emudiff" collect qemu --db "$db" --name spin -- "$tmp/stripped/libspin_main" 1000
expect "$(insns 2 's:emu_spin@libemuspin.so')" "2002"

# --- exact mode too
expect_rc 0 "$emudiff" collect qemu --db "$db" --name spin --plugin-opt mode=exact -- "$tmp/full/libspin_main" 1000
expect "$(insns 3 's:emu_spin@libemuspin.so')" "2002"

# --- symbols=off: no map/pc lines, everything unattributed as before
expect_rc 0 "$emudiff" collect qemu --db "$db" --name spin --plugin-opt symbols=off -- "$tmp/full/libspin_main" 1000
expect "SELECT count(*) FROM region_metric WHERE run_id = 4" "0"

# --- hardware: sampling where perf events can be opened; the same region row
if "$emudiff" collect hw --db "$tmp/hw.db" --sample 999 -- "$tmp/full/libspin_main" 200000000 >"$tmp/out" 2>"$tmp/err"; then
	expect_rc 0 "$emudiff" collect hw --db "$db" --name spin --sample 999 -- "$tmp/full/libspin_main" 200000000
	run=$(sqlite3 "$db" "SELECT max(id) FROM run")
	expect "SELECT rm.value > 0 FROM region_metric rm JOIN region r ON r.id = rm.region_id WHERE rm.run_id = $run AND r.key = 's:emu_spin@libemuspin.so' AND rm.metric = 'samples'" "1"
	# one region row carries both sides' metrics
	expect "SELECT count(DISTINCT rm.run_id) FROM region_metric rm JOIN region r ON r.id = rm.region_id WHERE r.key = 's:emu_spin@libemuspin.so' AND rm.run_id IN (1, $run)" "2"
	expect_rc 0 "$emudiff" align --db "$db"
else
	echo "collect hw --sample cannot run here (skipping the hardware half): $(head -1 "$tmp/err")"
fi

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok"
