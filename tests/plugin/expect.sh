# expect.sh - assertions shared by the plugin's shell tests (sourced).
# Needs $db (the store) and $tmp (a scratch folder); counts into $failures.
failures=0

# expect SQL VALUE: the query's output must be exactly VALUE
expect() {
	local got
	got=$(sqlite3 "$db" "$1" 2>&1)
	if [ "$got" != "$2" ]; then
		echo "FAIL: $1"
		echo "  got:      $got"
		echo "  expected: $2"
		failures=$((failures + 1))
	fi
}

# expect_rc RC CMD...: exit status of CMD must be RC (output kept in $tmp/out, $tmp/err)
expect_rc() {
	local want=$1 rc
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: exit $rc, expected $want: $*"
		cat "$tmp/err"
		failures=$((failures + 1))
	fi
}
