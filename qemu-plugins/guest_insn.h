/*
 * guest_insn.h - private to the plugin: what the plugin needs to know about
 * one guest instruction at translation time (marker, exit, trap return,
 * whether it may raise a synchronous exception, its class for mix=on).
 * Recognition works on the instruction bytes so that it costs nothing at
 * execution time.
 */
#ifndef EMUDIFF_GUEST_INSN_H
#define EMUDIFF_GUEST_INSN_H

#include <stddef.h>
#include <stdint.h>

enum guest_arch { GUEST_RISCV64, GUEST_X86_64 };

/* Instruction classes of mix=on, in the order of align.h's enum insn_class. */
enum guest_class { GC_OTHER, GC_LOAD, GC_STORE, GC_BRANCH, GC_FP, GC_ATOMIC, GC_SYSTEM, GC_COUNT };

/* What an instruction is, for the plugin. */
struct guest_insn {
	int mark_id;           /* 1..2047 for a marker instruction, else 0 */
	const char *exit_kind; /* "ecall", "wfi", "hlt", "ebreak", "int", "syscall" or NULL */
	const char *trap_ret;  /* "sret", "mret", "iret", "sysret" or NULL */
	int may_fault;         /* may raise a synchronous exception (exact-mode boundary) */
	enum guest_class cls;  /* valid when classification was asked for */
};

/* Open decoders (Capstone for x86_64, kept until the process exits, since
 * translation goes on until then). Returns 0, or -1 with a message in err. */
int guest_insn__init(enum guest_arch arch, char *err, size_t errlen);
/* Does this build classify instructions for the arch (mix=on, exact splits)? */
int guest_insn__can_classify(enum guest_arch arch);
/* Describe the instruction at bytes[0..len). classify: also fill may_fault and cls. */
void guest_insn__describe(enum guest_arch arch, const uint8_t *bytes, size_t len, int classify,
			  struct guest_insn *out);
/* "load", "store", ... for the output file. */
const char *guest_class_name(enum guest_class c);

#endif
