# check.sh - sourced by test scripts: a scratch directory $t (removed at exit),
# failures counted, and a command run for its exit code.
#
#   . "$EMUDIFF_TEST_LIB/check.sh"
#   expect 2 "$emudiff" collect hw -- ./foreign.elf
#   grep -q 'riscv64' "$t/err" || fail "the message names no machine"
#   finish

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0

# fail WHAT: counted; the test goes on, and finish ends it with exit 1
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# expect CODE CMD...: runs CMD, its stdout in $t/out and stderr in $t/err; a
# failure unless it exits CODE
expect() {
	local want=$1
	shift
	"$@" >"$t/out" 2>"$t/err"
	local got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want (stderr: $(head -c 400 "$t/err"))"
}

# finish: exit 1 after any failure, else "ok"
finish() {
	[ "$fails" = 0 ] || exit 1
	echo ok
}
