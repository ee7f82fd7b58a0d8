#!/bin/sh
# test-threads-exact.sh EMUDIFF WL_THREADS_X86_64 WL_THREADS_RISCV64 [VERSION=QEMU ...]
#
# The plugin's per-thread counts of the threaded workload (datasets/threads/),
# under every user-mode QEMU given (7.2: API 1, callback mode; 10.x: per-vCPU
# scoreboards), checked against the same workers run one after the other on
# the main thread (--serial), so no count depends on the compiler:
#  - thread ordinals in creation order: main 0 (marks 1 2), worker k on
#    ordinal k + 1 (marks 10 11 12 13), as stored in mark.thread;
#  - worker k's instructions of spin (10->11), atomic (11->12) and private
#    (12->13) in the threaded run equal its occurrence k + 1 in the serial
#    run; spin grows by exactly 4 U instructions per k (4 per iteration,
#    U iterations per unit, k + 1 units), atomic is 3 per add plus a constant,
#    private 2000 (4 + 6 x 64) plus a constant (tests/plugin/smp_expect.md);
#  - each thread's total (thread_metric) adds up to the run's insns.
set -eu
emudiff=$1 x86=$2 rv=$3
shift 3
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
T=3 U=20000
checked=0

# region INSNS per (thread, occurrence of the pair) of run RUN: "thread:from->to#occ=insns"
regions() { # DB RUN
	sqlite3 "$1" "SELECT group_concat(t || ':' || f || '->' || n || '#' || o || '=' || d, ' ') FROM (
		SELECT a.thread AS t, a.mark_id AS f, b.mark_id AS n, b.insns - a.insns AS d,
		  row_number() OVER (PARTITION BY a.thread, a.mark_id, b.mark_id ORDER BY a.seq) AS o
		FROM mark a JOIN mark b ON b.run_id = a.run_id AND b.thread = a.thread
		  AND b.seq = (SELECT min(c.seq) FROM mark c WHERE c.run_id = a.run_id AND c.thread = a.thread AND c.seq > a.seq)
		WHERE a.run_id = $2 ORDER BY a.thread, a.seq)"
}

one() { # VERSION QEMU ARCH PROG
	v=$1 q=$2 arch=$3 prog=$4 db=$tmp/$1-$3.db
	"$emudiff" collect qemu --db "$db" --qemu "$q" --name thr -- "$prog" $T --units $U >"$tmp/out" 2>"$tmp/err" ||
		fail "$v $arch: collect qemu (threads) exited $?: $(tail -2 "$tmp/err")"
	"$emudiff" collect qemu --db "$db" --qemu "$q" --name ser -- "$prog" $T --units $U --serial >"$tmp/out.s" 2>"$tmp/err" ||
		fail "$v $arch: collect qemu (--serial) exited $?: $(tail -2 "$tmp/err")"
	cmp -s "$tmp/out" "$tmp/out.s" || fail "$v $arch: threaded and serial outputs differ"
	[ "$(sqlite3 "$db" "SELECT group_concat(status) FROM run ORDER BY id")" = "ok,ok" ] ||
		fail "$v $arch: runs $(sqlite3 "$db" "SELECT id, status, config_json FROM run")"
	# marker sequences per thread
	got=$(sqlite3 "$db" "SELECT group_concat(thread || ':' || mark_id, ' ') FROM (SELECT * FROM mark WHERE run_id = 1 ORDER BY thread, seq)")
	want="0:1 0:2"
	for k in $(seq 1 $T); do want="$want $k:10 $k:11 $k:12 $k:13"; done
	[ "$got" = "$want" ] || fail "$v $arch: per-thread marks '$got', want '$want'"
	[ "$(sqlite3 "$db" "SELECT count(*) FROM run_thread WHERE run_id = 1")" -ge $((T + 1)) ] ||
		fail "$v $arch: run_thread rows $(sqlite3 "$db" "SELECT * FROM run_thread WHERE run_id = 1")"
	# each thread's total adds up to the run's
	for r in 1 2; do
		[ "$(sqlite3 "$db" "SELECT (SELECT sum(value) FROM thread_metric WHERE run_id = $r AND metric = 'insns')
			= (SELECT value FROM run_metric WHERE run_id = $r AND metric = 'insns')")" = 1 ] ||
			fail "$v $arch: run $r: per-thread insns do not add up to the run's"
	done
	regions "$db" 1 | tr ' ' '\n' >"$tmp/thr"
	regions "$db" 2 | tr ' ' '\n' >"$tmp/ser"
	prev=
	for k in $(seq 0 $((T - 1))); do
		for pair in 10-\>11 11-\>12 12-\>13; do
			a=$(sed -n "s/^$((k + 1)):$pair#1=//p" "$tmp/thr")
			b=$(sed -n "s/^0:$pair#$((k + 1))=//p" "$tmp/ser")
			[ -n "$a" ] && [ "$a" = "$b" ] || fail "$v $arch: worker $k $pair: threaded '$a', serial '$b'"
		done
		spin=$(sed -n "s/^$((k + 1)):10->11#1=//p" "$tmp/thr")
		[ -z "$prev" ] || [ $((spin - prev)) = $((4 * U)) ] ||
			fail "$v $arch: worker $k's spin is $spin, worker $((k - 1))'s $prev: not 4 U = $((4 * U)) apart"
		prev=$spin
		atomic=$(sed -n "s/^$((k + 1)):11->12#1=//p" "$tmp/thr")
		private=$(sed -n "s/^$((k + 1)):12->13#1=//p" "$tmp/thr")
		# loop counts exactly, set-up and the marker call a few dozen at most
		[ $((atomic - 300000)) -ge 0 ] && [ $((atomic - 300000)) -lt 100 ] || fail "$v $arch: atomic $atomic"
		[ $((private - 776000)) -ge 0 ] && [ $((private - 776000)) -lt 100 ] || fail "$v $arch: private $private"
	done
	echo "ok: $v $arch: $T threads counted apart, equal to the serial runs (spin 4 U apart, atomic $atomic, private $private)"
	checked=$((checked + 1))
}

for vq in "$@"; do
	v=${vq%%=*} q=${vq#*=}
	case $q in
	*qemu-x86_64) one "$v" "$q" x86_64 "$x86" ;;
	*qemu-riscv64) [ -n "$rv" ] && [ -x "$rv" ] && one "$v" "$q" riscv64 "$rv" ;;
	esac
done
[ $checked -gt 0 ] || { echo "skip: no user-mode QEMU given"; exit 77; }
