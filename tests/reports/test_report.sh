#!/bin/sh
# test_report.sh EMUDIFF MKREPORTSTORE REPORT_CHECK
# emudiff report on a small curated store: contents (report_check), well-formed
# XHTML and SVG (xmllint), determinism (same store, same bytes but for the one
# timestamp line), --workload, --pdf, and one-line errors with exit code 2.
set -u
emudiff=$1 mk=$2 check=$3
command -v xmllint >/dev/null 2>&1 || { echo "xmllint (libxml2-utils) not installed"; exit 77; }
command -v sqlite3 >/dev/null 2>&1 || { echo "skip: sqlite3 (the command) not installed"; exit 77; }
dir=$(mktemp -d /tmp/emudiff-test-report-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$mk" "$dir/s.db" || { echo "cannot build the test store"; exit 1; }
export SOURCE_DATE_EPOCH=1700000000
# report opens the store read-only: the file and its WAL keep their bytes
store_sum() { cat "$dir/s.db" "$dir/s.db-wal" 2>/dev/null | cksum; }
sum0=$(store_sum)
"$emudiff" report -q --db "$dir/s.db" --out "$dir/r1" --pdf >"$dir/stdout" || bad "report failed"
grep -q '^report: 3 workloads, 6 regions compared, 9 findings, 7 figures' "$dir/stdout" || bad "summary: $(cat "$dir/stdout")"
"$check" "$dir/s.db" "$dir/r1" || bad "report_check"

# every page and every SVG is well-formed XML
n=0
for f in "$dir"/r1/index.html "$dir"/r1/*/index.html "$dir"/r1/*.svg "$dir"/r1/*/*.svg; do
	xmllint --noout "$f" || bad "not well-formed: $f"
	n=$((n + 1))
done
[ "$n" -eq 11 ] || bad "expected 4 pages and 7 SVG files, checked $n"
# PDFs on request, each a PDF with the store's date, not today's (the document
# info is plain text with cairo 1.16, in a compressed object stream with 1.18)
pdf_text() { # the PDF's bytes and each of its streams inflated
	python3 -c 'import re, sys, zlib
d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(d)
for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", d, re.S):
    try:
        sys.stdout.buffer.write(zlib.decompress(m.group(1)))
    except zlib.error:
        pass' "$1"
}
for f in "$dir"/r1/ab.pdf "$dir"/r1/hermit-fib/scatter.pdf; do
	head -c 5 "$f" | grep -q '%PDF-' || bad "$f is not a PDF"
	# (cairo's date set through its API lacks the optional "D:")
	pdf_text "$f" | grep -aq 'CreationDate (\(D:\)\{0,1\}20231114221320Z)' || bad "$f: CreationDate not from SOURCE_DATE_EPOCH"
done

# deterministic: same bytes; another timestamp changes exactly one line
"$emudiff" report -q --db "$dir/s.db" --out "$dir/r2" --pdf >/dev/null || bad "second report failed"
diff -r "$dir/r1" "$dir/r2" >/dev/null || bad "two reports of one store differ"
"$emudiff" report -q --db "$dir/s.db" --out "$dir/r1j" --pdf --jobs 1 >/dev/null || bad "--jobs 1 failed"
diff -r "$dir/r1" "$dir/r1j" >/dev/null || bad "the bytes depend on the number of worker processes"
SOURCE_DATE_EPOCH=1700003600 "$emudiff" report -q --db "$dir/s.db" --out "$dir/r3" --pdf >/dev/null || bad "third report failed"
# (the PDFs carry the date too, in their CreationDate)
changed=$(diff -r -x '*.pdf' "$dir/r1" "$dir/r3" | grep -c '^[<>]')
[ "$changed" -eq 2 ] || bad "expected one changed line, diff has $changed"
diff -r -x '*.pdf' "$dir/r1" "$dir/r3" | grep '^>' | grep -q 'Generated at 2023-11-14 23:13:20 UTC' || bad "timestamp line"

# re-generating over an existing report replaces it in place
"$emudiff" report -q --db "$dir/s.db" --out "$dir/r3" >/dev/null || bad "report over an existing one failed"

# --workload: one page, and the index links only what exists
"$emudiff" report -q --db "$dir/s.db" --out "$dir/one" --workload hermit-fib >/dev/null || bad "--workload failed"
[ -f "$dir/one/hermit-fib/index.html" ] && [ ! -d "$dir/one/empty" ] || bad "--workload wrote the wrong pages"
"$check" --links "$dir/one" >/dev/null || bad "--workload report has broken links"

[ "$(store_sum)" = "$sum0" ] || bad "report changed the store it reads (or its -wal)"
[ "$(sqlite3 "$dir/s.db" "PRAGMA integrity_check")" = ok ] || bad "store integrity after the reports"

# errors: one line naming the file, exit code 2
expect_error() { # expect_error PATTERN ARGS...
	pat=$1
	shift
	"$emudiff" report "$@" >"$dir/o" 2>"$dir/e"
	rc=$?
	[ $rc -eq 2 ] || bad "report $*: exit $rc, expected 2"
	[ "$(wc -l <"$dir/e")" -eq 1 ] && grep -q -e "$pat" "$dir/e" || bad "report $*: message '$(cat "$dir/e")'"
}
printf 'not a database at all, just some text\n' >"$dir/garbage.db"
: >"$dir/afile"
expect_error "nope.db: no such store" --db "$dir/nope.db" --out "$dir/x"
expect_error "garbage.db: not an emudiff store" --db "$dir/garbage.db" --out "$dir/x"
expect_error "no workload named 'nope'" --db "$dir/s.db" --out "$dir/x" --workload nope
expect_error "afile: not a directory" --db "$dir/s.db" --out "$dir/afile"
expect_error "--jobs: 'many' is not a number" --db "$dir/s.db" --out "$dir/x" --jobs many
"$emudiff" report --db "$dir/s.db" >/dev/null 2>&1
[ $? -eq 2 ] || bad "report without --out must exit 2"
"$emudiff" report --help | grep -q '^usage: emudiff report' || bad "--help"
exit $fail
