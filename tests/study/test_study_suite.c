/*
 * test_study_suite.c - the suite parser and the planner of `emudiff study`:
 * exact fields, exact cells and collector commands for a known suite, and the
 * exact one-line error (with SUITE:LINE) for each kind of bad suite.
 *
 * usage: test_study_suite SUITES_DIR
 */
#include "check.h"
#include "common.h"
#include "study.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/emudiff-study-test-XXXXXX";

/* Load a suite and return what it printed on stderr (caller frees). */
static struct study_suite *load_capture(const char *path, char **err)
{
	char errpath[256], buf[1024] = "";
	int saved = dup(2), fd;
	struct study_suite *s;
	ssize_t n;

	snprintf(errpath, sizeof(errpath), "%s/stderr", tmpdir);
	fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fflush(stderr);
	dup2(fd, 2);
	s = study_suite__load(path, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	*err = xstrdup(buf);
	return s;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* The suite text must be rejected with exactly "error: PATH:WHERE" + message. */
static void expect_error(const char *text, const char *where_msg)
{
	char path[256], *err, *want;
	struct study_suite *s;

	snprintf(path, sizeof(path), "%s/bad.ini", tmpdir);
	write_file(path, text);
	s = load_capture(path, &err);
	CHECK(s == NULL);
	want = xasprintf("error: %s%s", path, where_msg);
	if (strncmp(err, want, strlen(want)) || strchr(err, '\n') != err + strlen(err) - 1) {
		fprintf(stderr, "suite:\n%s--\ngot:  %swant: %s...\n", text, err, want);
		check_failures++;
	}
	free(want);
	free(err);
	study_suite__free(s);
}

/* The collector command a cell runs, shell-quoted, against WANT (freed). */
static void check_cell_command(const struct study_cell *c, int warmup, char *want)
{
	char **argv = study_cell__argv(c, "emudiff", "s.db", warmup);
	char *line = study_argv__shell(argv);

	if (strcmp(line, want)) {
		fprintf(stderr, "got:  %s\nwant: %s\n", line, want);
		check_failures++;
	}
	free(want);
	free(line);
	study_argv__free(argv);
}

static void test_basic(const char *dir)
{
	char *path = xasprintf("%s/basic.ini", dir), *err, *line;
	struct study_suite *s = load_capture(path, &err);
	struct study_plan plan;
	const char *want_keys[] = { "alpha/qemu-user/0", "alpha/hw/0", "beta/qemu-user/0", "gamma/qemu-user/0",
				    "gamma/hw/0", "alpha/qemu-user/1", "alpha/hw/1", "beta/qemu-user/1",
				    "alpha/qemu-user/2", "alpha/hw/2" };
	char **argv;

	CHECK(s != NULL);
	CHECK(!strcmp(err, ""));
	free(err);
	if (!s) {
		free(path);
		return;
	}
	CHECK(!strcmp(s->name, "basic"));
	CHECK_EQ_INT(s->nworkloads, 3);
	CHECK_EQ_INT(s->npairs, 1);
	CHECK_EQ_INT(s->jobs, 2);
	CHECK_NEAR(s->tolerance, 1.5, 1e-12);
	CHECK_NEAR(s->confidence, 0.95, 1e-12);
	/* alpha inherits everything from [study]; its args continue on a line */
	CHECK_EQ_INT(s->workloads[0].reps, 3);
	CHECK_EQ_INT(s->workloads[0].warmup, 2);
	CHECK_EQ_INT(s->workloads[0].pin, 0);
	CHECK_EQ_INT(s->workloads[0].timeout, 2);
	CHECK_EQ_INT(s->workloads[0].line, 11);
	CHECK_EQ_INT(s->workloads[0].platforms, 1u << PLAT_QEMU_USER | 1u << PLAT_HW);
	CHECK_EQ_INT(s->workloads[0].args.n, 3);
	if (s->workloads[0].args.n == 3) {
		CHECK(!strcmp(s->workloads[0].args.v[0], "--size"));
		CHECK(!strcmp(s->workloads[0].args.v[1], "two words"));
		CHECK(!strcmp(s->workloads[0].args.v[2], "x"));
	}
	CHECK(!strcmp(strrchr(s->workloads[0].binary, '/'), "/no-op"));
	CHECK_EQ_INT(s->workloads[1].reps, 2);
	CHECK_EQ_INT(s->workloads[1].platforms, 1u << PLAT_QEMU_USER);
	CHECK_EQ_INT(s->workloads[2].sample, 999);
	CHECK_EQ_INT(s->workloads[2].opts[PLAT_HW].n, 2);
	CHECK(!strcmp(s->pairs[0].a, "alpha") && !strcmp(s->pairs[0].b, "beta"));
	CHECK(s->pairs[0].a_platform == NULL && !strcmp(s->pairs[0].b_platform, "qemu-user"));

	/* repetition-major order, platforms in a fixed order within a workload */
	CHECK_EQ_INT(study_plan__build(&plan, s), 10);
	for (int i = 0; i < plan.ncells && i < 10; i++)
		if (strcmp(plan.cells[i].key, want_keys[i])) {
			fprintf(stderr, "cell %d: %s, expected %s\n", i, plan.cells[i].key, want_keys[i]);
			check_failures++;
		}
	CHECK(study_plan__find(&plan, "gamma/hw/0") == &plan.cells[4]);
	CHECK(study_plan__find(&plan, "gamma/hw/1") == NULL);

	/* the exact collector commands (brief's conventions) */
	check_cell_command(&plan.cells[1], 1,
			   xasprintf("emudiff collect hw --db s.db --name alpha --reps 1 --rep 0 --cell alpha/hw/0"
				   " --timeout 2 --pin 0 --warmup 2 -- %s --size 'two words' x",
				   s->workloads[0].binary));
	check_cell_command(&plan.cells[4], 0, /* gamma/hw/0, no warm-up */
			   xasprintf("emudiff collect hw --db s.db --name gamma --reps 1 --rep 0 --cell gamma/hw/0"
				   " --timeout 2 --pin 0 --sample 999 --events task-clock -- %s",
				   s->workloads[2].binary));
	argv = study_cell__argv(&plan.cells[8], "emudiff", "s.db", 0); /* alpha/qemu-user/2 */
	CHECK(!strcmp(argv[2], "qemu") && !strcmp(argv[10], "2") && !strcmp(argv[12], "alpha/qemu-user/2"));
	study_argv__free(argv);

	/* shell quoting survives a quote inside a word */
	{
		char *v[] = { "a", "it's", "", "x y", NULL };
		line = study_argv__shell(v);
		CHECK(!strcmp(line, "a 'it'\\''s' '' 'x y'"));
		free(line);
	}
	study_plan__free(&plan);
	study_suite__free(s);
	free(path);
}

static void test_errors(void)
{
	char noop[300];

	snprintf(noop, sizeof(noop), "%s/no-op", tmpdir);
	write_file(noop, "x\n");
	expect_error("[study]\nreps = 0\n", ":2: reps must be an integer in 1..100000, not '0'");
	expect_error("[study]\ntolerance = 0.9\n", ":2: tolerance must be a number above 1, not '0.9'");
	expect_error("[workload a]\nbinary = no-op\nplatforms = qemu-user vax\n",
		     ":3: unknown platform 'vax' (qemu-user, qemu-system, hw, hw-kvm, console)");
	expect_error("; comment\n[bogus]\nx = 1\n", ":2: unknown section [bogus] (study, workload NAME, pair NAME)");
	expect_error("[workload a]\nbinary = missing-prog\n",
		     ":1: workload 'a': binary 'missing-prog' not found next to the suite file (is it built?)");
	expect_error("[workload a]\nbinary = no-op\nreps = 2\nbinary = no-op\n",
		     ":4: key 'binary' given twice in [workload a]");
	expect_error("[workload a]\nbinary = no-op\nargs = x\nreps = 1\nargs = y\n",
		     ":5: key 'args' given twice in [workload a]");
	expect_error("[workload a]\nbinary = no-op\nargs = 'unbalanced\n", ":3: args: unbalanced quotes");
	expect_error("[workload a]\nbinary = no-op\nargs = a | b\n",
		     ":3: args: unquoted special character (one of | & ; < > ( ) { } newline)");
	expect_error("[workload a]\nbinary = no-op\nargs = $(rm x)\n", ":3: args: command substitution is not allowed");
	expect_error("[workload a]\nbinary = no-op\n\n[pair p]\na = a\nb = zed\n",
		     ":4: pair 'p': no [workload zed] in this suite");
	expect_error("[workload a]\nbinary = no-op\n[pair p]\na = a\n", ":3: pair 'p' needs both 'a' and 'b'");
	expect_error("[workload a]\nthis line has no equals sign\n",
		     ":2: syntax error (expected [section], key = value, or an indented continuation)");
	expect_error("[study]\nname = x\n", ": the suite has no [workload NAME] section");
	expect_error("[workload a]\nbinary = no-op\nargs = "
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nreps = 1\n",
		     ":3: line longer than 198 characters (continue a long value on indented lines)");
	expect_error("[workload a]\nbinary = no-op\nplatforms = qemu-system\n",
		     ":1: workload 'a' runs on qemu-system but has no 'system' (or 'system.qemu-system') command line");
	expect_error("[workload a]\nbinary = no-op\nplatforms = hw-kvm\nsystem.qemu-system = q\n",
		     ":1: workload 'a' runs on hw-kvm but has no 'system' (or 'system.hw-kvm') command line");
	expect_error("[workload a]\nbinary = no-op\nsystem.hw = q\n",
		     ":3: 'system.hw': a system line is for qemu-system or hw-kvm");
	expect_error("[workload a]\nbinary = no-op\nready_console = up\n",
		     ":1: [workload a]: port, ready_timeout, ready_console and budget need driver =");
	expect_error("[workload a]\nplatforms = console\n", ":1: workload 'a' runs on console but has no 'log'");
	expect_error("[workload a]\nbinary = no-op\n[workload a]\nreps = 2\n",
		     ":3: section [workload a] appears twice (sections cannot be split)");
	expect_error("[workload a/b]\nbinary = no-op\n",
		     ":1: section [workload a/b]: a name of letters, digits, '-', '_', '.', '+' is needed");
	expect_error("[workload a]\nbinary = no-op\nopts.vax = -x\n", ":3: unknown platform in 'opts.vax'");
	expect_error("[study]\nfoo = 1\n", ":2: unknown key 'foo' in [study]");
	expect_error("[workload a]\nbinary = no-op\noptional = maybe\n", ":3: optional must be yes or no, not 'maybe'");
	expect_error("[workload a]\nbinary = no-op\n\n[pair p]\n; nothing yet\n", ":4: the section has no keys");
	expect_error("[workload a]\nplatforms = hw\n", ":1: workload 'a' has no 'binary'");
	expect_error("[study]\nslurm.hardware = -p x\n",
		     ":2: unknown key 'slurm.hardware' in [study] (slurm.emulation, slurm.hw, slurm.report,"
		     " slurm.hw_emudiff)");
	expect_error("[study]\nslurm.hw = -p x\nreps = 1\nslurm.hw = -p y\n", ":4: key 'slurm.hw' given twice in [study]");
	expect_error("[study]\nslurm.emulation = -p 'x\n", ":2: slurm.emulation: unbalanced quotes");
	{
		char *err;
		struct study_suite *s = load_capture("/nonexistent/suite.ini", &err);
		CHECK(s == NULL);
		CHECK(!strcmp(err, "error: /nonexistent/suite.ini: No such file or directory\n"));
		free(err);
	}
}

/* The sbatch options of each Slurm job, split like a command line. */
static void test_slurm_keys(void)
{
	char path[256];
	struct study_suite *s;

	snprintf(path, sizeof(path), "%s/slurm.ini", tmpdir);
	write_file(path, "[study]\nslurm.emulation = --partition=x86 --time=10\nslurm.hw = --partition=riscv"
			 " --exclusive\n  --constraint='visionfive2'\nslurm.hw_emudiff = /opt/rv/emudiff\n"
			 "[workload a]\nplatforms = console\nlog = slurm.ini\n");
	s = study_suite__load(path, NULL);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->slurm[SLURM_EMULATION].n == 2 && !strcmp(s->slurm[SLURM_EMULATION].v[1], "--time=10"));
	CHECK(s->slurm[SLURM_HW].n == 3 && !strcmp(s->slurm[SLURM_HW].v[2], "--constraint=visionfive2"));
	CHECK(s->slurm[SLURM_REPORT].n == 0);
	CHECK(s->slurm_hw_emudiff && !strcmp(s->slurm_hw_emudiff, "/opt/rv/emudiff"));
	study_suite__free(s);
}

/* An optional workload whose binary is not built is left out with its pairs
 * (one warning line each); the rest of the suite stands. */
static void test_optional(void)
{
	char path[256], *err;
	struct study_suite *s;

	snprintf(path, sizeof(path), "%s/opt.ini", tmpdir);
	write_file(path, "[workload a]\nbinary = no-op\n[workload app]\nbinary = not-built\noptional = yes\n"
			 "[pair p]\na = a\nb = app\n[pair q]\na = a\nb = a\n");
	s = load_capture(path, &err);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_INT(s->nworkloads, 1);
		CHECK(!strcmp(s->workloads[0].name, "a"));
		CHECK_EQ_INT(s->nskipped, 1);
		CHECK(s->nskipped == 1 && !strcmp(s->skipped[0], "app"));
		CHECK_EQ_INT(s->npairs, 1);
		CHECK(s->npairs == 1 && !strcmp(s->pairs[0].name, "q"));
	}
	{
		char *want = xasprintf("warning: %s:3: workload 'app' skipped: binary 'not-built' is not built\n"
				       "warning: %s:6: pair 'p' skipped: workload 'app' is not built\n", path, path);
		if (strcmp(err, want)) {
			fprintf(stderr, "got:  %swant: %s", err, want);
			check_failures++;
		}
		free(want);
	}
	free(err);
	study_suite__free(s);

	/* nothing left to run is an error */
	write_file(path, "[workload app]\nbinary = not-built\noptional = yes\n");
	s = load_capture(path, &err);
	CHECK(s == NULL);
	CHECK(strstr(err, ": no workload of the suite is built\n") != NULL);
	free(err);
	study_suite__free(s);
}

/* System mode: the QEMU command line with @binary@, collector options per platform. */
static void test_system(void)
{
	char path[256], *err;
	struct study_suite *s;
	struct study_plan plan;

	snprintf(path, sizeof(path), "%s/sys.ini", tmpdir);
	write_file(path, "[workload pay]\nbinary = no-op\nplatforms = qemu-system\nreps = 1\ntimeout = 9\n"
			 "system = qemu-system-riscv64 -M virt\n  -kernel @binary@ -append x=@binary@\n"
			 "opts.qemu-system = --until-console '=> '\n");
	s = load_capture(path, &err);
	CHECK(s != NULL);
	CHECK(!strcmp(err, ""));
	free(err);
	if (!s)
		return;
	CHECK_EQ_INT(study_plan__build(&plan, s), 1);
	check_cell_command(&plan.cells[0], 1, xasprintf("emudiff collect qemu --db s.db --name pay --reps 1 --rep 0 --cell pay/qemu-system/0 --timeout 9"
			 " --system --elf %s --until-console '=> ' -- qemu-system-riscv64 -M virt -kernel %s -append x=%s",
			 s->workloads[0].binary, s->workloads[0].binary, s->workloads[0].binary));
	study_plan__free(&plan);
	study_suite__free(s);

	/* a board's serial log, and a KVM guest (no pinning or warm-up options:
	 * the VMM command line decides those) */
	write_file(path, "[study]\nreps = 1\npin = 1\nwarmup = 3\ntimeout = 5\n"
			 "[workload con]\nbinary = no-op\nplatforms = console\nlog = no-op\n"
			 "[workload kvm]\nbinary = no-op\nplatforms = hw-kvm\nsystem = lkvm run -k @binary@\n");
	s = load_capture(path, &err);
	CHECK(s != NULL);
	free(err);
	if (!s)
		return;
	CHECK_EQ_INT(study_plan__build(&plan, s), 2);
	CHECK_EQ_INT(s->nskipped, 0);
	check_cell_command(&plan.cells[0], 1, xasprintf("emudiff collect console --db s.db --name con --reps 1 --rep 0 --cell con/console/0 --log %s --elf %s",
			 s->workloads[0].log, s->workloads[0].binary));
	check_cell_command(&plan.cells[1], 1, xasprintf("emudiff collect hw-kvm --db s.db --name kvm --reps 1 --rep 0 --cell kvm/hw-kvm/0 --timeout 5"
			 " -- lkvm run -k %s", s->workloads[1].binary));
	study_plan__free(&plan);
	study_suite__free(s);

	/* a server guest under TCG and KVM: one command line each, @dir@ and
	 * @port@ substituted, the driver's options (ready_console too) on both */
	write_file(path, "[workload g]\nbinary = no-op\nplatforms = qemu-system hw-kvm\nreps = 1\ntimeout = 9\n"
			 "system = q -kernel @dir@/kernel -nic user,hostfwd=tcp:127.0.0.1:@port@-:80\n"
			 "system.hw-kvm = q -accel kvm -kernel @dir@/kernel\n"
			 "driver = wrk http://127.0.0.1:@port@/\nport = 18099\nready_console = guest: serving\n");
	s = load_capture(path, &err);
	CHECK(s != NULL);
	free(err);
	if (!s)
		return;
	CHECK_EQ_INT(study_plan__build(&plan, s), 2);
	check_cell_command(&plan.cells[0], 1, xasprintf("emudiff collect qemu --db s.db --name g --reps 1 --rep 0 --cell g/qemu-system/0 --timeout 9"
			 " --system --elf %s --driver 'wrk http://127.0.0.1:@port@/' --port 18099 --ready-console 'guest: serving'"
			 " -- q -kernel %s/kernel -nic user,hostfwd=tcp:127.0.0.1:18099-:80", s->workloads[0].binary, tmpdir));
	check_cell_command(&plan.cells[1], 1, xasprintf("emudiff collect hw-kvm --db s.db --name g --reps 1 --rep 0 --cell g/hw-kvm/0 --timeout 9"
			 " --driver 'wrk http://127.0.0.1:@port@/' --port 18099 --ready-console 'guest: serving'"
			 " -- q -accel kvm -kernel %s/kernel", tmpdir));
	study_plan__free(&plan);
	study_suite__free(s);
}

/* parse = cyclictest: the importer runs each cell (alone); its keys' errors. */
static void test_parse(void)
{
	char path[256], *err;
	struct study_suite *s;
	struct study_plan plan;

	snprintf(path, sizeof(path), "%s/parse.ini", tmpdir);
	write_file(path, "[study]\nreps = 1\nwarmup = 2\npin = 1\ntimeout = 30\nqemu = qemu-x86_64\n"
			 "[workload ct]\nbinary = no-op\nparse = cyclictest\narch = x86_64\n"
			 "args = -l 2000 -i 200 -h 2000 -q\nopts.hw = --nsecs\n");
	s = load_capture(path, &err);
	CHECK(s != NULL);
	CHECK(!strcmp(err, ""));
	free(err);
	if (!s)
		return;
	CHECK_EQ_INT(study_plan__build(&plan, s), 2);
	check_cell_command(&plan.cells[0], 1, xasprintf("emudiff import cyclictest --db s.db --name ct --cell ct/qemu-user/0"
			 " --platform qemu-user --timeout 30 --rep 0 --arch x86_64 --qemu qemu-x86_64 --run -- %s"
			 " -l 2000 -i 200 -h 2000 -q", s->workloads[0].binary));
	check_cell_command(&plan.cells[1], 1, xasprintf("emudiff import cyclictest --db s.db --name ct --cell ct/hw/0"
			 " --platform hw --timeout 30 --rep 0 --arch x86_64 --nsecs --run -- %s -l 2000 -i 200 -h 2000 -q",
			 s->workloads[0].binary));
	/* a latency is measured on an idle machine: both cells run alone */
	CHECK(study_cell_exclusive(&plan.cells[0]) && study_cell_exclusive(&plan.cells[1]));
	study_plan__free(&plan);
	study_suite__free(s);
	expect_error("[workload a]\nbinary = no-op\nparse = perf\n",
		     ":3: parse: 'perf' is not an output emudiff parses (cyclictest)");
	expect_error("[workload a]\nbinary = no-op\nparse = cyclictest\nparse = cyclictest\n",
		     ":4: key 'parse' given twice in [workload a]");
	expect_error("[workload a]\nbinary = no-op\nparse = cyclictest\nplatforms = qemu-user qemu-system\n"
		     "system = qemu-system-x86_64\n",
		     ":1: [workload a]: parse = cyclictest runs on hw and qemu-user only");
	expect_error("[workload a]\nbinary = no-op\nparse = cyclictest\ndriver = wrk\nport = 1\n",
		     ":1: [workload a]: parse = and driver = do not go together");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_study_suite SUITES_DIR\n");
		return 2;
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_basic(argv[1]);
	test_errors();
	test_slurm_keys();
	test_system();
	test_optional();
	test_parse();
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "warning: could not remove %s\n", tmpdir);
		free(cmd);
	}
	return check_exit();
}
