#!/bin/sh
# uftrace-live.sh EMUDIFF SOURCE - record uftrace-calls.c with Debian's uftrace
# now and import it: the call counts are known by construction.
set -eu
emudiff=$1 src=$2
command -v uftrace >/dev/null || { echo "skip: uftrace not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cc -O1 -pg -fno-inline -o "$tmp/uftrace-calls" "$src" || fail "cannot build $src"
(cd "$tmp" && uftrace record --no-libcall -d data ./uftrace-calls) >/dev/null 2>&1 || {
	echo "skip: uftrace record does not work here"; exit 77; }
"$emudiff" import uftrace --db "$tmp/u.db" --name live "$tmp/data" >/dev/null || fail "import exited $?"
got=$(sqlite3 "$tmp/u.db" "SELECT group_concat(x, ' ') FROM (SELECT g.key || '=' || m.value AS x FROM region_metric m
	JOIN region g ON g.id = m.region_id WHERE m.metric = 'calls' ORDER BY g.key)")
[ "$got" = "s:fib=15.0 s:leaf=13.0 s:main=1.0 s:middle=3.0 s:spin=1.0" ] || fail "calls: $got"
# spin() dominates: its self time is most of main's inclusive time
sqlite3 "$tmp/u.db" "SELECT (SELECT m.value FROM region_metric m JOIN region g ON g.id = m.region_id
	WHERE g.key = 's:spin' AND metric = 'time_ns') > 0.5 * (SELECT m.value FROM region_metric m
	JOIN region g ON g.id = m.region_id WHERE g.key = 's:main' AND metric = 'incl_time_ns')" | grep -qx 1 ||
	fail "spin's self time is not the bulk of main's inclusive time"
echo "ok: live uftrace record + import"
