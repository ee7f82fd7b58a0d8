/*
 * kvm_priv.h - what the files of the KVM collector share among themselves
 * (kvm_probe.c opens the exit tracepoints that kvm_run.c samples).
 */
#ifndef EMUDIFF_KVM_PRIV_H
#define EMUDIFF_KVM_PRIV_H

#include "collect.h"

/*
 * Open the exit tracepoint spec on pid, its samples attributed to the marker
 * times *mark_ns (kvm_trace__set_marks). NULL with x->why set when this
 * machine cannot sample it (warned); NULL with why "" on a bad spec (error
 * printed). x->spec is set either way.
 */
struct kvm_trace *kvm_exits__open(struct kvm_exits *x, const char *tracefs, const char *spec, pid_t pid,
				  const int64_t *const *mark_ns, const size_t *n_marks);
/* Why perf_event_open (or tracefs) refused with err, as config_json records it. */
const char *kvm_refusal(int err, char *buf, size_t size);

#endif
