/* vocab.c - the names behind the enums of vocab.h. */
#include "vocab.h"

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
