#!/bin/sh
# test_check.sh - `emudiff align --check` against objdump: the marker sites
# it lists (address and id) must be exactly the marker instructions in the
# disassembly, and --json must carry the same sites.
# usage: test_check.sh EMUDIFF ELF OBJDUMP MIN-SITES
set -eu
emudiff=$1 elf=$2 objdump=$3 min=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$emudiff" align --check "$elf" >"$tmp/out" 2>"$tmp/err"
# "0x1153   1  setup  phase_setup+0x4" -> "4435 1"
grep '^0x' "$tmp/out" | while read -r addr id rest; do
	echo "$((addr)) $id"
done | sort >"$tmp/ours"

# objdump lines: "    1153:	0f 1f 80 01 00 44 45 	nopl   0x45440001(%rax)"
#                "   10646:	00102013          	slti	zero,zero,1"
#   (llvm-objdump) "  210170: bf 02 80 f2  	movk	xzr, #21"
#   (llvm-objdump 19) "  2101b4: f28002bf     	movk	xzr, #0x15"
"$objdump" -d "$elf" | sed -n \
	-e 's/^ *\([0-9a-f]*\):.*nopl *0x4544\([0-9a-f]\{4\}\)(%rax).*$/\1 x\2/p' \
	-e 's/^ *\([0-9a-f]*\):.*slti[[:space:]]*zero,zero,\([0-9]*\)$/\1 \2/p' \
	-e 's/^ *\([0-9a-f]*\):.*movk[[:space:]]*xzr, #\(0x[0-9a-f]*\|[0-9]*\)$/\1 \2/p' |
while read -r addr id; do
	case $id in
	x*) id=$((0x${id#x})) ;;
	0x*) id=$((id)) ;;
	esac
	if [ "$id" -ge 1 ] && [ "$id" -le 2047 ]; then
		echo "$((0x$addr)) $id"
	fi
done | sort >"$tmp/objdump"

n=$(wc -l <"$tmp/ours")
if ! cmp -s "$tmp/ours" "$tmp/objdump"; then
	echo "FAIL: marker sites differ from objdump's (ours <, objdump >):"
	diff "$tmp/ours" "$tmp/objdump" || true
	exit 1
fi
if [ "$n" -lt "$min" ]; then
	echo "FAIL: only $n marker sites, expected at least $min"
	exit 1
fi
# the JSON form lists the same number of sites
"$emudiff" align --check "$elf" --json >"$tmp/json" 2>/dev/null
j=$(grep -o '"addr":' "$tmp/json" | wc -l)
if [ "$j" -ne "$n" ]; then
	echo "FAIL: --json lists $j sites, text lists $n"
	exit 1
fi
echo "$elf: $n marker sites, same as objdump"
