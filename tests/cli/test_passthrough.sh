#!/usr/bin/env bash
# The workload's streams are the workload's (issue #19, item 1): unmodified
# Debian programs write the same bytes to stdout under `collect qemu` and
# `collect hw` as natively, and their stderr is theirs plus emudiff's own
# lines (warning:/error:/run N: ...), never anything of emudiff's on stdout.
# xz -T2 (issue #19): threads started by a library (liblzma's two workers;
# xz itself references no thread function) are counted apart, the output
# byte-identical, the library's code named.
#   test_passthrough.sh EMUDIFF
set -u
emudiff=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
skip() { echo "skip: $*"; exit 77; }

for p in xz sqlite3 qemu-x86_64; do
	command -v $p >/dev/null || skip "$p is not installed"
done
xz=$(command -v xz)
sqlite=$(command -v sqlite3)

# emudiff's own lines on stderr: its messages, its per-run summaries and the
# plugin's note on API functions a QEMU lacks (the source-built 10.0 qemu-user)
strip_ours() { grep -av -e '^warning: ' -e '^error: ' -e '^run [0-9]*: ' -e '^emudiff plugin: ' "$1"; }

# data that compresses, deterministic; data2 spans two of xz -1's 3 MiB blocks
lines() { seq 1 $1 | awk '{ printf "%d %x line of data %d\n", $1, $1 * 2654435761 % 4294967296, $1 % 97 }'; }
lines 40000 >"$t/data"
lines 110000 >"$t/data2"

# a SQL script with output, an error on stderr and output after it (deterministic)
cat >"$t/script.sql" <<'EOF'
CREATE TABLE t(a INTEGER, b TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000)
INSERT INTO t SELECT x, printf('%08x', (x * 2654435761) % 4294967296) FROM c;
CREATE INDEX tb ON t(b);
SELECT count(*), sum(a) FROM t;
SELECT a, b FROM t ORDER BY b LIMIT 3 OFFSET 100;
SELECT no_such_function(1);
SELECT 'after the error';
EOF

# each of: native, collect qemu, collect hw; stdout and stderr apart
run_all() { # NAME STDIN PROG ARGS...
	local name=$1 in=$2
	shift 2
	"$@" <"$in" >"$t/$name.native.out" 2>"$t/$name.native.err"
	echo $? >"$t/$name.native.rc"
	"$emudiff" collect qemu --db "$t/s.db" --name "$name" -- "$@" <"$in" >"$t/$name.qemu.out" 2>"$t/$name.qemu.err"
	echo $? >"$t/$name.qemu.rc"
	"$emudiff" collect hw --db "$t/s.db" --name "$name" -- "$@" <"$in" >"$t/$name.hw.out" 2>"$t/$name.hw.err"
	echo $? >"$t/$name.hw.rc"
}

check() { # NAME COLLECTOR
	local n=$1 c=$2
	[ "$(cat "$t/$n.$c.rc")" = 0 ] || fail "$n: collect $c exited $(cat "$t/$n.$c.rc"): $(head -c 400 "$t/$n.$c.err")"
	cmp "$t/$n.native.out" "$t/$n.$c.out" || fail "$n: stdout under collect $c differs from the native run"
	strip_ours "$t/$n.$c.err" | cmp - "$t/$n.native.err" ||
		fail "$n: stderr under collect $c, without emudiff's lines, differs from the native run"
	grep -q '^run [0-9]*: ' "$t/$n.$c.err" || fail "$n: no summary line of collect $c on stderr"
}

run_all xz /dev/null "$xz" -T1 -1 -k -c "$t/data"
[ -s "$t/xz.native.out" ] || fail "native xz wrote nothing"
for c in qemu hw; do
	check xz $c
	xz -t <"$t/xz.$c.out" || fail "xz: the output under collect $c is not valid xz data"
done

# xz -T2: liblzma starts a worker per block (two here), so collect qemu gives
# the plugin threads=on by itself (the library references pthread_create)
run_all xz2 /dev/null "$xz" -T2 -1 -k -c "$t/data2"
for c in qemu hw; do
	check xz2 $c
done
q() { sqlite3 "$t/s.db" "$1"; }
r=$(q "SELECT max(r.id) FROM run r JOIN workload w ON w.id = r.workload_id WHERE w.name = 'xz2' AND r.platform = 'qemu-user'")
[ "$(q "SELECT status || ' ' || json_extract(config_json, '$.plugin_options') FROM run WHERE id = $r")" = "ok threads=on" ] ||
	fail "xz -T2 under QEMU: $(q "SELECT status, config_json FROM run WHERE id = $r")"
[ "$(q "SELECT group_concat(thread, ' ') FROM (SELECT thread FROM run_thread WHERE run_id = $r ORDER BY thread)")" = "0 1 2" ] ||
	fail "xz -T2 under QEMU: threads $(q "SELECT group_concat(thread) FROM run_thread WHERE run_id = $r"), not main + 2 workers"
for m in insns syscalls; do
	[ "$(q "SELECT (SELECT sum(value) FROM thread_metric WHERE run_id = $r AND metric = '$m') =
		(SELECT value FROM run_metric WHERE run_id = $r AND metric = '$m')")" = 1 ] ||
		fail "xz -T2: the threads' $m do not add up to the run's"
done
# the workers compress: each runs more than the main thread, which reads and writes
[ "$(q "SELECT count(*) FROM thread_metric w, thread_metric m WHERE w.run_id = $r AND m.run_id = $r
	AND w.metric = 'insns' AND m.metric = 'insns' AND m.thread = 0 AND w.thread > 0 AND w.value > m.value")" = 2 ] ||
	fail "xz -T2: the workers' instructions: $(q "SELECT thread, value FROM thread_metric WHERE run_id = $r AND metric = 'insns'")"
# liblzma's code by its exported names, and nearly all of the run in it
lzma() { q "SELECT coalesce(sum(rm.value), 0) FROM region_metric rm JOIN region g ON g.id = rm.region_id
	WHERE rm.run_id = $r AND rm.metric = 'insns' AND g.key LIKE 's:$1@liblzma.so.5%'"; }
awk -v x="$(lzma lzma_code)" 'BEGIN { exit !(x > 0) }' || fail "xz -T2: no s:lzma_code@liblzma.so.5* region"
[ "$(q "SELECT $(lzma %) > 0.9 * value FROM run_metric WHERE run_id = $r AND metric = 'insns'")" = 1 ] ||
	fail "xz -T2: liblzma's regions hold $(lzma %) of $(q "SELECT value FROM run_metric WHERE run_id = $r AND metric = 'insns'") instructions"
[ "$(q "SELECT count(*) FROM run_thread WHERE run_id = (SELECT max(id) FROM run WHERE platform = 'hw')")" = 3 ] ||
	fail "xz -T2 natively: $(q "SELECT count(*) FROM run_thread WHERE run_id = (SELECT max(id) FROM run WHERE platform = 'hw')") threads"

# sqlite3 reads the script on stdin; exit 1 from the failed statement is the
# program's own, stored as a failed run (the collector exits 0 without
# --fail-on-error), and its stdout and stderr are still intact
run_all sqlite3 "$t/script.sql" "$sqlite" :memory:
[ "$(cat "$t/sqlite3.native.rc")" = 1 ] || fail "native sqlite3 exited $(cat "$t/sqlite3.native.rc"), expected 1"
grep -q 'no such function' "$t/sqlite3.native.err" || fail "native sqlite3 wrote no error on stderr"
grep -q 'after the error' "$t/sqlite3.native.out" || fail "native sqlite3 stopped at the error"
for c in qemu hw; do
	check sqlite3 $c
done
[ "$(sqlite3 "$t/s.db" "SELECT group_concat(platform || ':' || status || ':' || exit_code, ' ')
	FROM (SELECT * FROM run r JOIN workload w ON w.id = r.workload_id WHERE w.name = 'sqlite3' ORDER BY r.id)")" = \
	"qemu-user:failed:1 hw:failed:1" ] || fail "sqlite3 runs: $(sqlite3 "$t/s.db" 'SELECT platform, status, exit_code FROM run')"

[ $fails = 0 ] || exit 1
echo "ok: xz (-T1, -T2) and sqlite3 write the same stdout and stderr under collect qemu and collect hw as natively"
