#!/usr/bin/env bash
# The README's bad-input table, the rows not held by a component's own tests:
# one-line errors naming the file, exit 2, nothing stored.
#   test_bad_input.sh EMUDIFF FORKER SOURCE_ROOT
set -u
emudiff=$1
forker=$2
src=$3
. "$EMUDIFF_TEST_LIB/check.sh"
one_line_naming() { # FILE-NAME
	[ "$(grep -c '^error:' "$t/err")" = 1 ] || fail "expected one error line, got: $(cat "$t/err")"
	grep -q "$1" "$t/err" || fail "error does not name $1: $(cat "$t/err")"
}
runs() { sqlite3 "$t/s.db" "SELECT count(*) FROM run" 2>/dev/null || echo 0; }

# non-ELF program and ELF check
printf 'just text\n' >"$t/notelf"
chmod +x "$t/notelf"
expect 2 "$emudiff" align --check "$t/notelf"
one_line_naming notelf
expect 2 "$emudiff" collect qemu --db "$t/s.db" -- "$t/notelf"
grep -q notelf "$t/err" || fail "collect qemu on a non-ELF names it: $(cat "$t/err")"
[ "$(runs)" = 0 ] || fail "a run was stored for a non-ELF program"

# plugin output of a newer format version
cat >"$t/new.out" <<'OUT'
emudiff-qemu-plugin 6
arch riscv64
end 1
OUT
expect 2 "$emudiff" collect qemu --db "$t/s.db" --ingest "$t/new.out"
one_line_naming new.out
grep -q 'newer' "$t/err" || fail "newer plugin format is called newer"
printf 'PK\003\004 a zip file\n' >"$t/zip.out"
expect 2 "$emudiff" collect qemu --db "$t/s.db" --ingest "$t/zip.out"
one_line_naming zip.out
[ "$(runs)" = 0 ] || fail "a run was stored from a bad plugin output"

# unknown metric names
expect 2 "$emudiff" stats --db "$t/s.db" --metric bogus
printf '1,,frobnicate-events,100,100.00,,\n' >"$t/unknown.csv"
expect 0 "$emudiff" import perf-stat --db "$t/s.db" "$t/unknown.csv"
[ "$(sqlite3 "$t/s.db" "SELECT metric || '=' || value FROM run_metric")" = "frobnicate_events=1.0" ] ||
	fail "unknown perf event stored under its own name: $(sqlite3 "$t/s.db" "SELECT metric, value FROM run_metric")"

# perf stat CSV of an older perf (5 fields): refused naming the line
printf '3.73,msec,task-clock,3730000,100.00\n' >"$t/old.csv"
before=$(runs)
expect 2 "$emudiff" import perf-stat --db "$t/s.db" "$t/old.csv"
one_line_naming 'old.csv:1'
[ "$(runs)" = "$before" ] || fail "a run was stored from an old perf CSV"

# QEMU missing: a PATH with the tools emudiff needs but no QEMU
mkdir "$t/bin"
ln -s "$(command -v sha256sum)" "$t/bin/sha256sum"
PATH=$t/bin expect 2 "$emudiff" collect qemu --db "$t/q.db" -- "$forker"
one_line_naming 'qemu-x86_64'
grep -q 'not found' "$t/err" || fail "missing QEMU says not found"

# the plugin header missing at build time: configure stops with the remedy
if command -v meson >/dev/null; then
	expect 1 meson setup "$t/b" "$src" -Dqemu_plugin=enabled -Dqemu_plugin_include="$t/nowhere"
	grep -q 'qemu-plugin.h not found: run scripts/setup' "$t/out" "$t/err" ||
		fail "meson names the missing plugin header and the remedy"
fi

# a forking workload: counted whole on hardware, an ok run under QEMU
expect 0 "$emudiff" collect hw --db "$t/f.db" --name fork -- "$forker"
[ "$(sqlite3 "$t/f.db" "SELECT status || ' ' || exit_code FROM run")" = "ok 0" ] ||
	fail "hw: forking workload is an ok run"
if command -v qemu-x86_64 >/dev/null; then
	expect 0 "$emudiff" collect qemu --db "$t/f.db" --name fork-qemu -- "$forker"
	[ "$(sqlite3 "$t/f.db" "SELECT status FROM run WHERE platform = 'qemu-user'")" = ok ] ||
		fail "qemu: forking workload is an ok run"
	[ "$(sqlite3 "$t/f.db" "SELECT value FROM run_metric m JOIN run r ON r.id = m.run_id WHERE r.platform = 'qemu-user' AND metric = 'children'")" = 1.0 ] ||
		fail "qemu: the child process is counted"
fi

# two collectors writing one store at the same time lose no row
"$emudiff" collect hw --db "$t/two.db" --name one --reps 4 -- "$forker" >/dev/null 2>"$t/err1" &
p1=$!
"$emudiff" collect hw --db "$t/two.db" --name two --reps 4 -- "$forker" >/dev/null 2>"$t/err2" &
p2=$!
wait $p1 || fail "first concurrent collector: $(cat "$t/err1")"
wait $p2 || fail "second concurrent collector: $(cat "$t/err2")"
[ "$(sqlite3 "$t/two.db" "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM run r JOIN workload w ON w.id = r.workload_id WHERE r.status = 'ok' GROUP BY w.name ORDER BY w.name)")" = "4,4" ] ||
	fail "concurrent collectors: $(sqlite3 "$t/two.db" "SELECT workload_id, status, count(*) FROM run GROUP BY 1, 2")"
[ "$(sqlite3 "$t/two.db" "PRAGMA integrity_check")" = ok ] || fail "concurrent collectors: integrity"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)" >&2
	exit 1
fi
echo "bad input: all checks passed"
