#!/usr/bin/env bash
# collect console on boot logs with planted logger times (data/README): each
# stage's time is the logger's time of its first line, stored as
# boot_<stage>_ns (until_console_ns for --until-console), per run of the log;
# --stage adds a stage or replaces a known one's pattern; lines without a
# logger time give no stage time; bad --stage words are refused.
#   test-console-boot.sh EMUDIFF DATADIR
set -u
emudiff=$1
data=$2
. "$EMUDIFF_TEST_LIB/check.sh"
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3 CLI"; exit 77; }
db=$t/b.db
q() { sqlite3 "$db" "$@"; }
# run_id:metric=value of the boot metrics, in order
boot() { q "SELECT group_concat(run_id || ':' || metric || '=' || CAST(value AS INT), ' ') FROM (SELECT * FROM run_metric
	WHERE metric LIKE 'boot%' OR metric = 'until_console_ns' ORDER BY run_id, value)"; }

# grabserial -t, two boots: known stages, a stage of one's own (mmc, first boot only), the console string
expect 0 "$emudiff" collect console --db "$db" --name board --log "$data/console-boot-grabserial.log" \
	--stage 'mmc=Loading kernel from (MMC|mmc)' --until-console 'Machine model'
[ "$(boot)" = "1:boot_spl_ns=4100000 1:boot_opensbi_ns=101000000 1:boot_uboot_ns=350250000 1:boot_mmc_ns=1200000000 1:boot_linux_ns=1750000000 1:until_console_ns=1760000000 1:boot_init_ns=3141593000 2:boot_spl_ns=4200000 2:boot_opensbi_ns=102000000 2:boot_uboot_ns=352000000 2:boot_linux_ns=1760000000 2:until_console_ns=1770000000 2:boot_init_ns=3150000000" ] ||
	fail "grabserial stages: $(boot)"
[ "$(q "SELECT group_concat(status || '/' || exit_code, ' ') FROM run")" = "ok/0 ok/0" ] || fail "two ok runs"
[ "$(q "SELECT json_extract(config_json, '\$.until_console') || ' ' || json_extract(config_json, '\$.stages.mmc') FROM run WHERE id = 1")" = \
	"Machine model Loading kernel from (MMC|mmc)" ] || fail "config_json: $(q 'SELECT config_json FROM run WHERE id = 1')"
grep -q '^run 1: console board rep 0: 2 marks, exit 0, boot stages: spl, opensbi, uboot, linux, init, mmc, console$' "$t/err" ||
	fail "run line: $(cat "$t/err")"
# the marks keep their own times (ticks), untouched by the logger's
[ "$(q "SELECT group_concat(time_ns, ' ') FROM mark WHERE run_id = 1")" = "0 100000000" ] || fail "mark times"

# moreutils ts -s %.s, no @emudiff lines: one run of stages; a known stage's pattern replaced
rm -f "$db"
expect 0 "$emudiff" collect console --db "$db" --name ts --log "$data/console-boot-ts.log" --until-console 'Starting kernel'
[ "$(boot)" = "1:boot_spl_ns=12345000 1:boot_opensbi_ns=250000000 1:boot_uboot_ns=812000000 1:until_console_ns=1500000000" ] ||
	fail "ts stages: $(boot)"
[ "$(q "SELECT status || ' ' || (exit_code IS NULL) FROM run")" = "ok 1" ] || fail "a boot-only run: ok, exit unknown"
rm -f "$db"
expect 0 "$emudiff" collect console --db "$db" --name ts --log "$data/console-boot-ts.log" --stage 'uboot=Hit any key'
[ "$(boot)" = "1:boot_spl_ns=12345000 1:boot_opensbi_ns=250000000 1:boot_uboot_ns=812500000" ] ||
	fail "uboot's pattern replaced: $(boot)"

# tio's [HH:MM:SS.mmm] since its start
rm -f "$db"
expect 0 "$emudiff" collect console --db "$db" --name tio --log "$data/console-boot-tio.log"
[ "$(boot)" = "1:boot_opensbi_ns=250000000 1:boot_uboot_ns=1500000000 1:boot_linux_ns=62125000000" ] ||
	fail "tio stages: $(boot)"

# no logger times: a marked log is stored without stage times, silently unless boot latency
# was asked for, then saying which stages had none; a boot log without markers and times is refused
rm -f "$db"
expect 0 "$emudiff" collect console --db "$db" --name hermit --log "$data/console-boot.log"
grep -q "boot stage" "$t/err" && fail "a note on boot stages nobody asked for: $(cat "$t/err")"
expect 0 "$emudiff" collect console --db "$db" --name hermit --log "$data/console-boot.log" --until-console 'hermit: booting'
grep -q "console-boot.log: boot stage lines (opensbi, init, console) without a logger time" "$t/err" ||
	fail "untimed note: $(cat "$t/err")"
[ -z "$(boot)" ] || fail "stage times from untimed lines: $(boot)"
expect 2 "$emudiff" collect console --db "$db" --name untimed --log "$data/console-boot-untimed.log"
[ "$(wc -l <"$t/err")" = 1 ] && grep -q "console-boot-untimed.log: no @emudiff lines, and its boot stage lines have no logger time" "$t/err" ||
	fail "untimed boot log: $(cat "$t/err")"
[ "$(q "SELECT count(*) FROM workload WHERE name = 'untimed'")" = 0 ] || fail "untimed log stored"

# bad --stage words: exit 2, one line naming the word, nothing stored
rm -f "$db"
for spec in 'nameonly' 'Bad=x' '=x' 'a=' 'a=(' 'console=x' "$(printf 'x%.0s' $(seq 33))=y"; do
	expect 2 "$emudiff" collect console --db "$db" --log "$data/console-boot-ts.log" --stage "$spec"
	[ "$(wc -l <"$t/err")" = 1 ] && grep -qF -- "error: --stage $spec:" "$t/err" || fail "--stage '$spec': $(cat "$t/err")"
done
expect 2 "$emudiff" collect console --db "$db" --log "$data/console-boot-ts.log" --stage 'a=x' --stage 'a=y'
grep -q "error: --stage a=y: stage 'a' is given twice" "$t/err" || fail "twice: $(cat "$t/err")"
[ ! -e "$db" ] || fail "a store was made for bad --stage words"
expect 2 "$emudiff" collect qemu --db "$db" --stage 'a=x' -- /bin/true
grep -q -- "--stage needs --system" "$t/err" || fail "collect qemu --stage without --system: $(cat "$t/err")"

[ $fails = 0 ] || exit 1
echo "console boot stages: ok"
