#!/bin/bash
# guest-cyclictest.sh tcg|faults|study|kvm EMUDIFF BUILD SRC - cyclictest inside the
# minimal Linux guest (scripts/linux-guest, datasets/linux-guest/init's
# emudiff_cyclictest, collect/console_cyclictest.c):
#   tcg     the x86_64 guest under qemu-system-x86_64 TCG: collect qemu --system
#           --parse cyclictest stores exactly the events cyclictest reported on the
#           console (its '# Total:' plus its overflows) as lat_wakeup_ns samples, in
#           the run that has the plugin's marks 1 (init), 6 (cyclictest), 5 (end);
#           then collect hw-kvm --parse cyclictest with TCG standing in for KVM
#           (the console's marks with the guest's clock, the same samples)
#   faults  a broken frame fails the run with its reason and stores no sample:
#           cyclictest failing in the guest (collect qemu), the guest's console
#           cut inside the frame, a VMM printing a frame with a line lost
#           (collect hw-kvm); that console log handed to import cyclictest
#           --console: exit 2, one line naming FILE:LINE, no run
#   study   the suite's TCG cells (x86_64, riscv64) as a study: ok runs of 2000
#           events each, and emudiff stats' quantiles for both
#   kvm     the suite's KVM cell (the facts suite): samples where KVM runs the guest,
#           else a failed run with config_json.unsupported.kvm and wall_ns alone
set -euo pipefail
mode=$1 emudiff=$2 build=$3 src=$4
. "$EMUDIFF_TEST_LIB/facts.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
guest=$build/linux-guest
args='-q -m -i 500 -l 2000 -h 20000'

arches=(x86_64)
[ "$mode" = study ] && arches+=(riscv64)
for a in "${arches[@]}"; do
	[ -s "$guest/$a/initramfs.cpio.gz" ] && [ -s "$guest/$a/kernel" ] ||
		skip "no Linux guest in $guest/$a: scripts/linux-guest did not build it (Debian's packages not fetched)"
	grep -q '^rt-tests ' "$guest/$a/.source" ||
		skip "the Linux guest in $guest/$a has no cyclictest (built by an older scripts/linux-guest: run it again)"
	command -v "qemu-system-$a" >/dev/null || skip "no qemu-system-$a"
done
command -v sqlite3 >/dev/null || skip "no sqlite3"

q() { sqlite3 "$db" "$1"; }
metric() { q "SELECT value FROM run_metric WHERE run_id = $1 AND metric = '$2'"; }
samples() { q "SELECT coalesce(sum(n), 0) FROM latency_sample WHERE run_id = $1"; }
# reported LOG: the events cyclictest counted, as it printed them on the console
reported() {
	tr -d '\r' <"$1" | awk '/^# Total:/ { t = $3 + 0 } /^# Histogram Overflows:/ { o = $4 + 0 } END { print t + o }'
}
g=$guest/x86_64
# the guest's QEMU command line (TCG), cyclictest's arguments as given
tcg_cmd() {
	printf '%s\n' qemu-system-x86_64 -M pc -m 256M -smp 1 -nographic -no-reboot -kernel "$g/kernel" \
		-initrd "$g/initramfs.cpio.gz" -append "console=ttyS0 quiet panic=-1 emudiff_cyclictest=\"$1\""
}
collect_tcg() { # DB NAME CT-ARGS [collector options...]: collect qemu --system, console into $tmp/NAME.out
	local d=$1 n=$2 ct=$3 cmd
	shift 3
	mapfile -t cmd < <(tcg_cmd "$ct")
	"$emudiff" collect qemu --db "$d" --system --elf "$g/guest-mark" --name "$n" --parse cyclictest \
		--timeout 120 "$@" -- "${cmd[@]}" >"$tmp/$n.out" 2>"$tmp/$n.err" ||
		fail "$n: collect qemu exited $?: $(tail -n 5 "$tmp/$n.err")"
}
# the run's status, why, and that it holds no latency (a failed run keeps none)
failed_without_samples() { # RUN WHAT WHY-PATTERN
	local st why
	st=$(q "SELECT status FROM run WHERE id = $1")
	why=$(q "SELECT json_extract(config_json, '\$.why') FROM run WHERE id = $1")
	[ "$st" = failed ] || fail "$2: status '$st', want failed"
	printf '%s\n' "$why" | grep -qE "$3" || fail "$2: why '$why', want /$3/"
	[ "$(samples "$1")" = 0 ] || fail "$2: $(samples "$1") samples stored in a failed run"
	[ -z "$(q "SELECT metric FROM run_metric WHERE run_id = $1 AND metric LIKE 'lat_%'")" ] ||
		fail "$2: lat_ metrics stored in a failed run"
	echo "ok: $2: failed, nothing of cyclictest stored: $why"
}

case $mode in
tcg)
	db=$tmp/tcg.db
	collect_tcg "$db" guest-ct "$args" --boot-console 'emudiff-guest: init reached'
	r=$(q "SELECT id FROM run")
	[ "$(q "SELECT status FROM run WHERE id = $r")" = ok ] || fail "TCG: $(q "SELECT status, config_json FROM run")"
	want=$(reported "$tmp/guest-ct.out")
	[ "$want" = 2000 ] || fail "TCG: cyclictest reported $want events, -l 2000 asked for 2000"
	[ "$(samples "$r")" = "$want" ] || fail "TCG: $(samples "$r") samples stored, cyclictest reported $want"
	[ "$(q "SELECT region_key || ' ' || metric FROM latency_sample WHERE run_id = $r")" = "run lat_wakeup_ns" ] ||
		fail "TCG: latency rows $(q "SELECT region_key, metric FROM latency_sample")"
	[ "$(metric "$r" lat_wakeup_events)" = 2000.0 ] || fail "TCG: lat_wakeup_events $(metric "$r" lat_wakeup_events)"
	[ "$(q "SELECT json_extract(config_json, '\$.parse') || ' ' || json_extract(config_json, '\$.form') FROM run")" = \
		"cyclictest histogram" ] || fail "TCG: config $(q "SELECT config_json FROM run")"
	# the plugin's marks: the phase, instructions increasing
	[ "$(q "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark WHERE run_id = $r ORDER BY seq)")" = "1 6 5" ] ||
		fail "TCG: marks $(q "SELECT group_concat(mark_id, ' ') FROM mark")"
	[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.run_id = a.run_id AND b.seq = a.seq + 1 WHERE b.insns > a.insns")" = 2 ] ||
		fail "TCG: mark instructions not increasing"
	# the console's maximum is the samples' maximum (every event in a row, or at the maximum)
	max=$(tr -d '\r' <"$tmp/guest-ct.out" | awk '/^# Max Latencies:/ { print $4 * 1000 }')
	[ "$(q "SELECT value FROM run_metric WHERE run_id = $r AND metric = 'lat_wakeup_max_ns'")" = "$max.0" ] ||
		fail "TCG: lat_wakeup_max_ns $(metric "$r" lat_wakeup_max_ns), the console says $max"
	echo "ok: guest under TCG: $(samples "$r") samples (cyclictest: $want), mean $(metric "$r" lat_wakeup_avg_ns) ns, max $max ns; marks 1 6 5"

	# collect hw-kvm's path with TCG standing in for KVM
	db=$tmp/kvm-tcg.db
	mapfile -t cmd < <(tcg_cmd "$args")
	"$emudiff" collect hw-kvm --db "$db" --name guest-ct --parse cyclictest --timeout 120 \
		--timebase-hz 1000000000 -- "${cmd[@]}" >"$tmp/kvm-tcg.out" 2>"$tmp/kvm-tcg.err" ||
		fail "collect hw-kvm (TCG VMM) exited $?: $(tail -n 5 "$tmp/kvm-tcg.err")"
	r=$(q "SELECT id FROM run")
	[ "$(q "SELECT status FROM run WHERE id = $r")" = ok ] || fail "hw-kvm (TCG VMM): $(q "SELECT status, config_json FROM run")"
	want=$(reported "$tmp/kvm-tcg.out")
	[ "$want" = 2000 ] && [ "$(samples "$r")" = "$want" ] ||
		fail "hw-kvm (TCG VMM): $(samples "$r") samples stored, cyclictest reported $want"
	[ "$(q "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark ORDER BY seq)")" = "1 6 5" ] ||
		fail "hw-kvm (TCG VMM): marks $(q "SELECT group_concat(mark_id, ' ') FROM mark")"
	[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.seq = a.seq + 1 WHERE b.time_ns > a.time_ns")" = 2 ] ||
		fail "hw-kvm (TCG VMM): mark times not increasing"
	echo "ok: collect hw-kvm --parse cyclictest with TCG as the VMM: $(samples "$r") samples, marks 1 6 5 from the console"
	;;
faults)
	db=$tmp/faults.db
	# cyclictest failing in the guest (its affinity to a CPU the guest lacks; an
	# unknown option would not do: cyclictest exits 0 after its usage)
	collect_tcg "$db" bad-args '-q -a 99 -l 10'
	failed_without_samples "$(q "SELECT id FROM run WHERE workload_id = (SELECT id FROM workload WHERE name = 'bad-args')")" \
		"cyclictest failing in the guest" 'console:[0-9]+: cyclictest exited [1-9][0-9]* in the guest \(.*cpu argument 99.*\)$'
	# the guest's console cut before the frame's end (a VMM losing its output)
	mapfile -t cmd < <(tcg_cmd "$args")
	"$emudiff" collect hw-kvm --db "$db" --name cut --parse cyclictest --timeout 120 --timebase-hz 1000000000 \
		-- sh -c '"$@" | sed "/@emudiff cyclictest end/,\$d"' sh "${cmd[@]}" >"$tmp/cut.out" 2>&1 ||
		fail "collect hw-kvm (cut) exited $?: $(tail -n 5 "$tmp/cut.out")"
	grep -q '^@emudiff cyclictest begin' "$tmp/cut.out" || fail "cut: the guest printed no frame: $(tail -n 5 "$tmp/cut.out")"
	failed_without_samples "$(q "SELECT id FROM run WHERE workload_id = (SELECT id FROM workload WHERE name = 'cut')")" \
		"the console cut inside the frame" '^VMM stdout:[0-9]+: the framed cyclictest output has no end \(the console ends inside it\)$'
	# a VMM whose guest lost a line of the frame (collect hw-kvm reads its stdout)
	printf '%s\r\n' 'emudiff-guest: init reached' '@emudiff mark 1 time=100' '@emudiff mark 6 time=200' \
		'@emudiff mark 5 time=300' '@emudiff cyclictest begin' '# Histogram' '000010 000002' '000011 000001' \
		'# Total: 000000003' '# Max Latencies: 00011' '# Histogram Overflows: 00000' \
		'@emudiff cyclictest end exit=0 lines=7' '@emudiff exit 0' >"$tmp/lost.log"
	"$emudiff" collect hw-kvm --db "$db" --name lost --parse cyclictest --timebase-hz 1000000000 \
		-- cat "$tmp/lost.log" >"$tmp/lost.out" 2>&1 || fail "collect hw-kvm (cat) exited $?: $(tail -n 5 "$tmp/lost.out")"
	failed_without_samples "$(q "SELECT id FROM run WHERE workload_id = (SELECT id FROM workload WHERE name = 'lost')")" \
		"a VMM's frame with a line lost" '^VMM stdout:12: 6 lines in the frame, the guest printed 7 \(lines lost'
	# the same log handed to import cyclictest: bad input, one line, nothing stored
	rc=0
	"$emudiff" import cyclictest --db "$tmp/import.db" --console --platform qemu-system "$tmp/lost.log" \
		>"$tmp/import.out" 2>"$tmp/import.err" || rc=$?
	[ "$rc" = 2 ] || fail "import cyclictest --console of a broken frame exited $rc, want 2"
	[ "$(wc -l <"$tmp/import.err")" = 1 ] &&
		grep -qxF "error: $tmp/lost.log:12: 6 lines in the frame, the guest printed 7 (lines lost, or other output in between)" "$tmp/import.err" ||
		fail "import cyclictest --console: $(cat "$tmp/import.err")"
	[ ! -e "$tmp/import.db" ] || [ "$(sqlite3 "$tmp/import.db" "SELECT count(*) FROM run")" = 0 ] ||
		fail "import cyclictest --console stored a run of a broken frame"
	sed -i 's/lines=7/lines=6/' "$tmp/lost.log"
	"$emudiff" import cyclictest --db "$tmp/import.db" --console --platform qemu-system "$tmp/lost.log" \
		>"$tmp/import.out" 2>"$tmp/import.err" || fail "import cyclictest --console exited $?: $(cat "$tmp/import.err")"
	[ "$(sqlite3 "$tmp/import.db" "SELECT sum(n) FROM latency_sample")" = 3 ] ||
		fail "import cyclictest --console: $(sqlite3 "$tmp/import.db" "SELECT sum(n) FROM latency_sample") samples, want 3"
	echo "ok: import cyclictest --console: a broken frame exit 2 naming FILE:LINE, nothing stored; mended, its 3 events"
	;;
study | kvm)
	db=$tmp/study.db
	cp "$src/datasets/suites/linux-guest.ini" "$tmp/linux-guest.ini"
	ln -sfn "$guest" "$tmp/linux-guest"
	if [ "$mode" = study ]; then cells=(guest-cyclictest/qemu-system/0 guest-cyclictest-rv64/qemu-system/0)
	else cells=(guest-cyclictest/hw-kvm/0); fi
	sargs=()
	for c in "${cells[@]}"; do sargs+=(--cell "$c"); done
	"$emudiff" study "$tmp/linux-guest.ini" --out "$tmp/study" --db "$db" "${sargs[@]}" >"$tmp/study.out" 2>&1 ||
		fail "study exited $?: $(tail -n 20 "$tmp/study.out")"
	for c in "${cells[@]}"; do
		r=$(q "SELECT id FROM run WHERE cell = '$c'")
		[ -n "$r" ] || fail "$c: no run stored: $(tail -n 20 "$tmp/study.out")"
		st=$(q "SELECT status FROM run WHERE id = $r")
		if [ "$mode" = kvm ] && [ "$st" != ok ]; then
			[ "$kvm" != runs-guest ] || echo "note: $c failed although kvm=$kvm (the guest's -cpu host: see docs/servers.md)"
			[ "$st" = failed ] || fail "$c: status $st"
			u=$(q "SELECT json_extract(config_json, '\$.unsupported.kvm') FROM run WHERE id = $r")
			case $u in "KVM cannot run this guest here: "?*) ;; *) fail "$c: failed without unsupported.kvm: $(q "SELECT config_json FROM run WHERE id = $r")" ;; esac
			[ "$(q "SELECT group_concat(metric) FROM run_metric WHERE run_id = $r")" = wall_ns ] && [ "$(samples "$r")" = 0 ] ||
				fail "$c: something of a guest KVM never ran is stored"
			echo "ok: $c: kvm=$kvm${kvm_why:+ ($kvm_why)}; recorded as unsupported: $u"
			continue
		fi
		[ "$st" = ok ] || fail "$c: $(q "SELECT status, config_json FROM run WHERE id = $r")"
		[ "$(samples "$r")" = 2000 ] || fail "$c: $(samples "$r") samples, want 2000"
		echo "ok: $c: 2000 samples, max $(q "SELECT value FROM run_metric WHERE run_id = $r AND metric = 'lat_wakeup_max_ns'") ns"
	done
	[ "$mode" = study ] || exit 0
	"$emudiff" stats --db "$db" >"$tmp/stats.out" 2>&1 || fail "stats exited $?: $(tail -n 5 "$tmp/stats.out")"
	[ "$(q "SELECT count(*) FROM latency_quantile WHERE metric = 'lat_wakeup_ns' AND platform = 'qemu-system'
		AND runs = 1 AND n = 2000")" = 2 ] || fail "stats: latency_quantile $(q "SELECT * FROM latency_quantile")"
	echo "ok: stats: the quantiles of both guests' 2000 events"
	;;
*) fail "mode $mode: tcg, faults, study or kvm" ;;
esac
