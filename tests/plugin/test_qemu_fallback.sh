#!/bin/bash
# test_qemu_fallback.sh - a qemu-x86_64 on PATH without plugin support (as
# Debian 13's) gives way to the plugin-enabled qemu-x86_64 of the build's
# qemu-versions.txt, with one warning line naming both; the run counts as on
# that QEMU. One named by --qemu PATH is refused, the listed one suggested;
# with none listed, refused. A refusal stores nothing.
#   test_qemu_fallback.sh EMUDIFF PLUGIN FAKE-QEMU X86_USER VERSION=QEMU-X86_64...
# (the plugin-enabled qemu-x86_64 binaries, the default first; the fake's
# release is $FAKE_QEMU_VERSION)
set -u
emudiff=$1 plugin=$2 fake=$3 x86_user=$4
shift 4
[ $# -gt 0 ] || { echo "skip: no plugin-enabled qemu-x86_64"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (the command) not installed"; exit 1; }

tmp=$(mktemp -d /tmp/emudiff-fallback-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/expect.sh"
unset EMUDIFF_PLUGIN
# a copy of emudiff as in a build folder: BUILD/cli/emudiff, BUILD/qemu-plugins, BUILD/qemu-versions.txt
mkdir -p "$tmp/b/cli" "$tmp/bin"
cp "$emudiff" "$tmp/b/cli/emudiff"
ln -s "$(cd "$(dirname "$plugin")" && pwd)" "$tmp/b/qemu-plugins"
cp "$fake" "$tmp/bin/qemu-x86_64"
one_line() { [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -e "$1" "$tmp/err" ||
	{ echo "FAIL: want one line matching '$1', got: $(cat "$tmp/err")"; failures=$((failures + 1)); }; }
list() { # the list scripts/qemu-versions writes: the fake first, then the given QEMUs
	echo "# version path mode plugins (written by scripts/qemu-versions)"
	echo "10.0.13 $tmp/bin/qemu-x86_64 user no"
	for q in "$@"; do echo "${q%%=*} ${q#*=} user yes"; done
}
runs() { # DB VERSION: the store's run, on QEMU VERSION (x86_64_user exits 3: a failed run)
	db=$1
	expect "SELECT status || ' ' || exit_code || ' ' || json_extract(config_json, '$.qemu_version') FROM run" "failed 3 $2"
	expect "SELECT CAST(value AS INTEGER) FROM run_metric WHERE metric = 'insns'" "6034"
	expect "SELECT insns FROM mark WHERE seq = 1002" "6030"
}
export PATH="$tmp/bin:$PATH"
fake=$tmp/bin/qemu-x86_64
real=$(readlink -f "${1#*=}") v=${1%%=*}
tmp=$(readlink -f "$tmp")

# PATH's qemu-x86_64 (of a release not listed) has no plugins: the first listed
# plugin-enabled one runs, and says so
list "$@" >"$tmp/b/qemu-versions.txt"
FAKE_QEMU_VERSION=8.0.5 expect_rc 0 "$tmp/b/cli/emudiff" collect qemu --db "$tmp/a.db" --name x86 -- "$x86_user"
# (without the run's summary and the plugin's note on API functions the QEMU lacks)
grep -v -e '^run [0-9]*: ' -e '^warning: run [0-9]*: failed (exit status 3)$' -e '^emudiff plugin: ' "$tmp/err" >"$tmp/err.ours"; mv "$tmp/err.ours" "$tmp/err"
one_line "^warning: $fake: QEMU 8.0 without plugin support; using $real instead (listed in $tmp/b/qemu-versions.txt)$"
runs "$tmp/a.db" "$v"

# the listed QEMU of the refused one's release is preferred, wherever it is in the list
seen=
for q in "$@"; do
	qv=${q%%=*}
	case " $seen " in *" ${qv%.*} "*) continue ;; esac # the first of a release is taken
	seen="$seen ${qv%.*}"
	FAKE_QEMU_VERSION=$qv expect_rc 0 "$tmp/b/cli/emudiff" collect qemu --db "$tmp/v$qv.db" -- "$x86_user"
	grep -q "^warning: $fake: QEMU ${qv%.*} without plugin support; using $(readlink -f "${q#*=}") instead" "$tmp/err" ||
		{ echo "FAIL: QEMU $qv: not the listed $qv: $(cat "$tmp/err")"; failures=$((failures + 1)); }
	runs "$tmp/v$qv.db" "$qv"
done

# named by its path: refused, the listed one suggested
FAKE_QEMU_VERSION=8.0.5 expect_rc 2 "$tmp/b/cli/emudiff" collect qemu --db "$tmp/refused.db" --qemu "$fake" -- "$x86_user"
one_line "^error: $fake: QEMU 8.0 without plugin support (exports no qemu_plugin_\* functions); give --qemu $real (plugin-enabled, listed in $tmp/b/qemu-versions.txt)$"
[ ! -e "$tmp/refused.db" ] || { echo "FAIL: a store was created for a QEMU refused"; failures=$((failures + 1)); }

# nothing plugin-enabled listed (or no list): refused as before
for l in fake-only none; do
	if [ $l = none ]; then rm -f "$tmp/b/qemu-versions.txt"; else list >"$tmp/b/qemu-versions.txt"; fi
	expect_rc 2 "$tmp/b/cli/emudiff" collect qemu --db "$tmp/refused.db" -- "$x86_user"
	one_line "^error: $fake: QEMU 10.0 without plugin support (exports no qemu_plugin_\* functions); use a plugin-enabled QEMU"
	[ ! -e "$tmp/refused.db" ] || { echo "FAIL: $l: a store was created for a QEMU refused"; failures=$((failures + 1)); }
done
# a listed path that is gone, or another binary's name, is no alternative
{ list; echo "$v $tmp/gone/qemu-x86_64 user yes"; echo "$v ${real%/*}/qemu-riscv64 user yes"; } >"$tmp/b/qemu-versions.txt"
expect_rc 2 "$tmp/b/cli/emudiff" collect qemu --db "$tmp/refused.db" -- "$x86_user"
one_line "use a plugin-enabled QEMU"

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all fallback checks passed"
