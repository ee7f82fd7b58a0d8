#!/bin/sh
# threads-cli.sh EMUDIFF TEST_THREADS PYTHON3 DIR MARKED_ELF - the threads of test_threads'
# planted store through the command line: `emudiff align` says how many threads
# have regions, `emudiff show threads` (table and JSON) and the report's
# workload page show the hand-worked numbers of test_threads.c, and a
# single-threaded workload gets no threads section.
set -eu
emudiff=$1 gen=$2 python=$3 dir=$4 elf=$5
dir=$dir/threads-cli
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
KEEP=1 "$gen" "$dir" "$elf" >/dev/null || fail "planting the store (test_threads)"
db=$dir/threads.db

# align and stats again, from the command line: the same store
"$emudiff" align --db "$db" --workload thr >"$dir/align.out" || fail "align"
grep -qx 'thr: 5 marker regions on 3 threads from reference run 1 (8 markers); 4 runs: 4 identical, 0 aligned with gaps, 0 without marker regions' "$dir/align.out" ||
	fail "align's line: $(cat "$dir/align.out")"
"$emudiff" align --db "$db" --workload solo >"$dir/align.out" || fail "align solo"
grep -q '^solo: 2 marker regions from reference run [0-9]* (3 markers); 4 runs:' "$dir/align.out" ||
	fail "align's line for one thread: $(cat "$dir/align.out")"
"$emudiff" stats --db "$db" >/dev/null || fail "stats"

# the table: the threads of each run, then shares, then imbalance (whole run first, flagged next)
"$emudiff" show threads --db "$db" --workload thr >"$dir/table" || fail "show threads"
grep -qx 'thr  *1  *qemu-user  *0  *ok  *1  *thread  *101  *3  *insns=2000' "$dir/table" || fail "run 1 thread 1: $(cat "$dir/table")"
grep -qx 'thr  *4  *hw  *1  *ok  *2  *thread  *4002  *2  *time_ns=1000' "$dir/table" || fail "run 4 thread 2: $(cat "$dir/table")"
grep -qx 'thr  *1  *insns/time_ns  *50.0% \[50.0, 50.0\]  *25.0% \[25.0, 25.0\]  *0.50 \[0.50, 0.50\]  *overestimates' "$dir/table" ||
	fail "thread 1's share: $(cat "$dir/table")"
sed -n '/^imbalance across threads/,$p' "$dir/table" | sed -n 3p |
	grep -qx 'thr  *(whole run)  *3  *insns/time_ns  *1.50 \[1.50, 1.50\] t1  *1.12 \[1.12, 1.50\] t0  *0.75 \[0.75, 1.00\]  *inconclusive' ||
	fail "whole run first: $(cat "$dir/table")"
sed -n '/^imbalance across threads/,$p' "$dir/table" | sed -n 4p |
	grep -q '^thr  *m:2->3#1  *2  .* 1.60 \[1.50, 1.67\]  *underestimates$' || fail "flagged next: $(cat "$dir/table")"
"$emudiff" show threads --db "$db" --workload solo >"$dir/solo" || fail "show threads solo"
[ "$(grep -c '^no ' "$dir/solo")" = 3 ] || fail "one thread: $(cat "$dir/solo")"

# JSON, parsed
"$emudiff" show threads --db "$db" --json >"$dir/json" || fail "show threads --json"
"$python" - "$dir/json" <<'EOF' || fail "show threads --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d) == ["imbalance", "shares", "threads"], list(d)
th = [t for t in d["threads"] if t["workload"] == "thr"]
assert len(th) == 12, th
t = [t for t in th if t["run"] == 3 and t["thread"] == 2][0]
assert t == {"workload": "thr", "run": 3, "platform": "hw", "rep": 0, "status": "ok", "thread": 2,
             "kind": "thread", "os_id": 4002, "hits": 2, "totals": {"time_ns": 2000.0}}, t
assert {t["workload"] for t in d["threads"]} == {"thr", "loops", "ab-a", "ab-b"}, "solo has one thread"
sh = {s["thread"]: s for s in d["shares"]}
assert (sh[0]["hw_share"], sh[0]["hw_lo"], sh[0]["hw_hi"]) == (0.375, 0.25, 0.5), sh[0]
assert (sh[1]["factor"], sh[1]["verdict"]) == (0.5, "overestimates"), sh[1]
assert sh[2]["emu_share"] == 0.25 and sh[2]["n_emu"] == 2 and sh[2]["n_hw"] == 2, sh[2]
imb = [i for i in d["imbalance"] if i["workload"] == "thr"]
assert imb[0]["region"] is None and imb[0]["hw_imbalance"] == 1.125 and imb[0]["hw_max_thread"] == 0, imb[0]
r = [i for i in imb if i["region"] == "m:2->3#1" and i["emu_metric"] == "insns"][0]
assert (r["threads"], r["emu_imbalance"], r["hw_imbalance"], r["hw_lo"], r["verdict"]) == \
    (2, 1.0, 1.6, 1.5, "underestimates"), r
assert abs(r["hw_hi"] - 5 / 3) < 1e-12 and abs(r["ci_hi"] - 5 / 3) < 1e-12, r
EOF

# the report: a threads section on the threaded workload's page, none on the other
rm -rf "$dir/report"
"$emudiff" report -q --db "$db" --out "$dir/report" >/dev/null || fail "report"
"$python" - "$dir/report/thr/index.html" "$dir/report/solo/index.html" <<'EOF' || fail "report pages"
import sys
import xml.etree.ElementTree as ET
def text(e):
    return " ".join("".join(e.itertext()).split())
def table(root, tid):
    t = [t for t in root.iter("{http://www.w3.org/1999/xhtml}table") if t.get("id") == tid]
    assert len(t) == 1, tid
    return [[text(c) for c in row] for row in t[0].iter("{http://www.w3.org/1999/xhtml}tr")]
page = ET.parse(sys.argv[1]).getroot()
assert any(h.get("id") == "threads" for h in page.iter("{http://www.w3.org/1999/xhtml}h2")), "no threads heading"
rows = table(page, "thread-shares")
assert len(rows) == 4, rows
assert rows[2][:6] == ["1", "thread", "50.00% [50.00%, 50.00%]", "25.00% [25.00%, 25.00%]", "0.50 [0.50, 0.50]",
                       "overestimates"], rows[2]
assert rows[1][3:5] == ["37.50% [25.00%, 50.00%]", "1.50 [1.00, 2.00]"], rows[1]
rows = table(page, "thread-imbalance")
assert len(rows) == 4, rows  # the whole run and two regions (the instruction count's rows)
assert rows[1][:6] == ["whole run", "3", "1.50 [1.50, 1.50] (t1)", "1.12 [1.12, 1.50] (t0)", "0.75 [0.75, 1.00]",
                       "inconclusive"], rows[1]
assert rows[2][:6] == ["m:2->3#1", "2", "1.00 [1.00, 1.00] (t0)", "1.60 [1.50, 1.67] (t1)", "1.60 [1.50, 1.67]",
                       "underestimates"], rows[2]
solo = ET.parse(sys.argv[2]).getroot()
assert not [t for t in solo.iter("{http://www.w3.org/1999/xhtml}table") if (t.get("id") or "").startswith("thread")]
assert not any(h.get("id") == "threads" for h in solo.iter("{http://www.w3.org/1999/xhtml}h2"))
EOF
rm -rf "$dir"
echo "ok"
