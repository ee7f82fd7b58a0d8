#!/bin/bash
# linux-guest.sh tcg|kvm EMUDIFF BUILD SRC - the minimal Linux guest (scripts/linux-guest,
# datasets/linux-guest/init, datasets/suites/linux-guest.ini):
#  1. (tcg) each guest (x86_64, riscv64) boots under TCG on every system QEMU here (Debian's,
#     and the unpacked one of BUILD/qemu-versions.txt), with user networking
#     (restrict=on) forwarding two loopback ports: the init prints exactly its console
#     sequence (markers 1-5 with increasing times, the dd phase's line, the ready line,
#     @emudiff exit 0), httpd's file fetched from the host through the forwarded port is
#     byte-identical to datasets/servers/www/index.html, and the guest's command
#     (emudiff_run: wait for the host on port 81) ends it by powering off;
#  2. a study of the suite's cells: (tcg) under TCG, both guests: boot_ns, the driver's
#     (wrk) metrics and the phases' marks are stored; (kvm, in the facts suite) the x86
#     guest under KVM: the same, or where KVM cannot run the guest, a failed run with
#     config_json.unsupported.kvm and no metric of the guest at all (never a 0);
#  3. (tcg) collect hw-kvm's guest path (driver after the ready line, boot_ns, the
#     console's marks) with TCG standing in for KVM.
set -euo pipefail
mode=$1 emudiff=$2 build=$3 src=$4
. "$EMUDIFF_TEST_LIB/facts.sh"
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
guest=$build/linux-guest
www=$src/datasets/servers/www/index.html

for a in x86_64 riscv64; do
	[ -s "$guest/$a/initramfs.cpio.gz" ] && [ -s "$guest/$a/kernel" ] ||
		skip "no Linux guest in $guest/$a: scripts/linux-guest did not build it (Debian's kernel or busybox-static not fetched)"
done
for t in wrk sqlite3 qemu-system-x86_64 qemu-system-riscv64; do
	command -v "$t" >/dev/null || skip "no $t"
done
if command -v curl >/dev/null; then fetch() { curl -sf -o "$2" "$1"; }
elif command -v wget >/dev/null; then fetch() { wget -q -O "$2" "$1"; }
else skip "neither curl nor wget to fetch from the guest"; fi

q() { sqlite3 "$db" "$1"; }
run_of() { q "SELECT id FROM run WHERE cell = '$1'"; }
metric() { q "SELECT value FROM run_metric WHERE run_id = $1 AND metric = '$2'"; }
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }
db=$tmp/study.db
# study CELL...: the suite's cells, into $db. The suite is copied next to a link to
# BUILD/linux-guest, where its relative binaries are looked up first (BUILD may be
# another build folder than the running emudiff's, e.g. the ASan build's).
study() {
	local args=() c
	for c in "$@"; do args+=(--cell "$c"); done
	cp "$src/datasets/suites/linux-guest.ini" "$tmp/linux-guest.ini"
	ln -sfn "$guest" "$tmp/linux-guest"
	"$emudiff" study "$tmp/linux-guest.ini" --out "$tmp/study" --db "$db" "${args[@]}" \
		>"$tmp/study.out" 2>&1 || fail "study exited $?: $(tail -n 20 "$tmp/study.out")"
}

if [ "$mode" = kvm ]; then
	study guest-http/hw-kvm/0
	cell=guest-http/hw-kvm/0
	r=$(run_of "$cell")
	[ -n "$r" ] || fail "$cell: no run stored: $(tail -n 20 "$tmp/study.out")"
	status=$(q "SELECT status FROM run WHERE id = $r")
	unsupported=$(q "SELECT json_extract(config_json, '\$.unsupported.kvm') FROM run WHERE id = $r")
	if [ "$status" = ok ]; then
		[ "$kvm" = runs-guest ] || fail "$cell: ok although kvm=$kvm ($kvm_why)"
		for m in boot_ns requests requests_per_s req_p50_ns; do
			positive "$(metric "$r" "$m")" || fail "$cell: $m is '$(metric "$r" "$m")'"
		done
		[ -z "$unsupported" ] || fail "$cell: ok, yet unsupported.kvm '$unsupported'"
		echo "ok: $cell: under KVM: boot $(metric "$r" boot_ns) ns, $(metric "$r" requests_per_s) requests/s"
	else
		[ "$status" = failed ] || fail "$cell: status $status"
		case $unsupported in "KVM cannot run this guest here: "?*) ;;
		*) fail "$cell: failed without unsupported.kvm: $(q "SELECT config_json FROM run WHERE id = $r")" ;; esac
		[ "$(q "SELECT group_concat(metric) FROM run_metric WHERE run_id = $r")" = wall_ns ] ||
			fail "$cell: metrics of a guest that never ran: $(q "SELECT group_concat(metric) FROM run_metric WHERE run_id = $r")"
		echo "ok: $cell: kvm=$kvm${kvm_why:+ ($kvm_why)}; recorded as unsupported: $unsupported"
	fi
	exit 0
fi

# ---- 1. the guest under every system QEMU ------------------------------------------
# "PATH FIRMWARE-DIR" per QEMU: Debian's, then the unpacked newer one (its firmware beside it)
qemus=("/usr/bin -")
if [ -f "$build/qemu-versions.txt" ]; then
	while read -r v p mode _; do
		case $p in /usr/bin/*) continue ;; esac
		[ "$mode" = system ] && [ "$(basename "$p")" = qemu-system-x86_64 ] && [ -x "$p" ] || continue
		d=$(dirname "$p")
		[ -x "$d/qemu-system-riscv64" ] && qemus+=("$d $(dirname "$d")/share/qemu")
	done < <(grep -v '^#' "$build/qemu-versions.txt")
fi

want="emudiff-guest: init reached
@emudiff mark 1 time=T
@emudiff mark 2 time=T
@emudiff mark 3 time=T
emudiff-guest: disk: wrote and read 16 MiB
@emudiff mark 4 time=T
emudiff-guest: serving http on port 80
@emudiff mark 5 time=T
@emudiff exit 0"

# boot DIR FIRMWARE ARCH: one guest, served and ended from the host
boot() {
	local dir=$1 fw=$2 a=$3 tag con port=18094 ctrl=18095 cmd pid t0 got times
	tag=qemu-$("$dir/qemu-system-$a" --version | sed -nE '1s/.*version ([0-9.]+).*/\1/p')-$a
	con=$tmp/console-$tag
	cmd=("$dir/qemu-system-$a" -m 256M -smp 1 -nographic -no-reboot)
	[ "$fw" = - ] || cmd+=(-L "$fw")
	if [ "$a" = x86_64 ]; then cmd+=(-M pc); else cmd+=(-M virt -bios default); fi
	cmd+=(-kernel "$guest/$a/kernel" -initrd "$guest/$a/initramfs.cpio.gz"
		-append 'console=ttyS0 quiet panic=-1 emudiff_run="nc -l -p 81 >/dev/null"'
		-netdev "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:80,hostfwd=tcp:127.0.0.1:$ctrl-:81"
		-device virtio-net-pci,netdev=net0,romfile=
		-drive "file=$guest/$a/disk.img,format=raw,if=virtio,snapshot=on")
	"${cmd[@]}" >"$con" 2>&1 </dev/null &
	pid=$!
	pids+=("$pid")
	t0=$SECONDS
	until grep -q 'emudiff-guest: serving http on port 80' "$con"; do
		kill -0 "$pid" 2>/dev/null || fail "$tag: QEMU ended before the guest served: $(tail -n 5 "$con")"
		[ $((SECONDS - t0)) -lt 240 ] || fail "$tag: no ready line within 240 s: $(tail -n 5 "$con")"
		sleep 0.2
	done
	fetch "http://127.0.0.1:$port/index.html" "$tmp/got-$tag" || fail "$tag: fetching through 127.0.0.1:$port failed"
	cmp -s "$www" "$tmp/got-$tag" || fail "$tag: the file served differs from $www"
	# the guest's command waits for a connection on port 81; QEMU's forwarder accepts
	# before the guest listens, so try again until the guest powers off
	while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt 300 ]; do
		{ exec 3<>"/dev/tcp/127.0.0.1/$ctrl" && echo done >&3 && exec 3>&-; } 2>/dev/null || true
		sleep 0.5
	done
	wait "$pid" || fail "$tag: QEMU exited $? (the guest should power off)"
	# (the firmware's last escape sequences may share the first line)
	got=$(tr -d '\r' <"$con" | grep -oE '(emudiff-guest:|@emudiff ).*' | sed -E 's/time=[0-9]+$/time=T/')
	[ "$got" = "$want" ] || fail "$tag: console sequence:
$got
want:
$want"
	times=$(tr -d '\r' <"$con" | sed -nE 's/^@emudiff mark [0-9]+ time=([0-9]+)$/\1/p')
	printf '%s\n' "$times" | sort -n -c 2>/dev/null || fail "$tag: marker times not increasing: $times"
	echo "ok: $tag: init's console sequence exact, httpd's file byte-identical through hostfwd, powered off after its command ($((SECONDS - t0)) s)"
}
for qe in "${qemus[@]}"; do
	read -r dir fw <<<"$qe"
	for a in x86_64 riscv64; do boot "$dir" "$fw" "$a"; done
done

# ---- 2. the suite's TCG cells as a study ---------------------------------------------
study guest-http/qemu-system/0 guest-http-rv64/qemu-system/0
for cell in guest-http/qemu-system/0 guest-http-rv64/qemu-system/0; do
	r=$(run_of "$cell")
	[ -n "$r" ] || fail "$cell: no run stored: $(tail -n 20 "$tmp/study.out")"
	[ "$(q "SELECT status FROM run WHERE id = $r")" = ok ] ||
		fail "$cell: $(q "SELECT status, config_json FROM run WHERE id = $r")"
	for m in boot_ns ready_ns requests requests_per_s req_p50_ns req_p99_ns insns_per_req; do
		positive "$(metric "$r" "$m")" || fail "$cell: $m is '$(metric "$r" "$m")'"
	done
	[ "$(metric "$r" req_errors)" = 0.0 ] || fail "$cell: req_errors $(metric "$r" req_errors)"
	# ready after boot; the marks of the phases, instructions increasing
	awk -v b="$(metric "$r" boot_ns)" -v y="$(metric "$r" ready_ns)" 'BEGIN { exit !(y > b) }' ||
		fail "$cell: ready_ns $(metric "$r" ready_ns) not after boot_ns $(metric "$r" boot_ns)"
	[ "$(q "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark WHERE run_id = $r ORDER BY seq)")" = "1 2 3 4" ] ||
		fail "$cell: marks $(q "SELECT group_concat(mark_id, ' ') FROM mark WHERE run_id = $r")"
	[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.run_id = a.run_id AND b.seq = a.seq + 1
		WHERE a.run_id = $r AND b.insns > a.insns")" = 3 ] || fail "$cell: mark instructions not increasing"
	echo "ok: $cell: boot $(metric "$r" boot_ns) ns, $(metric "$r" requests_per_s) requests/s, p50 $(metric "$r" req_p50_ns) ns, $(metric "$r" insns_per_req) insns/request"
done

# ---- 3. collect hw-kvm's guest path with TCG standing in for KVM ---------------------
# (what a machine whose KVM runs the guest would do: the driver after the ready line,
# boot_ns, the console's marks with the guest's clock; no claim about KVM itself)
db=$tmp/kvm-tcg.db
g=$guest/x86_64
"$emudiff" collect hw-kvm --db "$db" --name guest-tcg-vmm --timeout 240 --timebase-hz 1000000000 \
	--boot-console 'emudiff-guest: init reached' --ready-console 'emudiff-guest: serving http on port 80' \
	--driver 'wrk -t1 -c2 -d@budget@s --latency http://127.0.0.1:@port@/' --port 18096 --budget 2s \
	--ready-timeout 180 -- qemu-system-x86_64 -M pc -m 256M -smp 1 -nographic -no-reboot \
	-kernel "$g/kernel" -initrd "$g/initramfs.cpio.gz" -append 'console=ttyS0 quiet panic=-1' \
	-netdev user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:18096-:80 -device virtio-net-pci,netdev=net0,romfile= \
	-drive "file=$g/disk.img,format=raw,if=virtio,snapshot=on" >"$tmp/kvm-tcg.out" 2>&1 ||
	fail "collect hw-kvm (TCG VMM) exited $?: $(tail -n 5 "$tmp/kvm-tcg.out")"
r=$(q "SELECT id FROM run")
[ "$(q "SELECT status FROM run WHERE id = $r")" = ok ] || fail "hw-kvm (TCG VMM): $(q 'SELECT status, config_json FROM run')"
for m in boot_ns ready_ns requests requests_per_s req_p50_ns; do
	positive "$(metric "$r" "$m")" || fail "hw-kvm (TCG VMM): $m is '$(metric "$r" "$m")'"
done
[ -z "$(metric "$r" insns_per_req)" ] || fail "hw-kvm (TCG VMM): insns_per_req stored"
[ "$(q "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark ORDER BY seq)")" = "1 2 3 4" ] ||
	fail "hw-kvm (TCG VMM): marks $(q 'SELECT group_concat(mark_id) FROM mark')"
[ "$(q "SELECT count(*) FROM mark a JOIN mark b ON b.seq = a.seq + 1 WHERE b.time_ns > a.time_ns")" = 3 ] ||
	fail "hw-kvm (TCG VMM): mark times not increasing"
[ "$(q "SELECT json_extract(config_json, '\$.driver.ready_console') FROM run")" = 'emudiff-guest: serving http on port 80' ] ||
	fail "hw-kvm (TCG VMM): config $(q 'SELECT config_json FROM run')"
echo "ok: collect hw-kvm with TCG as the VMM: boot $(metric "$r" boot_ns) ns, $(metric "$r" requests_per_s) requests/s, marks 1-4 from the console"
