#!/bin/sh
# payload-smp.sh EMUDIFF SMP_PAYLOAD [VERSION=QEMU_SYSTEM_RISCV64 ...] - the SMP
# bare-metal payload (datasets/baremetal/smp.c) under each qemu-system-riscv64
# given (default: PATH's), without the plugin, with OpenSBI fw_jump:
#  - -smp 2 and 4 (-M virt,aclint=on): the exact marker lines, per hart and in
#    log order (hits printed in hart turn), every hart's time growing, 64
#    ipi_sbi and 64 ipi_sswi latency lines between marks 14 and 15, all
#    positive, the phase results and `@emudiff exit 0`; without aclint=on no
#    ipi_sswi lines;
#  - -icount shift=0, -smp 2 and 4: instret is QEMU's instruction count then
#    (one counter shared by all vCPUs, run one at a time), and each hart's
#    deltas over the exact phases are its own counts: 8 + 4 (k + 1) 20000
#    from mark 10 to 11 on hart k, 8 + 100 (4 + 6 x 64) from 11 to 12; cycles
#    the same; every IPI of a kind the same latency;
#  - `emudiff collect console` on a -smp 4 log: marks on their hart's thread
#    ordinal, run_thread rows, both latencies in region 14->15, and the exact
#    deltas of the icount log from the stored marks;
#  - `emudiff collect qemu --system -smp 2` and `4` on each QEMU: the plugin's
#    marks on their vCPU's ordinal, every vCPU's exact spin and mix counts,
#    per-vCPU totals adding up, the IPI latencies from the console it copies.
set -eu
emudiff=$1 payload=$2
shift 2
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
[ -r $fw ] || { echo "skip: no $fw (package opensbi)"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
if [ $# = 0 ]; then
	command -v qemu-system-riscv64 >/dev/null || { echo "skip: no qemu-system-riscv64"; exit 77; }
	set -- "$(qemu-system-riscv64 --version | sed -n '1s/.* version \([0-9.]*\).*/\1/p')=$(command -v qemu-system-riscv64)"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# hart ordinal k spins (k + 1) * 20000 iterations of 4 instructions (smp.h)
spin_insns() { echo $((8 + 4 * ($1 + 1) * 20000)); }
mix_insns=$((8 + 100 * (4 + 6 * 64)))

run() { # NAME QEMU MACHINE SMP [ARGS...]: the console in $tmp/NAME.log
	name=$1 q=$2 machine=$3 smp=$4
	shift 4
	timeout 120 $q -M "$machine" -smp "$smp" -m 128M -nographic -nic none -bios $fw -kernel "$payload" "$@" \
		</dev/null >"$tmp/$name.log" 2>"$tmp/$name.err" || fail "$name: qemu exited with $? ($(tail -1 "$tmp/$name.err"))"
	tr -d '\r' <"$tmp/$name.log" >"$tmp/$name.txt"
}

# `hart id` lines of the marks, in log order; every mark line must be whole
marks() {
	sed -n 's/^@emudiff mark \([0-9]*\) hart=\([0-9]*\) cycles=[0-9]* instret=[0-9]* time=[0-9]*$/\2:\1/p' "$1" | tr '\n' ' '
}

check_log() { # NAME N SSWI(yes|no)
	name=$1 n=$2 f=$tmp/$1.txt
	want=
	for k in $(seq 0 $((n - 1))); do want="$want$k:10 $k:11 $k:12 $k:13 "; done
	want="${want}0:14 0:15 "
	[ "$(marks "$f")" = "$want" ] || fail "$name: marks '$(marks "$f")', want '$want'"
	[ "$(grep -c '^@emudiff mark ' "$f")" = $((4 * n + 2)) ] || fail "$name: a mark line of another form"
	# every hart's time grows from mark to mark
	sed -n 's/^@emudiff mark [0-9]* hart=\([0-9]*\) .*time=\([0-9]*\)$/\1 \2/p' "$f" |
		awk '$1 in t && $2 < t[$1] { bad = 1 } { t[$1] = $2 } END { exit bad }' || fail "$name: a hart's time goes back"
	sswi=0
	[ "$3" = yes ] && sswi=64
	[ "$(grep -c '^@emudiff lat ipi_sbi ticks=[0-9]*$' "$f")" = 64 ] || fail "$name: ipi_sbi lines"
	[ "$(grep -c '^@emudiff lat ipi_sswi ticks=[0-9]*$' "$f")" = $sswi ] || fail "$name: ipi_sswi lines"
	[ "$(sed -n '/^@emudiff mark 14 /,/^@emudiff mark 15 /p' "$f" | grep -c '^@emudiff lat ')" = $((64 + sswi)) ] ||
		fail "$name: latency lines outside the ipi_latency region"
	grep -qx "payload: ipi sbi=64 sswi=$sswi taken=$((64 + sswi))" "$f" || fail "$name: $(grep '^payload: ipi' "$f")"
	grep -qx "payload: smp done harts=$n mix=$((n * 64 * 100 * 101 / 2))" "$f" ||
		fail "$name: results $(grep '^payload: smp done' "$f")"
	tail -1 "$f" | grep -qx '@emudiff exit 0' || fail "$name: not ending with '@emudiff exit 0'"
}

# per hart k: "instret delta cycles delta" of marks 10->11 and 11->12
deltas() {
	sed -n 's/^@emudiff mark \(1[012]\) hart=\([0-9]*\) cycles=\([0-9]*\) instret=\([0-9]*\) .*/\2 \1 \3 \4/p' "$1" |
		awk '{ c[$1, $2] = $3; i[$1, $2] = $4; if ($1 > n) n = $1 }
		     END { for (k = 0; k <= n; k++) printf "%d:%d/%d:%d/%d ", k, i[k, 11] - i[k, 10], c[k, 11] - c[k, 10],
				i[k, 12] - i[k, 11], c[k, 12] - c[k, 11] }'
}

for vq in "$@"; do
	v=${vq%%=*} q=${vq#*=}
	[ -x "$q" ] || fail "$q: not an executable QEMU"
	# an unpacked QEMU: its own firmware directory
	case $q in /usr/bin/*) ;; */usr/bin/*) q="$q -L ${q%%/usr/bin/*}/usr/share/qemu" ;; esac
	for n in 2 4; do
		run "$v-smp$n" "$q" virt,aclint=on $n
		check_log "$v-smp$n" $n yes
		sed -n 's/^@emudiff lat ipi_s[a-z]* ticks=//p' "$tmp/$v-smp$n.txt" | awk '$1 <= 0 { bad = 1 } END { exit bad }' ||
			fail "$v-smp$n: an IPI latency of 0 ticks"

		run "$v-icount$n" "$q" virt,aclint=on $n -icount shift=0
		check_log "$v-icount$n" $n yes
		want=
		for k in $(seq 0 $((n - 1))); do
			want="$want$k:$(spin_insns $k)/$(spin_insns $k):$mix_insns/$mix_insns "
		done
		[ "$(deltas "$tmp/$v-icount$n.txt")" = "$want" ] ||
			fail "$v -icount -smp $n: instret/cycles deltas '$(deltas "$tmp/$v-icount$n.txt")', want '$want'"
		for kind in sbi sswi; do
			[ "$(sed -n "s/^@emudiff lat ipi_$kind ticks=//p" "$tmp/$v-icount$n.txt" | sort -u | wc -l)" = 1 ] ||
				fail "$v -icount -smp $n: ipi_$kind latencies differ"
		done
		echo "ok: qemu $v -smp $n: marks, IPI latency; -icount: exact per-hart deltas ($want)"
	done
	run "$v-clint" "$q" virt 2
	check_log "$v-clint" 2 no
done

# The console collector: hart ordinals, threads, latencies, exact deltas.
first=${1%%=*}
db=$tmp/c.db
"$emudiff" collect console --db "$db" --name smp --elf "$payload" --log "$tmp/$first-smp4.log" 2>/dev/null ||
	fail "collect console refused the -smp 4 log"
q() { sqlite3 "$db" "$@"; }
got=$(q "SELECT group_concat(thread || ':' || mark_id, ' ') FROM (SELECT * FROM mark ORDER BY seq)")
[ "$got " = "$(marks "$tmp/$first-smp4.txt")" ] || fail "collect console: marks '$got'"
[ "$(q "SELECT group_concat(thread || '=' || os_id || '/' || kind, ' ') FROM (SELECT * FROM run_thread ORDER BY thread)")" = \
  "0=0/hart 1=1/hart 2=2/hart 3=3/hart" ] || fail "collect console: run_thread $(q "SELECT * FROM run_thread")"
[ "$(q "SELECT group_concat(region_key || ' ' || metric || ' ' || n, ',') FROM (SELECT * FROM latency_sample ORDER BY metric)")" = \
  "m:14->15#1 lat_ipi_sbi_ns 64,m:14->15#1 lat_ipi_sswi_ns 64" ] ||
	fail "collect console: latencies $(q "SELECT region_key, metric, n FROM latency_sample")"
[ "$(q "SELECT count(*) FROM thread_metric WHERE metric = 'instret'")" = 4 ] &&
	[ "$(q "SELECT (SELECT sum(value) FROM thread_metric WHERE metric = 'instret') = value FROM run_metric WHERE metric = 'instret'")" = 1 ] ||
	fail "collect console: per-hart instret totals do not add up to the run's"
"$emudiff" collect console --db "$db" --name smp-icount --elf "$payload" --log "$tmp/$first-icount4.log" 2>/dev/null ||
	fail "collect console refused the -icount log"
got=$(q "SELECT group_concat(d, ' ') FROM (SELECT b.insns - a.insns AS d FROM mark a JOIN mark b
	ON b.run_id = a.run_id AND b.thread = a.thread WHERE a.run_id = 2 AND a.mark_id = 10 AND b.mark_id = 11 ORDER BY a.thread)")
[ "$got" = "$(spin_insns 0) $(spin_insns 1) $(spin_insns 2) $(spin_insns 3)" ] || fail "collect console: stored spin deltas '$got'"

# The QEMU collector on every QEMU given, -smp 2 and 4: each vCPU counted apart
# and exactly (the plugin's per-vCPU counts: API 1's callback mode on 7.2,
# scoreboards from API 2 on), the marks on their vCPU's ordinal, and the
# latency lines of the console it copies.
i=0
for vq in "$@"; do
	v=${vq%%=*} q=${vq#*=}
	i=$((i + 1)) # two QEMUs may carry one version (a distribution's and the set-up's)
	case $q in /usr/bin/*) ;; */usr/bin/*) q="$q -L ${q%%/usr/bin/*}/usr/share/qemu" ;; esac
	for n in 2 4; do
		db=$tmp/q-$i-$n.db
		# shellcheck disable=SC2086 # $q may carry QEMU's -L
		"$emudiff" collect qemu --db "$db" --name smp --system --elf "$payload" --timeout 120 -- $q \
			-M virt,aclint=on -smp $n -m 128M -nographic -nic none -bios $fw -kernel "$payload" \
			>"$tmp/q.out" 2>"$tmp/q.err" || fail "qemu $v: collect qemu --system -smp $n exited $?: $(tail -2 "$tmp/q.err")"
		qq() { sqlite3 "$db" "$@"; }
		want="0:10 0:11 0:12 0:13 0:14 0:15"
		for k in $(seq 1 $((n - 1))); do want="$want $k:10 $k:11 $k:12 $k:13"; done
		got=$(qq "SELECT group_concat(thread || ':' || mark_id, ' ') FROM (SELECT * FROM mark ORDER BY thread, seq)")
		[ "$got" = "$want" ] || fail "qemu $v -smp $n: plugin marks per vCPU '$got', want '$want'"
		got=$(qq "SELECT group_concat(v, ' ') FROM (SELECT a.thread || ':' || (b.insns - a.insns) || '/' || (c.insns - b.insns) AS v
			FROM mark a JOIN mark b ON b.thread = a.thread AND b.mark_id = 11
			JOIN mark c ON c.thread = a.thread AND c.mark_id = 12 WHERE a.mark_id = 10 ORDER BY a.thread)")
		want=
		for k in $(seq 0 $((n - 1))); do want="$want $k:$(spin_insns $k)/$mix_insns"; done
		[ "$got" = "${want# }" ] || fail "qemu $v -smp $n: per-vCPU spin/mix instructions '$got', want '${want# }'"
		[ "$(qq "SELECT count(*) FROM run_thread WHERE kind = 'vcpu'")" = $n ] ||
			fail "qemu $v -smp $n: run_thread $(qq "SELECT * FROM run_thread")"
		[ "$(qq "SELECT (SELECT sum(value) FROM thread_metric WHERE metric = 'insns') = value FROM run_metric WHERE metric = 'insns'")" = 1 ] ||
			fail "qemu $v -smp $n: per-vCPU insns do not add up to the run's"
		got=$(qq "SELECT group_concat(region_key || ' ' || metric || ' ' || n, ',') FROM (SELECT * FROM latency_sample ORDER BY metric)")
		[ "$got" = "m:14->15#1 lat_ipi_sbi_ns 64,m:14->15#1 lat_ipi_sswi_ns 64" ] ||
			fail "qemu $v -smp $n: collect qemu stored latencies '$got'"
		echo "ok: qemu $v -smp $n under the plugin: per-vCPU marks and exact counts ($got)"
	done
done
echo "ok: SMP payload"
