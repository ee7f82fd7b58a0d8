/*
 * schema.c - the store's schema as a list of forward migrations.
 *
 * migrations[i] takes a store from user_version i to i+1. Never edit a
 * migration that has shipped; append a new one. The core tables are
 * docs/design.md's; everything else is an extension documented here.
 */
#include <stddef.h>

const char *const store_migrations[] = {
	/* 0 -> 1: the core of docs/design.md plus the extensions every component uses. */
	"CREATE TABLE workload ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  arch TEXT NOT NULL DEFAULT 'unknown',"
	"  elf_path TEXT,"
	"  elf_sha256 TEXT,"
	"  argv TEXT);"
	"CREATE TABLE run ("
	"  id INTEGER PRIMARY KEY,"
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  platform TEXT NOT NULL CHECK (platform IN ('qemu-user','qemu-system','hw','hw-kvm','console','import')),"
	"  config_json TEXT NOT NULL DEFAULT '{}',"
	"  rep INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL CHECK (status IN ('ok','failed','timeout','warmup')),"
	"  exit_code INTEGER,"
	"  wall_ns INTEGER,"
	"  started_at TEXT NOT NULL,"
	/* extension: the study cell this run fulfils, for --resume */
	"  cell TEXT);"
	"CREATE INDEX run_workload ON run(workload_id, platform);"
	"CREATE INDEX run_cell ON run(cell);"
	"CREATE TABLE mark ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  mark_id INTEGER NOT NULL,"
	"  insns INTEGER,"
	"  time_ns INTEGER,"
	"  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
	/* extension: further cumulative counters read at each marker hit
	 * (cycles, page_faults, mem_accesses, syscalls...), so that align/ computes
	 * every region metric the same way: value at seq+1 minus value at seq. */
	"CREATE TABLE mark_value ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (run_id, seq, metric)) WITHOUT ROWID;"
	"CREATE TABLE run_metric ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  metric TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (run_id, metric)) WITHOUT ROWID;"
	"CREATE TABLE region ("
	"  id INTEGER PRIMARY KEY,"
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  name TEXT,"
	"  UNIQUE (workload_id, key));"
	"CREATE TABLE region_metric ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  region_id INTEGER NOT NULL REFERENCES region(id) ON DELETE CASCADE,"
	"  metric TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (run_id, region_id, metric)) WITHOUT ROWID;"
	"CREATE INDEX region_metric_region ON region_metric(region_id, metric);"
	"CREATE TABLE event_count ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  region_id INTEGER REFERENCES region(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  count INTEGER NOT NULL,"
	/* extension: marker hit after which the events happened (NULL: whole run) */
	"  seq INTEGER);"
	"CREATE INDEX event_count_run ON event_count(run_id, region_id);"
	"CREATE TABLE finding ("
	"  id INTEGER PRIMARY KEY,"
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  region_id INTEGER REFERENCES region(id) ON DELETE CASCADE,"
	"  metric TEXT NOT NULL,"
	"  predictor TEXT NOT NULL CHECK (predictor IN ('insns','qemu_time','model')),"
	"  factor REAL,"
	"  ci_lo REAL,"
	"  ci_hi REAL,"
	"  p_adj REAL,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('underestimates','overestimates','agrees','inconclusive')),"
	"  reason TEXT NOT NULL DEFAULT '',"
	/* extensions */
	"  baseline TEXT,"   /* 'share' or 'robust' (see README) */
	"  p_value REAL,"
	"  pred_share REAL,"
	"  hw_share REAL, hw_share_lo REAL, hw_share_hi REAL,"
	"  n_emu INTEGER, n_hw INTEGER);"
	/* extension: per region, platform and metric summary across invocations */
	"CREATE TABLE region_stat ("
	"  region_id INTEGER NOT NULL REFERENCES region(id) ON DELETE CASCADE,"
	"  platform TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  n INTEGER NOT NULL, mean REAL, median REAL, sd REAL, cv REAL,"
	"  ci_lo REAL, ci_hi REAL,"
	"  warmup_until INTEGER,"  /* occurrence index where steady state starts, NULL if none */
	"  outliers INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (region_id, platform, metric)) WITHOUT ROWID;"
	/* extension: rank agreement between a predictor and hardware, per workload */
	"CREATE TABLE agreement ("
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  predictor TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  n INTEGER NOT NULL, pearson REAL, spearman REAL, kendall REAL, mape REAL,"
	"  PRIMARY KEY (workload_id, predictor, metric)) WITHOUT ROWID;"
	/* extension: A/B comparisons (suite pairs) */
	"CREATE TABLE ab_compare ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  a_workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  b_workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  region_key TEXT,"   /* NULL: whole run */
	"  metric TEXT NOT NULL,"
	"  emu_ratio REAL, emu_lo REAL, emu_hi REAL,"
	"  hw_ratio REAL, hw_lo REAL, hw_hi REAL,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('flip','magnitude','agrees','inconclusive')),"
	"  reason TEXT NOT NULL DEFAULT '');"
	/* extension: declared A/B pairs (from suite files) */
	"CREATE TABLE ab_pair ("
	"  name TEXT PRIMARY KEY,"
	"  a_workload TEXT NOT NULL,"
	"  b_workload TEXT NOT NULL,"
	"  a_platform TEXT, b_platform TEXT);"
	/* extension: cost-model terms (workload_id NULL: fitted over the study) */
	"CREATE TABLE cost_model ("
	"  workload_id INTEGER REFERENCES workload(id) ON DELETE CASCADE,"
	"  metric TEXT NOT NULL,"
	"  term TEXT NOT NULL,"
	"  coef REAL, ci_lo REAL, ci_hi REAL,"
	"  r2 REAL, cv_rmse REAL, n INTEGER);"
	/* extension: per-run alignment against the reference sequence */
	"CREATE TABLE alignment ("
	"  run_id INTEGER PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,"
	"  ref_run_id INTEGER,"
	"  matched INTEGER NOT NULL, gaps INTEGER NOT NULL, mismatches INTEGER NOT NULL,"
	"  note TEXT);"
	/* extension: free-form facts about the store (study name, bootstrap seed...) */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT);",
	/* 1 -> 2: stats/ extensions. finding: the platforms compared, the
	 * percentile interval next to the BCa one (ci_lo/ci_hi), and severity (log
	 * distance of the CI from the tolerance band, > 0 outside) for sorting;
	 * ab_compare: which emulation metric (insns or qemu_host_ns) the ratio uses. */
	"ALTER TABLE finding ADD COLUMN emu_platform TEXT;"
	"ALTER TABLE finding ADD COLUMN hw_platform TEXT;"
	"ALTER TABLE finding ADD COLUMN pct_lo REAL;"
	"ALTER TABLE finding ADD COLUMN pct_hi REAL;"
	"ALTER TABLE finding ADD COLUMN severity REAL;"
	"ALTER TABLE ab_compare ADD COLUMN emu_metric TEXT;",
	/* 2 -> 3: per-event cost (stats/event_cost.c): emulated instructions and
	 * hardware cost per syscall, trap and exit, fitted on the same regions */
	"CREATE TABLE event_cost ("
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  event TEXT NOT NULL,"
	"  emu_metric TEXT NOT NULL,"
	"  emu_per_event REAL, emu_lo REAL, emu_hi REAL,"
	"  hw_metric TEXT,"
	"  hw_per_event REAL, hw_lo REAL, hw_hi REAL,"
	"  qemu_ns_per_event REAL, qemu_lo REAL, qemu_hi REAL,"
	"  hw_per_insn REAL,"
	"  hw_per_insn_avg REAL,"
	"  ratio REAL,"
	"  n INTEGER NOT NULL,"
	"  terms INTEGER NOT NULL,"
	"  PRIMARY KEY (workload_id, event));",
	/* 3 -> 4: symbols per marker interval, written by the collectors: the
	 * cost of symbol `symbol` (s:<symbol>'s name) after marker hit seq and
	 * before hit seq+1 (seq -1: before the first hit), callees' own cost in
	 * their own rows. QEMU: insns; sampling: samples, time_ns. align/ sums
	 * them per marker pair into ms:<from>-><to>/<symbol> regions. */
	"CREATE TABLE mark_symbol ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  symbol TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (run_id, seq, symbol, metric)) WITHOUT ROWID;",
	/* 4 -> 5: region_metric without the index on (region_id, metric) and
	 * without the foreign key to region: align writes millions of rows, and
	 * the index and the region lookup were half of each insert's cost. Rows
	 * are reached by run (the primary key's prefix) and deleted by run before
	 * their regions (see README, "Deleting"); the foreign key on run stays:
	 * it is cheap and deleting a run or workload still takes its rows. */
	"CREATE TABLE region_metric_v5 ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  region_id INTEGER NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (run_id, region_id, metric)) WITHOUT ROWID;"
	"INSERT INTO region_metric_v5 SELECT run_id, region_id, metric, value FROM region_metric"
	"  ORDER BY run_id, region_id, metric;"
	"DROP TABLE region_metric;" /* and its index */
	"ALTER TABLE region_metric_v5 RENAME TO region_metric;",
	/* 5 -> 6: latency as a measurement (README, "Latency"). latency_sample:
	 * one row per run, region and latency metric (lat_<what>_ns): n events,
	 * samples = n IEEE-754 doubles, little-endian, in ns, in event order
	 * (packed: 10^6 events are one 8 MB row, not 10^6 rows). region_key is
	 * region.key (m:<from>-><to>#<n>) or 'run' (outside any marker pair).
	 * latency_quantile: per workload, region, metric and platform (stats);
	 * latency_compare: hardware / emulation of p50, p99 and max with a
	 * bootstrap CI and the finding verdicts, and the two-sample
	 * Kolmogorov-Smirnov test of the whole distributions (same on each stat). */
	"CREATE TABLE latency_sample ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  region_key TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  samples BLOB NOT NULL,"
	"  PRIMARY KEY (run_id, region_key, metric)) WITHOUT ROWID;"
	"CREATE TABLE latency_quantile ("
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  region_key TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  platform TEXT NOT NULL,"
	"  runs INTEGER NOT NULL, n INTEGER NOT NULL,"
	"  min REAL, p50 REAL, p90 REAL, p99 REAL, p999 REAL, max REAL, mean REAL,"
	"  PRIMARY KEY (workload_id, region_key, metric, platform));"
	"CREATE TABLE latency_compare ("
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  region_key TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  emu_platform TEXT NOT NULL, hw_platform TEXT NOT NULL,"
	"  stat TEXT NOT NULL CHECK (stat IN ('p50','p99','max')),"
	"  emu REAL, hw REAL, factor REAL, ci_lo REAL, ci_hi REAL,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('underestimates','overestimates','agrees','inconclusive')),"
	"  ks_d REAL, ks_p REAL,"
	"  n_emu INTEGER, n_hw INTEGER, runs_emu INTEGER, runs_hw INTEGER,"
	"  PRIMARY KEY (workload_id, region_key, metric, emu_platform, hw_platform, stat));",
	/* 6 -> 7: comparisons that cannot differ, and the suite-level analysis
	 * (stats/suite.c, README "Suite-level findings").
	 * finding.informative: 0 when the comparison cannot differ by
	 * construction (its verdict is then 'inconclusive'), with
	 * finding.not_informative saying why: 'whole_workload' (the region holds
	 * all of its workload's cost on both sides) or 'zero_width' (identical
	 * shares in every run on both sides: a zero-width interval); 1 otherwise.
	 * suite_finding: each workload's cost relative to the suite on hardware
	 * against emulation's prediction (scope 'run': whole runs; 'region': the
	 * marker regions of one key and name present in several workloads),
	 * with the verdict vocabulary of finding. suite_summary: per scope, unit
	 * and predictor, rank agreement across workloads and the suite score
	 * (geometric mean of hardware time / predicted cost), with bootstrap CIs. */
	"ALTER TABLE finding ADD COLUMN informative INTEGER;"
	"ALTER TABLE finding ADD COLUMN not_informative TEXT;"
	"CREATE TABLE suite_finding ("
	"  id INTEGER PRIMARY KEY,"
	"  scope TEXT NOT NULL CHECK (scope IN ('run','region')),"
	"  unit TEXT NOT NULL,"     /* 'whole run', or the region's name and key */
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  region_id INTEGER REFERENCES region(id) ON DELETE CASCADE,"
	"  metric TEXT NOT NULL,"
	"  predictor TEXT NOT NULL CHECK (predictor IN ('insns','qemu_time')),"
	"  baseline TEXT NOT NULL CHECK (baseline IN ('share','robust')),"
	"  factor REAL, ci_lo REAL, ci_hi REAL, p_value REAL, p_adj REAL,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('underestimates','overestimates','agrees','inconclusive')),"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  hw_share REAL, pred_share REAL,"
	"  n_emu INTEGER, n_hw INTEGER, workloads INTEGER,"
	"  informative INTEGER NOT NULL DEFAULT 1,"
	"  not_informative TEXT,"
	"  severity REAL);"
	"CREATE TABLE suite_summary ("
	"  scope TEXT NOT NULL,"
	"  unit TEXT NOT NULL,"
	"  predictor TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  workloads INTEGER NOT NULL,"
	"  spearman REAL, spearman_lo REAL, spearman_hi REAL,"
	"  kendall REAL, kendall_lo REAL, kendall_hi REAL,"
	"  score REAL, score_lo REAL, score_hi REAL,"  /* geomean of hardware cost / predicted cost */
	"  flagged INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (scope, unit, predictor)) WITHOUT ROWID;",
	/* 7 -> 8: the samples a sampled hardware region's judgement rests on
	 * (stats/sampled.c, README "Sampled regions"). finding.samples: the
	 * region's samples pooled over the compared hardware runs (k), and
	 * finding.samples_total: all samples of those runs' regions (n); the
	 * share's exact binomial interval is built from k of n, so a region
	 * with k = 0 is still judged. NULL when the hardware metric is not
	 * sampled (marker regions, counters). */
	"ALTER TABLE finding ADD COLUMN samples INTEGER;"
	"ALTER TABLE finding ADD COLUMN samples_total INTEGER;",
	/* 8 -> 9: threads and vCPUs (docs/store.md, "Threads"). mark.thread: the
	 * thread ordinal a hit happened on (0: the first thread, the others
	 * numbered in the order they were created), and mark.insns counts that
	 * thread's instructions only. run_thread: each thread's ordinal and what
	 * the platform calls it (OS thread id, vCPU index, hart id).
	 * thread_metric: whole-run totals per thread (their sum is run_metric's). */
	"ALTER TABLE mark ADD COLUMN thread INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE run_thread ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  thread INTEGER NOT NULL,"
	"  os_id INTEGER,"
	"  kind TEXT NOT NULL CHECK (kind IN ('thread','vcpu','hart')),"
	"  PRIMARY KEY (run_id, thread)) WITHOUT ROWID;"
	"CREATE TABLE thread_metric ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  thread INTEGER NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (run_id, thread, metric)) WITHOUT ROWID;",
	/* 9 -> 10: client-server workloads compared (stats/server.c, docs/servers.md).
	 * server_compare: per server workload, driver metric (requests_per_s,
	 * req_p50_ns, ...) and pair of emulation and hardware platforms, the
	 * mean over ok runs of each side with its BCa bootstrap interval, and
	 * ratio = emulation / hardware with its interval, judged by the
	 * tolerance band: 'underestimates' (emulation's value lies below
	 * hardware's), 'overestimates', 'agrees', 'inconclusive'; informative and
	 * not_informative as in finding ('zero_width': identical values in every
	 * run on both sides). ord: the metric's place in the order every output
	 * lists them. Derived data, replaced by every `emudiff stats`. */
	"CREATE TABLE server_compare ("
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  metric TEXT NOT NULL,"
	"  ord INTEGER NOT NULL,"
	"  emu_platform TEXT NOT NULL, hw_platform TEXT NOT NULL,"
	"  n_emu INTEGER NOT NULL, n_hw INTEGER NOT NULL,"
	"  emu REAL, emu_lo REAL, emu_hi REAL,"
	"  hw REAL, hw_lo REAL, hw_hi REAL,"
	"  ratio REAL, ratio_lo REAL, ratio_hi REAL,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('underestimates','overestimates','agrees','inconclusive')),"
	"  informative INTEGER NOT NULL DEFAULT 1,"
	"  not_informative TEXT,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (workload_id, metric, emu_platform, hw_platform));",
	/* 10 -> 11: threads in align and stats (docs/store.md, "Threads").
	 * alignment_thread: the alignment of each further thread (ordinal > 0) of
	 * a run to that thread's reference (thread 0's stays in alignment).
	 * thread_imbalance: per workload and marker region present on several
	 * threads (region_key without @t<k>; NULL: the whole run, from
	 * thread_metric), the spread max/mean of the per-thread cost on each
	 * platform and hardware's over emulation's. thread_share: each thread's
	 * share of the whole run (thread_metric) on both sides. Written by
	 * emudiff align and emudiff stats. */
	"CREATE TABLE alignment_thread ("
	"  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  thread INTEGER NOT NULL,"
	"  ref_run_id INTEGER,"
	"  matched INTEGER NOT NULL, gaps INTEGER NOT NULL, mismatches INTEGER NOT NULL,"
	"  note TEXT,"
	"  PRIMARY KEY (run_id, thread)) WITHOUT ROWID;"
	"CREATE TABLE thread_imbalance ("
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  region_key TEXT,"
	"  emu_metric TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  emu_platform TEXT, hw_platform TEXT,"
	"  threads INTEGER NOT NULL,"
	"  emu_imbalance REAL, emu_lo REAL, emu_hi REAL, emu_max_thread INTEGER,"
	"  hw_imbalance REAL, hw_lo REAL, hw_hi REAL, hw_max_thread INTEGER,"
	"  factor REAL, ci_lo REAL, ci_hi REAL,"
	"  n_emu INTEGER, n_hw INTEGER,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('underestimates','overestimates','agrees','inconclusive')),"
	"  reason TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE thread_share ("
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  thread INTEGER NOT NULL,"
	"  emu_metric TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  emu_platform TEXT, hw_platform TEXT,"
	"  emu_share REAL, emu_lo REAL, emu_hi REAL,"
	"  hw_share REAL, hw_lo REAL, hw_hi REAL,"
	"  factor REAL, ci_lo REAL, ci_hi REAL,"
	"  n_emu INTEGER, n_hw INTEGER,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('underestimates','overestimates','agrees','inconclusive')),"
	"  reason TEXT NOT NULL DEFAULT '');",
	/* 11 -> 12: boot latency (docs/statistics.md, "Run metrics compared").
	 * server_compare becomes the comparison of whole-run metrics of every
	 * kind: kind 'server' (the driver's metrics, as before) or 'boot' (the
	 * boot stages' boot_<stage>_ns and until_console_ns), its rows as they
	 * were. run_metric_stat: per workload, compared metric and platform, the
	 * mean over ok runs with its BCa interval (the comparisons' side
	 * interval; NULL with one run), also for a platform with nothing to be
	 * compared with. Derived data, replaced by every `emudiff stats`. */
	"ALTER TABLE server_compare ADD COLUMN kind TEXT NOT NULL DEFAULT 'server'"
	"  CHECK (kind IN ('server','boot'));"
	"CREATE TABLE run_metric_stat ("
	"  workload_id INTEGER NOT NULL REFERENCES workload(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('server','boot')),"
	"  metric TEXT NOT NULL,"
	"  ord INTEGER NOT NULL,"
	"  platform TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  mean REAL, mean_lo REAL, mean_hi REAL,"
	"  PRIMARY KEY (workload_id, metric, platform)) WITHOUT ROWID;",
	/* 12 -> 13: a server's workers (docs/servers.md, "Workers"). Every
	 * thread of a run is a row of run_thread, also those of the processes
	 * the program forked (under QEMU, from their plugin files FILE.<pid>).
	 * run_thread.process: the process the thread belongs to, by ordinal (0:
	 * the program the collector started, 1, 2...: the processes forked in
	 * its tree, in creation order); pid: that process's id; NULL: not known
	 * (stores before 13; a thread seen without a fork record). in_load (a
	 * client-server run): 1 when the thread's worker ran while the driver
	 * ran, 0 when it ended before or started after; NULL: not a server run,
	 * or not known. A worker is a thread of process 0, or a forked process
	 * with its threads. thread_metric under QEMU: the rows of process 0 add
	 * up to run_metric (the parent's totals), the others to insns_children. */
	"ALTER TABLE run_thread ADD COLUMN process INTEGER;"
	"ALTER TABLE run_thread ADD COLUMN pid INTEGER;"
	"ALTER TABLE run_thread ADD COLUMN in_load INTEGER CHECK (in_load IN (0, 1));",
};

const size_t store_migrations_count = sizeof(store_migrations) / sizeof(store_migrations[0]);
const int store_schema_version = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
