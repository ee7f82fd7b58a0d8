#!/usr/bin/env bash
# bench/collector-overhead: side by side in one run
#  1. the cost of one marker hit: detached (no collector); attached to
#     `emudiff collect hw` in each read mode: rdpmc (the default: the clock and
#     the counters user space can read, no system call), rdpmc with syscall
#     tracing on, syscall (the clock and one group read(2) per hit), time
#     (the clock only); wall and thread CPU time per hit
#  2. whole-run time of a fixed amount of work: bare, under
#     `emudiff collect hw --sample 1000`, and under `perf record -F 1000`
#     (median of REPS invocations each)
#   run.sh EMUDIFF MARK_COST [REPS] [MARKS] [ROUNDS]
set -u
emudiff=$1
prog=$2
reps=${3:-5}
marks=${4:-200000}
rounds=${5:-3000}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wall_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || echo "warning: '$*' failed" >&2; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }

echo "# collector-overhead on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, kernel $(uname -r)"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## marker hit cost ($marks hits, median of $reps)"
for mode in detached rdpmc rdpmc+tracing syscall time; do
	for i in $(seq "$reps"); do
		case $mode in
		detached) "$prog" marks "$marks" ;;
		rdpmc) "$emudiff" collect hw --db "$t/m.db" --no-syscalls --mark-capacity $((marks + 16)) \
				-- "$prog" marks "$marks" 2>/dev/null ;;
		rdpmc+tracing) "$emudiff" collect hw --db "$t/m.db" --mark-capacity $((marks + 16)) \
				-- "$prog" marks "$marks" 2>/dev/null ;;
		syscall) "$emudiff" collect hw --db "$t/m.db" --no-syscalls --mark-read syscall \
				--mark-capacity $((marks + 16)) -- "$prog" marks "$marks" 2>/dev/null ;;
		time) "$emudiff" collect hw --db "$t/m.db" --no-syscalls --mark-read time \
				--mark-capacity $((marks + 16)) -- "$prog" marks "$marks" 2>/dev/null ;;
		esac > "$t/one"
		awk '/^ns_per_mark/ { print $2 }' "$t/one" >> "$t/$mode.hit"
		awk '/^cpu_ns_per_mark/ { print $2 }' "$t/one" >> "$t/$mode.cpu"
		awk '/^first_hit_ns/ { print $2 }' "$t/one" >> "$t/$mode.first"
	done
	printf "%-16s %8.1f ns/mark (cpu %8.1f)   first hit (attach) %8.0f ns\n" "$mode" "$(median < "$t/$mode.hit")" \
		"$(median < "$t/$mode.cpu")" "$(median < "$t/$mode.first")"
done
echo "load average after the hit costs: $(cut -d' ' -f1-3 /proc/loadavg)"
stored=$(sqlite3 "$t/m.db" "SELECT count(*) FROM mark" 2>/dev/null || echo "?")
echo "(marks stored by the attached runs: $stored)"
sc=$("$prog" syscalls 100000 | awk '/^ns_per_syscall/ { print $2 }')
echo "(one getppid(2) on this machine: $sc ns)"

for rounds_case in 1 "$rounds"; do
rounds=$rounds_case
echo "## whole run: $rounds work rounds, wall ms, median of $reps"
bare=$(for i in $(seq "$reps"); do wall_ms "$prog" work "$rounds"; done | median)
ed=$(for i in $(seq "$reps"); do wall_ms "$emudiff" collect hw --db "$t/w.db" --sample 1000 --no-syscalls -- "$prog" work "$rounds"; done | median)
eds=$(for i in $(seq "$reps"); do wall_ms "$emudiff" collect hw --db "$t/w.db" --sample 1000 -- "$prog" work "$rounds"; done | median)
if command -v perf >/dev/null; then
	pr=$(for i in $(seq "$reps"); do wall_ms perf record -q -F 1000 -o "$t/perf.data" -- "$prog" work "$rounds"; done | median)
else
	pr=""
fi
pct() { awk -v a="$1" -v b="$bare" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }'; }
printf "%-44s %8s ms\n" "bare" "$bare"
printf "%-44s %8s ms  %s\n" "emudiff collect hw --sample 1000 --no-syscalls" "$ed" "$(pct "$ed")"
printf "%-44s %8s ms  %s\n" "emudiff collect hw --sample 1000" "$eds" "$(pct "$eds")"
[ -n "$pr" ] && printf "%-44s %8s ms  %s\n" "perf record -F 1000" "$pr" "$(pct "$pr")"
samples=$(sqlite3 "$t/w.db" "SELECT avg(value) FROM run_metric WHERE metric='samples'" 2>/dev/null)
echo "(emudiff samples per run: $samples)"
done
