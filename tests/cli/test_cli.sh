#!/usr/bin/env bash
# Command-line contract: --help/--version, usage errors (exit 2), one-line errors
# that name the file, show on fresh/garbage/newer stores, merge without duplicates.
#   test_cli.sh EMUDIFF MKSTORE
set -u
emudiff=$1
mkstore=$2
. "$EMUDIFF_TEST_LIB/check.sh"

expect 0 "$emudiff" --version
grep -q -E '^emudiff [0-9]+\.[0-9]+' "$t/out" || fail "--version prints 'emudiff X.Y'"
expect 0 "$emudiff" --help
cp "$t/out" "$t/overview"
for c in collect import align stats report study show merge cflags; do
	grep -q "^   $c " "$t/overview" || fail "--help lists $c"
	expect 0 "$emudiff" "$c" --help
	grep -q -i 'usage' "$t/out" || fail "'$c --help' prints a usage text to stdout"
done
for c in "collect qemu" "collect hw" "collect hw-kvm" "collect console" "import perf-stat" "import perf-script" "import uftrace"; do
	expect 0 "$emudiff" $c --help
	grep -q -i 'usage' "$t/out" || fail "'$c --help' prints a usage text"
done
expect 2 "$emudiff"
expect 2 "$emudiff" frobnicate
grep -q "not an emudiff command: 'frobnicate'" "$t/err" || fail "unknown command named"
expect 2 "$emudiff" show
expect 2 "$emudiff" show nothing --db "$t/x.db"
expect 2 "$emudiff" show runs --no-such-option
expect 2 "$emudiff" collect teleport
expect 2 "$emudiff" import foo-csv x
expect 2 "$emudiff" cflags extra

# A store that is not there is an error (a mistyped path must not read as
# "no runs"); an empty file is an empty store. show creates nothing.
for v in runs regions findings; do
	expect 2 "$emudiff" show $v --json --db "$t/missing.db"
	[ "$(cat "$t/err")" = "error: $t/missing.db: no such store (run a collect or study first)" ] ||
		fail "show $v on a missing store: $(cat "$t/err")"
	[ ! -e "$t/missing.db" ] || fail "show created a store"
done
: >"$t/fresh.db"
for v in runs regions findings; do
	expect 0 "$emudiff" show $v --json --db "$t/fresh.db"
	[ "$(cat "$t/out")" = "[]" ] || fail "show $v --json on an empty store prints [] (got $(cat "$t/out"))"
done
[ ! -s "$t/fresh.db" ] || fail "show wrote into an empty store"

# Mistyped commands and options: one line with the closest name (git's manners), exit 2.
suggest() {
	local want=$1; shift
	expect 2 "$emudiff" "$@"
	grep -qxF "$want" "$t/err" || fail "'$*': wanted the line '$want', stderr: $(head -c 300 "$t/err")"
}
suggest "error: not an emudiff command: 'shwo'; did you mean 'show'? (see 'emudiff --help')" shwo
suggest "error: not an emudiff command: 'frobnicate' (see 'emudiff --help')" frobnicate
suggest "error: collect: unknown collector 'qmeu'; did you mean 'qemu'? (see 'emudiff collect --help')" collect qmeu
suggest "error: import: unknown format 'perfstat'; did you mean 'perf-stat'? (see 'emudiff import --help')" import perfstat
suggest "error: stats: unknown option '--tolerence'; did you mean '--tolerance'? (see 'emudiff stats --help')" \
	stats --tolerence 2 --db "$t/fresh.db"
suggest "error: stats: option '--tolerance' needs a value" stats --db "$t/fresh.db" --tolerance
suggest "error: collect hw: unknown option '--warmpu'; did you mean '--warmup'? (see 'emudiff collect hw --help')" \
	collect hw --warmpu 1 -- true

# Garbage and newer stores: one line naming the file, exit 2, file untouched.
echo "not a database" >"$t/garbage.db"
cp "$t/garbage.db" "$t/garbage.orig"
for c in "show runs" "show findings --json" "merge"; do
	if [ "$c" = merge ]; then
		expect 2 "$emudiff" merge --db "$t/garbage.db" "$t/garbage.db"
	else
		expect 2 "$emudiff" $c --db "$t/garbage.db"
	fi
	[ "$(wc -l <"$t/err")" = 1 ] || fail "'$c' on garbage: one-line error (got: $(cat "$t/err"))"
	grep -q "garbage.db" "$t/err" || fail "'$c' on garbage: error names the file"
done
cmp -s "$t/garbage.db" "$t/garbage.orig" || fail "garbage store was modified"

"$mkstore" "$t/new.db" wl 1 || fail "mkstore"
sqlite3 "$t/new.db" "PRAGMA user_version = 999" || fail "sqlite3"
sum() { cat "$1" "$1-wal" 2>/dev/null | cksum; }
before=$(sum "$t/new.db")
expect 2 "$emudiff" show runs --db "$t/new.db"
grep -q "newer" "$t/err" || fail "newer schema: says so ($(cat "$t/err"))"
[ "$(wc -l <"$t/err")" = 1 ] && grep -q "new.db" "$t/err" || fail "newer schema: one line naming the file ($(cat "$t/err"))"
[ "$(sum "$t/new.db")" = "$before" ] || fail "newer schema: the store was written"

# An older schema: the read-only commands (show, report) refuse it with one
# line saying how to migrate, exit 2, and leave the file as it was.
"$mkstore" "$t/old.db" wl 1 || fail "mkstore old"
current=$(sqlite3 "$t/old.db" "PRAGMA user_version") # a fresh store: this binary's schema
sqlite3 "$t/old.db" "PRAGMA user_version = 4" || fail "sqlite3"
before=$(sum "$t/old.db")
for c in "show runs" "show regions" "show findings --json" "show suite" "show costs" "report --out $t/old-report"; do
	expect 2 "$emudiff" $c --db "$t/old.db"
	[ "$(cat "$t/err")" = "error: $t/old.db: store schema version 4 is older than $current; open it once read-write (e.g. emudiff align) to migrate it" ] ||
		fail "'$c' on a schema 4 store: $(cat "$t/err")"
	[ ! -s "$t/out" ] || fail "'$c' on a schema 4 store printed: $(head -c 200 "$t/out")"
done
[ "$(sum "$t/old.db")" = "$before" ] || fail "older schema: a read-only command wrote the store"
[ ! -e "$t/old-report/index.html" ] || fail "older schema: report wrote pages"

# show on real data: JSON parses (sqlite's json_valid) and counts match.
"$mkstore" "$t/a.db" alpha 3 hw || fail "mkstore a"
"$mkstore" "$t/b.db" beta 2 qemu-user || fail "mkstore b"
expect 0 "$emudiff" show runs --json --db "$t/a.db"
[ "$(sqlite3 :memory: "SELECT json_valid(readfile('$t/out')), json_array_length(readfile('$t/out'))")" = "1|3" ] ||
	fail "show runs --json: 3 runs as valid JSON"
expect 0 "$emudiff" show runs --db "$t/a.db"
[ "$(grep -c ' alpha ' "$t/out")" = 3 ] || fail "show runs table lists 3 alpha runs"
head -n 1 "$t/out" | grep -q -E '^id +workload +platform' || fail "show runs table has a header"

# merge: runs from both stores, merging twice duplicates nothing.
expect 0 "$emudiff" merge --db "$t/m.db" "$t/a.db" "$t/b.db"
expect 0 "$emudiff" merge --db "$t/m.db" "$t/a.db" "$t/b.db"
grep -q "0 runs merged" "$t/out" || fail "second merge reports 0 runs"
[ "$(sqlite3 "$t/m.db" "SELECT count(*) FROM run")" = 5 ] || fail "merged store has 5 runs"
[ "$(sqlite3 "$t/m.db" "SELECT count(*) FROM mark")" = 15 ] || fail "merged store has 15 marks"
[ "$(sqlite3 "$t/m.db" "SELECT group_concat(name) FROM (SELECT name FROM workload ORDER BY name)")" = "alpha,beta" ] ||
	fail "merged store has both workloads"
[ "$(sqlite3 "$t/m.db" "SELECT count(*) FROM run r JOIN workload w ON w.id = r.workload_id WHERE w.name = 'beta' AND r.platform = 'qemu-user'")" = 2 ] ||
	fail "merged runs keep workload and platform"
expect 2 "$emudiff" merge --db "$t/m2.db" "$t/no-such.db"
grep -q "no-such.db" "$t/err" || fail "merge names a missing input"

# cflags points at a directory that holds emudiff/mark.h
expect 0 "$emudiff" cflags
inc=$(sed -E 's/^-I([^ ]+).*/\1/' "$t/out")
[ -f "$inc/emudiff/mark.h" ] || fail "cflags include dir holds emudiff/mark.h (got $(cat "$t/out"))"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)" >&2
	exit 1
fi
echo "cli: all checks passed"
