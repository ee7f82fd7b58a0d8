#!/bin/sh
# hw-kvm-stop.sh EMUDIFF - `collect hw-kvm` with a VMM whose KVM guest stops
# or that cannot start, played by scripts that print QEMU's exact messages
# (accel/kvm/kvm-all.c, QEMU 7.2) and then hang as QEMU does (it pauses the VM
# and keeps running). Independent of the machine: no KVM is involved. Asserts
# a `failed` run carrying QEMU's message, the VMM ended (its pid gone, also
# when it ignores SIGTERM), and its stdout/stderr passed through byte for byte.
set -eu
emudiff=$1
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
db=$tmp/k.db
q() { sqlite3 "$db" "$1"; }
cfg() { q "SELECT json_extract(config_json, '\$.$2') FROM run WHERE id = $1"; }
gone() { ! kill -0 "$(cat "$1")" 2>/dev/null; }

# 1. KVM internal error, emulation failure, register dump, then QEMU waits
# paused: the shape of a Linux guest's stop on a broken KVM.
cat >"$tmp/internal-error" <<'VMM'
#!/bin/sh
echo $$ >"$0.pid"
printf 'SeaBIOS (version 1.16.2-debian-1.16.2-1)\n@emudiff mark 1\n'
printf 'KVM internal error. Suberror: 1\nextra data[0]: 0x000000000000000f\nextra data[1]: 0x0000000000000000\nemulation failure\n' >&2
printf 'EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000663\nEIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n' >&2
exec sleep 600
VMM
# 2. the same with the stop on one line after QEMU's program name, and a VMM
# that ignores SIGTERM: it must be killed, PROC_GRACE_S (common.h, 5 s) after
# the SIGTERM
cat >"$tmp/entry-failed" <<'VMM'
#!/bin/sh
echo $$ >"$0.pid"
trap '' TERM
printf 'qemu-system-x86_64: KVM: entry failed, hardware error 0x80000021\n' >&2
exec sleep 600
VMM
# 3. no usable /dev/kvm: QEMU's two lines and exit 1 at once
cat >"$tmp/no-kvm" <<'VMM'
#!/bin/sh
printf 'Could not access KVM kernel module: No such file or directory\n' >&2
printf 'qemu-system-x86_64: -accel kvm: failed to initialize kvm: No such file or directory\n' >&2
exit 1
VMM
chmod +x "$tmp/internal-error" "$tmp/entry-failed" "$tmp/no-kvm"

"$emudiff" collect hw-kvm --db "$db" --name stop -- "$tmp/internal-error" >"$tmp/out1" 2>"$tmp/err1" ||
	fail "internal error: collect exited $?: $(cat "$tmp/err1")"
gone "$tmp/internal-error.pid" || fail "the VMM (pid $(cat "$tmp/internal-error.pid")) still runs"
[ "$(q "SELECT status FROM run WHERE id = 1")" = failed ] || fail "internal error: run $(q 'SELECT * FROM run WHERE id = 1')"
[ "$(cfg 1 vmm_message)" = "KVM internal error. Suberror: 1; emulation failure" ] ||
	fail "internal error: vmm_message '$(cfg 1 vmm_message)'"
[ -n "$(cfg 1 why)" ] || fail "internal error: no why"
# the marker line printed before the stop is kept
[ "$(q "SELECT group_concat(mark_id) FROM mark WHERE run_id = 1")" = 1 ] || fail "internal error: marks"
# one warning line names the message
[ "$(grep -c '^warning: the VMM failed .*: KVM internal error. Suberror: 1; emulation failure$' "$tmp/err1")" = 1 ] ||
	fail "internal error: warning: $(cat "$tmp/err1")"

"$emudiff" collect hw-kvm --db "$db" --name stop -- "$tmp/entry-failed" >/dev/null 2>"$tmp/err2" ||
	fail "entry failed: collect exited $?: $(cat "$tmp/err2")"
gone "$tmp/entry-failed.pid" || fail "a VMM ignoring SIGTERM still runs"
[ "$(q "SELECT status || ' ' || exit_code FROM run WHERE id = 2")" = "failed 137" ] ||
	fail "entry failed: run $(q 'SELECT status, exit_code FROM run WHERE id = 2') (want failed, killed: 137)"
[ "$(cfg 2 vmm_message)" = "KVM: entry failed, hardware error 0x80000021" ] ||
	fail "entry failed: vmm_message '$(cfg 2 vmm_message)'"
# the supervisor's policy: SIGTERM on the stop message, SIGKILL PROC_GRACE_S
# (5 s) later for the VMM that ignores it; one that obeys ends at once
[ "$(q "SELECT wall_ns >= 5000000000 AND wall_ns < 9000000000 FROM run WHERE id = 2")" = 1 ] ||
	fail "entry failed: killed after $(q 'SELECT wall_ns FROM run WHERE id = 2') ns, want PROC_GRACE_S (5 s)"
[ "$(q "SELECT wall_ns < 4000000000 FROM run WHERE id = 1")" = 1 ] ||
	fail "internal error: ended after $(q 'SELECT wall_ns FROM run WHERE id = 1') ns, want at once on SIGTERM"

"$emudiff" collect hw-kvm --db "$db" --name stop -- "$tmp/no-kvm" >/dev/null 2>"$tmp/err3" ||
	fail "no kvm: collect exited $?"
[ "$(q "SELECT status || ' ' || exit_code FROM run WHERE id = 3")" = "failed 1" ] || fail "no kvm: run"
[ "$(cfg 3 vmm_message)" = "qemu-system-x86_64: -accel kvm: failed to initialize kvm: No such file or directory" ] ||
	fail "no kvm: vmm_message '$(cfg 3 vmm_message)'"
[ "$(cfg 3 why)" = "the VMM exited with 1" ] || fail "no kvm: why '$(cfg 3 why)'"
set +e
"$emudiff" collect hw-kvm --db "$db" --name stop --fail-on-error -- "$tmp/no-kvm" >/dev/null 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "--fail-on-error with a failed VMM: exit $rc, want 1"

# 4. pass-through: the VMM's stdout and stderr reach ours byte for byte
# (control characters, a byte that is not UTF-8, a line longer than any
# buffer, no newline at the end of stdout), around emudiff's own lines.
long=$(printf '%02000d' 7)
printf '@emudiff mark 1\r\nboot\tmessage \377\n%s\n@emudiff mark 2\nlast words, no newline' "$long" >"$tmp/want.out"
printf 'qemu: note \033[1mbold\033[0m\n%s\nerror-ish: \377 done\n' "$long" >"$tmp/want.err"
"$emudiff" collect hw-kvm --db "$db" --name pass -- sh -c 'cat "$0"; cat "$1" >&2' "$tmp/want.out" "$tmp/want.err" \
	>"$tmp/out4" 2>"$tmp/err4" || fail "pass-through: collect exited $?"
cmp -s "$tmp/out4" "$tmp/want.out" || fail "stdout not passed through byte for byte (emudiff writes none)"
rest=$(tail -n 1 "$tmp/err4")
case $rest in "hw-kvm run 5: ok, 2 marks, wall "[0-9]*.[0-9][0-9][0-9]" s") ;; *) fail "emudiff's last line on stderr: '$rest'" ;; esac
grep -av '^warning: \|^hw-kvm run 5: ' "$tmp/err4" | cmp -s - "$tmp/want.err" || fail "stderr not passed through byte for byte"
[ "$(q "SELECT group_concat(mark_id, ' ') FROM (SELECT mark_id FROM mark WHERE run_id = 5 ORDER BY seq)")" = "1 2" ] ||
	fail "pass-through: marks"
echo "ok: KVM stops end the VMM (TERM, KILL) as failed runs with QEMU's message; output passed through"
