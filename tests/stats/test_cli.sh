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

# a small synthetic study: region 8 of each workload costs 3x on hardware
check 0 "generate" -- "$scale" "$dir/s.db" --workloads 2 --runs 8 --regions 20 --resamples 200 --no-align
# bad values on a good store: the option is what is refused, and nothing is written
sum0=$(cat "$dir/s.db"* | cksum)
check 2 "tolerance below 1" -- "$emudiff" stats --db "$dir/s.db" --tolerance 0.9
one_line_error "tolerance.*0.9"
check 2 "confidence out of range" -- "$emudiff" stats --db "$dir/s.db" --confidence 1.5
one_line_error "confidence.*1.5"
check 2 "unknown metric" -- "$emudiff" stats --db "$dir/s.db" --metric furlongs
one_line_error "metric.*furlongs"
[ "$(cat "$dir/s.db"* | cksum)" = "$sum0" ] || { echo "FAIL: a refused option changed the store"; fail=1; }
check 1 "--fail-on-findings with a planted region" -- "$emudiff" stats --db "$dir/s.db" --resamples 500 --fail-on-findings
# 2 workloads x 20 regions; each region gets 3 predictors (insns, qemu_time,
# model) x 2 baselines (share, robust) = 6 findings; only the planted region of
# each workload is off (x3), and all 6 of its findings flag it; the summary counts
# regions by their primary finding: 2 regions flagged
want="stats: 2 workloads, 40 regions compared, 240 findings, 2 regions flagged; 0 A/B pairs, 0 flips (seed 1, 500 resamples)"
[ "$(cat "$dir/out")" = "$want" ] || { echo "FAIL: summary '$(cat "$dir/out")', want '$want'"; fail=1; }
flagged=$(sqlite3 "$dir/s.db" "SELECT group_concat(w.name || ' ' || r.key || ' ' || f.verdict || ' ' || f.n, ', ')
	FROM (SELECT workload_id, region_id, verdict, count(*) AS n FROM finding
	      WHERE verdict IN ('underestimates', 'overestimates') GROUP BY 1, 2, 3) f
	JOIN workload w ON w.id = f.workload_id JOIN region r ON r.id = f.region_id ORDER BY w.name")
[ "$flagged" = "synthetic-00 m:8->9#1 underestimates 6, synthetic-01 m:8->9#1 underestimates 6" ] ||
	{ echo "FAIL: flagged regions: '$flagged'"; fail=1; }
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
