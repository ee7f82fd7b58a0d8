#!/usr/bin/env bash
# test_help_pages.sh EMUDIFF SRCDIR [--update]
#
# The manual's command pages (docs/emudiff*.md) embed each command's `--help` output
# between a marker line and a fenced block:
#
#   <!-- help: emudiff stats -->
#   ```
#   ...exactly what `emudiff stats --help` prints...
#   ```
#
# This test fails when a block and the command's output differ (byte for byte), and
# when a command of the command tables (cli/emudiff.c, and the tables of subcommands
# in cli/cmd_<command>.c) has no page, no help block on its page, no row in the
# command list of docs/emudiff.md, or no man page in docs/meson.build.
#
# With --update it rewrites every block from the command's current output instead
# (run it after changing a usage text: bash tests/cli/test_help_pages.sh
# build/cli/emudiff . --update), then checks.
set -u
emudiff=$1
src=$2
update=${3:-}
docs=$src/docs
fail=0
bad() { printf 'FAIL: %s\n' "$*"; fail=1; }

# help_of "emudiff collect qemu": the command's --help on stdout; its exit status must be 0
help_of() {
	local words
	read -r -a words <<<"${1#emudiff}"
	"$emudiff" "${words[@]}" --help
}

# 1. every help block equals the command's output
shopt -s nullglob
pages=("$docs"/*.md)
[ ${#pages[@]} -gt 0 ] || { echo "FAIL: no pages in $docs"; exit 1; }
blocks=0
for page in "${pages[@]}"; do
	grep -q '^<!-- help: .* -->$' "$page" || continue
	if [ "$update" = "--update" ]; then
		tmp=$(mktemp)
		# Replace the fenced block after each marker with the current output.
		while IFS= read -r line; do
			printf '%s\n' "$line"
			if [[ $line =~ ^'<!-- help: '(.*)' -->'$ ]]; then
				cmd=${BASH_REMATCH[1]}
				IFS= read -r fence
				[ "$fence" = '```' ] || { bad "$page: '$cmd': no fenced block after the marker"; printf '%s\n' "$fence"; continue; }
				while IFS= read -r old && [ "$old" != '```' ]; do :; done
				printf '```\n'
				help_of "$cmd" || bad "$page: '$cmd --help' exited non-zero"
				printf '```\n'
			fi
		done <"$page" >"$tmp"
		cmp -s "$tmp" "$page" || { cat "$tmp" >"$page"; echo "updated $page"; }
		rm -f "$tmp"
	fi
	while IFS= read -r cmd; do
		blocks=$((blocks + 1))
		# the block: the lines between the fence after the marker and the next fence
		want=$(mktemp)
		got=$(mktemp)
		awk -v m="<!-- help: $cmd -->" '
			$0 == m { st = 1; next }
			st == 1 { if ($0 != "```") { exit 3 } st = 2; next }
			st == 2 { if ($0 == "```") { exit 0 } print }
		' "$page" >"$want"
		case $? in
		3) bad "$(basename "$page"): '$cmd': the marker is not followed by a \`\`\` line"; continue ;;
		esac
		if ! help_of "$cmd" >"$got" 2>/dev/null; then
			bad "$(basename "$page"): '$cmd --help' exited non-zero"
		elif ! cmp -s "$want" "$got"; then
			bad "$(basename "$page"): the block of '$cmd' differs from '$cmd --help' (< page, > command);" \
				"update it: bash tests/cli/test_help_pages.sh $emudiff $src --update"
			diff "$want" "$got" | head -20
		fi
		rm -f "$want" "$got"
	done < <(sed -n 's/^<!-- help: \(.*\) -->$/\1/p' "$page")
done
[ $blocks -gt 0 ] || bad "no help blocks found in $docs"

# 2. every command of the command tables has a page, a help block, a row in the list and a man page
top=$(sed -n 's/^[[:space:]]*{ *"\([a-z0-9-]*\)", *cmd_\([a-z0-9_]*\),.*/\1 \2/p' "$src/cli/emudiff.c")
[ -n "$top" ] || bad "no command table found in cli/emudiff.c"
commands=()
while read -r name fn; do
	subs=$(sed -n "s/^[[:space:]]*{ *\"\([a-z0-9-]*\)\", *cmd_${fn}_[a-z0-9_]* *}.*/\1/p" "$src/cli/cmd_$fn.c" 2>/dev/null)
	if [ -n "$subs" ]; then
		for s in $subs; do commands+=("$name $s"); done
	else
		commands+=("$name")
	fi
done <<<"$top"
for c in "${commands[@]}"; do
	p=emudiff-${c// /-}
	if [ ! -f "$docs/$p.md" ]; then
		bad "'emudiff $c' has no page docs/$p.md"
		continue
	fi
	grep -qx "<!-- help: emudiff $c -->" "$docs/$p.md" || bad "docs/$p.md has no help block of 'emudiff $c'"
	grep -q "^| \`emudiff $c\` | \[$p\]($p.md) |" "$docs/emudiff.md" ||
		bad "docs/emudiff.md: the command list has no row for 'emudiff $c'"
	grep -q "'$p'" "$docs/meson.build" || bad "docs/meson.build: no man page for $p"
done
echo "checked $blocks help blocks and ${#commands[@]} commands"
exit $fail
