#!/usr/bin/env bash
# kill -9 of `emudiff study` at random points, again and again: after every kill
# the store opens, passes PRAGMA integrity_check and holds no half-ingested run
# (every run has all its marker rows); --resume then completes the study with
# exactly the cells of an uninterrupted one, each once.
#   test_study_kill.sh EMUDIFF FAKE_COLLECT SUITES_DIR
set -u
emudiff=$1
fake=$2
suites=$3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
q() { sqlite3 "$1" "$2" 2>/dev/null; }
cp "$suites/basic.ini" "$suites/no-op" "$t/"
export FAKE_SLEEP_MS=60 FAKE_INGEST_MS=80 FAKE_MARKS=6
db=$t/out/emudiff.db
all_cells="alpha/hw/0 alpha/hw/1 alpha/hw/2 alpha/qemu-user/0 alpha/qemu-user/1 alpha/qemu-user/2 beta/qemu-user/0 beta/qemu-user/1 gamma/hw/0 gamma/qemu-user/0"

RANDOM=42 # the kill points differ from each other but not from run to run
for i in 1 2 3 4 5 6 7 8; do
	setsid "$emudiff" study "$t/basic.ini" --exe "$fake" --out "$t/out" --collect-only --resume \
		>/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	if [ $((i % 2)) -eq 0 ]; then
		kill -KILL -- -"$pid" 2>/dev/null # the study and its collectors
	else
		kill -KILL "$pid" 2>/dev/null     # the study only: orphaned collectors finish or not
	fi
	wait "$pid" 2>/dev/null
	sleep 0.3
	[ -f "$db" ] || continue
	[ "$(q "$db" "PRAGMA integrity_check")" = ok ] || fail "kill $i: integrity check"
	[ "$(q "$db" "SELECT count(*) FROM run r WHERE (SELECT count(*) FROM mark m WHERE m.run_id = r.id) <> 6")" = 0 ] ||
		fail "kill $i: a half-ingested run"
	[ "$(q "$db" "SELECT count(*) - count(DISTINCT cell) FROM run WHERE status <> 'warmup'")" = 0 ] ||
		fail "kill $i: a cell stored twice"
done
# orphaned collectors of the last kill finish on their own
sleep 1
"$emudiff" study "$t/basic.ini" --exe "$fake" --out "$t/out" --collect-only --resume >/dev/null 2>"$t/err" ||
	fail "final --resume: $(cat "$t/err")"
got=$(q "$db" "SELECT group_concat(cell, ' ') FROM (SELECT cell FROM run WHERE status <> 'warmup' ORDER BY cell)")
[ "$got" = "$all_cells" ] || fail "cells after resume: $got"
[ "$(q "$db" "SELECT count(*) FROM run WHERE status = 'ok' AND status <> 'warmup'")" = 10 ] || fail "10 ok runs"
[ "$(q "$db" "PRAGMA integrity_check")" = ok ] || fail "final integrity check"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)" >&2
	exit 1
fi
echo "study kill/resume: all checks passed"
