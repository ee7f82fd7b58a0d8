#!/usr/bin/env bash
# test_cli.sh - `emudiff stats` from the command line: usage errors, bad
# stores, --fail-on-findings, the seed in meta, byte-identical re-runs.
#
# usage: test_cli.sh EMUDIFF STATS_SCALE SCRATCH_DIR
set -u
emudiff=$1 scale=$2 dir=$3/stats-cli
rm -rf "$dir" && mkdir -p "$dir" || exit 1
fail=0
check() { # check WANT_EXIT DESCRIPTION -- command...
	local want=$1 what=$2; shift 3
	"$@" >"$dir/out" 2>"$dir/err"
	local got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, want $want"; cat "$dir/err"; fail=1
	fi
}
one_line_error() {
	if [ "$(wc -l <"$dir/err")" != 1 ] || ! grep -q "$1" "$dir/err"; then
		echo "FAIL: want one line naming '$1' on stderr, got:"; cat "$dir/err"; fail=1
	fi
}

check 0 "help" -- "$emudiff" stats --help
grep -q -- "--tolerance" "$dir/out" || { echo "FAIL: help lacks --tolerance"; fail=1; }
check 2 "missing store" -- "$emudiff" stats --db "$dir/missing.db"
one_line_error "missing.db"
echo "not a database" >"$dir/bad.db"
check 2 "not a store" -- "$emudiff" stats --db "$dir/bad.db"
one_line_error "bad.db"
check 2 "tolerance below 1" -- "$emudiff" stats --db "$dir/x.db" --tolerance 0.9
check 2 "confidence out of range" -- "$emudiff" stats --db "$dir/x.db" --confidence 1.5
check 2 "unknown metric" -- "$emudiff" stats --db "$dir/x.db" --metric furlongs

# a small synthetic study: region 8 of each workload costs 3x on hardware
check 0 "generate" -- "$scale" "$dir/s.db" --workloads 2 --runs 8 --regions 20 --resamples 200 --no-align
check 1 "--fail-on-findings with a planted region" -- "$emudiff" stats --db "$dir/s.db" --resamples 500 --fail-on-findings
grep -q "2 flagged\|[0-9] flagged" "$dir/out" || { echo "FAIL: no summary line"; cat "$dir/out"; fail=1; }
check 0 "seed 7" -- "$emudiff" stats --db "$dir/s.db" --resamples 500 --seed 7 --quiet
[ "$(sqlite3 "$dir/s.db" "SELECT value FROM meta WHERE key = 'stats_seed'")" = 7 ] ||
	{ echo "FAIL: seed not in meta"; fail=1; }
sqlite3 "$dir/s.db" ".dump finding region_stat agreement cost_model" >"$dir/dump1"
check 0 "seed 7 again" -- "$emudiff" stats --db "$dir/s.db" --resamples 500 --seed 7 --quiet
sqlite3 "$dir/s.db" ".dump finding region_stat agreement cost_model" >"$dir/dump2"
cmp -s "$dir/dump1" "$dir/dump2" || { echo "FAIL: same store and seed gave different results"; fail=1; }
[ "$(sqlite3 "$dir/s.db" "SELECT count(*) FROM finding WHERE verdict = 'underestimates'
	AND region_id IN (SELECT id FROM region WHERE key = 'm:8->9#1')")" = 12 ] ||
	{ echo "FAIL: planted region not flagged by all predictors and baselines"; fail=1; }
exit $fail
