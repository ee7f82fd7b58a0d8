#!/usr/bin/env bash
# emudiff collect hw end to end on this machine: the marker runtime (exact
# marker sequence, monotonic times, per-region syscalls), unsupported events
# recorded as such and never as 0, software events present, sampling into
# s:<symbol> regions (PIE, non-PIE, shared object), warm-ups, timeouts,
# crashes, pinning, ASLR and environment padding, an unprivileged user.
# What the machine offers decides what is asserted (tests/lib/facts.sh):
# hardware counters (real counts, or every hardware event unsupported with its
# errno), tracefs (exact syscall counts, or "no-tracefs: ..." with the command
# that mounts it), privilege and perf_event_paranoid (an unprivileged run:
# user-space-only counting, "EACCES (perf_event_paranoid N)"), cores (pinning).
# Suite 'facts': it must hold with tracefs mounted and unmounted.
#   test-collect-hw.sh EMUDIFF MARKED MARKED_NOPIE DATADIR
set -u
. "$EMUDIFF_TEST_LIB/facts.sh"
no_tracefs='no-tracefs: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)'
emudiff=$1
marked=$2
nopie=$3
t=$(mktemp -d)
chmod 755 "$t"
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
q() { sqlite3 "$db" "$@"; }

# expect CODE CMD... : run, check the exit code, keep stdout/stderr in $t/out, $t/err
expect() {
	local want=$1; shift
	"$@" >"$t/out" 2>"$t/err"
	local got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want (stderr: $(head -c 400 "$t/err"))"
}

db=$t/hw.db

# ---- markers: exact sequence, monotonic times ----------------------------
expect 0 "$emudiff" collect hw --db "$db" --name m -- "$marked" 3
run=$(q "SELECT max(id) FROM run")
seq=$(q "SELECT group_concat(mark_id, ',') FROM (SELECT mark_id FROM mark WHERE run_id=$run ORDER BY seq)")
[ "$seq" = "1,2,3,2,3,2,3,4" ] || fail "marker sequence is '$seq'"
[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON a.run_id=b.run_id AND b.seq=a.seq+1
        WHERE a.run_id=$run AND b.time_ns <= a.time_ns")" = 0 ] || fail "marker times not strictly increasing"
[ "$(q "SELECT min(time_ns) > 0 FROM mark WHERE run_id=$run")" = 1 ] || fail "marker times relative to exec"
[ "$(q "SELECT status || ' ' || exit_code || ' ' || platform FROM run WHERE id=$run")" = "ok 0 hw" ] ||
	fail "run row: $(q "SELECT status, exit_code, platform FROM run WHERE id=$run")"
[ "$(q "SELECT json_extract(config_json, '\$.marks.dropped') FROM run WHERE id=$run")" = 0 ] || fail "marks dropped"

# an `unsupported` value: a token (an errno name or no-tracefs), then the reason
unsup_shape() { # VALUE -> 0 when it has one of the documented shapes
	case $1 in
	"$no_tracefs") return 0 ;;
	EACCES\ \(perf_event_paranoid\ $paranoid\)|EPERM\ \(perf_event_paranoid\ $paranoid\)) return 0 ;;
	EACCES*|EPERM*) return 1 ;; # a permission refusal without the paranoid level
	E[A-Z0-9]*:\ ?*) return 0 ;;
	*[!A-Z0-9]*) return 1 ;;
	E*) return 0 ;;
	esac
	return 1
}

# ---- every default event is either counted (row present) or unsupported (no row, reason named)
for ev in cycles instructions branches branch-misses cache-references cache-misses task-clock page-faults \
	context-switches cpu-migrations; do
	metric=$(echo "$ev" | tr '-' '_')
	case $ev in instructions) metric=instret ;; task-clock) metric=task_clock_ns ;; esac
	unsup=$(q "SELECT json_extract(config_json, '\$.unsupported.\"$ev\"') FROM run WHERE id=$run")
	used=$(q "SELECT count(*) FROM run r, json_each(r.config_json, '\$.events') e WHERE r.id=$run AND e.value='$ev'")
	rows=$(q "SELECT count(*) FROM run_metric WHERE run_id=$run AND metric='$metric'")
	if [ -n "$unsup" ]; then
		[ "$rows" = 0 ] || fail "$ev is unsupported ($unsup) but has a run_metric row"
		[ "$used" = 0 ] || fail "$ev both used and unsupported"
		unsup_shape "$unsup" || fail "$ev unsupported without a documented reason: '$unsup'"
		[ "$privileged" = 1 ] && case $unsup in EACCES*|EPERM*) true ;; *) false ;; esac &&
			fail "$ev refused for permissions to a privileged user: '$unsup'"
	else
		[ "$used" = 1 ] || fail "$ev neither used nor unsupported"
		[ "$rows" = 1 ] || fail "$ev counted but no run_metric row"
	fi
done
# hardware counters (fact hw_counters): real counts, or unsupported with no value anywhere
if [ "$hw_counters" = 1 ]; then
	# work(200000) makes a volatile store per iteration: each of the 3 compute
	# stretches retires at least 200000 instructions
	[ "$(q "SELECT value >= 600000 FROM run_metric WHERE run_id=$run AND metric='instret'")" = 1 ] ||
		fail "instret total $(q "SELECT value FROM run_metric WHERE run_id=$run AND metric='instret'") < 600000"
	[ "$(q "SELECT value > 0 FROM run_metric WHERE run_id=$run AND metric='cycles'")" = 1 ] ||
		fail "cycles not counted on a machine with hardware counters"
	if [ "$rdpmc" = 1 ]; then
		# mark seq 1, 3, 5 are the '2' hits, followed by the compute stretch
		[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.run_id=a.run_id AND b.seq=a.seq+1
		        WHERE a.run_id=$run AND a.seq IN (1,3,5) AND b.insns - a.insns >= 200000")" = 3 ] ||
			fail "rdpmc: per-region instructions of the compute stretches"
	else
		case $(q "SELECT json_extract(config_json, '\$.marks.unsupported.instructions') FROM run WHERE id=$run") in
		*cap_user_rdpmc*) ;; *) fail "rdpmc 0 here but instructions not recorded as unreadable" ;; esac
	fi
else
	[ -n "$(q "SELECT json_extract(config_json, '\$.unsupported.cycles') FROM run WHERE id=$run")" ] ||
		fail "cycles not recorded as unsupported on a machine without hardware counters"
	[ -n "$(q "SELECT json_extract(config_json, '\$.unsupported.instructions') FROM run WHERE id=$run")" ] ||
		fail "instructions not recorded as unsupported on a machine without hardware counters"
	[ "$(q "SELECT count(*) FROM mark WHERE run_id=$run AND insns IS NOT NULL")" = 0 ] ||
		fail "mark.insns stored without an instructions counter"
fi
for m in task_clock_ns page_faults context_switches time_ns wall_ns max_rss_kb minor_faults major_faults \
	vol_ctx_switches invol_ctx_switches; do
	[ "$(q "SELECT count(*) FROM run_metric WHERE run_id=$run AND metric='$m'")" = 1 ] || fail "run_metric $m missing"
done
[ "$(q "SELECT value > 100 FROM run_metric WHERE run_id=$run AND metric='max_rss_kb'")" = 1 ] || fail "max_rss_kb implausible"
[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$run AND metric='cycles'")" = 0 ] ||
	[ -z "$(q "SELECT json_extract(config_json, '\$.unsupported.cycles') FROM run WHERE id=$run")" ] ||
	fail "mark_value for an unsupported event"

# ---- how markers read counters (--mark-read) -----------------------------------
# default rdpmc: software events are never readable from user space (the kernel's
# page says cap_user_rdpmc 0): no per-marker value at all, never a 0, and the reason
[ "$(q "SELECT json_extract(config_json, '\$.marks.read') FROM run WHERE id=$run")" = rdpmc ] || fail "default read mode"
for ev in task-clock page-faults context-switches cpu-migrations; do
	metric=$(echo "$ev" | tr '-' '_')
	[ "$ev" = task-clock ] && metric=task_clock_ns
	[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$run AND metric='$metric'")" = 0 ] ||
		fail "rdpmc: a per-marker value of the software event $ev"
	why=$(q "SELECT json_extract(config_json, '\$.marks.unsupported.\"$ev\"') FROM run WHERE id=$run")
	case $why in *cap_user_rdpmc*) ;; *) fail "rdpmc: $ev not recorded as unreadable: '$why'" ;; esac
done
grep -q 'per-marker values not readable without a system call' "$t/err" || fail "rdpmc: no warning about unread counters"
if [ "$hw_counters" = 0 ]; then
	[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$run AND metric <> 'syscalls'")" = 0 ] ||
		fail "rdpmc without a PMU: counter values stored"
	[ "$(q "SELECT json_extract(config_json, '\$.marks.counters') FROM run WHERE id=$run")" = 0 ] || fail "marks.counters"
fi
# the regions of that run: time, and no region value for an unread counter
expect 0 "$emudiff" align --db "$db" --workload m
[ "$(q "SELECT count(*) FROM region_metric WHERE run_id=$run AND metric='time_ns'")" = 7 ] || fail "rdpmc: region time_ns"
[ "$(q "SELECT count(*) FROM region_metric WHERE run_id=$run AND metric='task_clock_ns'")" = 0 ] ||
	fail "rdpmc: region task_clock_ns stored though never read"
# syscall: every counter at every hit, by read(2)
expect 0 "$emudiff" collect hw --db "$db" --name m --mark-read syscall -- "$marked" 3
srun=$(q "SELECT max(id) FROM run")
[ "$(q "SELECT group_concat(mark_id, ',') FROM (SELECT mark_id FROM mark WHERE run_id=$srun ORDER BY seq)")" = "1,2,3,2,3,2,3,4" ] ||
	fail "syscall: marker sequence"
[ "$(q "SELECT json_extract(config_json, '\$.marks.read') || json_extract(config_json, '\$.marks.counters') FROM run WHERE id=$srun")" = syscall1 ] ||
	fail "syscall: read mode recorded"
[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$srun AND metric='task_clock_ns'")" = 8 ] ||
	fail "syscall: task_clock_ns not read at every marker"
[ "$(q "SELECT count(*) FROM mark_value a JOIN mark_value b ON a.run_id=b.run_id AND b.seq=a.seq+1 AND a.metric=b.metric
        WHERE a.run_id=$srun AND a.metric='task_clock_ns' AND b.value < a.value")" = 0 ] || fail "task clock decreasing"
[ "$(q "SELECT json_extract(config_json, '\$.marks.unsupported') FROM run WHERE id=$srun")" = '{}' ] ||
	fail "syscall: counters missing at some hits"
if [ -z "$(q "SELECT json_extract(config_json, '\$.unsupported.syscalls') FROM run WHERE id=$srun")" ]; then
	# at least: the first hit's 5 (below), an open per counter and the group's
	# enable, 8 reads, a close per counter at exit (the exit hook's first
	# malloc may add the allocator's own)
	[ "$(q "SELECT json_extract(config_json, '\$.syscalls.runtime_discounted') >= 5 + 2 * json_array_length(config_json, '\$.events') + 1 + 8
	        FROM run WHERE id=$srun")" = 1 ] ||
		fail "syscall: runtime syscalls discounted: $(q "SELECT json_extract(config_json, '\$.syscalls') FROM run WHERE id=$srun")"
elif [ "$privileged" = 1 ] && [ -n "$tracefs" ]; then
	fail "syscall: system calls not traced though tracefs is mounted and we are privileged"
fi
expect 0 "$emudiff" align --db "$db" --workload m
# region task clock = difference of the marker values, and within the region's time
[ "$(q "SELECT count(*) FROM region_metric WHERE run_id=$srun AND metric='task_clock_ns'")" = 7 ] ||
	fail "syscall: region task_clock_ns"
[ "$(q "SELECT count(*) FROM region_metric c JOIN region_metric t ON t.run_id=c.run_id AND t.region_id=c.region_id
        AND t.metric='time_ns' WHERE c.run_id=$srun AND c.metric='task_clock_ns' AND c.value > t.value * 1.05 + 20000")" = 0 ] ||
	fail "syscall: region task clock larger than its time"
# time: the clock only; records of 16 bytes
expect 0 "$emudiff" collect hw --db "$db" --name m --mark-time-only -- "$marked" 3
trun=$(q "SELECT max(id) FROM run")
[ "$(q "SELECT json_extract(config_json, '\$.marks.read') FROM run WHERE id=$trun")" = time ] || fail "time: read mode"
[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$trun AND metric <> 'syscalls'")" = 0 ] || fail "time: counter values"
[ "$(q "SELECT count(*) FROM mark WHERE run_id=$trun")" = 8 ] || fail "time: marks"
# no counter at all (every event refused, or none asked for): the markers still count
if [ -n "$(q "SELECT json_extract(config_json, '\$.unsupported.cycles') FROM run WHERE id=$run")" ]; then
	for mode in rdpmc syscall; do
		expect 0 "$emudiff" collect hw --db "$db" --name m --events cycles --mark-read $mode -- "$marked" 3
		[ "$(q "SELECT count(*) FROM mark WHERE run_id=(SELECT max(id) FROM run)")" = 8 ] ||
			fail "$mode without a counter: marks not recorded"
	done
fi
expect 2 "$emudiff" collect hw --db "$db" --mark-read bogus -- "$marked" 3
grep -q -- '--mark-read' "$t/err" || fail "bad --mark-read not explained"

# ---- syscalls per region (raw_syscalls:sys_enter), or recorded as unsupported
read -r nr_getppid nr_write nr_getpgid < <("$marked" nr)
sysun=$(q "SELECT json_extract(config_json, '\$.unsupported.syscalls') FROM run WHERE id=$run")
# what the facts call for: traced when tracefs is mounted and we may use it;
# else exactly why not
if [ -z "$tracefs" ]; then
	[ "$sysun" = "$no_tracefs" ] || fail "tracefs not mounted, but unsupported.syscalls is '$sysun'"
elif [ "$privileged" = 1 ]; then
	[ -z "$sysun" ] || fail "tracefs mounted at $tracefs and privileged, but syscalls unsupported: '$sysun'"
elif [ -n "$sysun" ]; then
	[ "$sysun" = "EACCES (perf_event_paranoid $paranoid)" ] ||
		fail "unprivileged with tracefs mounted: unsupported.syscalls is '$sysun'"
fi
if [ -z "$sysun" ]; then
	# marks: seq 2, 4, 6 are the '3' hits; each 3->2 stretch makes 5 getppid and 1 write
	for s in 2 4 6; do
		[ "$(q "SELECT count FROM event_count WHERE run_id=$run AND seq=$s AND kind='syscall' AND detail='$nr_getppid'")" = 5 ] ||
			fail "seq $s: getppid count $(q "SELECT count FROM event_count WHERE run_id=$run AND seq=$s AND detail='$nr_getppid'")"
		[ "$(q "SELECT count FROM event_count WHERE run_id=$run AND seq=$s AND kind='syscall' AND detail='$nr_write'")" = 1 ] ||
			fail "seq $s: write count"
		[ "$(q "SELECT sum(count) FROM event_count WHERE run_id=$run AND seq=$s")" = 6 ] || fail "seq $s: extra syscalls"
		[ "$(q "SELECT b.value - a.value FROM mark_value a JOIN mark_value b ON b.run_id=a.run_id AND b.seq=a.seq+1
		        AND b.metric=a.metric WHERE a.run_id=$run AND a.seq=$s AND a.metric='syscalls'")" = 6.0 ] ||
			fail "seq $s: mark_value syscalls diff"
	done
	# the compute stretches make none: the runtime's own calls are discounted
	for s in 1 3 5; do
		[ "$(q "SELECT count(*) FROM event_count WHERE run_id=$run AND seq=$s")" = 0 ] || fail "seq $s: syscalls in compute"
	done
	# read mode time: the first hit's mmap of the buffer and of the generation
	# page, madvise, prlimit64 (the fd budget), gettid; no counter, no more
	[ "$(q "SELECT json_extract(config_json, '\$.syscalls.runtime_discounted') FROM run WHERE id=$trun")" = 5 ] ||
		fail "time: runtime syscalls discounted: $(q "SELECT json_extract(config_json, '\$.syscalls') FROM run WHERE id=$trun")"
	# and the workload's own calls are the same whatever the runtime read
	[ "$(q "SELECT count(DISTINCT json_extract(config_json, '\$.syscalls.recorded')) FROM run WHERE id IN ($run, $srun, $trun)")" = 1 ] ||
		fail "the workload's calls differ by read mode: $(q "SELECT group_concat(json_extract(config_json, '\$.syscalls'), ' ') FROM run WHERE id IN ($run, $srun, $trun)")"
	[ "$(q "SELECT value = (SELECT sum(count) FROM event_count WHERE run_id=$run) FROM run_metric
	        WHERE run_id=$run AND metric='syscalls'")" = 1 ] || fail "syscalls total"
else
	[ "$(q "SELECT count(*) FROM event_count WHERE run_id=$run")" = 0 ] || fail "syscalls unsupported but rows stored"
	[ "$(q "SELECT count(*) FROM run_metric WHERE run_id=$run AND metric='syscalls'")" = 0 ] ||
		fail "syscalls unsupported but a run total stored"
	[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$run AND metric='syscalls'")" = 0 ] ||
		fail "syscalls unsupported but per-marker values stored"
	# the first run's stderr is gone; the warning of a fresh one says the same
	expect 0 "$emudiff" collect hw --db "$t/warn.db" --events task-clock -- "$marked" 1
	grep -qF "system calls not traced, recorded as unsupported (raw_syscalls:sys_enter: $sysun)" "$t/err" ||
		fail "no one-line warning naming why syscalls are not traced: $(cat "$t/err")"
	echo "note: syscalls unsupported here ($sysun)"
fi

# ---- without the collector the runtime does nothing -------------------------
expect 0 "$marked" 3
[ -s "$t/out" ] && fail "runtime printed something when detached"
EMUDIFF_MARK_FD=notanumber expect 0 "$marked" 2

# ---- warm-ups, repetitions, pinning, environment padding, ASLR ---------------
expect 0 "$emudiff" collect hw --db "$db" --name w --warmup 1 --reps 2 --rep 5 --pin 0 --vary-env 64 -- "$marked" 1
[ "$(q "SELECT group_concat(status || ':' || rep, ' ') FROM (SELECT status, rep FROM run r JOIN workload w
        ON w.id=r.workload_id WHERE w.name='w' ORDER BY r.id)")" = "warmup:-1 ok:5 ok:6" ] ||
	fail "warm-up and reps: $(q "SELECT status, rep FROM run r JOIN workload w ON w.id=r.workload_id WHERE w.name='w'")"
[ "$(q "SELECT group_concat(json_extract(config_json, '\$.env_pad'), ' ') FROM run r JOIN workload w ON w.id=r.workload_id
        WHERE w.name='w' AND status='ok'")" = "320 384" ] || fail "env padding by rep"
[ "$(q "SELECT json_extract(config_json, '\$.pin') FROM run ORDER BY id DESC LIMIT 1")" = 0 ] || fail "pin recorded"
[ -n "$(q "SELECT json_extract(config_json, '\$.machine.cpu_model') FROM run ORDER BY id DESC LIMIT 1")" ] || fail "cpu model"
[ -n "$(q "SELECT json_extract(config_json, '\$.machine.kernel') FROM run ORDER BY id DESC LIMIT 1")" ] || fail "kernel"
expect 0 "$emudiff" collect hw --db "$db" --name a --no-aslr --reps 2 --no-syscalls -- "$marked" addr
a=$(grep '^0x' "$t/out" | sort -u | wc -l)
[ "$a" = 1 ] || fail "--no-aslr: stack addresses differ between invocations ($(grep '^0x' "$t/out" | tr '\n' ' '))"
[ "$(q "SELECT json_extract(config_json, '\$.aslr') FROM run ORDER BY id DESC LIMIT 1")" = off ] || fail "aslr off recorded"
expect 0 "$emudiff" collect hw --db "$db" --name a --no-aslr --reps 2 --rep 1 --vary-env 4096 --no-syscalls -- "$marked" addr
a=$(grep '^0x' "$t/out" | sort -u | wc -l)
[ "$a" = 2 ] || fail "--vary-env does not move the stack ($(grep '^0x' "$t/out" | tr '\n' ' '))"

# ---- failures are runs, not aborts -------------------------------------------
# `sleep` would sleep 30 s and exit 0: status timeout and exit 143 say SIGTERM ended it at the
# deadline (common.h's supervisor: SIGTERM, SIGKILL PROC_GRACE_S later)
expect 0 "$emudiff" collect hw --db "$db" --name s --timeout 0.3 -- "$marked" sleep
[ "$(q "SELECT status || ' ' || exit_code FROM run ORDER BY id DESC LIMIT 1")" = "timeout 143" ] ||
	fail "timeout run: $(q "SELECT status, exit_code FROM run ORDER BY id DESC LIMIT 1")"
expect 1 "$emudiff" collect hw --db "$db" --name s --timeout 0.3 --fail-on-error -- "$marked" sleep
expect 0 "$emudiff" collect hw --db "$db" --name c -- "$marked" crash
[ "$(q "SELECT status || ' ' || exit_code FROM run ORDER BY id DESC LIMIT 1")" = "failed 134" ] || fail "crash run"
n=$(q "SELECT count(*) FROM run")
expect 2 "$emudiff" collect hw --db "$db" -- /nonexistent/prog
grep -q '/nonexistent/prog' "$t/err" || fail "missing program not named"
[ "$(wc -l < "$t/err")" = 1 ] || fail "missing program: not one line"
expect 2 "$emudiff" collect hw --db "$db" --events task-clock,bogus -- "$marked" 1
expect 2 "$emudiff" collect hw --db "$db" --reps 0 -- "$marked" 1
expect 2 "$emudiff" collect hw --db "$db" --reps 2 --cell x -- "$marked" 1
[ "$(q "SELECT count(*) FROM run")" = "$n" ] || fail "a refused command stored runs"
expect 0 "$emudiff" collect hw --db "$db" --name e --events task-clock,page-faults -- "$marked" 1
[ "$(q "SELECT json_extract(config_json, '\$.events') FROM run ORDER BY id DESC LIMIT 1")" = '["task-clock","page-faults"]' ] ||
	fail "--events not honoured"

# ---- sampling into s:<symbol> regions: PIE, non-PIE, shared object ------------
top() { # RUN -> "key samples" of the most sampled region
	q "SELECT g.key || ' ' || CAST(m.value AS INTEGER) FROM region_metric m JOIN region g ON g.id=m.region_id
	   WHERE m.run_id=$1 AND m.metric='samples' ORDER BY m.value DESC LIMIT 1"
}
# 300 ms of CPU at 1 kHz: about 300 samples, at least half of them in the spinning function
# (the rest: start-up, the kernel, a sanitizer's exit-time work)
check_top() { # RUN KEY LABEL
	local k n
	read -r k n < <(top "$1")
	[ "$k" = "$2" ] && [ "${n:-0}" -ge 150 ] || fail "$3: most sampled region is '$k' ($n samples), expected $2 with >= 150"
}
for prog in "$marked" "$nopie"; do
	expect 0 "$emudiff" collect hw --db "$db" --name spin --sample 1000 --no-syscalls -- "$prog" spin 300
	run=$(q "SELECT max(id) FROM run")
	ev=$(q "SELECT json_extract(config_json, '\$.sampling.event') FROM run WHERE id=$run")
	[ -n "$ev" ] || fail "sampling refused: $(q "SELECT json_extract(config_json, '\$.sampling') FROM run WHERE id=$run")"
	s=$(q "SELECT value FROM run_metric WHERE run_id=$run AND metric='samples'")
	[ "${s%.*}" -ge 150 ] 2>/dev/null || fail "$(basename "$prog"): $s samples for 300 ms at 1 kHz"
	check_top "$run" s:hw_spin "$(basename "$prog")"
	if [ "$ev" = cpu-clock ]; then
		# cpu-clock periods are nanoseconds: time_ns ~ samples x 1 ms
		[ "$(q "SELECT m.value BETWEEN 0.5e6 * s.value AND 2e6 * s.value FROM region_metric m JOIN region g ON g.id=m.region_id
		        JOIN region_metric s ON s.run_id=m.run_id AND s.region_id=m.region_id AND s.metric='samples'
		        WHERE m.run_id=$run AND g.key='s:hw_spin' AND m.metric='time_ns'")" = 1 ] || fail "time_ns estimate"
	fi
done
expect 0 "$emudiff" collect hw --db "$db" --name libspin --sample 1000 --no-syscalls -- "$marked" libspin 300
run=$(q "SELECT max(id) FROM run")
check_top "$run" s:hw_lib_spin@libhwspin.so "shared object"

# ---- forked children are counted in the whole-run totals (README: "workload forks")
# 2 children, each 7 getpgid() and 100 ms of CPU that it measures itself; the parent
# makes 3 getpgid() and waits, so the children's share dominates every total
db=$t/fork.db
expect 0 "$emudiff" collect hw --db "$db" --name fork -- "$marked" fork 2 100
fout=$t/fork.out
cp "$t/out" "$fout"
[ "$(grep -c '^child_cpu_ns ' "$fout")" = 2 ] || fail "fork: the children did not report ($(cat "$fout"))"
kids_ns=$(awk '/^child_cpu_ns /{s += $2} END {print s + 0}' "$fout")
parent_ns=$(awk '/^parent_cpu_ns /{print $2}' "$fout")
tc=$(q "SELECT CAST(value AS INTEGER) FROM run_metric WHERE metric='task_clock_ns'")
if [ -z "$tc" ]; then
	fail "fork: no task_clock_ns total"
elif [ "$(q "SELECT json_extract(config_json, '\$.inherit') FROM run")" = 1 ]; then
	# the counters' task clock includes each child's CPU as the child itself measured it
	[ "$tc" -ge $(( (kids_ns + parent_ns) * 9 / 10 )) ] ||
		fail "fork: task_clock_ns $tc does not include the children's CPU ($kids_ns ns) and the parent's ($parent_ns ns)"
else
	# a kernel refusing inherited group reads: documented to count the main task only
	[ "$tc" -lt "$kids_ns" ] || fail "fork: inherit false but the children's CPU counted"
fi
if [ -z "$(q "SELECT json_extract(config_json, '\$.unsupported.syscalls') FROM run")" ]; then
	[ "$(q "SELECT sum(count) FROM event_count WHERE kind='syscall' AND detail='$nr_getpgid'")" = 17 ] ||
		fail "fork: getpgid calls $(q "SELECT sum(count) FROM event_count WHERE detail='$nr_getpgid'"), expected 3 + 2 x 7"
elif [ -n "$tracefs" ] && [ "$privileged" = 1 ]; then
	fail "fork: syscalls not traced though tracefs is mounted"
fi
if [ "$hw_counters" = 1 ]; then
	# each child's hw_spin makes at least 10^6 volatile stores
	[ "$(q "SELECT value >= 2000000 FROM run_metric WHERE metric='instret'")" = 1 ] ||
		fail "fork: instret does not include the children's instructions"
fi

# ---- --pin CPU: the workload sees itself on that CPU only -------------------------
db=$t/pin.db
expect 0 "$emudiff" collect hw --db "$db" --name aff --no-syscalls -- "$marked" affinity
free_cpus=$(sed -n 's/^cpus=\([0-9,]*\) .*/\1/p' "$t/out")
ncpu=$(echo "$free_cpus" | tr ',' '\n' | grep -c .)
if [ "$cores" -ge 2 ] && [ "$ncpu" -ge 2 ]; then
	for cpu in $(echo "$free_cpus" | tr ',' '\n' | sed -n '1p;$p'); do
		expect 0 "$emudiff" collect hw --db "$db" --name aff --no-syscalls --pin "$cpu" -- "$marked" affinity
		[ "$(cat "$t/out" | grep '^cpus=')" = "cpus=$cpu cpu=$cpu" ] ||
			fail "--pin $cpu: the workload reports '$(grep '^cpus=' "$t/out")'"
		[ "$(q "SELECT json_extract(config_json, '\$.pin') FROM run ORDER BY id DESC LIMIT 1")" = "$cpu" ] ||
			fail "--pin $cpu not recorded"
	done
else
	echo "note: one CPU available ($cores online, allowed: $free_cpus): --pin cannot be told from no pinning"
fi
[ "$(q "SELECT json_extract(config_json, '\$.pin') IS NULL FROM run WHERE id=1")" = 1 ] || fail "unpinned run records a pin"
expect 2 "$emudiff" collect hw --db "$db" --pin 4096 -- "$marked" affinity
grep -q -- '--pin' "$t/err" && [ "$(wc -l < "$t/err")" = 1 ] || fail "--pin beyond the CPUs: not one line naming --pin"

# ---- --mark-capacity: the first N hits are stored, the rest counted as dropped ------
db=$t/cap.db
for mode in time rdpmc syscall; do
	expect 0 "$emudiff" collect hw --db "$db" --name cap --mark-read $mode --mark-capacity 5 --no-syscalls -- "$marked" 3
	r=$(q "SELECT max(id) FROM run")
	[ "$(q "SELECT group_concat(mark_id, ',') FROM (SELECT mark_id FROM mark WHERE run_id=$r ORDER BY seq)")" = "1,2,3,2,3" ] ||
		fail "$mode: --mark-capacity 5 stored $(q "SELECT group_concat(mark_id) FROM mark WHERE run_id=$r")"
	[ "$(q "SELECT json_extract(config_json, '\$.marks.dropped') || '/' || json_extract(config_json, '\$.marks.count') FROM run WHERE id=$r")" = 3/5 ] ||
		fail "$mode: dropped/count $(q "SELECT json_extract(config_json, '\$.marks') FROM run WHERE id=$r")"
	grep -q '^warning: 3 marker hits dropped: the buffer holds 5 (raise --mark-capacity)$' "$t/err" ||
		fail "$mode: no warning about the dropped hits: $(cat "$t/err")"
	[ "$(q "SELECT status FROM run WHERE id=$r")" = ok ] || fail "$mode: dropped hits failed the run"
done
# with sampling, the last recorded hit's interval runs on past the lost ones:
# phases makes hits 5,6,5,6,7; 3 are kept, intervals 0 and 1 are complete
expect 0 "$emudiff" collect hw --db "$db" --name capphases --sample 1000 --mark-capacity 3 --no-syscalls -- "$marked" phases 50
[ "$(q "SELECT json_extract(config_json, '\$.marks.dropped') || '/' || json_extract(config_json, '\$.mark_symbols_complete')
        FROM run ORDER BY id DESC LIMIT 1")" = 2/2 ] ||
	fail "dropped hits and mark_symbols_complete: $(q "SELECT config_json FROM run ORDER BY id DESC LIMIT 1")"
# record sizes (docs): 16 bytes with time, 16 + 8 x (2 + user-readable events)
# with rdpmc (software events never are: 16), 16 + 8 x (3 + events) with
# syscall: the buffer grows by that per slot
if [ -z "$(q "SELECT json_extract(config_json, '\$.unsupported.\"task-clock\"') FROM run WHERE id=1")" ]; then
	for spec in time:16 rdpmc:16 syscall:56; do
		mode=${spec%%:*}
		expect 0 "$emudiff" collect hw --db "$db" --events task-clock,page-faults --mark-read $mode --mark-capacity 10 --no-syscalls -- "$marked" env
		b10=$(grep -x '[0-9][0-9]*' "$t/out")
		expect 0 "$emudiff" collect hw --db "$db" --events task-clock,page-faults --mark-read $mode --mark-capacity 30 --no-syscalls -- "$marked" env
		b30=$(grep -x '[0-9][0-9]*' "$t/out")
		if [ -z "$b10" ] || [ -z "$b30" ]; then
			fail "$mode: the workload saw no EMUDIFF_MARK_BYTES"
		else
			[ "$(( (b30 - b10) / 20 ))" = "${spec#*:}" ] ||
				fail "$mode: a record of 2 events is $(( (b30 - b10) / 20 )) bytes (buffers $b10, $b30), README says ${spec#*:}"
		fi
	done
fi

# ---- --list-events: the documented events, what is supported here ------------------
expect 0 "$emudiff" collect hw --list-events
cp "$t/out" "$t/list"
for pair in cycles:cycles instructions:instret branches:branches branch-misses:branch_misses \
	cache-references:cache_references cache-misses:cache_misses task-clock:task_clock_ns \
	page-faults:page_faults context-switches:context_switches cpu-migrations:cpu_migrations; do
	ev=${pair%%:*}
	line=$(awk -v e="$ev" '$1 == e' "$t/list")
	[ "$(echo "$line" | awk '{print $2}')" = "${pair#*:}" ] || fail "--list-events: $ev missing or not metric ${pair#*:}: '$line'"
	status=$(echo "$line" | sed 's/^[^ ]* *[^ ]* *//')
	# the same answer as a run gets (the first run above counted the default events)
	why=$(sqlite3 "$t/hw.db" "SELECT json_extract(config_json, '\$.unsupported.\"$ev\"') FROM run WHERE id=1")
	if [ -z "$why" ]; then
		[ "$status" = supported ] || fail "--list-events: $ev '$status', but a run counted it"
	else
		[ "$status" = "unsupported: $why" ] || fail "--list-events: $ev '$status', a run recorded '$why'"
	fi
done
ins=$(awk '$1 == "instructions"' "$t/list" | sed 's/^[^ ]* *[^ ]* *//')
if [ "$hw_counters" = 1 ]; then
	[ "$ins" = supported ] || fail "--list-events: hardware counters here, but instructions '$ins'"
else
	case $ins in "unsupported: E"*) ;; *) fail "--list-events: no hardware counters, but instructions '$ins'" ;; esac
fi
sys=$(awk '$1 == "syscalls"' "$t/list" | sed 's/^[^ ]* *[^ ]* *//')
if [ -z "$tracefs" ]; then
	[ "$sys" = "unsupported: $no_tracefs" ] || fail "--list-events: tracefs not mounted, but syscalls '$sys'"
elif [ "$privileged" = 1 ]; then
	[ "$sys" = supported ] || fail "--list-events: tracefs at $tracefs, but syscalls '$sys'"
fi

# ---- an unprivileged user: what perf_event_paranoid allows, reported clearly ---
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir "$t/u" && chmod 777 "$t/u"
	udb=$t/u/user.db
	asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	expect 0 asuser "$emudiff" collect hw --db "$udb" --sample 1000 -- "$marked" 2
	db=$udb
	[ "$(q "SELECT group_concat(mark_id, ',') FROM (SELECT mark_id FROM mark ORDER BY seq)")" = "1,2,3,2,3,4" ] ||
		fail "unprivileged: marker sequence"
	[ "$(q "SELECT json_extract(config_json, '\$.machine.privileged') FROM run")" = 0 ] || fail "unprivileged recorded"
	[ "$(q "SELECT json_extract(config_json, '\$.machine.perf_event_paranoid') FROM run")" = "$paranoid" ] ||
		fail "unprivileged: paranoid level recorded"
	tcwhy=$(q "SELECT json_extract(config_json, '\$.unsupported.\"task-clock\"') FROM run")
	ek=$(q "SELECT json_extract(config_json, '\$.exclude_kernel') FROM run")
	if [ "$paranoid" -ge 3 ] && [ -n "$tcwhy" ]; then
		# a distribution's level 3: no perf_event_open at all for this user
		[ "$tcwhy" = "EACCES (perf_event_paranoid $paranoid)" ] || fail "unprivileged, paranoid $paranoid: task-clock '$tcwhy'"
		[ "$(q "SELECT count(*) FROM run_metric WHERE metric='task_clock_ns'")" = 0 ] || fail "refused task clock stored"
	else
		[ -z "$tcwhy" ] || fail "unprivileged, paranoid $paranoid: task-clock refused ('$tcwhy')"
		[ "$(q "SELECT count(*) FROM run_metric WHERE metric='task_clock_ns'")" = 1 ] || fail "unprivileged: task clock"
		if [ "$paranoid" -ge 2 ]; then
			# level 2: user space only, said once
			[ "$ek" = 1 ] || fail "unprivileged, paranoid $paranoid: kernel not excluded"
			grep -q "counting user space only: kernel.perf_event_paranoid=$paranoid" "$t/err" ||
				fail "unprivileged: no warning about user-space-only counting"
		else
			[ "$ek" = 0 ] || fail "unprivileged, paranoid $paranoid: kernel excluded though allowed"
		fi
		if [ "$hw_counters" = 1 ]; then
			[ "$(q "SELECT count(*) FROM run_metric WHERE metric='instret'")" = 1 ] ||
				fail "unprivileged: hardware counters here but no instret"
		fi
	fi
	usys=$(q "SELECT json_extract(config_json, '\$.unsupported.syscalls') FROM run")
	if [ -z "$tracefs" ]; then
		# the first thing missing is tracefs itself, whoever asks
		[ "$usys" = "$no_tracefs" ] || fail "unprivileged, tracefs not mounted: syscalls '$usys'"
		grep -qF "raw_syscalls:sys_enter: $no_tracefs)" "$t/err" ||
			fail "unprivileged: the warning does not say how to mount tracefs: $(cat "$t/err")"
	elif [ -n "$usys" ] || [ "$paranoid" -ge 0 ]; then
		# tracefs is mounted but closed to this user (mode 0700) or the level refuses raw tracepoint data
		[ "$usys" = "EACCES (perf_event_paranoid $paranoid)" ] ||
			fail "unprivileged: syscalls not recorded as 'EACCES (perf_event_paranoid $paranoid)': '$usys'"
		grep -qF "raw_syscalls:sys_enter: EACCES (perf_event_paranoid $paranoid)" "$t/err" ||
			fail "unprivileged: no one-line warning with EACCES and the level"
		grep -q 'perf_event_paranoid=.*CAP_PERFMON' "$t/err" || fail "unprivileged: no hint about perf_event_paranoid"
	fi
	[ "$(q "SELECT count(*) FROM event_count")" = 0 ] || [ -z "$usys" ] || fail "unprivileged: syscall rows despite '$usys'"
	# the list says the same to that user
	expect 0 asuser "$emudiff" collect hw --list-events
	sys=$(awk '$1 == "syscalls"' "$t/out" | sed 's/^[^ ]* *[^ ]* *//')
	if [ -n "$usys" ]; then
		[ "$sys" = "unsupported: $usys" ] || fail "unprivileged --list-events: syscalls '$sys', a run recorded '$usys'"
	else
		[ "$sys" = supported ] || fail "unprivileged --list-events: syscalls '$sys', a run traced them"
	fi
else
	echo "note: not root or no setpriv: the unprivileged path was not run"
fi

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "collect hw: all checks passed"
