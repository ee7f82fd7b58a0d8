/*
 * plugin_events.c - events counted at run time: event sites (ecall, wfi, trap
 * entries...), HS vector entries and VM exits, system calls (user mode, with
 * their return) and the vCPUs seen.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_maps.h"
#include "plugin_state.h"

void on_event(unsigned int vcpu, void *udata)
{
	const struct event_site *site = udata;

	(void)vcpu;
	pthread_mutex_lock(&plugin_lock);
	event_table__count(&events, cur_seq, site->kind, site->detail);
	pthread_mutex_unlock(&plugin_lock);
}

/* Entry at an HS vector: a trap entry, and a VM exit if the guest ran since
 * the previous HS entry (detail "hs:ADDR"; the exit's detail is ADDR). */
void on_hs_entry(unsigned int vcpu, void *udata)
{
	const struct event_site *site = udata;
	uint64_t g = counter__read(&guest_code);

	(void)vcpu;
	pthread_mutex_lock(&plugin_lock);
	if (!discon_active) /* else the discontinuity callback counts the entry */
		event_table__count(&events, cur_seq, site->kind, site->detail);
	if (cfg.n_guest && g != guest_code_at_hs)
		event_table__count(&events, cur_seq, "vm_exit", site->detail + 3);
	guest_code_at_hs = g;
	pthread_mutex_unlock(&plugin_lock);
}

void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1,
		       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7,
		       uint64_t a8)
{
	int64_t exit_nr = cfg.arch == GUEST_RISCV64 ? 93 : 60;
	int64_t exit_group_nr = cfg.arch == GUEST_RISCV64 ? 94 : 231;

	(void)id, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7, (void)a8;
	pthread_mutex_lock(&plugin_lock);
	if (num == exit_group_nr || (num == exit_nr && n_vcpus <= 1)) {
		/* no return follows: count it now */
		char d[24];

		snprintf(d, sizeof(d), "%" PRId64, num);
		event_table__count(&events, cur_seq, "syscall", d);
		have_exit_code = true;
		exit_code = (int64_t)(int32_t)a1 & 0xff;
	} else if (vcpu < MAX_VCPUS) {
		pending_syscall[vcpu].nr = num;
		pending_syscall[vcpu].seq = cur_seq;
		pending_syscall[vcpu].active = true;
	}
	pthread_mutex_unlock(&plugin_lock);
}

void on_syscall_ret(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, int64_t ret)
{
	char d[32];

	(void)id;
	maps__syscall_ret(num);
	pthread_mutex_lock(&plugin_lock);
	int64_t seq = cur_seq;

	if (vcpu < MAX_VCPUS && pending_syscall[vcpu].active && pending_syscall[vcpu].nr == num) {
		seq = pending_syscall[vcpu].seq;
		pending_syscall[vcpu].active = false;
	}
	/* a failed call keeps its number and adds the error, so per-number
	 * totals and the region's syscall total stay one row sum */
	if (ret < 0 && ret > -4096)
		snprintf(d, sizeof(d), "%" PRId64 ":%" PRId64, num, ret);
	else
		snprintf(d, sizeof(d), "%" PRId64, num);
	event_table__count(&events, seq, "syscall", d);
	pthread_mutex_unlock(&plugin_lock);
}

void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
	(void)id;
	(void)vcpu;
	__atomic_add_fetch(&n_vcpus, 1, __ATOMIC_RELAXED);
}

void syscalls_flush_pending(void)
{
	for (size_t v = 0; v < MAX_VCPUS; v++)
		if (pending_syscall[v].active) {
			char d[24];

			snprintf(d, sizeof(d), "%" PRId64, pending_syscall[v].nr);
			event_table__count(&events, pending_syscall[v].seq, "syscall", d);
			pending_syscall[v].active = false;
		}
}
