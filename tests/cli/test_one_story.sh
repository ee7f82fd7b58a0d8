#!/usr/bin/env bash
# test_one_story.sh EMUDIFF SCALE_GEN - one story in the terminal, `show` and the
# report (#22): on a planted study (region 8 of each workload costs 3x on
# hardware) every region's primary finding has the same factor, CI and verdict
# in `show findings` (table and JSON) and on the report's workload page; the
# counts of `stats`, `report` and the index page agree; run metrics are shown
# exactly (`show metrics`, table and JSON); hints follow the store's state.
set -u
emudiff=$1 gen=$2
command -v sqlite3 >/dev/null 2>&1 || { echo "skip: sqlite3 (the command) not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

"$gen" "$t/s.db" --workloads 2 --runs 8 --regions 20 --resamples 200 --no-align >/dev/null || { echo "cannot plant"; exit 1; }
"$emudiff" stats --db "$t/s.db" --resamples 500 >"$t/stats" 2>"$t/stats.err" || fail "stats: $(cat "$t/stats.err")"
"$emudiff" show findings --db "$t/s.db" >"$t/show" || fail "show findings"
"$emudiff" show findings --db "$t/s.db" --json >"$t/show.json" || fail "show findings --json"
"$emudiff" report -q --db "$t/s.db" --out "$t/r" >"$t/report" || fail "report"

python3 - "$t" <<'PY' || fail "the three outputs differ"
import html, json, re, sys
t = sys.argv[1]
bad = []
stats = open(t + "/stats").read()
m = re.match(r"stats: (\d+) workloads, (\d+) regions compared, (\d+) findings, (\d+) regions flagged;", stats)
if not m:
    sys.exit("stats line: " + stats)
w, regions, findings, flagged = map(int, m.groups())
rows = json.load(open(t + "/show.json"))
primary = [r for r in rows if r["primary"]]
flagged_json = [r for r in primary if r["verdict"] in ("underestimates", "overestimates")]
if (len(primary), len(rows), len(flagged_json)) != (regions, findings, flagged):
    bad.append("show --json: %d primary, %d findings, %d flagged; stats says %d, %d, %d" %
               (len(primary), len(rows), len(flagged_json), regions, findings, flagged))
if (regions, flagged) != (40, 2):
    bad.append("planted: 40 regions compared, 2 flagged; got %d, %d" % (regions, flagged))
for r in primary:
    if (r["predictor"], r["baseline"]) != ("insns", "share"):
        bad.append("primary of %s %s is %s/%s" % (r["workload"], r["region"], r["predictor"], r["baseline"]))
rep = open(t + "/report").read()
if not re.match(r"report: %d workloads, %d regions compared, %d findings," % (w, regions, findings), rep):
    bad.append("report line: " + rep)
idx = re.sub(r"<[^>]*>", " ", open(t + "/r/index.html").read())
for n, label in ((regions, "regions compared"), (flagged, "regions flagged"), (findings, "findings")):
    if not re.search(r"\b%d\s+%s\b" % (n, label), idx):
        bad.append("index card %d %s missing" % (n, label))
# the table: each primary row (marked *) against the report's region row
table = {}
lines = open(t + "/show").read().splitlines()
starts = [x.start() for x in re.finditer(r"\S+", lines[0])]
names = lines[0].split()
for line in lines[1:]:
    c = dict(zip(names, (line[a:b].strip() for a, b in zip(starts, starts[1:] + [None]))))
    if c.get("primary") == "*":
        lo_hi = re.match(r"\[(\S+), (\S+)\]", c["ci"])
        table[(c["workload"], c["region"])] = (c["factor"], lo_hi.group(1), lo_hi.group(2), c["verdict"])
if len(table) != regions:
    bad.append("show table: %d primary rows, want %d" % (len(table), regions))
import glob
for path in glob.glob(t + "/r/*/index.html"):
    wname = html.unescape(re.search(r"<h1>([^<]*)</h1>", open(path).read()).group(1))
    for tr in re.findall(r"<tr id=\"r\d+\"[^>]*>(.*?)</tr>", open(path).read()):
        cells = [html.unescape(re.sub(r"<[^>]*>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        key, factor_ci, verdict = cells[2], cells[6], cells[7]
        want = table.get((wname, key))
        if not want:
            continue
        got = re.match(r"(\S+) \[(\S+), (\S+)\]", factor_ci)
        if not got or got.groups() != want[:3] or verdict != want[3]:
            bad.append("%s %s: report %r %s, show %s" % (wname, key, factor_ci, verdict, want))
        table.pop((wname, key))
if table:
    bad.append("regions not on the report: %s" % sorted(table)[:3])
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY

# run metrics, exactly (a boot's latency to its console string, unattributed instructions)
sqlite3 "$t/s.db" "UPDATE workload SET elf_path = NULL WHERE id = 1;
	INSERT INTO run_metric (run_id, metric, value) SELECT min(id), 'until_console_ns', 2165822827 FROM run WHERE workload_id = 1;
	INSERT INTO run_metric (run_id, metric, value) SELECT min(id), 'insns_unattributed', 596918467 FROM run WHERE workload_id = 1;"
run=$(sqlite3 "$t/s.db" "SELECT min(id) FROM run WHERE workload_id = 1")
wname=$(sqlite3 "$t/s.db" "SELECT name FROM workload WHERE id = 1")
plat=$(sqlite3 "$t/s.db" "SELECT platform || ' ' || rep || ' ' || status FROM run WHERE id = $run")
"$emudiff" show metrics --db "$t/s.db" --workload "$wname" >"$t/metrics" || fail "show metrics"
grep -qx "$wname  *$run  *${plat// /  *}  *insns_unattributed  *596918467  *no ELF given, so no symbols: collect with --elf F (an ELF with symbols of the code run) to attribute them" "$t/metrics" ||
	fail "show metrics, unattributed: $(cat "$t/metrics")"
grep -qx "$wname  *$run  *${plat// /  *}  *until_console_ns  *2165822827  *boot latency: host ns until the console string" "$t/metrics" ||
	fail "show metrics, boot latency: $(cat "$t/metrics")"
"$emudiff" show metrics --db "$t/s.db" --workload "$wname" --json >"$t/metrics.json" || fail "show metrics --json"
python3 - "$t/metrics.json" "$run" <<'PY' || fail "show metrics --json: $(head -c 400 "$t/metrics.json")"
import json, sys
rows = [r for r in json.load(open(sys.argv[1])) if r["run"] == int(sys.argv[2])]
byname = {r["metric"]: r for r in rows}
assert byname["until_console_ns"]["value"] == 2165822827, byname
assert byname["insns_unattributed"]["value"] == 596918467, byname
assert byname["until_console_ns"]["note"] == "boot latency: host ns until the console string"
PY

# ... and on the report's workload page, with what they mean
"$emudiff" report -q --db "$t/s.db" --out "$t/r3" --workload "$wname" >/dev/null || fail "report with run metrics"
sed 's/<[^>]*>/ /g; s/  */ /g' "$t/r3/$wname/index.html" >"$t/r3.txt"
grep -q "^ until_console_ns ${plat%% *} 1 2.17e+09 2.17e+09 2.17e+09 – boot latency: host ns until the console string $" "$t/r3.txt" ||
	fail "boot latency on the page: $(grep -a until_console "$t/r3.txt")"
grep -q "insns_unattributed .* no ELF given, so no symbols" "$t/r3.txt" || fail "unattributed explained on the page"

# hints that are true: without hardware runs, no "align" hint, the real reason instead
sqlite3 "$t/s.db" "PRAGMA foreign_keys = ON; DELETE FROM run WHERE platform NOT IN ('qemu-user', 'qemu-system')"
"$emudiff" stats --db "$t/s.db" --resamples 200 >"$t/stats2" 2>"$t/stats2.err" || fail "stats without hardware"
grep -q "there is no hardware side" "$t/stats2.err" || fail "stats hint: $(cat "$t/stats2.err")"
! grep -q "align" "$t/stats2.err" || fail "stale align hint: $(cat "$t/stats2.err")"
"$emudiff" report -q --db "$t/s.db" --out "$t/r2" >/dev/null || fail "report without hardware"
page=$(ls "$t"/r2/*/index.html | head -1)
grep -q "No region compared: there is no hardware side" "$page" || fail "page hint: $(grep -o 'Verdict</h2>.\{0,300\}' "$page")"
! grep -q "run <code>emudiff align</code>" "$page" || fail "stale align hint on the page"
[ "$fails" = 0 ] && echo ok
exit $((fails > 0))
