/*
 * plugin_events.c - events counted at run time: event sites (ecall, wfi, trap
 * entries...), HS vector entries and VM exits, system calls (user mode, with
 * their return), each under the current interval of its vCPU's thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_maps.h"
#include "plugin_state.h"

int64_t vcpu__seq(unsigned int vcpu)
{
	struct vcpu *vc = vcpu__get(vcpu);

	return vc ? vc->seq : INT64_MIN;
}

void on_event(unsigned int vcpu, void *udata)
{
	const struct event_site *site = udata;
	int64_t seq;

	state_lock();
	seq = vcpu__seq(vcpu);
	if (seq != INT64_MIN)
		event_table__count(&events, seq, site->kind, site->detail);
	state_unlock();
}

/* Entry at an HS vector: a trap entry, and a VM exit if the guest ran on this
 * vCPU since its previous HS entry (detail "hs:ADDR"; the exit's detail is ADDR). */
void on_hs_entry(unsigned int vcpu, void *udata)
{
	const struct event_site *site = udata;
	struct vcpu *vc;

	state_lock();
	vc = vcpu__get(vcpu);
	if (vc) {
		uint64_t g = bank__row(gbank, vcpu)[G_GUEST];

		if (!discon_active) /* else the discontinuity callback counts the entry */
			event_table__count(&events, vc->seq, site->kind, site->detail);
		if (cfg.n_guest && g != vc->guest_at_hs)
			event_table__count(&events, vc->seq, "vm_exit", site->detail + 3);
		vc->guest_at_hs = g;
	}
	state_unlock();
}

/* A system call of the thread on vc, counted under seq. */
static void count_syscall(struct vcpu *vc, int64_t seq, const char *detail)
{
	event_table__count(&events, seq, "syscall", detail);
	threads[vc->thread].syscalls++;
}

void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1,
		       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7,
		       uint64_t a8)
{
	int64_t exit_nr = cfg.arch == GUEST_RISCV64 ? 93 : 60;
	int64_t exit_group_nr = cfg.arch == GUEST_RISCV64 ? 94 : 231;
	struct vcpu *vc;

	(void)id, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7, (void)a8;
	state_lock();
	vc = vcpu__get(vcpu);
	if (!vc) {
		state_unlock();
		return;
	}
	if (num == exit_group_nr || num == exit_nr) {
		/* no return follows: count it now. exit ends a thread, or the
		 * process when it is the last (known at write: it is the one left) */
		char d[24];

		snprintf(d, sizeof(d), "%" PRId64, num);
		count_syscall(vc, vc->seq, d);
		vc->exiting = true;
		exit_code = (int64_t)(int32_t)a1 & 0xff;
		have_exit_code |= num == exit_group_nr;
	} else {
		vc->sc.nr = num;
		vc->sc.seq = vc->seq;
		vc->sc.active = true;
	}
	state_unlock();
}

void on_syscall_ret(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, int64_t ret)
{
	int64_t clone_nr = cfg.arch == GUEST_RISCV64 ? 220 : 56, clone3_nr = 435;
	struct vcpu *vc;
	char d[32];

	(void)id;
	maps__syscall_ret(num);
	if ((num == clone_nr || num == clone3_nr) && ret > 0)
		threads__cloned((pid_t)ret);
	state_lock();
	vc = vcpu__get(vcpu);
	if (!vc) {
		state_unlock();
		return;
	}
	int64_t seq = vc->seq;

	if (vc->sc.active && vc->sc.nr == num) {
		seq = vc->sc.seq;
		vc->sc.active = false;
	}
	/* a failed call keeps its number and adds the error, so per-number
	 * totals and the region's syscall total stay one row sum */
	if (ret < 0 && ret > -4096)
		snprintf(d, sizeof(d), "%" PRId64 ":%" PRId64, num, ret);
	else
		snprintf(d, sizeof(d), "%" PRId64, num);
	count_syscall(vc, seq, d);
	state_unlock();
}

void syscalls_flush_pending(void)
{
	for (unsigned int v = 0; v < n_vcpu_slots; v++) {
		struct vcpu *vc = vcpus[v];

		if (vc && vc->thread >= 0 && vc->sc.active) {
			char d[24];

			snprintf(d, sizeof(d), "%" PRId64, vc->sc.nr);
			count_syscall(vc, vc->sc.seq, d);
			vc->sc.active = false;
		}
	}
}
