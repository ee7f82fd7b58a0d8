/* test-vocab.c - the vocabulary (common/vocab.h) against docs/design.md's words. */
#include "check.h"
#include "common.h"

#include <string.h>

int main(void)
{
	/* docs/design.md: run.platform and run.status */
	static const char *const platforms[] = { "qemu-user", "qemu-system", "hw", "hw-kvm", "console", "import" };
	static const char *const statuses[] = { "ok", "failed", "timeout", "warmup" };

	CHECK_EQ_INT(PLAT_COUNT, 6);
	for (int p = 0; p < PLAT_COUNT; p++) {
		CHECKF(!strcmp(platform__name(p), platforms[p]), "platform %d is '%s'", p, platform__name(p));
		CHECK_EQ_INT(platform__parse(platforms[p]), p);
	}
	CHECK_EQ_INT(platform__parse("qemu"), -1);
	CHECK_EQ_INT(platform__parse(NULL), -1);
	CHECK(!strcmp(platform__name(PLAT_COUNT), "?"));
	CHECK(platform__is_emu(PLAT_QEMU_USER) && platform__is_emu(PLAT_QEMU_SYSTEM));
	CHECK(!platform__is_emu(PLAT_HW) && !platform__is_emu(PLAT_HW_KVM) && !platform__is_emu(PLAT_CONSOLE));
	CHECK_EQ_INT(RUN_STATUS_COUNT, 4);
	for (int s = 0; s < RUN_STATUS_COUNT; s++) {
		CHECK(!strcmp(run_status__name(s), statuses[s]));
		CHECK_EQ_INT(run_status__parse(statuses[s]), s);
	}
	CHECK_EQ_INT(run_status__parse("OK"), -1);
	/* region keys: m:3->4#1, s:main, ms:3->4/main */
	CHECK(region_key__is("m:3->4#1", REGION_KEY_MARK) && !region_key__is("m:3->4#1", REGION_KEY_SYMBOL));
	CHECK(region_key__is("s:main", REGION_KEY_SYMBOL) && !region_key__is("s:main", REGION_KEY_MARK));
	CHECK(region_key__is("ms:3->4/main", REGION_KEY_MARK_SYMBOL));
	CHECK(!region_key__is("ms:3->4/main", REGION_KEY_MARK) && !region_key__is("ms:3->4/main", REGION_KEY_SYMBOL));
	CHECK(!region_key__is(NULL, REGION_KEY_MARK));
	/* threads: @t<k> ends the keys of ordinals k > 0 (docs/store.md, "Threads") */
	{
		size_t n = 99;

		CHECK_EQ_INT(region_key__thread("m:3->4#1", &n), 0);
		CHECK_EQ_INT(n, 8);
		CHECK_EQ_INT(region_key__thread("m:3->4#12@t7", &n), 7);
		CHECK_EQ_INT(n, 9);
		CHECK_EQ_INT(region_key__thread("m:3->4#1@t120", &n), 120);
		CHECK_EQ_INT(n, 8);
		CHECK_EQ_INT(region_key__thread("ms:3->4/memcpy@libc.so.6@t2", &n), 2);
		CHECK_EQ_INT(n, 24); /* "ms:3->4/memcpy@libc.so.6" */
		CHECK_EQ_INT(region_key__thread("ms:3->4/memcpy@libc.so.6", NULL), 0);
		CHECK_EQ_INT(region_key__thread("m:3->4#1@t0", &n), 0); /* thread 0 has no suffix */
		CHECK_EQ_INT(n, 11);
		CHECK_EQ_INT(region_key__thread("m:3->4#1@t", NULL), 0);
		CHECK_EQ_INT(region_key__thread("m:3->4#1t2", NULL), 0);
		CHECK_EQ_INT(region_key__thread("s:f@t2", NULL), 0); /* symbol regions are whole-run */
		CHECK_EQ_INT(region_key__thread(NULL, &n), 0);
		CHECK_EQ_INT(n, 0);
	}
	return check_exit();
}
