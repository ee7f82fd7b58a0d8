#!/bin/sh
# test_align_cli.sh - `emudiff align` from the command line: regions of a
# synthetic store (mkstore: markers 1, 2, 3 with known counts), idempotence,
# and the one-line errors with exit code 2 for bad input and bad usage.
# usage: test_align_cli.sh EMUDIFF MKSTORE MARKED-ELF SQLITE3
set -u
emudiff=$1 mkstore=$2 elf=$3 sqlite=${4:-}
[ -x "$sqlite" ] || { echo "FAIL: no sqlite3 to check the store with"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# expect STATUS LINES-ON-STDERR-PATTERN CMD...
expect() {
	want=$1 pat=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] || no "$* exited $got, expected $want: $(cat "$tmp/err")"
	if [ -n "$pat" ]; then
		grep -q -- "$pat" "$tmp/err" || no "$*: stderr lacks '$pat': $(cat "$tmp/err")"
		[ "$(wc -l <"$tmp/err")" -eq 1 ] || [ "$want" -ne 2 ] ||
			no "$*: error is not one line: $(cat "$tmp/err")"
	fi
}

db=$tmp/s.db
"$mkstore" "$db" w 3 hw || no "mkstore hw"
"$mkstore" "$db" w 2 qemu-user || no "mkstore qemu-user"

expect 0 "" "$emudiff" align --db "$db"
grep -q "^w: 2 marker regions from reference run 1 (3 markers); 5 runs: 5 identical, 0 aligned with gaps, 0 without marker regions$" "$tmp/out" ||
	no "align output: $(cat "$tmp/out")"
cp "$tmp/out" "$tmp/first"
expect 0 "" "$emudiff" align --db "$db" --workload w
cmp -s "$tmp/out" "$tmp/first" || no "second align says something else: $(cat "$tmp/out")"

if [ -n "$sqlite" ]; then
	q() { "$sqlite" "$db" "$1"; }
	[ "$(q "SELECT group_concat(key, ' ') FROM (SELECT key FROM region ORDER BY key)")" = "m:1->2#1 m:2->3#1" ] ||
		no "region keys: $(q 'SELECT key FROM region')"
	# hw run rep 2: time 0, 502, 2002; insns 0, 1000, 3000
	[ "$(q "SELECT m.metric || '=' || CAST(m.value AS INT) FROM region_metric m JOIN region g ON g.id = m.region_id
		JOIN run r ON r.id = m.run_id WHERE r.platform = 'hw' AND r.rep = 2 AND g.key = 'm:2->3#1' ORDER BY m.metric" | tr '\n' ' ')" = "instret=2000 time_ns=1500 " ] ||
		no "hw metrics"
	[ "$(q "SELECT m.metric || '=' || CAST(m.value AS INT) FROM region_metric m JOIN region g ON g.id = m.region_id
		JOIN run r ON r.id = m.run_id WHERE r.platform = 'qemu-user' AND r.rep = 1 AND g.key = 'm:1->2#1' ORDER BY m.metric" | tr '\n' ' ')" = "insns=1000 qemu_host_ns=501 " ] ||
		no "qemu metrics"
	[ "$(q 'SELECT count(*) FROM region_metric')" = 20 ] || no "region_metric rows: $(q 'SELECT count(*) FROM region_metric')"
	[ "$(q 'SELECT count(*) FROM alignment WHERE matched = 3 AND gaps = 0')" = 5 ] || no "alignment rows"
	# the workload's ELF turned into something else: one-line error, exit 2, store untouched
	echo "garbage" >"$tmp/garbage.elf"
	q "UPDATE workload SET elf_path = '$tmp/garbage.elf'"
	before=$(q 'SELECT count(*), sum(value) FROM region_metric')
	expect 2 "garbage.elf: not an ELF file" "$emudiff" align --db "$db"
	[ "$(q 'SELECT count(*), sum(value) FROM region_metric')" = "$before" ] || no "failed align changed the store"
	[ "$(q 'SELECT count(*) FROM alignment')" = 5 ] || no "failed align changed the alignment table"
	# the real test ELF: regions get its marker names (1 = setup, 2 = compute)
	q "UPDATE workload SET elf_path = '$elf', arch = 'x86_64'"
	expect 0 "" "$emudiff" align --db "$db"
	[ "$(q "SELECT group_concat(key || '=' || name, ' ') FROM (SELECT * FROM region ORDER BY key)")" = "m:1->2#1=setup m:2->3#1=compute" ] ||
		no "region names: $(q 'SELECT key, name FROM region')"
fi

# bad input and bad usage: one line, exit 2
expect 2 "error:" "$emudiff" align --db "$tmp/missing.db"
echo "not a database, just text" >"$tmp/text.db"
expect 2 "error:" "$emudiff" align --db "$tmp/text.db"
expect 2 "no workload named 'nope'" "$emudiff" align --db "$db" --workload nope
expect 2 "not an ELF file" "$emudiff" align --check "$tmp/text.db"
expect 2 "No such file" "$emudiff" align --check "$tmp/none.elf"
expect 2 "" "$emudiff" align --json --db "$db"
expect 2 "" "$emudiff" align --bogus
expect 0 "" "$emudiff" align --help
grep -q "^usage: emudiff align" "$tmp/out" || no "--help prints no usage"
# the test ELF has an unnamed marker and an id used twice: --strict turns warnings into exit 1
expect 1 "marker id 3" "$emudiff" align --check "$elf" --strict
expect 0 "" "$emudiff" align --check "$elf"

[ "$fail" -eq 0 ] && echo "align command line: ok"
exit "$fail"
