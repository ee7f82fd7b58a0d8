/* vocab.c - the names behind the enums of vocab.h. */
#include "vocab.h"

#include <stdio.h>

static const char *const platform_names[PLAT_COUNT] = {
	"qemu-user", "qemu-system", "hw", "hw-kvm", "console", "import",
};

static const char *const run_status_names[RUN_STATUS_COUNT] = { "ok", "failed", "timeout", "warmup" };

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

const char *platform__name(int p)
{
	return p >= 0 && p < PLAT_COUNT ? platform_names[p] : "?";
}

int platform__parse(const char *s)
{
	return lookup(platform_names, PLAT_COUNT, s);
}

int platform__is_emu(int p)
{
	return p == PLAT_QEMU_USER || p == PLAT_QEMU_SYSTEM;
}

const char *run_status__name(int s)
{
	return s >= 0 && s < RUN_STATUS_COUNT ? run_status_names[s] : "?";
}

int run_status__parse(const char *s)
{
	return lookup(run_status_names, RUN_STATUS_COUNT, s);
}

int region_key__thread(const char *key, size_t *base_len)
{
	size_t n = key ? strlen(key) : 0, i = n;
	int k = 0;

	if (base_len)
		*base_len = n;
	if (!region_key__is(key, REGION_KEY_MARK) && !region_key__is(key, REGION_KEY_MARK_SYMBOL))
		return 0;
	while (i > 0 && key[i - 1] >= '0' && key[i - 1] <= '9')
		i--;
	/* k > 0 without a leading zero, at most 9 digits: a suffix align writes */
	if (i == n || n - i > 9 || key[i] == '0' || i < 2 || key[i - 2] != '@' || key[i - 1] != 't')
		return 0;
	for (size_t j = i; j < n; j++)
		k = 10 * k + (key[j] - '0');
	if (base_len)
		*base_len = i - 2;
	return k;
}

/* Each banner is printed once per boot. U-Boot's SPL (on boards, before
 * OpenSBI) says "U-Boot SPL <version>"; U-Boot proper "U-Boot <version>".
 * init: Linux's "Run /init as init process" (any path), or the first
 * `@emudiff mark` line, where a marked program (a bare-metal payload, a
 * marked init) begins its own work. */
const struct boot_stage_word boot_stage_words[] = {
	{ "spl", "U-Boot SPL", "U-Boot SPL [0-9]{4}\\.[0-9]{2}" },
	{ "opensbi", "OpenSBI", "OpenSBI v[0-9]+\\.[0-9]+" },
	{ "uboot", "U-Boot", "U-Boot [0-9]{4}\\.[0-9]{2}" },
	{ "linux", "Linux version", "Linux version [0-9]" },
	{ "init", "init", "Run /[^ ]+ as init process|@emudiff mark " },
};
const size_t boot_stage_words_count = sizeof(boot_stage_words) / sizeof(boot_stage_words[0]);

int boot_stage__valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= BOOT_STAGE_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

const char *boot_stage__metric(char *buf, size_t n, const char *name)
{
	if (!strcmp(name, BOOT_STAGE_CONSOLE))
		snprintf(buf, n, "%s", METRIC_UNTIL_CONSOLE_NS);
	else if (!strcmp(name, BOOT_STAGE_BOOT))
		snprintf(buf, n, "%s", METRIC_BOOT_NS);
	else
		snprintf(buf, n, METRIC_BOOT_PREFIX "%s" METRIC_BOOT_SUFFIX, name);
	return buf;
}

const char *boot_stage__of_metric(char *buf, size_t n, const char *metric)
{
	size_t lp = strlen(METRIC_BOOT_PREFIX), ls = strlen(METRIC_BOOT_SUFFIX), lm = metric ? strlen(metric) : 0;

	if (metric && !strcmp(metric, METRIC_UNTIL_CONSOLE_NS)) {
		snprintf(buf, n, "%s", BOOT_STAGE_CONSOLE);
		return buf;
	}
	if (metric && !strcmp(metric, METRIC_BOOT_NS)) {
		snprintf(buf, n, "%s", BOOT_STAGE_BOOT);
		return buf;
	}
	if (lm <= lp + ls || strncmp(metric, METRIC_BOOT_PREFIX, lp) || strcmp(metric + lm - ls, METRIC_BOOT_SUFFIX))
		return NULL;
	snprintf(buf, n, "%.*s", (int)(lm - lp - ls), metric + lp);
	return buf;
}

const char *boot_stage__label(char *buf, size_t n, const char *metric, const char *console)
{
	char name[BOOT_STAGE_NAME_MAX + 8];

	if (!boot_stage__of_metric(name, sizeof(name), metric)) {
		snprintf(buf, n, "%s", metric ? metric : "?");
		return buf;
	}
	if (!strcmp(name, BOOT_STAGE_CONSOLE) || !strcmp(name, BOOT_STAGE_BOOT)) {
		snprintf(buf, n, "%s", console && *console ? console : "the console string");
		return buf;
	}
	for (size_t i = 0; i < boot_stage_words_count; i++)
		if (!strcmp(name, boot_stage_words[i].name)) {
			snprintf(buf, n, "%s", boot_stage_words[i].label);
			return buf;
		}
	snprintf(buf, n, "%s", name);
	return buf;
}
