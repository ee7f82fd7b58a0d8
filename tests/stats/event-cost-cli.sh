#!/bin/sh
# event-cost-cli.sh EMUDIFF TEST_EVENT_COST DIR - the per-event cost of a
# planted store (test_event_cost) as `emudiff show costs` and on the report's
# workload page.
set -eu
emudiff=$1 gen=$2 dir=$3
db=$dir/event-cost-cli.db
out=$dir/event-cost-cli.out
fail() { echo "FAIL: $*" >&2; exit 1; }
"$gen" "$db" >/dev/null || fail "planting the store"
"$emudiff" show costs --db "$db" --workload exact >"$out" || fail "show costs"
grep -q '^exact  *trap  *400 \[-1335, 2135\]  *time_ns  *2000 \[2000, 2000\]  *1200 \[1200, 1200\]  *5  *0.797  *x6.28  *12 *$' "$out" ||
	fail "show costs trap line: $(cat "$out")"
[ "$(grep -c '^exact ' "$out")" = 3 ] || fail "3 events: $(cat "$out")"
# too few regions for the terms: said so
"$emudiff" show costs --db "$db" --workload few >"$out" || fail "show costs few"
[ "$(grep -c ' 6  *few regions for 3 terms *$' "$out")" = 2 ] || fail "few regions note: $(cat "$out")"
# JSON: unrounded values, in the event order syscall, trap, exit
"$emudiff" show costs --db "$db" --json --workload exact >"$out" || fail "show costs --json"
case $(cat "$out") in
'[{"workload":"exact","event":"syscalls",'*'"event":"traps",'*'"event":"exits",'*) ;;
*) fail "json order: $(cat "$out")" ;;
esac
grep -q '"event":"exits","emu_metric":"insns","emu_per_event":900\.0*[0-9]*,' "$out" ||
	grep -q '"event":"exits","emu_metric":"insns","emu_per_event":899\.9999' "$out" || fail "json exits: $(cat "$out")"
# the workload page
rm -rf "$dir/event-cost-report"
"$emudiff" report --db "$db" --out "$dir/event-cost-report" >/dev/null 2>&1 || fail "report"
page=$dir/event-cost-report/exact/index.html
grep -q '<h2>Per-event cost</h2>' "$page" || fail "no per-event section"
sed 's/<[^>]*>//g' "$page" | grep -q '^exit: emulation 900 \[-2441, 4241\] instructions per exit; hardware 5000 \[5000, 5000\] ns per exit; QEMU host 2700 \[2700, 2700\] ns; ratio: 5.56 ns per emulated instruction of one exit vs 0.80 on average (&times;6.97) (12 regions)$' ||
	fail "page line: $(sed 's/<[^>]*>//g' "$page" | grep '^exit:')"
sed 's/<[^>]*>//g' "$dir/event-cost-report/few/index.html" | grep -q '^trap: .*(only 6 regions for 3 terms: not to be trusted)$' ||
	fail "few: no warning on the page"
echo "ok"
