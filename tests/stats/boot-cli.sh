#!/bin/sh
# boot-cli.sh EMUDIFF TEST_STATS_BOOT DIR - the planted boot store of
# test_boot.c (board: OpenSBI 100 ms under QEMU vs 50 ms on the board, x2;
# kvm: 3 s vs 1 s under KVM, x3; alone: QEMU only, 90 ms; ...) through the
# command line: `emudiff stats`'s summary line, `emudiff show boot` (table
# and JSON), the workload page's Boot table and the index's list, and the
# study's closing lines, the same numbers in each.
set -eu
emudiff=$1 gen=$2 dir=$3
db=$dir/boot.db
out=$dir/boot-cli
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$dir"
"$gen" "$dir" >/dev/null || fail "planting the store"
"$emudiff" stats --db "$db" --resamples 1000 >"$out.stats" 2>/dev/null || fail "stats"
grep -qx 'stats: 3 booted workloads, 9 boot latencies compared, 5 beyond the tolerance (emudiff show boot)' \
	"$out.stats" || fail "summary line: $(cat "$out.stats")"
grep -q 'server workloads' "$out.stats" && fail "boot rows counted as servers: $(cat "$out.stats")"
"$emudiff" show boot --db "$db" --workload board >"$out.table" || fail "show boot"
grep -q '^board  *opensbi  *OpenSBI  *qemu-system  *5  *100 ms \[98.[0-9], 10[01]\]$' "$out.table" ||
	fail "opensbi under QEMU: $(cat "$out.table")"
grep -q '^board  *opensbi  *OpenSBI  *console  *5  *50.0 ms \[49.[0-9], 50.[0-9]\]$' "$out.table" ||
	fail "opensbi on the board: $(cat "$out.table")"
grep -q '^board  *spl  *U-Boot SPL  *console  *5  *10.0 ms \[9.[0-9]*, 10.[0-9]*\]$' "$out.table" ||
	fail "spl (board only): $(cat "$out.table")"
grep -q '^board  *console  *login:  *qemu-system  *5  *2.00 s \[1.[0-9]*, 2.[0-9]*\]$' "$out.table" ||
	fail "console string: $(cat "$out.table")"
grep -q '^board  *linux  *qemu-system/console  *5/5  *1.50 s \[1.49, 1.51\]  *500 ms \[49[0-9], 50[0-9]\]  *3.00 \[2.9[0-9], 3.0[0-9]\]  *overestimates  *emulation overestimates boot_linux_ns: 1.50 s \[1.49, 1.51\] under qemu-system vs 500 ms' "$out.table" ||
	fail "linux row: $(cat "$out.table")"
grep -q '^board  *init .* inconclusive  *not informative: boot_init_ns is 1.80 s in every qemu-system run' "$out.table" ||
	fail "init row: $(cat "$out.table")"
grep -q '^Under TCG without -icount' "$out.table" || fail "no word on what an emulated boot time is: $(cat "$out.table")"
# stages in boot order, each platform's rows together
[ "$(awk '$1 == "board" && / console  +5  / { printf "%s ", $2 }' "$out.table")" = \
	"spl opensbi uboot kernel_load linux init console " ] || fail "order: $(cat "$out.table")"
"$emudiff" show boot --db "$db" --json >"$out.json" || fail "show boot --json"
grep -q '^{"stages":\[{"workload":"alone","stage":"opensbi","until":"OpenSBI","metric":"boot_opensbi_ns","platform":"qemu-system","n":3,"mean":90000000.0,' "$out.json" ||
	fail "json stages: $(head -c 300 "$out.json")"
grep -q '"compare":\[{"workload":"board","stage":"opensbi","metric":"boot_opensbi_ns","emu_platform":"qemu-system","hw_platform":"console","n_emu":5,"n_hw":5,"emu":100000000.0,' "$out.json" ||
	fail "json compare: $(cat "$out.json")"
[ "$(grep -o '"verdict":"[a-z]*"' "$out.json" | sort | uniq -c | tr -s ' ' | tr '\n' ';')" = \
	' 1 "verdict":"agrees"; 3 "verdict":"inconclusive"; 5 "verdict":"overestimates";' ] ||
	fail "verdicts: $(cat "$out.json")"
"$emudiff" show servers --db "$db" | grep -qx 'no servers' || fail "boot rows under show servers"
# --boot-console's boot_ns is the stage 'boot', named by its string
"$emudiff" show boot --db "$db" --workload kvm >"$out.kvm" || fail "show boot --workload kvm"
grep -q '^kvm  *boot  *init reached  *hw-kvm  *5  *1.20 s \[1.1[0-9], 1.2[0-9]\]$' "$out.kvm" || fail "boot_ns: $(cat "$out.kvm")"
grep -q '^kvm  *boot  *qemu-system/hw-kvm  *5/5  *2.40 s .* 2.00 \[1.9[0-9], 2.0[0-9]\]  *overestimates ' "$out.kvm" ||
	fail "boot_ns compared: $(cat "$out.kvm")"
# the workload page: the Boot table, one row per stage (the same numbers), and the index
rm -rf "$dir/boot-report"
"$emudiff" report -q --db "$db" --out "$dir/boot-report" >/dev/null || fail "report"
page=$dir/boot-report/board/index.html
grep -q '<h2 id="boot">Boot</h2>' "$page" || fail "no Boot section"
grep -q 'without <code>-icount</code> emulation.s time is this host.s speed' "$page" || fail "no TCG note on the page"
row=$(sed -n 's/<[^>]*>/|/g; /^||Linux version|/p' "$page")
case $row in
*'|1.50 s [1.49, 1.51]||qemu-system|||500 ms [49'[0-9]', 50'[0-9]']||console|||3.00 |[2.9'[0-9]', 3.0'[0-9]']||||overestimates|||5 / 5||emulation overestimates boot_linux_ns:'*) ;;
*) fail "page row: $row" ;;
esac
[ "$(sed -n '/<h2 id="boot">/,/<\/table>/p' "$page" | grep -c '^<tr><td>')" = 7 ] || fail "7 stage rows on the page"
grep -q '<li><a href="kvm/index.html#boot">kvm</a>: until &#39;login:&#39; 3.00 s \[2.9[0-9], 3.0[0-9]\] under QEMU, 1.00 s \[0.99, 1.0[0-9]\] under KVM: QEMU overestimates x3.00 \[2.9[0-9], 3.0[0-9]\]</li>' \
	"$dir/boot-report/index.html" || fail "index: $(grep -a 'boot' "$dir/boot-report/index.html")"
# the study's closing lines: one per booted workload
printf '[study]\nplatforms = hw\n[workload board]\nbinary = /bin/true\n' >"$dir/boot.ini"
"$emudiff" study "$dir/boot.ini" --db "$db" --out "$dir/boot-study" --analyze-only >"$out.study" 2>/dev/null ||
	fail "study --analyze-only"
grep -qx "boot kvm: until 'login:' 3.00 s \[2.9[0-9], 3.0[0-9]\] under QEMU, 1.00 s \[0.99, 1.0[0-9]\] under KVM: QEMU overestimates x3.00 \[2.9[0-9], 3.0[0-9]\]" "$out.study" ||
	fail "kvm line: $(cat "$out.study")"
grep -qx "boot alone: until 'OpenSBI' 90.0 ms \[80.0, 100\] under QEMU: no hardware side" "$out.study" ||
	fail "alone line: $(cat "$out.study")"
grep -qx "boot board: until 'login:' 2.00 s \[1.[0-9]*, 2.[0-9]*\] under QEMU, 2.50 s \[2.50, 2.50\] on the board: inconclusive x0.80 \[0.7[0-9], 0.8[0-9]\]" "$out.study" ||
	fail "board line: $(cat "$out.study")"
grep -qx "boot onerun: until 'OpenSBI' 101 ms under QEMU, 50.0 ms on the board: inconclusive x2.02 (needs at least 2 runs per side)" "$out.study" ||
	fail "onerun line: $(cat "$out.study")"
[ "$(grep -c '^boot ' "$out.study")" = 4 ] || fail "one line per booted workload: $(cat "$out.study")"
echo "boot-cli: ok"
