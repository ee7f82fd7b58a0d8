#!/bin/sh
# test_symtab_bad.sh - ELF files emudiff must refuse, through its command line:
# not an ELF, a missing file, an ELF cut short (inside its program headers, and
# before its section headers), another architecture (e_machine = 40, ARM), a
# 32-bit ELF (EI_CLASS = 1) and a .emudiff_marks record running past its
# section. Each gives exactly one stderr line "error: FILE: problem" and exit 2
# from `align --check FILE`, from `collect console --elf FILE` (the store holds
# the same rows as before, byte for byte) and, but for the missing file, from
# `align --db` on a workload whose binary is FILE (the store unchanged). The expected numbers come from
# readelf.
# usage: test_symtab_bad.sh EMUDIFF MKBADMARKS GOOD-ELF READELF SQLITE3
set -u
emudiff=$1 mkbadmarks=$2 good=$3 readelf=$4 sqlite=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

hdr() { "$readelf" -hW "$1" | sed -n "s/^ *$2: *\([0-9]*\).*/\1/p"; }
size=$(wc -c <"$good")
shoff=$(hdr "$good" 'Start of section headers')
shnum=$(hdr "$good" 'Number of section headers')
shent=$(hdr "$good" 'Size of section headers')
phoff=$(hdr "$good" 'Start of program headers')
phnum=$(hdr "$good" 'Number of program headers')
phent=$(hdr "$good" 'Size of program headers')
[ -n "$shoff" ] && [ -n "$phnum" ] || { echo "FAIL: readelf -h $good: no header fields"; exit 1; }

d=$tmp
echo "hello, not an ELF" >"$d/not-elf.txt"
head -c 64 "$good" >"$d/header-only.elf"
half=$((shoff / 2))
head -c "$half" "$good" >"$d/half.elf"
patch() { # FILE OFFSET OCTAL-BYTE
	printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
cp "$good" "$d/arm.elf" && patch "$d/arm.elf" 18 050          # e_machine = 40
cp "$good" "$d/class32.elf" && patch "$d/class32.elf" 4 001   # EI_CLASS = ELFCLASS32
at=$("$mkbadmarks" "$good" "$d/badmarks.elf") || { echo "FAIL: mkbadmarks"; exit 1; }
secoff=$("$readelf" -SW "$good" | sed -n 's/.*\.emudiff_marks *PROGBITS *[0-9a-f]* \([0-9a-f]*\) .*/\1/p')
[ -n "$secoff" ] || { echo "FAIL: $good has no .emudiff_marks"; exit 1; }
rec=$((at - 0x$secoff))

# FILE MESSAGE (after "error: FILE: ")
cat >"$tmp/cases" <<CASES
$d/not-elf.txt|not an ELF file
$d/missing.elf|No such file or directory
$d/header-only.elf|truncated ELF: the program headers end at byte $((phoff + phnum * phent)), the file has 64
$d/half.elf|truncated ELF: the section headers end at byte $((shoff + shnum * shent)), the file has $half
$d/arm.elf|unsupported architecture (e_machine 40); emudiff handles x86_64, riscv64 and aarch64
$d/class32.elf|32-bit ELF (e_machine 62); emudiff handles 64-bit x86_64, riscv64 and aarch64
$d/badmarks.elf|.emudiff_marks: record at offset $rec claims a 127-byte name past the section end
CASES
[ "$((shoff + shnum * shent))" -eq "$size" ] || no "section headers do not end the file: $size bytes"

# expect2 WANT-LINE CMD...: exit 2 and exactly WANT-LINE on stderr
expect2() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || no "$*: exit $rc, expected 2"
	[ "$(cat "$tmp/err")" = "$want" ] || no "$*: stderr is '$(cat "$tmp/err")', expected '$want'"
}

printf '@emudiff mark 1 time=100\n@emudiff mark 2 time=300\n@emudiff exit 0\n' >"$tmp/log.txt"
db=$tmp/s.db
"$emudiff" collect console --db "$db" --elf "$good" --name w --log "$tmp/log.txt" >/dev/null 2>&1 ||
	no "collect console with the good ELF"
[ "$("$sqlite" "$db" 'SELECT count(*) FROM run')" = 1 ] || no "the good run is not stored"
"$emudiff" align --db "$db" >/dev/null 2>&1 || no "align with the good ELF"
[ "$("$sqlite" "$db" 'SELECT count(*) FROM region')" -ge 1 ] || no "the good run has no region"

n=0
while IFS='|' read -r f msg; do
	n=$((n + 1))
	expect2 "error: $f: $msg" "$emudiff" align --check "$f"
	"$sqlite" "$db" .dump >"$tmp/before"
	expect2 "error: $f: $msg" "$emudiff" collect console --db "$db" --elf "$f" --name w --log "$tmp/log.txt"
	"$sqlite" "$db" .dump | cmp -s - "$tmp/before" || no "collect console --elf $f changed the store"
	# (a stored workload whose binary is gone is aligned with unnamed regions
	# and a warning, by design: the binary may have moved since)
	[ "$f" = "$d/missing.elf" ] && continue
	"$sqlite" "$db" "UPDATE workload SET elf_path = '$f' WHERE name = 'w'"
	"$sqlite" "$db" .dump >"$tmp/before"
	expect2 "error: $f: $msg" "$emudiff" align --db "$db"
	"$sqlite" "$db" .dump | cmp -s - "$tmp/before" || no "align --db with $f changed the store"
	"$sqlite" "$db" "UPDATE workload SET elf_path = '$good' WHERE name = 'w'"
done <"$tmp/cases"
[ "$n" -eq 7 ] || no "$n cases run, expected 7"
# the good ELF still passes everything above
"$emudiff" align --check "$good" >/dev/null 2>&1 || no "align --check of the good ELF"

[ "$fail" -eq 0 ] && echo "bad ELF input: $n files refused with one line and exit 2, store unchanged"
exit "$fail"
