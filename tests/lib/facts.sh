# facts.sh - sourced by test scripts: the machine's facts (tests/lib/machine-facts.c)
# as shell variables, and one way to skip.
#
#   . "$EMUDIFF_TEST_LIB/facts.sh"
#   [ "$kvm" = runs-guest ] || skip "KVM runs no guest here ($kvm_why)"
#
# A test that depends on a fact reads it here and asserts what that fact calls
# for, or skips with one line naming the missing fact. .ci/run and scripts/test
# collect those lines into their summary.

# skip REASON: meson's "skipped" exit code, with the reason as the last line.
skip() {
	echo "skip: $*"
	exit 77
}

if [ -z "${EMUDIFF_FACTS:-}" ] || [ ! -x "$EMUDIFF_FACTS" ]; then
	echo "facts.sh: EMUDIFF_FACTS does not name the machine-facts program (run through meson test)" >&2
	exit 99
fi
eval "$("$EMUDIFF_FACTS")" || { echo "facts.sh: $EMUDIFF_FACTS failed" >&2; exit 99; }
