#!/usr/bin/env bash
# Checks before running (issue #19, item 4): `collect hw` refuses an ELF of
# another machine (one line naming the file, its machine and this one's,
# exit 2, nothing stored); user-mode `collect qemu` gives a dynamically
# linked foreign program a sysroot (--sysroot, QEMU_LD_PREFIX, Debian's
# /usr/riscv64-linux-gnu), or refuses it in one line before running.
#   test_foreign_elf.sh EMUDIFF
set -u
emudiff=$1
. "$EMUDIFF_TEST_LIB/check.sh"
skip() { echo "skip: $*"; exit 77; }
cc=riscv64-linux-gnu-gcc
command -v $cc >/dev/null || skip "$cc is not installed"
command -v qemu-riscv64 >/dev/null || skip "qemu-riscv64 is not installed"
[ "$(uname -m)" != riscv64 ] || skip "this machine is riscv64: no foreign riscv64 ELF"
debian=/usr/riscv64-linux-gnu

printf '#include <stdio.h>\nint main(void) { puts("hello from riscv64"); return 0; }\n' >"$t/hello.c"
$cc -O1 -o "$t/dyn" "$t/hello.c" || fail "cannot build a dynamic riscv64 program"
$cc -O1 -static -o "$t/static" "$t/hello.c" || fail "cannot build a static riscv64 program"
# a loader that no sysroot holds
$cc -O1 -Wl,--dynamic-linker=/lib/ld-emudiff-none.so.1 -o "$t/oddld" "$t/hello.c" || fail "cannot build oddld"
mkdir "$t/empty"

one_error() { # WORDS...: one line on stderr, an error holding every word
	[ "$(wc -l <"$t/err")" = 1 ] && grep -q '^error: ' "$t/err" || fail "expected one error line: $(cat "$t/err")"
	for w in "$@"; do grep -qF -- "$w" "$t/err" || fail "the error does not name '$w': $(cat "$t/err")"; done
}
no_store() { [ ! -e "$t/s.db" ] || fail "$1: a store was created ($(sqlite3 "$t/s.db" 'SELECT count(*) FROM run') runs)"; }

# collect hw: a foreign ELF, static or dynamic, is refused before running
for p in dyn static; do
	expect 2 "$emudiff" collect hw --db "$t/s.db" -- "$t/$p"
	one_error "$t/$p" riscv64 "$(uname -m)"
	[ ! -s "$t/out" ] || fail "collect hw $p wrote to stdout: $(cat "$t/out")"
	no_store "collect hw $p"
done

# collect qemu: a bad --sysroot, a sysroot without the loader, a loader nowhere
expect 2 "$emudiff" collect qemu --db "$t/s.db" --sysroot "$t/nodir" -- "$t/dyn"
one_error "$t/nodir"
no_store "--sysroot nodir"
expect 2 "$emudiff" collect qemu --db "$t/s.db" --sysroot "$t/empty" -- "$t/dyn"
one_error "$t/dyn" ld-linux-riscv64 "$t/empty"
no_store "--sysroot empty"
QEMU_LD_PREFIX=$t/empty expect 2 "$emudiff" collect qemu --db "$t/s.db" -- "$t/dyn"
one_error "$t/dyn" QEMU_LD_PREFIX
no_store "QEMU_LD_PREFIX empty"
expect 2 "$emudiff" collect qemu --db "$t/s.db" -- "$t/oddld"
one_error "$t/oddld" /lib/ld-emudiff-none.so.1 --sysroot
no_store "a loader in no sysroot"
expect 2 "$emudiff" collect qemu --db "$t/s.db" --system --elf "$t/static" --sysroot "$t/empty" -- -M virt
no_store "--sysroot with --system"

# a static program needs no sysroot; a dynamic one runs with Debian's or --sysroot's
expect 0 "$emudiff" collect qemu --db "$t/s.db" -- "$t/static"
[ "$(cat "$t/out")" = "hello from riscv64" ] || fail "static: stdout '$(cat "$t/out")'"
if [ -e "$debian/lib/ld-linux-riscv64-lp64d.so.1" ]; then
	expect 0 "$emudiff" collect qemu --db "$t/s.db" -- "$t/dyn"
	[ "$(cat "$t/out")" = "hello from riscv64" ] || fail "dyn with Debian's sysroot: stdout '$(cat "$t/out")'"
	expect 0 "$emudiff" collect qemu --db "$t/s.db" --sysroot "$debian" -- "$t/dyn"
	[ "$(sqlite3 "$t/s.db" "SELECT group_concat(status || ':' || ifnull(json_extract(config_json, '\$.sysroot'), '-'), ' ')
		FROM run ORDER BY id")" = "ok:- ok:$debian ok:$debian" ] ||
		fail "runs: $(sqlite3 "$t/s.db" 'SELECT status, config_json FROM run')"
else
	echo "note: $debian has no riscv64 loader (libc6-riscv64-cross): the dynamic run is not tried"
fi

[ $fails = 0 ] || exit 1
echo "ok: foreign ELFs refused by collect hw; sysroots found or refused before running by collect qemu"
