/* machine.c - the facts about the machine that a hardware measurement depends on. */
#include "hw.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return -1;
	if (!fgets(buf, (int)size, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf[0] ? 0 : -1;
}

static int64_t read_i64(const char *path, int64_t dflt)
{
	char buf[64];
	int64_t v;

	if (read_line(path, buf, sizeof(buf)) || parse_i64(buf, &v))
		return dflt;
	return v;
}

/* First value of "key : value" in /proc/cpuinfo. */
static int cpuinfo(const char *key, char *out, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	size_t klen = strlen(key);
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, klen) || !colon || strspn(line + klen, " \t") != (size_t)(colon - line - (long)klen))
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = 0;
		snprintf(out, size, "%s", colon);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* CAP_PERFMON (38) or CAP_SYS_ADMIN (21) in the effective set. */
static int has_perf_caps(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long caps = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			caps = strtoull(line + 7, NULL, 16);
	fclose(f);
	return !!(caps & (1ull << 38 | 1ull << 21));
}

void hw_machine__probe(struct hw_machine *m, int cpu)
{
	struct utsname u;
	char path[128], buf[64];

	memset(m, 0, sizeof(*m));
	if (cpuinfo("model name", m->cpu_model, sizeof(m->cpu_model)) &&
	    cpuinfo("uarch", m->cpu_model, sizeof(m->cpu_model)) &&
	    cpuinfo("isa", m->cpu_model, sizeof(m->cpu_model)))
		snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	if (!uname(&u))
		snprintf(m->kernel, sizeof(m->kernel), "%s %s", u.release, u.version);
	if (cpu < 0)
		cpu = 0;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu);
	read_line(path, m->governor, sizeof(m->governor));
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", cpu);
	m->cur_khz = read_i64(path, -1);
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", cpu);
	m->max_khz = read_i64(path, -1);
	/* Without cpufreq (virtual machines) x86 still reports its clock here. */
	if (m->cur_khz < 0 && !cpuinfo("cpu MHz", buf, sizeof(buf))) {
		double mhz;

		if (!parse_double(buf, &mhz))
			m->cur_khz = (int64_t)(mhz * 1000.0);
	}
	m->paranoid = (int)read_i64("/proc/sys/kernel/perf_event_paranoid", -99);
	m->aslr = (int)read_i64("/proc/sys/kernel/randomize_va_space", -1);
	m->privileged = geteuid() == 0 || has_perf_caps();
}
