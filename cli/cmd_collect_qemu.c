/*
 * cmd_collect_qemu.c - `emudiff collect qemu`: run a workload under QEMU TCG
 * with emudiff's plugin (qemu-plugins/libemudiff-qemu.so) and ingest the
 * plugin's output file (format: qemu_output.h) into the store, one
 * transaction per run.
 *
 * User mode: `-- PROG ARGS`; qemu-riscv64 or qemu-x86_64 is chosen from the
 * ELF's machine. System mode (--system): `-- [QEMU-BINARY] QEMU-ARGS`,
 * passed verbatim, with the guest kernel given by --elf for symbols, trap
 * vectors and the architecture; the plugin's -plugin argument is appended.
 *
 * A guest that forks makes QEMU fork: each child writes FILE.<pid> next to
 * the plugin's FILE (qemu_output.h). Those are read with FILE, and their
 * instruction totals stored as the run metrics children and insns_children;
 * regions, marks and events stay the parent's.
 */
#include "align.h"
#include "cmd.h"
#include "common.h"
#include "qemu_output.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: emudiff collect qemu [options] -- PROG [ARGS...]\n"
	"       emudiff collect qemu [options] --system --elf KERNEL -- [QEMU-BINARY] QEMU-ARGS...\n"
	"\n"
	"  --db F               results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W             workload name (default: basename of PROG or of --elf)\n"
	"  --reps N             invocations (default 1)\n"
	"  --rep R              repetition number of the first run (default 0)\n"
	"  --cell KEY           study cell key (only with --reps 1)\n"
	"  --timeout SEC        stop an invocation after SEC seconds (a 'timeout' run)\n"
	"  --fail-on-error      exit 1 when a run failed or timed out\n"
	"  --plugin-opt K=V     plugin option, repeatable (mode=exact, mem=on, mix=on,\n"
	"                       marksyms=off, marksyms_limit=N...)\n"
	"  --qemu PATH          QEMU binary (default qemu-riscv64/qemu-x86_64 by the ELF,\n"
	"                       qemu-system-<arch> with --system)\n"
	"  --system             system emulation: QEMU's arguments follow --\n"
	"  --elf KERNEL         the guest kernel ELF (symbols, trap vectors, arch)\n"
	"  --trapvec ADDR|SYM[@hs|@vs]\n"
	"                       a trap vector, repeatable (default: well-known handler\n"
	"                       symbols of --elf, see the README); @hs: the host's\n"
	"                       (hypervisor's) vector, @vs: a guest's (VS-mode) vector\n"
	"  --guest LO-HI|SYM    the guest's code: [LO, HI) (addresses or symbols) or a\n"
	"                       function symbol's extent; repeatable: an @hs entry\n"
	"                       after guest code ran is a vm_exit\n"
	"  --until-console STR  system mode: stop when STR appears on the console\n"
	"                       (QEMU's stdout: -nographic or -serial stdio)\n"
	"  --ingest FILE        store an existing plugin output file, run nothing\n";

#define MAX_PLUGIN_OPTS 32
#define MAX_TRAPVEC 32
#define MAX_GUEST_RANGES 16
#define TERM_GRACE_NS (5 * 1000000000LL)

/* Symbols taken as trap vectors when the guest ELF has them (README). */
static const char *const trap_vector_symbols[] = {
	"trap_vector", "trap_entry", "trap_handler", "stvec_handler", "mtvec_handler",
	"_trap_handler", "__alltraps", "handle_exception", "_start_trap", "strap_entry",
};

struct qemu_opts {
	struct collect_common com;
	const char *qemu, *elf, *until_console, *ingest;
	int system;
	const char *plugin_opts[MAX_PLUGIN_OPTS];
	int n_plugin_opts;
	const char *trapvec[MAX_TRAPVEC];
	int n_trapvec;
	const char *guest[MAX_GUEST_RANGES];
	int n_guest;
	char **argv; /* after -- */
	int argc;
};

/* What one invocation gave. */
struct qemu_result {
	const char *status; /* ok, failed, timeout */
	int exit_code;
	int64_t wall_ns;
	int until_seen;
	int64_t until_ns;
	char why[200]; /* why it failed, for config_json */
};

/* ---- options ---- */

/* Why the plugin would refuse this option, or NULL (checked before QEMU runs). */
static const char *plugin_opt_check(const char *kv)
{
	const char *v = strchr(kv, '=') + 1;
	size_t k = (size_t)(v - 1 - kv);
	int64_t n;

	if (k == 4 && !strncmp(kv, "mode", 4))
		return strcmp(v, "default") && strcmp(v, "exact") ? "expected default or exact" : NULL;
	if ((k == 3 && (!strncmp(kv, "mem", 3) || !strncmp(kv, "mix", 3))) ||
	    (k == 7 && !strncmp(kv, "symbols", 7)) || (k == 8 && !strncmp(kv, "marksyms", 8)))
		return strcmp(v, "on") && strcmp(v, "off") ? "expected on or off" : NULL;
	if ((k == 6 && !strncmp(kv, "blocks", 6)) || (k == 14 && !strncmp(kv, "marksyms_limit", 14)))
		return parse_i64(v, &n) || n < 0 ? "expected a count" : NULL;
	if ((k == 7 && !strncmp(kv, "trapvec", 7)) || (k == 5 && !strncmp(kv, "guest", 5)))
		return NULL;
	return "unknown plugin option (mode, mem, mix, symbols, blocks, trapvec, guest, marksyms, marksyms_limit)";
}

/* The vCPU count of a QEMU -smp argument ("2", "cpus=2,...", "sockets=..."). */
static int smp_cpus(const char *arg)
{
	const char *c = strstr(arg, "cpus=");
	long n = strtol(c ? c + 5 : arg, NULL, 10);

	return n > 0 ? (int)n : 1;
}

static int parse_opts(int argc, char **argv, struct qemu_opts *o)
{
	static const struct option longopts[] = {
		COLLECT_COMMON_OPTIONS,
		{ "plugin-opt", required_argument, NULL, 'o' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "system", no_argument, NULL, 's' },
		{ "elf", required_argument, NULL, 'e' },
		{ "trapvec", required_argument, NULL, 'T' },
		{ "guest", required_argument, NULL, 'G' },
		{ "until-console", required_argument, NULL, 'u' },
		{ "ingest", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	collect_common__init(&o->com);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (collect_common__opt(&o->com, c, optarg))
			continue;
		switch (c) {
		case 'q': o->qemu = optarg; break;
		case 's': o->system = 1; break;
		case 'e': o->elf = optarg; break;
		case 'u': o->until_console = optarg; break;
		case 'i': o->ingest = optarg; break;
		case 'h': cmd_usage(usage_text, 0);
		case 'o':
			if (!strchr(optarg, '=') || strchr(optarg, ','))
				usage_die("--plugin-opt: '%s' is not KEY=VALUE (without commas)", optarg);
			if (!strncmp(optarg, "out=", 4))
				usage_die("--plugin-opt: out= is chosen by the collector");
			if (plugin_opt_check(optarg))
				usage_die("--plugin-opt %s: %s", optarg, plugin_opt_check(optarg));
			if (o->n_plugin_opts == MAX_PLUGIN_OPTS)
				usage_die("--plugin-opt: at most %d", MAX_PLUGIN_OPTS);
			o->plugin_opts[o->n_plugin_opts++] = optarg;
			break;
		case 'T':
			if (o->n_trapvec == MAX_TRAPVEC)
				usage_die("--trapvec: at most %d", MAX_TRAPVEC);
			o->trapvec[o->n_trapvec++] = optarg;
			break;
		case 'G':
			if (o->n_guest == MAX_GUEST_RANGES)
				usage_die("--guest: at most %d ranges", MAX_GUEST_RANGES);
			o->guest[o->n_guest++] = optarg;
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	o->argv = argv + optind;
	o->argc = argc - optind;
	if (!o->ingest && o->argc < 1)
		usage_die("collect qemu: nothing to run (give PROG, or QEMU's arguments with --system, after --)");
	collect_common__check(&o->com, "collect qemu");
	if (o->until_console && !o->system)
		usage_die("--until-console needs --system");
	if (o->ingest && o->com.reps != 1)
		usage_die("--ingest stores one run; --reps must be 1");
	if (o->system && !o->elf && !o->com.name && !o->ingest)
		usage_die("--system needs --elf KERNEL or --name W to name the workload");
	if (o->until_console && !*o->until_console)
		usage_die("--until-console: empty string");
	if (o->n_guest) {
		int hs = 0;

		for (int i = 0; i < o->n_trapvec; i++)
			hs |= strstr(o->trapvec[i], "@hs") != NULL;
		if (!hs)
			usage_die("--guest: give the host's vector as --trapvec ADDR|SYM@hs (VM exits are "
				  "counted there)");
	}
	for (int i = 0; o->system && i + 1 < o->argc; i++)
		if (!strcmp(o->argv[i], "-smp") && smp_cpus(o->argv[i + 1]) > 1)
			usage_die("-smp %s: the plugin counts exactly on one vCPU only (QEMU 7.2 inline "
				  "counters are shared); use -smp 1", o->argv[i + 1]);
	return 0;
}

/* ---- finding things ---- */

static int is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* env EMUDIFF_PLUGIN, the build tree next to the binary, the install libdir. */
static char *find_plugin(void)
{
	const char *env = getenv("EMUDIFF_PLUGIN");
	char *p;

	if (env && *env) {
		if (is_file(env))
			return xstrdup(env);
		error("EMUDIFF_PLUGIN=%s: no such file", env);
		return NULL;
	}
	p = xasprintf("%s/../qemu-plugins/libemudiff-qemu.so", cmd_self_dir());
	if (is_file(p))
		return p;
	free(p);
	p = xstrdup(EMUDIFF_LIBDIR "/emudiff/libemudiff-qemu.so");
	if (is_file(p))
		return p;
	free(p);
	error("libemudiff-qemu.so not found (set EMUDIFF_PLUGIN, or build with the QEMU plugin enabled)");
	return NULL;
}

/* Is prog runnable: a path to an executable, or a name found in $PATH? */
static int program_exists(const char *prog)
{
	char *found = path__search(prog);

	free(found);
	return found != NULL;
}

/* First line of `QEMU --version`, or "unknown". */
static char *qemu_version(const char *qemu)
{
	char *cmd = xasprintf("'%s' --version 2>/dev/null", qemu), line[256] = "";
	FILE *p;

	if (strchr(qemu, '\'')) {
		free(cmd);
		return xstrdup("unknown");
	}
	p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return xstrdup("unknown");
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line[0] ? line : "unknown");
}

/* ---- running QEMU ---- */

static void child_exec(char **argv, int out_fd, int stdin_null)
{
	if (stdin_null) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
	}
	if (out_fd >= 0) {
		dup2(out_fd, 1);
		close(out_fd);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "error: %s: cannot execute: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Does STR end within the window + new data? Keeps the tail for the next call. */
static int console_match(const char *needle, char *window, size_t *wlen, const char *data, size_t n)
{
	size_t nl = strlen(needle);
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (*wlen == nl) {
			memmove(window, window + 1, nl - 1);
			(*wlen)--;
		}
		window[(*wlen)++] = data[i];
		if (*wlen == nl && !memcmp(window, needle, nl))
			found = 1;
	}
	return found;
}

/* SIGINT/SIGTERM to the collector: QEMU is stopped, nothing of that invocation is stored */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* Catch SIGINT and SIGTERM unless they are ignored (a background job's SIGINT stays ignored). */
static void catch_interrupts(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa, old;

		if (sigaction(sigs[i], NULL, &old) || old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_interrupt; /* no SA_RESTART: poll and usleep return early */
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

static void qemu_run(char **argv, const struct qemu_opts *o, struct qemu_result *r)
{
	int pipefd[2] = { -1, -1 }, wstatus = 0, reaped = 0, term_sent = 0;
	int64_t start = now_ns(), deadline = -1, kill_at = -1;
	char *window = NULL;
	size_t wlen = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = "failed";
	r->exit_code = -1;
	if (o->com.timeout_s > 0)
		deadline = start + (int64_t)(o->com.timeout_s * 1e9);
	if (o->until_console) {
		if (pipe(pipefd)) {
			snprintf(r->why, sizeof(r->why), "pipe: %s", strerror(errno));
			return;
		}
		window = xmalloc(strlen(o->until_console) + 1);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		child_exec(argv, pipefd[1], o->system);
	}
	if (pipefd[1] >= 0) {
		close(pipefd[1]);
		pipefd[1] = -1;
	}
	while (!reaped) {
		int64_t now = now_ns(), wait_ms = 50;

		if (interrupted && !term_sent) {
			/* without this, a SIGINT to the collector alone would leave QEMU running */
			kill(pid, SIGTERM);
			term_sent = 1;
			kill_at = now + TERM_GRACE_NS;
		}
		if (deadline > 0 && !term_sent && now >= deadline) {
			kill(pid, SIGTERM); /* the plugin writes its output on SIGTERM */
			term_sent = 1;
			kill_at = now + TERM_GRACE_NS;
			r->status = "timeout";
		}
		if (kill_at > 0 && now >= kill_at) {
			kill(pid, SIGKILL);
			kill_at = -1;
		}
		if (pipefd[0] >= 0) {
			struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };

			if (poll(&pfd, 1, (int)wait_ms) > 0) {
				char buf[4096];
				ssize_t n = read(pipefd[0], buf, sizeof(buf));

				if (n <= 0) {
					close(pipefd[0]);
					pipefd[0] = -1;
				} else {
					/* the console stays visible to the user */
					fwrite(buf, 1, (size_t)n, stdout);
					if (!r->until_seen &&
					    console_match(o->until_console, window, &wlen, buf, (size_t)n)) {
						r->until_seen = 1;
						r->until_ns = now_ns() - start;
						if (!term_sent) {
							kill(pid, SIGTERM);
							term_sent = 1;
							kill_at = now_ns() + TERM_GRACE_NS;
						}
					}
				}
			}
		} else {
			usleep(10000);
		}
		if (waitpid(pid, &wstatus, WNOHANG) == pid)
			reaped = 1;
	}
	fflush(stdout);
	r->wall_ns = (r->until_seen ? r->until_ns : now_ns() - start);
	if (WIFEXITED(wstatus))
		r->exit_code = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		r->exit_code = 128 + WTERMSIG(wstatus);
	if (!strcmp(r->status, "timeout"))
		snprintf(r->why, sizeof(r->why), "timeout after %.3g s", o->com.timeout_s);
	else if (o->until_console && r->until_seen)
		r->status = "ok"; /* stopped on purpose */
	else if (o->until_console)
		snprintf(r->why, sizeof(r->why), "console string not seen before QEMU exited");
	else if (r->exit_code == 0)
		r->status = "ok";
	else if (r->exit_code == 127)
		snprintf(r->why, sizeof(r->why), "%s could not be executed", argv[0]);
	else
		snprintf(r->why, sizeof(r->why), "exit status %d", r->exit_code);
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	free(window);
}

/* ---- ingest ---- */

struct ingest_ctx {
	struct store *s;
	const struct qemu_opts *o;
	const struct qemu_output *out; /* NULL: no output (failed run) */
	const struct qemu_result *r;
	const struct symtab *elf_syms;  /* system mode with --elf, else NULL */
	const char *name, *arch, *elf_path, *plugin_opts, *qemu_ver, *qemu_bin;
	int rep;
	size_t n_children;       /* forked children's output files (FILE.<pid>) */
	uint64_t insns_children; /* the sum of their total insns */
};

/* The run's config_json. Values are JSON strings, as they always were here. */
static char *config_json(const struct ingest_ctx *c)
{
	const struct qemu_output *out = c->out;
	char until[32] = "", vcpus[16] = "", api[16] = "";
	const char *keys[] = { "collector", "qemu", "qemu_binary", "plugin_options", "mode",
			       "system", "plugin_api", "vcpus", "until_console",
			       "until_console_result", "why" };
	const char *vals[] = { "qemu", c->qemu_ver, c->qemu_bin, c->plugin_opts,
			       out ? out->mode : "", c->o->system ? "true" : "false", api,
			       vcpus, c->o->until_console ? c->o->until_console : "", until,
			       c->r->why };
	struct json j;
	char *cfg;

	if (out) {
		snprintf(vcpus, sizeof(vcpus), "%d", out->vcpus);
		snprintf(api, sizeof(api), "%d", out->plugin_api);
	}
	if (c->o->until_console)
		snprintf(until, sizeof(until), "%s", c->r->until_seen ? "seen" : "not seen");
	if (json__init(&j))
		return NULL;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char path[64];

		snprintf(path, sizeof(path), "$.%s", keys[k]);
		json__str(&j, path, vals[k]);
	}
	if (c->n_children)
		json__int(&j, "$.forked", (int64_t)c->n_children);
	/* align/ rolls up only the marker intervals below this seq */
	if (out && out->has_msym)
		json__int(&j, "$.mark_symbols_complete", out->msym_complete);
	cfg = j.text;
	j.text = NULL;
	json__free(&j);
	return cfg;
}

/* pc "0x..." -> "symbol+0xoff" when the guest ELF knows it, else unchanged;
 * a tagged trap vector "hs:0x..." keeps its tag ("hs:symbol"). */
static char *detail_symbolized(const struct symtab *t, const char *detail, int exact_only)
{
	uint64_t pc;
	const struct sym *sym;
	char *end;

	if (t && (!strncmp(detail, "hs:", 3) || !strncmp(detail, "vs:", 3))) {
		char *rest = detail_symbolized(t, detail + 3, exact_only);
		char *out = xasprintf("%.3s%s", detail, rest);

		free(rest);
		return out;
	}
	if (!t || strncmp(detail, "0x", 2))
		return xstrdup(detail);

	errno = 0;
	pc = strtoull(detail + 2, &end, 16);
	if (errno || *end)
		return xstrdup(detail);
	sym = symtab__lookup(t, pc);
	if (!sym || !sym->name || (exact_only && sym->addr != pc))
		return xstrdup(detail);
	if (sym->addr == pc)
		return xstrdup(sym->name);
	return xasprintf("%s+0x%llx", sym->name, (unsigned long long)(pc - sym->addr));
}

static int ingest_run(const struct ingest_ctx *c)
{
	struct store *s = c->s;
	const struct qemu_output *out = c->out;
	char *argvj = NULL, *cfg = config_json(c);
	int64_t wid, run_id;
	int rc = -1;

	argvj = json__argv(c->o->argc, c->o->argv);
	if (!cfg || !argvj)
		goto out;
	if (store__begin(s))
		goto out;
	wid = store__workload(s, c->name, c->arch, c->elf_path, argvj);
	if (wid < 0)
		goto rollback;
	{
		struct run_info ri = {
			.workload_id = wid, .platform = c->o->system ? "qemu-system" : "qemu-user",
			.config_json = cfg, .rep = c->rep, .status = c->r->status,
			.exit_code = c->r->exit_code, .wall_ns = c->r->wall_ns, .cell = c->o->com.cell,
		};
		run_id = store__run_add(s, &ri);
	}
	if (run_id < 0)
		goto rollback;
	if (c->r->wall_ns >= 0 && store__run_metric_set(s, run_id, "wall_ns", (double)c->r->wall_ns))
		goto rollback;
	if (c->r->exit_code >= 0 &&
	    store__run_metric_set(s, run_id, "exit_code", (double)c->r->exit_code))
		goto rollback;
	if (!out)
		goto commit;
	if (c->n_children &&
	    (store__run_metric_set(s, run_id, "children", (double)c->n_children) ||
	     store__run_metric_set(s, run_id, "insns_children", (double)c->insns_children)))
		goto rollback;
	for (size_t i = 0; i < out->n_marks; i++)
		if (store__mark_add(s, run_id, (int64_t)i, out->marks[i].id,
				    (int64_t)out->marks[i].insns, (int64_t)out->marks[i].host_ns))
			goto rollback;
	for (size_t i = 0; i < out->n_values; i++)
		if (store__mark_value_add(s, run_id, out->values[i].seq, out->values[i].metric,
					  (double)out->values[i].value))
			goto rollback;
	for (size_t i = 0; i < out->n_events; i++) {
		const struct qemu_output_event *e = &out->events[i];
		int is_trap = !strcmp(e->kind, "trap_entry") || !strcmp(e->kind, "vm_exit");
		int is_pc = strcmp(e->kind, "syscall") && strcmp(e->kind, "trap_return");
		char *detail = is_pc ? detail_symbolized(c->elf_syms, e->detail, is_trap)
				     : xstrdup(e->detail);
		int bad = store__event_add(s, run_id, 0, e->seq, e->kind, detail, (int64_t)e->count);

		free(detail);
		if (bad)
			goto rollback;
	}
	for (size_t i = 0; i < out->n_totals; i++) {
		const char *m = out->totals[i].metric;

		if (!strcmp(m, "host_ns"))
			m = "qemu_host_ns";
		if (store__run_metric_set(s, run_id, m, (double)out->totals[i].value))
			goto rollback;
	}
	{
		uint64_t nosym = 0;

		for (size_t i = 0; i < out->n_symbols; i++) {
			const struct qemu_output_symbol *sy = &out->symbols[i];

			if (!strcmp(sy->name, "[unknown]")) {
				nosym += sy->insns;
				continue;
			}
			char *key = xasprintf("s:%s", sy->name);
			int64_t rid = store__region(s, wid, key, sy->name);

			free(key);
			if (rid < 0 || store__region_metric_set(s, run_id, rid, "insns", (double)sy->insns))
				goto rollback;
		}
		if (store__run_metric_set(s, run_id, "insns_unattributed", (double)nosym))
			goto rollback;
	}
	/* symbols per marker interval; [unknown] is kept so that intervals add up */
	for (size_t i = 0; i < out->n_msyms; i++)
		if (store__mark_symbol_set(s, run_id, out->msyms[i].seq, out->msyms[i].name, "insns",
					   (double)out->msyms[i].insns))
			goto rollback;
	if (out->has_msym && out->msym_complete < (int64_t)out->n_marks)
		warning("run %lld: the plugin's marksyms_limit stopped symbols per marker interval at "
			"mark %lld of %zu; later marker regions have no per-symbol roll-up (raise "
			"--plugin-opt marksyms_limit=N)", (long long)run_id,
			(long long)out->msym_complete, out->n_marks);
	if (c->o->until_console && c->r->until_seen) {
		uint64_t insns;

		if (store__run_metric_set(s, run_id, "until_console_ns", (double)c->r->until_ns))
			goto rollback;
		if (!qemu_output__total(out, "insns", &insns) &&
		    store__run_metric_set(s, run_id, "until_console_insns", (double)insns))
			goto rollback;
	}
commit:
	if (store__commit(s))
		goto out;
	rc = 0;
	printf("run %lld: %s, %s, %zu marks, %s\n", (long long)run_id,
	       c->o->system ? "qemu-system" : "qemu-user", c->r->status, out ? out->n_marks : 0,
	       out ? "plugin output ingested" : "no plugin output");
	goto out;
rollback:
	store__rollback(s);
out:
	free(cfg);
	free(argvj);
	return rc;
}

/* Validate what a plugin output says against what we ran. */
static int output_check(const char *path, const struct qemu_output *out, const struct qemu_opts *o,
			const char *arch)
{
	if (out->system != o->system)
		return error("%s: plugin output is for %s mode, but this is a %s-mode collection", path,
			     out->system ? "system" : "user", o->system ? "system" : "user");
	if (arch && strcmp(arch, out->arch))
		return error("%s: plugin output is for %s, but the ELF is %s", path, out->arch, arch);
	if (out->vcpus > 1)
		return error("%s: the guest ran %d threads (vCPUs); the plugin's shared inline counters "
			     "do not count them exactly, so nothing is stored", path, out->vcpus);
	return 0;
}

/* ---- forked children's files ---- */

/* The forked children's output files of one plugin output FILE. */
struct children {
	char **paths; /* FILE.<pid>, sorted */
	size_t n;
	uint64_t insns;
};

static int all_digits(const char *p)
{
	if (!*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void children__free(struct children *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->paths[i]);
	free(ch->paths);
	memset(ch, 0, sizeof(*ch));
}

/* FILE's directory (caller frees) and base name. */
static char *dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	return slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
}

/* Remove the children's files, and the FILE.<pid>.tmp a child killed while writing left. */
static void children__remove(const char *outfile)
{
	const char *base;
	char *dir = dir_of(outfile, &base);
	size_t bl = strlen(base);
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *pid;

		if (strncmp(e->d_name, base, bl) || e->d_name[bl] != '.')
			continue;
		pid = xstrdup(e->d_name + bl + 1);
		size_t pl = strlen(pid);

		if (pl > 4 && !strcmp(pid + pl - 4, ".tmp"))
			pid[pl - 4] = '\0';
		if (all_digits(pid)) {
			char *p = xasprintf("%s/%s", dir, e->d_name);

			unlink(p);
			free(p);
		}
		free(pid);
	}
	if (d)
		closedir(d);
	free(dir);
}

/*
 * Find FILE.<digits> next to FILE and read each: a damaged one is bad input
 * like a damaged FILE (one-line error, -1).
 */
static int children__read(const char *outfile, const struct qemu_opts *o, const char *arch,
			  struct children *ch)
{
	const char *base;
	char *dir = dir_of(outfile, &base);
	size_t bl = strlen(base), cap = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	memset(ch, 0, sizeof(*ch));
	if (!d) {
		error("%s: cannot list the directory: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, base, bl) || e->d_name[bl] != '.' ||
		    !all_digits(e->d_name + bl + 1))
			continue;
		if (ch->n == cap) {
			cap = cap ? cap * 2 : 8;
			ch->paths = xrealloc(ch->paths, cap * sizeof(*ch->paths));
		}
		ch->paths[ch->n++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	free(dir);
	if (ch->n)
		qsort(ch->paths, ch->n, sizeof(*ch->paths), cmp_str);
	for (size_t i = 0; i < ch->n && !rc; i++) {
		struct qemu_output out;
		uint64_t insns;

		if (qemu_output__read(ch->paths[i], &out)) {
			rc = -1;
			break;
		}
		if (output_check(ch->paths[i], &out, o, arch))
			rc = -1;
		else if (qemu_output__total(&out, "insns", &insns))
			rc = error("%s: forked child's plugin output has no 'total insns' line",
				   ch->paths[i]);
		else
			ch->insns += insns;
		qemu_output__free(&out);
	}
	if (rc)
		children__free(ch);
	return rc;
}

static void children__warn(const char *what, const struct children *ch)
{
	if (ch->n)
		warning("%s: the guest forked %zu child process(es); their %llu instructions are "
			"stored as insns_children, regions and markers are the parent's", what, ch->n,
			(unsigned long long)ch->insns);
}

/* ---- the command ---- */

/* An address or a symbol of the --elf file (len bytes of s); opt names the option. */
static int resolve_addr(const char *opt, const char *s, size_t len, const struct symtab *t,
			uint64_t *a)
{
	char *word = xasprintf("%.*s", (int)len, s), *end;
	const struct sym *found = NULL;

	errno = 0;
	*a = strtoull(word, &end, 0);
	if (!errno && end != word && !*end) {
		free(word);
		return 0;
	}
	for (size_t k = 0; t && k < symtab__count(t); k++)
		if (!strcmp(symtab__at(t, k)->name, word))
			found = symtab__at(t, k);
	if (!found) {
		error("%s %s: no such symbol%s", opt, word,
		      t ? " in the --elf file" : " (give --elf, or an address)");
		free(word);
		return -1;
	}
	*a = found->addr;
	free(word);
	return 0;
}

static int resolve_trapvecs(const struct qemu_opts *o, const struct symtab *t, char *buf, size_t len)
{
	size_t used = 0;
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < o->n_trapvec; i++) {
		const char *v = o->trapvec[i], *at = strchr(v, '@');
		uint64_t a;

		if (at && strcmp(at, "@hs") && strcmp(at, "@vs"))
			return error("--trapvec %s: '%s': expected @hs or @vs", v, at);
		if (resolve_addr("--trapvec", v, at ? (size_t)(at - v) : strlen(v), t, &a))
			return -1;
		used += (size_t)snprintf(buf + used, len - used, "%s0x%llx%s", n++ ? ":" : "",
					 (unsigned long long)a, at ? at : "");
	}
	if (!o->n_trapvec && t)
		for (size_t k = 0; k < symtab__count(t); k++)
			for (size_t j = 0; j < sizeof(trap_vector_symbols) / sizeof(*trap_vector_symbols); j++)
				if (!strcmp(symtab__at(t, k)->name, trap_vector_symbols[j]) && n < 32)
					used += (size_t)snprintf(buf + used, len - used, "%s0x%llx",
								 n++ ? ":" : "",
								 (unsigned long long)symtab__at(t, k)->addr);
	if (used >= len)
		return error("--trapvec: too many vectors");
	return 0;
}

/* --guest LO-HI ranges as the plugin's guest=LO-HI:LO-HI... */
static int resolve_guest(const struct qemu_opts *o, const struct symtab *t, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < o->n_guest; i++) {
		const char *v = o->guest[i], *dash = strchr(v, '-');
		uint64_t lo = 0, hi = 0;

		if (!dash) {
			/* a function symbol: its extent */
			for (size_t k = 0; t && k < symtab__count(t); k++)
				if (!strcmp(symtab__at(t, k)->name, v)) {
					lo = symtab__at(t, k)->addr;
					hi = lo + symtab__at(t, k)->size;
				}
			if (!lo && !hi)
				return error("--guest %s: no such symbol%s", v,
					     t ? " in the --elf file" : " (give --elf, or LO-HI)");
		} else if (dash == v || !dash[1]) {
			return error("--guest %s: expected LO-HI or SYMBOL", v);
		} else if (resolve_addr("--guest", v, (size_t)(dash - v), t, &lo) ||
			   resolve_addr("--guest", dash + 1, strlen(dash + 1), t, &hi)) {
			return -1;
		}
		if (hi <= lo)
			return error("--guest %s: empty range (0x%llx-0x%llx)", v, (unsigned long long)lo,
				     (unsigned long long)hi);
		used += (size_t)snprintf(buf + used, len - used, "%s0x%llx-0x%llx", i ? ":" : "",
					 (unsigned long long)lo, (unsigned long long)hi);
	}
	if (used >= len)
		return error("--guest: too many ranges");
	return 0;
}


int cmd_collect_qemu(int argc, char **argv)
{
	struct qemu_opts o;
	struct store *s = NULL;
	struct symtab *syms = NULL;
	char *plugin = NULL, *qemu_ver = NULL, *tmpdir = NULL, *outfile = NULL, *plugin_arg = NULL;
	char trapvecs[1200], guest[700], opts_str[2048] = "";
	const char *arch = NULL, *qemu_bin;
	const char *elf_path;
	char **qargv = NULL;
	int ret = EXIT_BADINPUT, any_bad = 0, qargc = 0, keep_output = 0;
	size_t used = 0;

	parse_opts(argc, argv, &o);
	qemu_bin = o.qemu;
	elf_path = o.system ? o.elf : (o.argc ? o.argv[0] : o.elf);
	if (elf_path) {
		syms = symtab__load(elf_path);
		if (!syms)
			return EXIT_BADINPUT;
		arch = symtab__arch(syms);
		if (strcmp(arch, "riscv64") && strcmp(arch, "x86_64")) {
			error("%s: %s guests are not supported by the QEMU plugin (riscv64, x86_64)",
			      elf_path, arch);
			goto out;
		}
	}
	for (int i = 0; i < o.n_plugin_opts; i++)
		used += (size_t)snprintf(opts_str + used, sizeof(opts_str) - used, "%s%s", i ? "," : "",
					 o.plugin_opts[i]);
	if (o.system) {
		if (resolve_trapvecs(&o, syms, trapvecs, sizeof(trapvecs)))
			goto out;
		if (trapvecs[0])
			used += (size_t)snprintf(opts_str + used, sizeof(opts_str) - used,
						 "%strapvec=%s", used ? "," : "", trapvecs);
		if (resolve_guest(&o, syms, guest, sizeof(guest)))
			goto out;
		if (guest[0])
			used += (size_t)snprintf(opts_str + used, sizeof(opts_str) - used,
						 "%sguest=%s", used ? "," : "", guest);
	} else if (o.n_trapvec || o.n_guest) {
		usage_die("%s needs --system (user mode has no trap vectors)",
			  o.n_trapvec ? "--trapvec" : "--guest");
	}
	if (used >= sizeof(opts_str)) {
		error("plugin options too long");
		goto out;
	}

	s = store__open(o.com.db, STORE_CREATE);
	if (!s)
		goto out;
	const char *name = o.com.name ? o.com.name : elf_path ? path__base(elf_path) : "qemu-system";

	if (o.ingest) {
		/* a plugin output file made elsewhere (the plugin run standalone) */
		struct qemu_output out;
		struct qemu_result r = { .status = "ok", .exit_code = -1, .wall_ns = -1 };

		if (qemu_output__read(o.ingest, &out))
			goto out;
		struct children ch;

		if (output_check(o.ingest, &out, &o, arch) ||
		    children__read(o.ingest, &o, arch ? arch : out.arch, &ch)) {
			qemu_output__free(&out);
			goto out;
		}
		if (out.has_exit) {
			r.exit_code = out.exit_code;
			r.status = out.exit_code ? "failed" : "ok";
		}
		struct ingest_ctx c = { .s = s, .o = &o, .out = &out, .r = &r, .elf_syms = syms,
					.name = name, .arch = arch ? arch : out.arch,
					.elf_path = elf_path, .plugin_opts = out.options,
					.qemu_ver = "unknown", .qemu_bin = "", .rep = o.com.rep,
					.n_children = ch.n, .insns_children = ch.insns };
		int bad = ingest_run(&c);

		if (!bad)
			children__warn(o.ingest, &ch);
		children__free(&ch);
		qemu_output__free(&out);
		ret = bad ? EXIT_BADINPUT : EXIT_OK;
		goto out;
	}

	plugin = find_plugin();
	if (!plugin)
		goto out;
	/* QEMU's command line */
	qargv = xcalloc((size_t)o.argc + 8, sizeof(*qargv));
	int first_arg = 0;

	if (o.system) {
		if (!qemu_bin && o.argv[0][0] != '-') {
			qemu_bin = o.argv[0];
			first_arg = 1;
		}
		if (!qemu_bin)
			qemu_bin = arch && !strcmp(arch, "x86_64") ? "qemu-system-x86_64"
								   : "qemu-system-riscv64";
	} else if (!qemu_bin) {
		qemu_bin = !strcmp(arch, "riscv64") ? "qemu-riscv64" : "qemu-x86_64";
	}
	if (!program_exists(qemu_bin)) {
		error("%s: not found (install Debian's qemu-user or qemu-system-misc, or give --qemu PATH)",
		      qemu_bin);
		goto out;
	}
	qemu_ver = qemu_version(qemu_bin);
	tmpdir = xstrdup("/tmp/emudiff-qemu-XXXXXX");
	{
		const char *td = getenv("TMPDIR");

		if (td && *td) {
			free(tmpdir);
			tmpdir = xasprintf("%s/emudiff-qemu-XXXXXX", td);
		}
	}
	if (!mkdtemp(tmpdir)) {
		error("%s: cannot create a temporary directory: %s", tmpdir, strerror(errno));
		free(tmpdir);
		tmpdir = NULL;
		goto out;
	}
	outfile = xasprintf("%s/plugin.out", tmpdir);
	plugin_arg = xasprintf("%s,out=%s%s%s", plugin, outfile, opts_str[0] ? "," : "", opts_str);
	qargv[qargc++] = (char *)qemu_bin;
	if (o.system) {
		for (int i = first_arg; i < o.argc; i++)
			qargv[qargc++] = o.argv[i];
		qargv[qargc++] = "-plugin";
		qargv[qargc++] = plugin_arg;
	} else {
		qargv[qargc++] = "-plugin";
		qargv[qargc++] = plugin_arg;
		for (int i = 0; i < o.argc; i++)
			qargv[qargc++] = o.argv[i];
	}
	qargv[qargc] = NULL;

	ret = EXIT_OK;
	catch_interrupts();
	for (int rep = o.com.rep; rep < o.com.rep + o.com.reps && !interrupted; rep++) {
		struct qemu_result r;
		struct qemu_output out;
		struct children ch = { 0 };
		int have_out = 0;

		unlink(outfile);
		children__remove(outfile);
		qemu_run(qargv, &o, &r);
		if (interrupted) {
			warning("interrupted: run %d not stored", rep);
			break;
		}
		if (access(outfile, F_OK) == 0) {
			/* a present but damaged file is bad input: nothing is stored */
			if (qemu_output__read(outfile, &out)) {
				keep_output = 1; /* for a post-mortem */
				ret = EXIT_BADINPUT;
				break;
			}
			if (output_check(elf_path ? elf_path : qemu_bin, &out, &o, arch)) {
				qemu_output__free(&out);
				ret = EXIT_BADINPUT;
				break;
			}
			if (children__read(outfile, &o, arch ? arch : out.arch, &ch)) {
				qemu_output__free(&out);
				keep_output = 1;
				ret = EXIT_BADINPUT;
				break;
			}
			have_out = 1;
		} else if (!strcmp(r.status, "ok")) {
			error("%s: QEMU exited with status 0 but the plugin wrote no output (%s)",
			      qemu_bin, outfile);
			ret = EXIT_BADINPUT;
			break;
		}
		struct ingest_ctx c = { .s = s, .o = &o, .out = have_out ? &out : NULL, .r = &r,
					.elf_syms = o.system ? syms : NULL, .name = name,
					.arch = arch ? arch : have_out ? out.arch : NULL,
					.elf_path = elf_path, .plugin_opts = opts_str[0] ? opts_str : "-",
					.qemu_ver = qemu_ver, .qemu_bin = qemu_bin, .rep = rep,
					.n_children = ch.n, .insns_children = ch.insns };
		int bad = ingest_run(&c);

		if (!bad)
			children__warn(elf_path ? elf_path : qemu_bin, &ch);
		children__free(&ch);
		children__remove(outfile);
		if (have_out)
			qemu_output__free(&out);
		if (bad) {
			ret = EXIT_BADINPUT;
			break;
		}
		any_bad |= strcmp(r.status, "ok") != 0;
		if (strcmp(r.status, "ok"))
			warning("run %d: %s (%s)", rep, r.status, r.why);
	}
	if (ret == EXIT_OK && any_bad && o.com.fail_on_error)
		ret = EXIT_FINDINGS;
out:
	if (keep_output) {
		warning("the damaged plugin output is kept in %s", outfile);
	} else if (outfile) {
		unlink(outfile);
		children__remove(outfile);
		char *tmp = xasprintf("%s.tmp", outfile);

		unlink(tmp);
		free(tmp);
	}
	if (tmpdir && !keep_output)
		rmdir(tmpdir);
	free(outfile);
	free(tmpdir);
	free(plugin_arg);
	free(plugin);
	free(qemu_ver);
	free(qargv);
	if (syms)
		symtab__free(syms);
	store__close(s);
	if (interrupted) {
		/* die of the signal, as the caller (a shell, the study) expects: 128 + signal */
		int sig = interrupted;

		fflush(stdout);
		signal(sig, SIG_DFL);
		raise(sig);
		return 128 + sig;
	}
	if (ret == EXIT_OK && stdout_flush_check())
		ret = EXIT_FINDINGS;
	return ret;
}
