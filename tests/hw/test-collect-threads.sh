#!/usr/bin/env bash
# emudiff collect hw on a threaded program (marked-threads.c): every thread's
# marker hits with their thread ordinal (creation order, the thread ids the
# program prints), times increasing per thread, each thread's own counter
# values at its hits (--mark-read syscall: software counters, read per
# thread), each thread's own whole-run totals adding up to the run's, system
# calls and samples in the intervals of their own thread, and a hardware
# counter the machine lacks recorded with its reason, never as 0.
# What the machine offers decides what is asserted (tests/lib/facts.sh):
# hardware counters and rdpmc, tracefs, privilege.
#   test-collect-threads.sh EMUDIFF MARKED_THREADS
set -u
. "$EMUDIFF_TEST_LIB/facts.sh"
emudiff=$1
prog=$2
t=$(mktemp -d)
chmod 755 "$t" # the unprivileged run below writes under it
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 77; }
db=$t/thr.db
q() { sqlite3 "$db" "$@"; }
expect() { # CODE CMD...: stdout in $t/out, stderr in $t/err
	local want=$1; shift
	"$@" >"$t/out" 2>"$t/err"
	local got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want (stderr: $(head -c 400 "$t/err"))"
}
# the value of a run's config_json at PATH
cfg() { q "SELECT json_extract(config_json, '\$.$2') FROM run WHERE id=$1"; }
# each thread's marker ids in seq order: "0:1,2 1:10,11,..."
per_thread() {
	q "SELECT group_concat(thread || ':' || ids, ' ') FROM (SELECT thread, group_concat(mark_id, ',') AS ids
	   FROM (SELECT thread, mark_id FROM mark WHERE run_id=$1 ORDER BY seq) GROUP BY thread ORDER BY thread)"
}
want_seq="0:1,2 1:10,11,10,11,10,11,12 2:20,21 3:30,31,30,31,32"
counted() { [ -z "$(cfg "$1" "unsupported.\"$2\"")" ]; } # RUN EVENT

# ---- default read mode: hits and threads ---------------------------------------
expect 0 "$emudiff" collect hw --db "$db" --name thr -- "$prog"
run=$(q "SELECT max(id) FROM run")
[ "$(per_thread "$run")" = "$want_seq" ] || fail "per-thread marker sequences: '$(per_thread "$run")'"
# ordinals in creation order: the thread ids the program printed, thread 4 without a hit
for k in 0 1 2 3 4; do
	tid=$(awk -v k="$k" '$1 == "thread" && $2 == k { print $3 }' "$t/out")
	[ -n "$tid" ] && [ "$(q "SELECT os_id || ':' || kind FROM run_thread WHERE run_id=$run AND thread=$k")" = "$tid:thread" ] ||
		fail "thread $k: run_thread '$(q "SELECT os_id, kind FROM run_thread WHERE run_id=$run AND thread=$k")', the program says tid '$tid'"
done
# at least those five (a sanitizer's runtime may start a task of its own at exit), all distinct
[ "$(q "SELECT count(*) >= 5 AND count(DISTINCT os_id) = count(*) FROM run_thread WHERE run_id=$run")" = 1 ] ||
	fail "run_thread rows: $(q "SELECT group_concat(thread || '=' || os_id, ' ') FROM run_thread WHERE run_id=$run")"
[ "$(q "SELECT count(*) FROM mark WHERE run_id=$run AND thread=4")" = 0 ] || fail "thread 4 has hits"
[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.run_id=a.run_id AND b.thread=a.thread AND b.seq > a.seq
        WHERE a.run_id=$run AND b.time_ns <= a.time_ns")" = 0 ] || fail "times not increasing within a thread"
[ "$(cfg "$run" threads.order)/$(cfg "$run" marks.threads)" = "created/4" ] ||
	fail "config threads: $(cfg "$run" threads) marks: $(cfg "$run" marks)"
# Per-thread totals rest on the exit records (PERF_RECORD_READ) the kernel writes with
# inherit_stat. Kernels from 5.13 to the fix "perf/core: Fix missing read event
# generation on task exit" (6.19, backported) write none, and now and then one is lost
# on later ones: then the totals are withheld, with that reason, and none is stored.
# totals RUN -> "1" (stored), "withheld" (an exit record missing: none stored), else what is wrong
totals() {
	case $(cfg "$1" threads.totals)/$(cfg "$1" threads.why) in
	1/) echo 1 ;;
	0/"no exit record"*)
		[ "$(q "SELECT count(*) FROM thread_metric WHERE run_id=$1")" = 0 ] && echo withheld ||
			echo "withheld, yet thread_metric rows stored" ;;
	*) echo "$(cfg "$1" threads)" ;;
	esac
}
case $(totals "$run") in
1) ;;
withheld) echo "note: per-thread totals withheld: $(cfg "$run" threads.why)" ;;
*) fail "per-thread totals: $(totals "$run")" ;;
esac

# ---- each thread's own totals, adding up to the run's --------------------------
nthreads=$(q "SELECT count(*) FROM run_thread WHERE run_id=$run")
[ "$(totals "$run")" = 1 ] && for metric_ev in task_clock_ns:task-clock page_faults:page-faults context_switches:context-switches; do
	metric=${metric_ev%%:*}
	counted "$run" "${metric_ev#*:}" || continue
	[ "$(q "SELECT count(*) FROM thread_metric WHERE run_id=$run AND metric='$metric'")" = "$nthreads" ] ||
		fail "thread_metric $metric: not one per thread"
	[ "$(q "SELECT abs(sum(t.value) - r.value) <= 1e-9 * max(1, r.value) FROM thread_metric t
	        JOIN run_metric r ON r.run_id=t.run_id AND r.metric=t.metric WHERE t.run_id=$run AND t.metric='$metric'")" = 1 ] ||
		fail "thread_metric $metric does not add up to the run's"
done
if counted "$run" task-clock && counted "$run" page-faults; then
	if [ "$(totals "$run")" = 1 ]; then
		# thread 4 only worked (2 stretches, 8 fresh pages each), thread 1 three stretches
		[ "$(q "SELECT value > 0 FROM thread_metric WHERE run_id=$run AND thread=4 AND metric='task_clock_ns'")" = 1 ] ||
			fail "thread 4: no task clock of its own"
		[ "$(q "SELECT value >= 16 FROM thread_metric WHERE run_id=$run AND thread=4 AND metric='page_faults'")" = 1 ] ||
			fail "thread 4: page faults $(q "SELECT value FROM thread_metric WHERE run_id=$run AND thread=4 AND metric='page_faults'")"
		[ "$(q "SELECT value >= 24 FROM thread_metric WHERE run_id=$run AND thread=1 AND metric='page_faults'")" = 1 ] ||
			fail "thread 1: page faults $(q "SELECT value FROM thread_metric WHERE run_id=$run AND thread=1 AND metric='page_faults'")"
	fi
elif [ "$privileged" = 1 ]; then
	fail "software events refused to a privileged user: $(cfg "$run" unsupported)"
fi

# ---- hardware counters: values per thread, or unsupported with a reason ----------
if [ "$hw_counters" = 1 ]; then
	[ "$(q "SELECT count(*) FROM thread_metric WHERE run_id=$run AND metric='instret'")" = "$nthreads" ] ||
		fail "instret: not one total per thread"
	if [ "$rdpmc" = 1 ]; then
		[ "$(q "SELECT count(*) FROM mark WHERE run_id=$run AND insns IS NULL")" = 0 ] ||
			fail "rdpmc: hits without their thread's instructions"
		[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.run_id=a.run_id AND b.thread=a.thread AND b.seq > a.seq
		        WHERE a.run_id=$run AND b.insns < a.insns")" = 0 ] || fail "rdpmc: instructions decreasing within a thread"
		# a work stretch retires at least its 2000000 rounds of arithmetic
		[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.run_id=a.run_id AND b.thread=a.thread
		        AND b.seq = (SELECT min(seq) FROM mark c WHERE c.run_id=a.run_id AND c.thread=a.thread AND c.seq > a.seq)
		        WHERE a.run_id=$run AND a.mark_id IN (10, 30) AND b.insns - a.insns >= 2000000")" = 5 ] ||
			fail "rdpmc: per-thread instructions of the work stretches"
	else
		case $(cfg "$run" marks.unsupported.instructions) in *cap_user_rdpmc*) ;;
		*) fail "no rdpmc here, but instructions not recorded as unreadable: $(cfg "$run" marks.unsupported)" ;; esac
	fi
else
	why=$(cfg "$run" unsupported.cycles)
	case $why in E[A-Z]*) ;; *) fail "no hardware counters: cycles recorded as '$why', expected an errno name" ;; esac
	[ "$(q "SELECT count(*) FROM thread_metric WHERE run_id=$run AND metric IN ('cycles','instret')")" = 0 ] ||
		fail "per-thread totals of counters the machine lacks"
	[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$run AND metric='cycles'")" = 0 ] ||
		fail "per-hit values of counters the machine lacks"
	[ "$(q "SELECT count(*) FROM mark WHERE run_id=$run AND insns IS NOT NULL")" = 0 ] ||
		fail "mark.insns without an instructions counter"
	[ "$(q "SELECT count(*) FROM run_metric WHERE run_id=$run AND metric IN ('cycles','instret')")" = 0 ] ||
		fail "whole-run totals of counters the machine lacks"
fi

# ---- system calls in the intervals of their own thread ---------------------------
nr=$("$prog" nr)
if [ -z "$(cfg "$run" unsupported.syscalls)" ]; then
	# each work stretch of threads 1 and 3 (hits 10 and 30) makes 3 getpgid and nothing else,
	# whatever the other threads do meanwhile
	for s in $(q "SELECT seq FROM mark WHERE run_id=$run AND mark_id IN (10, 30)"); do
		[ "$(q "SELECT ifnull(sum(count), 0) || '/' || ifnull(sum(CASE WHEN detail='$nr' THEN count END), 0)
		        FROM event_count WHERE run_id=$run AND seq=$s")" = 3/3 ] ||
			fail "seq $s: calls $(q "SELECT group_concat(detail || '=' || count) FROM event_count WHERE run_id=$run AND seq=$s")"
	done
	[ "$(q "SELECT sum(value) FROM thread_metric WHERE run_id=$run AND metric='syscalls'")" = \
	  "$(q "SELECT value FROM run_metric WHERE run_id=$run AND metric='syscalls'")" ] || fail "thread syscalls do not add up"
	[ "$(q "SELECT value >= 6 FROM thread_metric WHERE run_id=$run AND thread=4 AND metric='syscalls'")" = 1 ] ||
		fail "thread 4: its getpgid calls"
elif [ -n "$tracefs" ] && [ "$privileged" = 1 ]; then
	fail "syscalls not traced though tracefs is mounted: $(cfg "$run" unsupported.syscalls)"
else
	echo "note: syscalls unsupported here ($(cfg "$run" unsupported.syscalls))"
fi

# ---- --mark-read syscall: every thread's own software counters at each hit -------
expect 0 "$emudiff" collect hw --db "$db" --name thr --mark-read syscall -- "$prog"
srun=$(q "SELECT max(id) FROM run")
[ "$(per_thread "$srun")" = "$want_seq" ] || fail "syscall: per-thread marker sequences: '$(per_thread "$srun")'"
if counted "$srun" task-clock && counted "$srun" page-faults; then
	for m in task_clock_ns page_faults; do
		[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$srun AND metric='$m'")" = 16 ] ||
			fail "syscall: $m not read at every hit of every thread"
		[ "$(q "SELECT count(*) FROM mark_value a JOIN mark ma ON ma.run_id=a.run_id AND ma.seq=a.seq
		        JOIN mark mb ON mb.run_id=ma.run_id AND mb.thread=ma.thread AND mb.seq > ma.seq
		        JOIN mark_value b ON b.run_id=mb.run_id AND b.seq=mb.seq AND b.metric=a.metric
		        WHERE a.run_id=$srun AND a.metric='$m' AND b.value < a.value")" = 0 ] ||
			fail "syscall: $m decreasing within a thread"
	done
	# a work stretch's own page faults: its 8 fresh pages (other threads' faults not included)
	[ "$(q "SELECT count(*) FROM mark a JOIN mark_value va ON va.run_id=a.run_id AND va.seq=a.seq AND va.metric='page_faults'
	        JOIN mark b ON b.run_id=a.run_id AND b.thread=a.thread
	          AND b.seq = (SELECT min(seq) FROM mark c WHERE c.run_id=a.run_id AND c.thread=a.thread AND c.seq > a.seq)
	        JOIN mark_value vb ON vb.run_id=b.run_id AND vb.seq=b.seq AND vb.metric='page_faults'
	        WHERE a.run_id=$srun AND a.mark_id IN (10, 30) AND vb.value - va.value BETWEEN 8 AND 12")" = 5 ] ||
		fail "syscall: page faults of the work stretches"
	# thread 3's task clock, read at its last hit, is its own: no more than its whole
	# life's total and less than the main thread's spin before it was created
	[ "$(q "SELECT v.value <= t.value FROM mark m JOIN mark_value v ON v.run_id=m.run_id AND v.seq=m.seq AND v.metric='task_clock_ns'
	        JOIN thread_metric t ON t.run_id=m.run_id AND t.thread=3 AND t.metric='task_clock_ns'
	        WHERE m.run_id=$srun AND m.mark_id=32")" = 1 ] || fail "syscall: thread 3's task clock is not its own"
	[ "$(q "SELECT v3.value < v2.value - v1.value FROM mark m3 JOIN mark_value v3 ON v3.run_id=m3.run_id AND v3.seq=m3.seq
	        JOIN mark m1 ON m1.run_id=m3.run_id AND m1.mark_id=1 JOIN mark_value v1 ON v1.run_id=m1.run_id AND v1.seq=m1.seq
	        JOIN mark m2 ON m2.run_id=m3.run_id AND m2.mark_id=2 JOIN mark_value v2 ON v2.run_id=m2.run_id AND v2.seq=m2.seq
	        WHERE m3.run_id=$srun AND m3.mark_id=32 AND v1.metric='task_clock_ns' AND v2.metric=v1.metric AND v3.metric=v1.metric")" = 1 ] ||
		fail "syscall: thread 3's task clock includes the main thread's"
	[ "$(cfg "$srun" marks.unsupported)" = '{}' ] || fail "syscall: counters missing: $(cfg "$srun" marks.unsupported)"
elif [ "$privileged" = 1 ]; then
	fail "syscall: software events refused to a privileged user"
else
	echo "note: software events unsupported here: $(cfg "$srun" unsupported)"
fi

# ---- samples: per thread, and in the intervals of their own thread -------------
expect 0 "$emudiff" collect hw --db "$db" --name thr --sample 2000 --no-syscalls -- "$prog"
prun=$(q "SELECT max(id) FROM run")
if [ -n "$(cfg "$prun" sampling.event)" ]; then
	[ "$(q "SELECT sum(value) FROM thread_metric WHERE run_id=$prun AND metric='samples'")" = \
	  "$(q "SELECT value FROM run_metric WHERE run_id=$prun AND metric='samples'")" ] || fail "thread samples do not add up"
	# before its first hit thread T's samples have seq -1-T; thread 4 has no hit at all
	[ "$(q "SELECT count(*) FROM mark_symbol WHERE run_id=$prun AND seq < -(SELECT count(*) FROM run_thread WHERE run_id=$prun)")" = 0 ] ||
		fail "mark_symbol: a seq below -threads"
	s4=$(q "SELECT CAST(value AS INTEGER) FROM thread_metric WHERE run_id=$prun AND thread=4 AND metric='samples'")
	[ "$(q "SELECT ifnull(CAST(sum(value) AS INTEGER), 0) FROM mark_symbol WHERE run_id=$prun AND seq=-5 AND metric='samples'")" = "${s4:-0}" ] ||
		fail "thread 4's samples are not all at seq -5"
else
	fail "sampling refused: $(cfg "$prun" sampling)"
fi

# ---- an unprivileged user: the same threads and totals (user space only at level 2) --
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir "$t/u" && chmod 777 "$t/u"
	db=$t/u/user.db
	expect 0 setpriv --reuid=65534 --regid=65534 --clear-groups "$emudiff" collect hw --db "$db" --mark-read syscall -- "$prog"
	urun=$(q "SELECT max(id) FROM run")
	[ "$(per_thread "$urun")" = "$want_seq" ] || fail "unprivileged: per-thread marker sequences: '$(per_thread "$urun")'"
	if counted "$urun" task-clock; then
		[ "$(cfg "$urun" threads.order)" = created ] && case $(totals "$urun") in 1 | withheld) ;; *) false ;; esac ||
			fail "unprivileged: threads $(cfg "$urun" threads)"
		[ "$(q "SELECT count(*) FROM mark_value WHERE run_id=$urun AND metric='task_clock_ns'")" = 16 ] ||
			fail "unprivileged: each thread's task clock not read at every hit: $(cfg "$urun" marks)"
	elif [ "$paranoid" -le 2 ]; then
		fail "unprivileged, perf_event_paranoid $paranoid: task-clock refused: $(cfg "$urun" unsupported)"
	fi
fi

[ "$fails" = 0 ] || exit 1
echo "ok"
