#!/bin/sh
# uftrace-import.sh EMUDIFF DATA [RECORDING] - `emudiff import uftrace` on the
# recorded trace of uftrace-calls.c (DATA/RECORDING, default uftrace-calls:
# uftrace 0.13; uftrace-calls-0.17: its newer .sym format): calls, inclusive
# and self time per function must equal what uftrace's own `uftrace report`
# said about the same data (DATA/RECORDING.expected); damaged traces are
# refused with one line.
set -eu
emudiff=$1 data=$2 rec=${3:-uftrace-calls}
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/u.db
q() { sqlite3 "$db" "$1"; }

"$emudiff" import uftrace --db "$db" "$data/$rec" >/dev/null || fail "import exited $?"
[ "$(q "SELECT w.name || ' ' || r.platform || ' ' || r.status FROM run r JOIN workload w ON w.id = r.workload_id")" = \
	"uftrace-calls import ok" ] || fail "run: $(q 'SELECT * FROM run')"
n=0
# "   59.523 us    0.719 us           1  main"
while read -r total tu self su calls func; do
	case $total in [0-9]*) ;; *) continue ;; esac
	[ "$tu" = us ] && [ "$su" = us ] || fail "expected file uses $tu/$su, not us"
	want_total=$(echo "$total" | awk '{ printf "%d", $1 * 1000 + 0.5 }')
	want_self=$(echo "$self" | awk '{ printf "%d", $1 * 1000 + 0.5 }')
	got=$(q "SELECT max(CASE metric WHEN 'calls' THEN value END) || ' ' ||
		max(CASE metric WHEN 'incl_time_ns' THEN value END) || ' ' ||
		max(CASE metric WHEN 'time_ns' THEN value END)
		FROM region_metric m JOIN region g ON g.id = m.region_id WHERE g.key = 's:$func'")
	[ "$got" = "$calls.0 $want_total.0 $want_self.0" ] ||
		fail "$func: calls/incl/self '$got', uftrace report says '$calls $want_total $want_self'"
	n=$((n + 1))
done <"$data/$rec.expected"
[ $n = 5 ] || fail "compared $n functions, want 5"
# the counts known by construction of uftrace-calls.c
[ "$(q "SELECT group_concat(x, ' ') FROM (SELECT g.key || '=' || m.value AS x FROM region_metric m
	JOIN region g ON g.id = m.region_id WHERE m.metric = 'calls' ORDER BY g.key)")" = \
	"s:fib=15.0 s:leaf=13.0 s:main=1.0 s:middle=3.0 s:spin=1.0" ] || fail "call counts"

# damaged input: one line naming the file, exit 2, nothing stored
refused() { # DIR WHAT PATTERN
	set +e
	"$emudiff" import uftrace --db "$db" "$1" >/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	[ $rc = 2 ] || fail "$2: exit $rc, want 2"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$2: more than one line: $(cat "$tmp/err")"
	grep -q "$3" "$tmp/err" || fail "$2: message '$(cat "$tmp/err")' lacks '$3'"
	[ "$(q 'SELECT count(*) FROM run')" = 1 ] || fail "$2: a run was stored"
}
refused "$tmp/nonexistent" "missing dir" "nonexistent/info"
cp -r "$data/$rec" "$tmp/trunc"
chmod -R u+w "$tmp/trunc"
dat=$(ls "$tmp/trunc"/*.dat)
truncate -s 1050 "$dat"
refused "$tmp/trunc" "truncated .dat" "$(basename "$dat"): record 66: truncated"
cp -r "$data/$rec" "$tmp/magic"
chmod -R u+w "$tmp/magic"
printf 'NotFtrace-not-a-header-of-forty-bytes...' >"$tmp/magic/info"
refused "$tmp/magic" "bad info magic" "magic/info: not a uftrace info file"
cp -r "$data/$rec" "$tmp/rec"
chmod -R u+w "$tmp/rec"
dat=$(ls "$tmp/rec"/*.dat)
printf '\377\377\377\377\377\377\377\377' | dd of="$dat" bs=1 seek=24 conv=notrunc 2>/dev/null
refused "$tmp/rec" "corrupt record" "record 2: bad magic"
echo "ok: uftrace import matches uftrace report ($n functions)"
