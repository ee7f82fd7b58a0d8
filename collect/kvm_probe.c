/*
 * kvm_probe.c - what this machine gives `collect hw-kvm` (collect.h): tracefs,
 * the exit tracepoints and their layouts, guest-only counters, the guest's
 * instruction set; and `--dry-run`, which says all of it and runs nothing.
 */
#include "kvm_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

const char *kvm_refusal(int err, char *buf, size_t size)
{
	/* a refused event is EACCES whichever of the two the kernel said */
	return hw_unsupported_why(err == EPERM ? EACCES : err, buf, size);
}

/* Only in a mounted tracefs can a missing format file mean a missing
 * tracepoint; tracefs is root's only by default. */
int kvm_tracefs_state(const char *dir)
{
	struct stat st;
	char *ev;
	int ret;

	if (!dir)
		return -ENOENT;
	ev = xasprintf("%s/events", dir);
	if (!stat(ev, &st))
		ret = S_ISDIR(st.st_mode) ? 0 : -ENOENT;
	else
		ret = errno == EACCES || errno == EPERM ? -EACCES : -ENOENT;
	free(ev);
	return ret;
}

const char *kvm_default_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	const char *t = tracefs__path();

	for (size_t i = 0; !t && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (kvm_tracefs_state(dirs[i]) == -EACCES)
			t = dirs[i];
	return t;
}

const char *kvm_guest_arch(int dev_kvm)
{
	static struct utsname u;

	if (dev_kvm && !uname(&u) &&
	    (!strcmp(u.machine, "x86_64") || !strcmp(u.machine, "riscv64") || !strcmp(u.machine, "aarch64")))
		return u.machine;
	return NULL;
}

/* 0 with dec ready, 1 with why[] set (unsupported here), -1 on a bad spec. */
static int exit_decoder__prepare(const char *tracefs, const char *spec, struct kvm_exit_decoder *dec,
				 char *why, size_t why_size)
{
	char sys[64], ev[64], field[64] = "";
	struct tp_format fmt;
	int ret;

	if (sscanf(spec, "%63[^:]:%63[^/]/%63s", sys, ev, field) < 2)
		return error("--exit-event '%s': expected SYSTEM:EVENT[/FIELD]", spec);
	ret = kvm_tracefs_state(tracefs);
	if (ret == -ENOENT) {
		snprintf(why, why_size, "%s", HW_NO_TRACEFS);
		return 1;
	}
	if (ret == 0)
		ret = tp_format__load(&fmt, tracefs, sys, ev);
	if (ret == -ENOENT) {
		snprintf(why, why_size, "ENOENT: no tracepoint %s:%s in %.80s/events", sys, ev, tracefs);
		return 1;
	}
	if (ret == -EACCES) {
		kvm_refusal(EACCES, why, why_size);
		return 1;
	}
	if (ret)
		return -1;
	return kvm_exit_decoder__init(dec, &fmt, field[0] ? field : NULL) ? -1 : 0;
}

struct kvm_trace *kvm_exits__open(struct kvm_exits *x, const char *tracefs, const char *spec, pid_t pid,
				  const int64_t *const *mark_ns, const size_t *n_marks)
{
	struct kvm_exit_decoder dec;
	struct kvm_trace *t = NULL;
	int ret, err;

	memset(x, 0, sizeof(*x));
	snprintf(x->spec, sizeof(x->spec), "%s", spec);
	ret = exit_decoder__prepare(tracefs, x->spec, &dec, x->why, sizeof(x->why));
	if (ret < 0)
		return NULL;
	if (ret == 0) {
		t = kvm_trace__open(pid, &dec, &err);
		if (t)
			kvm_trace__set_marks(t, mark_ns, n_marks);
		else
			kvm_refusal(-err, x->why, sizeof(x->why));
	}
	if (!t)
		warning("exit event %s: unsupported: %s", x->spec, x->why);
	return t;
}

static const char *layout_name(enum kvm_exit_layout l)
{
	switch (l) {
	case KVM_LAYOUT_X86: return "x86 (exit_reason, isa)";
	case KVM_LAYOUT_RISCV: return "riscv64 (scause)";
	case KVM_LAYOUT_USERSPACE: return "KVM_EXIT_* (reason)";
	default: return "numeric field";
	}
}

int kvm_dry_run(const struct kvm_opts *o)
{
	struct guest_counters gc;

	printf("/dev/kvm: %s\n", o->dev_kvm ? "present" : "absent (no guest can run under KVM here)");
	switch (kvm_tracefs_state(o->tracefs)) {
	case 0: printf("tracefs: %s\n", o->tracefs); break;
	case -EACCES: printf("tracefs: %s (not readable by this user)\n", o->tracefs); break;
	default: printf("tracefs: not mounted\n");
	}
	for (int i = 0; i < o->n_exit_events; i++) {
		struct kvm_exit_decoder dec;
		char why[256];
		int ret = exit_decoder__prepare(o->tracefs, o->exit_events[i], &dec, why, sizeof(why));

		if (ret < 0)
			return EXIT_BADINPUT;
		if (ret > 0) {
			printf("exit event %s: unsupported (%s)\n", o->exit_events[i], why);
			continue;
		}
		printf("exit event %s: id %d, %s layout\n", o->exit_events[i], dec.fmt.id, layout_name(dec.layout));
		kvm_exit_decoder__free(&dec);
	}
	/* the counters, tried on this process */
	guest_counters__open(&gc, 0, o->ev, o->n_ev);
	for (int i = 0; i < gc.n; i++)
		printf("guest-only counter %s: opens\n", gc.ev[i]->name);
	for (int i = 0; i < gc.n_unsupported; i++) {
		char why[64];

		printf("guest-only counter %s: unsupported (%s)\n", gc.unsupported[i]->name,
		       kvm_refusal(gc.unsupported_errno[i], why, sizeof(why)));
	}
	guest_counters__close(&gc);
	return stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
}
