#!/usr/bin/env bash
# Regression test of align, stats and report on the recorded reference store
# (datasets/reference/: the default study's synthetic workloads, 6 runs per
# platform, recorded on the development machine). On a copy:
#   - align rebuilds the 13 named marker regions of synth;
#   - stats' share-baseline factors equal the mean per-run hardware share over
#     the mean per-run predicted share, recomputed here in SQL (both predictors,
#     every region), and the A/B ratios equal the ratios of mean run totals;
#   - the verdicts the research question expects: ptr_chase underestimated by
#     the instruction share, fp_libm overestimated by QEMU host time, int_alu
#     and hash not flagged by the instruction share, the fp-vs-chase A/B flip;
#   - report writes index.html and one findings.csv line per finding.
#
# usage: test_study_reference.sh EMUDIFF REFERENCE_DIR
set -u
emudiff=$(realpath "$1") ref=$(realpath "$2")
command -v sqlite3 >/dev/null || { echo "sqlite3 command-line tool missing"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cp "$ref/reference.sqlite" "$ref/wl-synth-x86_64" "$t/" || exit 1
cd "$t" || exit 1
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
q() { sqlite3 reference.sqlite "$1"; }

"$emudiff" align --db reference.sqlite || fail "align failed"
"$emudiff" stats --db reference.sqlite --tolerance 1.25 --confidence 0.95 --seed 1 || fail "stats failed"
"$emudiff" report --db reference.sqlite --out rep >/dev/null || fail "report failed"

names=$(q "SELECT group_concat(name, ' ') FROM (SELECT r.name FROM region r JOIN workload w ON w.id = r.workload_id
	WHERE w.name = 'synth' AND r.key LIKE 'm:%' ORDER BY CAST(substr(r.key, 3, instr(r.key, '->') - 3) AS INTEGER))")
[ "$names" = "int_alu fp_libm mem_stream chase_setup ptr_chase branch hash file_io net_tcp kv_insert kv_lookup kv_scan compress" ] ||
	fail "synth marker regions: $names"

# share factors, recomputed: mean over runs of each region's share of the run
for pred in insns:insns qemu_time:qemu_host_ns; do
	p=${pred%%:*} m=${pred#*:}
	bad=$(q "
	WITH rm AS (SELECT ru.platform, ru.id AS run, r.id AS region, m.metric, m.value
		FROM region_metric m JOIN run ru ON ru.id = m.run_id JOIN region r ON r.id = m.region_id
		JOIN workload w ON w.id = ru.workload_id
		WHERE w.name = 'synth' AND r.key LIKE 'm:%' AND ru.status = 'ok'),
	sh AS (SELECT platform, region, metric, value / sum(value) OVER (PARTITION BY run, metric) AS s FROM rm),
	hw AS (SELECT region, avg(s) AS v FROM sh WHERE platform = 'hw' AND metric = 'time_ns' GROUP BY region),
	em AS (SELECT region, avg(s) AS v FROM sh WHERE platform = 'qemu-user' AND metric = '$m' GROUP BY region)
	SELECT count(*) || ' checked, mismatches:' || coalesce(group_concat(CASE WHEN abs(f.factor - hw.v / em.v) > 1e-6 * hw.v / em.v
		THEN ' ' || f.region_id || '=' || f.factor || '/' || (hw.v / em.v) END, ''), '')
	FROM hw JOIN em USING (region) JOIN finding f ON f.region_id = hw.region
	WHERE f.predictor = '$p' AND f.baseline = 'share'")
	[ "$bad" = "13 checked, mismatches:" ] || fail "$p share factors: $bad"
done

verdict() { # workload region predictor baseline
	q "SELECT f.verdict FROM finding f JOIN region r ON r.id = f.region_id JOIN workload w ON w.id = f.workload_id
	   WHERE w.name = '$1' AND r.name = '$2' AND r.key LIKE 'm:%' AND f.predictor = '$3' AND f.baseline = '$4'"
}
[ "$(verdict synth ptr_chase insns robust)" = underestimates ] || fail "ptr_chase/insns: $(verdict synth ptr_chase insns robust)"
[ "$(verdict synth-chase ptr_chase insns robust)" = underestimates ] || fail "synth-chase ptr_chase/insns"
[ "$(verdict synth fp_libm qemu_time robust)" = overestimates ] || fail "fp_libm/qemu_time: $(verdict synth fp_libm qemu_time robust)"
[ "$(verdict synth fp_libm qemu_time share)" = overestimates ] || fail "fp_libm/qemu_time share baseline"
for r in int_alu hash; do
	for b in robust share; do
		v=$(verdict synth $r insns $b)
		case "$v" in agrees | inconclusive) ;; *) fail "control $r/insns/$b: '$v'" ;; esac
	done
done

# A/B: ratios of mean whole-run totals, and the flip
ratio() { # metric platform
	q "SELECT (SELECT avg(value) FROM run_metric m JOIN run r ON r.id = m.run_id JOIN workload w ON w.id = r.workload_id
		WHERE w.name = 'synth-fp' AND r.platform = '$2' AND r.status = 'ok' AND m.metric = '$1')
	      / (SELECT avg(value) FROM run_metric m JOIN run r ON r.id = m.run_id JOIN workload w ON w.id = r.workload_id
		WHERE w.name = 'synth-chase' AND r.platform = '$2' AND r.status = 'ok' AND m.metric = '$1')"
}
hw=$(ratio time_ns hw) emu=$(ratio insns qemu-user)
n=$(q "SELECT count(*) FROM ab_compare WHERE name = 'fp-vs-chase' AND region_key IS NULL AND verdict = 'flip'
	AND abs(hw_ratio - $hw) <= 1e-9 * $hw AND abs(emu_ratio - $emu) <= 1e-9 * $emu")
[ "$n" = 1 ] || fail "fp-vs-chase flip with emu ratio $emu and hw ratio $hw: $(q "SELECT verdict, emu_ratio, hw_ratio FROM ab_compare")"

[ -s rep/index.html ] || fail "no rep/index.html"
grep -q ptr_chase rep/index.html || grep -rq ptr_chase rep/synth* || fail "report does not mention ptr_chase"
[ "$(($(wc -l <rep/data/findings.csv) - 1))" = "$(q "SELECT count(*) FROM finding")" ] || fail "findings.csv lines"

[ $fails -eq 0 ] && echo "reference store: all checks passed"
exit $((fails > 0))
