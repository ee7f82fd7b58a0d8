#!/usr/bin/env bash
# The study end to end on this machine, with the real collectors: the
# synthetic workload under qemu-x86_64 (our plugin) and natively (perf_event
# software clocks), aligned, judged and reported. What the research question
# expects must come out:
#   - ptr_chase is underestimated by the instruction-share predictor
#     (dependent cache misses: hardware waits, the count sees 3 instructions);
#   - fp_libm is overestimated by the QEMU host-time predictor (softfloat);
#   - the controls int_alu and hash are not flagged by the instruction share.
# Then --resume runs no cell again and still reports.
#
# usage: test_study_e2e.sh EMUDIFF SUITE
set -u
emudiff=$1 suite=$2
command -v sqlite3 >/dev/null || { echo "sqlite3 command-line tool missing"; exit 77; }
command -v qemu-x86_64 >/dev/null || { echo "qemu-x86_64 missing"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
q() { sqlite3 "$t/out/emudiff.db" "$1"; }
# verdicts of one region and predictor, over both baselines, e.g. "robust=agrees share=inconclusive"
verdicts() {
	q "SELECT group_concat(b || '=' || verdict, ' ') FROM (SELECT coalesce(f.baseline, '-') AS b, f.verdict
	   FROM finding f JOIN region r ON r.id = f.region_id
	   WHERE r.name = '$1' AND r.key LIKE 'm:%' AND f.predictor = '$2' ORDER BY b)"
}

"$emudiff" study "$suite" --out "$t/out" --jobs 2 >"$t/stdout" 2>"$t/stderr"
rc=$?
if [ $rc -ne 0 ]; then
	cat "$t/stderr" >&2
	fail "study exited with $rc"
fi
cat "$t/stdout"
[ "$(q "SELECT count(*) FROM run WHERE status = 'ok' AND cell IS NOT NULL")" = 10 ] ||
	fail "expected 10 ok runs, store has: $(q "SELECT group_concat(cell || '=' || status, ' ') FROM run")"
[ -f "$t/out/index.html" ] || fail "no report index.html"
grep -q "^report: $t/out/index.html\$" "$t/stdout" || fail "report path not printed"
grep -q "^top findings" "$t/stdout" || fail "top findings not printed"

v=$(verdicts ptr_chase insns)
case " $v " in *" robust=underestimates "*) ;; *) fail "ptr_chase, insns predictor: $v (expected underestimates)" ;; esac
v=$(verdicts fp_libm qemu_time)
case " $v " in *"=overestimates "*) ;; *) fail "fp_libm, qemu_time predictor: $v (expected overestimates)" ;; esac
for r in int_alu hash; do
	v=$(verdicts $r insns)
	[ -n "$v" ] || fail "$r: no insns finding at all"
	case "$v" in *estimates*) fail "control region $r flagged by the instruction share: $v" ;; esac
done
# what the study found, for the test log
q "SELECT r.name, f.predictor, f.baseline, f.verdict, round(f.factor, 3), round(f.ci_lo, 3), round(f.ci_hi, 3)
   FROM finding f JOIN region r ON r.id = f.region_id WHERE r.key LIKE 'm:%' AND f.predictor <> 'model'
   ORDER BY f.predictor, r.key, f.baseline"

# resume: nothing runs again, the analysis is redone
"$emudiff" study "$suite" --out "$t/out" --resume >"$t/stdout2" 2>"$t/stderr2" || fail "--resume failed: $(tail -n 3 "$t/stderr2")"
grep -q "10 of 10 cells already in" "$t/stderr2" || fail "--resume did not skip the finished cells"
[ "$(q "SELECT count(*) FROM run WHERE cell IS NOT NULL")" = 10 ] || fail "--resume added runs"

[ $fails -eq 0 ] && echo "study end to end: all checks passed"
exit $((fails > 0))
