#!/usr/bin/env bash
# Symbols per marker region on hardware: `collect hw --sample` places every
# cpu-clock sample between the marker hits around it, and `align` rolls them
# up per marker pair (ms:<from>-><to>/<symbol>). marked-native's phases mode
# spins phase A in hw_phase_a and phase B in hw_phase_b, by CPU time, so the
# checks hold on a loaded machine. With qemu-x86_64 the same program runs
# under the plugin too: its roll-ups add up exactly to the marker regions,
# and `stats` judges the marker regions exactly as without the roll-ups.
#   test-rollup-hw.sh EMUDIFF MARKED [QEMU_X86_64]
set -u
emudiff=$1 marked=$2 qemu_x86=${3:-}
. "$EMUDIFF_TEST_LIB/check.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
db=$t/r.db
q() { sqlite3 "$db" "$@"; }
# ms RUN KEY METRIC -> value (integer), empty when absent
ms() {
	q "SELECT CAST(rm.value AS INTEGER) FROM region_metric rm JOIN region r ON r.id = rm.region_id
	   WHERE rm.run_id = $1 AND r.key = '$2' AND rm.metric = '$3'"
}
# pair_total RUN PAIR METRIC -> sum over the pair's roll-ups
pair_total() {
	q "SELECT CAST(coalesce(sum(rm.value), 0) AS INTEGER) FROM region_metric rm JOIN region r ON r.id = rm.region_id
	   WHERE rm.run_id = $1 AND r.key LIKE 'ms:$2/%' AND rm.metric = '$3'"
}
# mostly RUN PAIR SYMBOL MIN: SYMBOL has >= MIN samples and >= 80 % of the pair's
mostly() {
	local n tot
	n=$(ms "$1" "ms:$2/$3" samples)
	tot=$(pair_total "$1" "$2" samples)
	[ "${n:-0}" -ge "$4" ] && [ $((${n:-0} * 10)) -ge $((tot * 8)) ] ||
		fail "run $1: $3 has ${n:-0} of the $tot samples of pair $2 (expected >= $4 and >= 80 %)"
}

# ---- hardware: 2 x (50 ms in hw_phase_a, 50 ms in hw_phase_b) per run -----
expect 0 "$emudiff" collect hw --db "$db" --name phases --reps 2 --sample 1000 --no-syscalls -- "$marked" phases 50
[ "$(q "SELECT group_concat(mark_id) FROM (SELECT mark_id FROM mark WHERE run_id = 1 ORDER BY seq)")" = "5,6,5,6,7" ] ||
	fail "marker sequence of run 1"
[ "$(q "SELECT json_extract(config_json, '\$.mark_symbols_complete') FROM run WHERE id = 1")" = 5 ] ||
	fail "mark_symbols_complete of a sampled hw run"
event=$(q "SELECT json_extract(config_json, '\$.sampling.event') FROM run WHERE id = 1")
# each interval's samples are mostly its own phase's function
for s in 0 2; do
	[ "$(q "SELECT symbol FROM mark_symbol WHERE run_id = 1 AND seq = $s AND metric = 'samples' ORDER BY value DESC LIMIT 1")" = hw_phase_a ] ||
		fail "interval $s is not mostly hw_phase_a"
done
for s in 1 3; do
	[ "$(q "SELECT symbol FROM mark_symbol WHERE run_id = 1 AND seq = $s AND metric = 'samples' ORDER BY value DESC LIMIT 1")" = hw_phase_b ] ||
		fail "interval $s is not mostly hw_phase_b"
done
expect 0 "$emudiff" align --db "$db"
grep -q "symbol roll-ups of marker pairs (ms:) from 2 runs" "$t/out" || fail "align output: $(cat "$t/out")"
for run in 1 2; do
	mostly "$run" '5->6' hw_phase_a 50  # two occurrences: ~100 samples
	mostly "$run" '6->5' hw_phase_b 25  # one: ~50
	mostly "$run" '6->7' hw_phase_b 25
	# the pair's samples are the sum of its intervals' (seq 0 and 2)
	[ "$(pair_total "$run" '5->6' samples)" = "$(q "SELECT CAST(sum(value) AS INTEGER) FROM mark_symbol
		WHERE run_id = $run AND seq IN (0, 2) AND metric = 'samples'")" ] || fail "run $run: 5->6 is not seq 0 + seq 2"
	if [ "$event" = cpu-clock ]; then
		# cpu-clock periods are nanoseconds of CPU: ~1 ms per sample at 1 kHz
		a=$(ms "$run" 'ms:5->6/hw_phase_a' time_ns) n=$(ms "$run" 'ms:5->6/hw_phase_a' samples)
		[ "${a:-0}" -ge $((n * 500000)) ] && [ "${a:-0}" -le $((n * 2000000)) ] ||
			fail "run $run: ms:5->6/hw_phase_a time_ns $a for $n samples"
	fi
done
# hardware samples of a symbol never exceed the marker regions' time by much
# (time_ns estimates are CPU time; the regions' time is wall time, which is more)
[ "$(q "SELECT count(*) FROM region WHERE key LIKE 'ms:%' AND name IS NULL")" = 0 ] || fail "roll-ups are named"

# ---- idempotent: align again, the same rows -------------------------------
dump="SELECT r.key, rm.run_id, rm.metric, rm.value FROM region r JOIN region_metric rm ON rm.region_id = r.id ORDER BY 1, 2, 3"
q "$dump" >"$t/before"
expect 0 "$emudiff" align --db "$db"
q "$dump" >"$t/after"
cmp -s "$t/before" "$t/after" || fail "a second align changed regions"

# ---- the same program under QEMU, and stats ----------------------------------
if [ -n "$qemu_x86" ] && [ -x "$qemu_x86" ] && [ "$(uname -m)" = x86_64 ]; then
	expect 0 "$emudiff" collect qemu --db "$db" --name phases --reps 2 --qemu "$qemu_x86" -- "$marked" phases 50
	expect 0 "$emudiff" align --db "$db"
	for run in 3 4; do
		for pair in '5->6' '6->5' '6->7'; do
			m=$(q "SELECT CAST(sum(rm.value) AS INTEGER) FROM region_metric rm JOIN region r ON r.id = rm.region_id
			       WHERE rm.run_id = $run AND r.key LIKE 'm:$pair#%' AND rm.metric = 'insns'")
			[ -n "$m" ] && [ "$(pair_total "$run" "$pair" insns)" = "$m" ] ||
				fail "QEMU run $run: roll-ups of $pair add up to $(pair_total "$run" "$pair" insns), marker regions to $m"
		done
		n=$(ms "$run" 'ms:5->6/hw_phase_a' insns) tot=$(pair_total "$run" '5->6' insns)
		[ $((${n:-0} * 10)) -ge $((tot * 8)) ] || fail "QEMU run $run: hw_phase_a has $n of $tot insns of 5->6"
	done
	# stats: the marker regions' shares are those of a store without roll-ups
	cp "$db" "$t/plain.db"
	sqlite3 "$t/plain.db" "DELETE FROM region_metric WHERE region_id IN (SELECT id FROM region WHERE key LIKE 'ms:%');
	                       DELETE FROM region WHERE key LIKE 'ms:%'"
	expect 0 "$emudiff" stats --db "$db"
	expect 0 "$emudiff" stats --db "$t/plain.db"
	shares="SELECT r.key, f.metric, f.predictor, f.baseline, printf('%.9g %.9g %.9g', f.pred_share, f.hw_share, f.factor)
	        FROM finding f JOIN region r ON r.id = f.region_id ORDER BY 1, 2, 3, 4"
	q "$shares" >"$t/with"
	sqlite3 "$t/plain.db" "$shares" >"$t/without"
	[ -s "$t/with" ] || fail "stats wrote no findings"
	cmp -s "$t/with" "$t/without" || fail "roll-up regions changed the marker regions' findings: $(diff "$t/with" "$t/without" | head -4)"
	[ "$(q "SELECT count(*) FROM finding f JOIN region r ON r.id = f.region_id WHERE r.key NOT LIKE 'm:%'")" = 0 ] ||
		fail "findings on roll-up regions"
	# shares of one marker region's instructions sum to 1 over the marker regions only
	[ "$(q "SELECT round(sum(pred_share), 6) FROM finding f JOIN region r ON r.id = f.region_id
	        WHERE f.predictor = 'insns' AND f.baseline = 'share' AND f.metric = (SELECT metric FROM finding LIMIT 1)")" = 1.0 ] ||
		fail "instruction shares do not sum to 1"
	# the report: a per-phase symbol table, and roll-ups kept out of the regions table
	expect 0 "$emudiff" report --db "$db" --out "$t/report"
	page=$t/report/phases/index.html
	grep -q 'id="phase-symbols"' "$page" || fail "report: no symbols-per-phase table"
	grep -q '<code>hw_phase_a</code>' "$page" || fail "report: hw_phase_a not in the per-phase table"
	! grep -q '<code>ms:' "$page" || fail "report: roll-up keys in the regions table"
else
	echo "qemu-x86_64 not available: hardware side only"
fi

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "rollup hw: all checks passed"
