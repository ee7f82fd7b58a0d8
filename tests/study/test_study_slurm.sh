#!/usr/bin/env bash
# `emudiff study --submit slurm` on a real one-node Slurm cluster that this test
# starts on loopback from Debian's packages (munged, slurmctld, slurmd; its own
# key, socket, ports, state and slurm.conf in a temporary folder; SLURM_CONF),
# with two partitions on the node: emu for the emulation cells, hw (the cells
# asked --exclusive) for the hardware cells. The cells are the fake collector's.
#
#   1. a partition that does not exist: one line, exit 2, nothing submitted;
#   2. the suite submitted: job ids printed, one task per cell; one emulation
#      task is cancelled (scancel: SIGTERM) and one hardware task killed as a
#      lost node would end it (SIGKILL to the task and its collector, nothing
#      runs a handler) while they run; the merge and report job runs after all
#      of them; --status names the two cells missing and the machine;
#   3. resubmitted with --resume: exactly the two missing cells are submitted
#      (a second submission while they are queued is refused);
#   4. the merged store holds every run of the cells' stores, each cell once,
#      with the machine that ran it, and the same cells, statuses and findings
#      as the same suite run locally; the report names the machine.
# The daemons it started are stopped by pid, on failure too.
#
# usage: test_study_slurm.sh EMUDIFF FAKE_COLLECT SUITES_DIR
set -u
emudiff=$1 fake=$2 suites=$3
skip() { echo "skip: $*"; exit 77; }
for p in munged slurmctld slurmd sbatch squeue scancel sinfo sqlite3; do
	command -v "$p" >/dev/null ||
		skip "no $p on PATH (Debian packages munge, slurmctld, slurmd, slurm-client, sqlite3)"
done
[ "$(id -u)" = 0 ] || skip "not root: the test's slurmd must run jobs as root"
node=$(hostname -s 2>/dev/null) && [ -n "$node" ] || skip "no short host name for the Slurm node"

t=$(mktemp -d)
chmod 755 "$t"
pids=()
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
check_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
q() { sqlite3 "$1" "$2"; }
stop_all() {
	# jobs of this cluster first (their slurmstepd), then the daemons, by pid
	[ -f "$t/slurm.conf" ] && SLURM_CONF=$t/slurm.conf scancel --partition=emu,hw >/dev/null 2>&1 && sleep 1
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
	for _ in $(seq 50); do
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${EMUDIFF_KEEP_TMP:-}" ] && echo "kept $t" || rm -rf "$t"
}
trap stop_all EXIT

# ---- the cluster ----
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 20); do
	port=$((20000 + RANDOM % 30000))
	port_free "$port" && port_free $((port + 1)) && break
done
mkdir -p "$t/munge" "$t/state" "$t/spool" "$t/log"
chmod 711 "$t/munge"
head -c 1024 /dev/urandom >"$t/munge/key"
chmod 400 "$t/munge/key"
munged -F --force --socket="$t/munge/socket" --key-file="$t/munge/key" --pid-file="$t/munge/pid" \
	--log-file="$t/munge/log" --seed-file="$t/munge/seed" >"$t/log/munged.out" 2>&1 &
pids+=($!)
cat >"$t/slurm.conf" <<EOF
ClusterName=emudifftest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$t/munge/socket
StateSaveLocation=$t/state
SlurmdSpoolDir=$t/spool
SlurmctldPidFile=$t/slurmctld.pid
SlurmdPidFile=$t/slurmd.pid
SlurmctldLogFile=$t/log/slurmctld.log
SlurmdLogFile=$t/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=600
KillWait=5
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 RealMemory=500 State=UNKNOWN
PartitionName=emu Nodes=$node Default=YES MaxTime=INFINITE State=UP
PartitionName=hw Nodes=$node MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$t/slurm.conf
slurmctld -D -i >"$t/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D >"$t/log/slurmd.out" 2>&1 &
pids+=($!)
ready=0
for _ in $(seq 150); do
	[ "$(sinfo -h -p emu -o %t 2>/dev/null)" = idle ] && { ready=1; break; }
	sleep 0.2
done
if [ $ready -eq 0 ]; then
	why=$(cat "$t/log/slurmctld.log" "$t/log/slurmd.log" "$t/munge/log" 2>/dev/null | grep -i -m1 -E 'fatal|error')
	skip "the Slurm daemons do not start here (${why:-node not idle after 30 s})"
fi
echo "cluster: node $node, slurmctld port $port, $(slurmctld -V)"

# wait_idle SECONDS: until the queue is empty
wait_idle() {
	for _ in $(seq $(($1 * 5))); do
		[ -z "$(squeue -h -o %i)" ] && return 0
		sleep 0.2
	done
	fail "jobs still queued after $1 s: $(squeue -h -o '%i %T %r' | tr '\n' ';')"
	scancel --partition=emu,hw
	return 1
}
# started CELL: until the fake collector logged the cell's start, at most 60 s
started() {
	for _ in $(seq 300); do
		grep -q "^start $1 " "$t/fake.log" 2>/dev/null && return 0
		sleep 0.2
	done
	fail "cell $1 did not start"
	return 1
}
# task JOB LIST CELL: the array task of the cell (its line in the list)
task() { echo "$1_$(grep -n -x -F "$3" "$2" | cut -d: -f1)"; }

cp "$suites/basic.ini" "$suites/no-op" "$t/"
sed -i 's/^\[study\]$/[study]\nslurm.emulation = --partition=emu\nslurm.hw = --partition=hw --exclusive\nslurm.report = --partition=emu/' \
	"$t/basic.ini"
suite=$t/basic.ini
export FAKE_LOG=$t/fake.log FAKE_HW_SLOW=3 FAKE_FAIL=beta/qemu-user/1 FAKE_SLEEP_MS=100

# the reference: the same suite run here
FAKE_LOG=$t/local.log "$emudiff" study "$suite" --exe "$fake" --out "$t/local" >"$t/local.out" 2>"$t/local.err" ||
	fail "local study: $(tail -n 2 "$t/local.err")"

# 1. a partition that does not exist
"$emudiff" study "$suite" --exe "$fake" --out "$t/s" --submit slurm --slurm-hw '--partition=nope --exclusive' \
	>"$t/out0" 2>"$t/err0"
check_eq "$?" 2 "exit code for a partition that does not exist"
check_eq "$(wc -l <"$t/err0")" 1 "lines on stderr for a partition that does not exist"
grep -q "slurm.hw = --partition=nope --exclusive" "$t/err0" || fail "the error names the options: $(cat "$t/err0")"
check_eq "$(squeue -h -o %i | wc -l)" 0 "jobs queued after a refused submission"
[ -e "$t/s/slurm/jobs" ] && fail "a refused submission recorded jobs"

# 2. the suite submitted; two tasks killed while they run
t0=$(date +%s)
FAKE_HANG=alpha/qemu-user/1,alpha/hw/2 "$emudiff" study "$suite" --exe "$fake" --out "$t/s" --submit slurm \
	--grace 120 >"$t/out1" 2>"$t/err1"
check_eq "$?" 0 "--submit slurm exit code ($(cat "$t/err1"))"
cat "$t/out1"
emu=$(sed -n 's/^submitted: job \([0-9]*\): emulation cells, 6 tasks$/\1/p' "$t/out1")
hw=$(sed -n 's/^submitted: job \([0-9]*\): hardware cells, 4 tasks$/\1/p' "$t/out1")
rep=$(sed -n "s/^submitted: job \([0-9]*\): merge and report (after $emu:$hw)\$/\1/p" "$t/out1")
[ -n "$emu" ] && [ -n "$hw" ] && [ -n "$rep" ] || fail "job ids not printed as expected"
grep -q "^report: $t/s/index.html once the last job ends" "$t/out1" || fail "report path not printed"
if started alpha/qemu-user/1; then
	scancel "$(task "$emu" "$t/s/slurm/emulation.cells" alpha/qemu-user/1)"
fi
if started alpha/hw/2; then
	# the fake collector of the cell and its parent, the task's emudiff study
	cpid=$(sed -n 's|^start alpha/hw/2 .* pid=\([0-9]*\)$|\1|p' "$t/fake.log")
	spid=$(awk '{ print $4 }' "/proc/$cpid/stat")
	kill -KILL "$spid" "$cpid"
fi
"$emudiff" study "$suite" --out "$t/s" --status >"$t/status0" 2>&1 || fail "--status while running"
grep -q "^slurm: job $rep (merge and report): " "$t/status0" || fail "--status does not follow the jobs: $(cat "$t/status0")"
wait_idle 120
"$emudiff" study "$suite" --out "$t/s" --status >"$t/status1" 2>&1 || fail "--status after the jobs"
cat "$t/status1"
grep -q "^study 'basic': 10 cells: 7 ok, 1 failed, 0 timed out, 2 missing$" "$t/status1" || fail "--status counts"
grep -q "^  alpha/qemu-user/1: missing$" "$t/status1" || fail "cancelled emulation cell not missing"
grep -q "^  alpha/hw/2: missing$" "$t/status1" || fail "killed hardware cell not missing"
grep -q "^  beta/qemu-user/1: failed on $node$" "$t/status1" || fail "failed cell not failed"
grep -q "^machine $node: 8 cells: " "$t/status1" || fail "machine of the cells"
[ -f "$t/s/index.html" ] || fail "the report job wrote no report: $(tail -n 3 "$t/s/slurm/logs/emudiff-basic-report-$rep.out")"
for f in "$t"/s/slurm/cells/*.db; do
	[ "$(q "$f" "PRAGMA integrity_check")" = ok ] || fail "$f: integrity check"
done

# 3. --resume: exactly the missing cells
"$emudiff" study "$suite" --exe "$fake" --out "$t/s" --submit slurm --resume --grace 120 >"$t/out2" 2>"$t/err2"
check_eq "$?" 0 "--submit slurm --resume exit code ($(cat "$t/err2"))"
cat "$t/out2"
grep -q "^submitted: job [0-9]*: emulation cells, 1 task$" "$t/out2" || fail "resume: one emulation task"
grep -q "^submitted: job [0-9]*: hardware cells, 1 task$" "$t/out2" || fail "resume: one hardware task"
check_eq "$(cat "$t/s/slurm/emulation.cells")" alpha/qemu-user/1 "resumed emulation cells"
check_eq "$(cat "$t/s/slurm/hw.cells")" alpha/hw/2 "resumed hardware cells"
"$emudiff" study "$suite" --exe "$fake" --out "$t/s" --submit slurm --resume >"$t/out3" 2>"$t/err3"
check_eq "$?" 2 "a submission while the last one is queued"
grep -q "still queued" "$t/err3" || fail "refusal while queued: $(cat "$t/err3")"
wait_idle 120
echo "slurm part: $(($(date +%s) - t0)) s"

# 4. the merged store against the cells' stores and the local run
m=$t/s/emudiff.db l=$t/local/emudiff.db
parts=0
for f in "$t"/s/slurm/cells/*.db; do parts=$((parts + $(q "$f" "SELECT count(*) FROM run"))); done
check_eq "$(q "$m" "SELECT count(*) FROM run")" "$parts" "runs in the merged store (every run of the cells' stores)"
check_eq "$(q "$m" "SELECT count(*) - count(DISTINCT cell) FROM run WHERE status <> 'warmup'")" 0 "cells stored twice"
check_eq "$(q "$m" "SELECT count(*) FROM run WHERE json_extract(config_json, '$.hostname') IS NOT '$node'")" 0 \
	"runs without the machine that ran them"
cells="SELECT group_concat(cell || '=' || status, ' ') FROM (SELECT cell, status FROM run WHERE status <> 'warmup' ORDER BY cell)"
check_eq "$(q "$m" "$cells")" "$(q "$l" "$cells")" "cells and statuses, Slurm vs local"
findings="SELECT count(*), group_concat(x, ' ') FROM (SELECT w.name || ':' || coalesce(r.key, '-') || ':' || f.predictor
	|| ':' || f.metric || ':' || coalesce(f.baseline, '-') || ':' || f.verdict || ':' || printf('%.6g', f.factor) AS x
	FROM finding f JOIN workload w ON w.id = f.workload_id LEFT JOIN region r ON r.id = f.region_id ORDER BY x)"
fs=$(q "$m" "$findings")
check_eq "$fs" "$(q "$l" "$findings")" "findings, Slurm vs local"
case "$fs" in *"alpha:m:2->1#1:insns:"*":underestimates:"*) ;; *) fail "the planted finding is missing: $fs" ;; esac
grep -rqs "host: $node" "$t/s/alpha" || fail "the report does not name the machine"
grep -h '^report: ' "$t/s/slurm/logs/emudiff-basic-report-"*.out | tail -n 1

[ $fails -eq 0 ] && echo "study on Slurm: all checks passed"
exit $((fails > 0))
