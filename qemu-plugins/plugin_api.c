/*
 * plugin_api.c - the parts of QEMU's plugin API that a QEMU may lack although
 * this build's header declares them, asked for at run time (dlsym) so that
 * the plugin still loads, and said when missing:
 *   qemu_plugin_start_code, qemu_plugin_entry_code: a user-mode QEMU built
 *     from source (10.0.2 with --enable-plugins) does not export them; the
 *     output then has no start_code/entry_code lines;
 *   qemu_plugin_register_vcpu_discon_cb (QEMU 10.2): interrupts, exceptions
 *     and host calls as they happen. Where it is present, system mode's trap
 *     entries come from it, with their cause, the pc they left (kinds
 *     interrupt, exception) and the pc they entered (trap_entry
 *     "irq|exc|hcall:0xTO"); where not, from the trapvec= vectors.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "plugin_state.h"

uint64_t (*api_start_code)(void);
uint64_t (*api_entry_code)(void);
bool discon_active;

static void *optional(const char *name, char *missing, size_t cap)
{
	void *f = dlsym(RTLD_DEFAULT, name);

	if (!f)
		snprintf(missing + strlen(missing), cap - strlen(missing), "%s%s", *missing ? ", " : "", name);
	return f;
}

#ifdef EMUDIFF_HAVE_DISCON
static void on_discon(qemu_plugin_id_t id, unsigned int vcpu, enum qemu_plugin_discon_type type,
		      uint64_t from_pc, uint64_t to_pc)
{
	const char *tag = type == QEMU_PLUGIN_DISCON_INTERRUPT ? "irq" :
			  type == QEMU_PLUGIN_DISCON_EXCEPTION ? "exc" : "hcall";
	char to[32], from[32];
	int64_t seq;

	(void)id;
	snprintf(to, sizeof(to), "%s:0x%" PRIx64, tag, to_pc);
	if (type == QEMU_PLUGIN_DISCON_HOSTCALL)
		snprintf(from, sizeof(from), "hcall:0x%" PRIx64, from_pc);
	else
		snprintf(from, sizeof(from), "0x%" PRIx64, from_pc);
	state_lock();
	seq = vcpu__seq(vcpu);
	if (seq != INT64_MIN) {
		event_table__count(&events, seq, "trap_entry", to);
		event_table__count(&events, seq,
				   type == QEMU_PLUGIN_DISCON_INTERRUPT ? "interrupt" : "exception", from);
	}
	state_unlock();
}
#endif

#ifdef EMUDIFF_HAVE_DISCON
static void (*api_register_discon)(qemu_plugin_id_t, enum qemu_plugin_discon_type,
				   qemu_plugin_vcpu_discon_cb_t);
#endif

void plugin_api__register(qemu_plugin_id_t id)
{
#ifdef EMUDIFF_HAVE_DISCON
	if (api_register_discon)
		api_register_discon(id, QEMU_PLUGIN_DISCON_INTERRUPT | QEMU_PLUGIN_DISCON_EXCEPTION |
					QEMU_PLUGIN_DISCON_HOSTCALL, on_discon);
#else
	(void)id;
#endif
}

void plugin_api__resolve(void)
{
	char missing[160] = "";

	if (!cfg.system) {
		api_start_code = (uint64_t (*)(void))optional("qemu_plugin_start_code", missing, sizeof(missing));
		api_entry_code = (uint64_t (*)(void))optional("qemu_plugin_entry_code", missing, sizeof(missing));
	}
#ifdef EMUDIFF_HAVE_DISCON
	if (cfg.system) {
		api_register_discon = (void (*)(qemu_plugin_id_t, enum qemu_plugin_discon_type,
						qemu_plugin_vcpu_discon_cb_t))optional(
			"qemu_plugin_register_vcpu_discon_cb", missing, sizeof(missing));
		discon_active = api_register_discon != NULL;
	}
#endif
	if (*missing)
		fprintf(stderr, "emudiff plugin: this QEMU does not export %s (%s)\n", missing,
			cfg.system ? "trap entries come from trapvec= vectors" :
				     "no start_code/entry_code in the output");
}
