#!/usr/bin/env bash
# report_scale.sh EMUDIFF MKREPORTSTORE WORKDIR [WORKLOADS REGIONS]
# Times `emudiff report` (all figures, pages and exports) on a synthetic store
# and fails when the wall time reaches 30 s. The CPU time is printed too: on a
# shared machine the wall time depends on what else runs.
set -euo pipefail
emudiff=$1 mk=$2 work=$3 nw=${4:-50} nr=${5:-1000}
db=$work/report-scale-${nw}x${nr}.db out=$work/report-scale-out
mkdir -p "$work"
[ -f "$db" ] || "$mk" "$db" --scale "$nw" "$nr"
rm -rf "$out"
start=$(date +%s%N)
TIMEFORMAT='cpu: user %3U s, system %3S s'
{ time "$emudiff" report -q --db "$db" --out "$out"; } 2>&1
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
echo "report-scale: ${nw} workloads x ${nr} regions: wall $((ms / 1000)).$(printf %03d $((ms % 1000))) s," \
	"$(find "$out" -type f | wc -l) files, $(du -sm "$out" | cut -f1) MB"
[ "$ms" -lt 30000 ] || { echo "report-scale: FAIL: 30 s budget exceeded"; exit 1; }
