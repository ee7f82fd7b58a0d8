#!/bin/sh
# event-cost-cli.sh EMUDIFF TEST_EVENT_COST PYTHON3 DIR - the per-event cost of
# a planted store (test_event_cost: 400/900/150 instructions and 2000/5000/700
# ns per trap/exit/syscall) as `emudiff show costs` (table and JSON) and on the
# report's workload page, against event_cost_ref.py: the same least squares
# and t intervals redone exactly from the planted region metrics alone.
set -eu
emudiff=$1 gen=$2 python=$3 dir=$4
ref=$(dirname "$0")/event_cost_ref.py
db=$dir/event-cost-cli.db
out=$dir/event-cost-cli
fail() { echo "FAIL: $*" >&2; exit 1; }
"$gen" "$db" >/dev/null || fail "planting the store"
"$emudiff" show costs --db "$db" --workload exact >"$out.table" || fail "show costs"
"$emudiff" show costs --db "$db" --json --workload exact >"$out.json" || fail "show costs --json"
# the planted costs themselves, to the display's rounding (an exact fit); the
# emulated instructions' interval reaches below zero, so they are not determined
grep -q '^exact  *trap  *not determined  *time_ns  *2000 \[2000, 2000\]  *1200 \[1200, 1200\]  *not determined .* 12  *not determined: emulated insns: its interval reaches zero; more regions that differ in their trap count would determine it$' "$out.table" ||
	fail "planted trap costs (400 insns, 2000 ns, QEMU 3 x 400 ns): $(cat "$out.table")"
# no negative number is printed as a cost
! grep -q -- ' -[0-9]' "$out.table" || fail "a negative number in the table: $(cat "$out.table")"
[ "$(grep -c '^exact ' "$out.table")" = 3 ] || fail "3 events: $(cat "$out.table")"
# JSON in the event order syscall, trap, exit
case $(cat "$out.json") in
'[{"workload":"exact","event":"syscalls",'*'"event":"traps",'*'"event":"exits",'*) ;;
*) fail "json order: $(cat "$out.json")" ;;
esac
# too few regions for the terms: said so (6 regions, 2 events + intercept)
"$emudiff" show costs --db "$db" --workload few >"$out.few" || fail "show costs few"
[ "$(grep -c '^few .* 6  *not determined: emulated insns: only 6 regions for 3 terms; hardware: only 6 regions for 3 terms; QEMU ns: only 6 regions for 3 terms; more regions that differ' "$out.few")" = 2 ] ||
	fail "few regions note: $(cat "$out.few")"
! grep -q -- ' -[0-9]' "$out.few" || fail "a negative number in the table: $(cat "$out.few")"
# the workload page
rm -rf "$dir/event-cost-report"
"$emudiff" report -q --db "$db" --out "$dir/event-cost-report" >/dev/null || fail "report"
page=$dir/event-cost-report/exact/index.html
grep -q '<h2>Per-event cost</h2>' "$page" || fail "no per-event section"
sed 's/<[^>]*>//g' "$dir/event-cost-report/few/index.html" | grep -q '^trap: emulation not determined (only 6 regions for 3 terms) instructions per trap.*(6 regions; more regions that differ in their trap count would determine it)$' ||
	fail "few: no warning on the page"
# every figure, interval and ratio against the independent reference
"$python" "$ref" "$db" exact "$out.json" "$out.table" "$page" || fail "against the reference"
echo "ok"
