/*
 * test_kvm_exit.c - tracepoint format parsing, raw sample decoding and the
 * exit-reason tables of kvm_exit.c, on recorded format files (data/README).
 *
 * The strongest check: the kernel's own reason tables are in the recorded
 * format files' "print fmt" (__print_symbolic lists); every code there must
 * map to the same name in emudiff's tables.
 *
 * usage: test_kvm_exit DATA_DIR
 */
#include "check.h"
#include "common.h"
#include "hw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static char *slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	char *buf = xmalloc(1 << 16);
	size_t n;

	if (!f) {
		fprintf(stderr, "FAIL: cannot open %s\n", path);
		exit(1);
	}
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	free(path);
	return buf;
}

static void put_le(unsigned char *raw, const struct tp_field *f, uint64_t v)
{
	for (unsigned i = 0; i < f->size; i++)
		raw[f->offset + i] = (unsigned char)(v >> (8 * i));
}

/*
 * Walk the { code, "name" } pairs of the n-th __print_symbolic( in text and
 * compare each with lookup(code). Codes may be written "0x040 + 13" and names
 * as adjacent literals ("KVM_EXIT_" "IO"). Returns pairs compared.
 */
static int check_symbolic(const char *text, int nth, const char *(*lookup)(uint64_t),
			  const char *what)
{
	const char *p = text;
	int pairs = 0, depth;

	for (int i = 0; i <= nth; i++) {
		p = strstr(p, "__print_symbolic(");
		if (!p) {
			CHECKF(0, "%s: __print_symbolic #%d not found", what, nth);
			return 0;
		}
		p += 17;
	}
	depth = 1;
	while (*p && depth) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == '{') {
			char *end;
			long long code = strtoll(p + 1, &end, 0);
			char name[96] = "";
			size_t nl = 0;
			const char *q;

			while (*end == ' ')
				end++;
			if (*end == '+')
				code += strtoll(end + 1, &end, 0);
			q = strchr(end, '"');
			while (q && *q == '"') {
				const char *close = strchr(q + 1, '"');

				memcpy(name + nl, q + 1, (size_t)(close - q - 1));
				nl += (size_t)(close - q - 1);
				q = close + 1;
				while (*q == ' ')
					q++;
			}
			name[nl] = '\0';
			{
				const char *ours = lookup((uint64_t)code);

				CHECKF(ours && !strcmp(ours, name), "%s: code %lld: kernel says \"%s\", emudiff \"%s\"",
				      what, code, name, ours ? ours : "(none)");
			}
			pairs++;
			p = strchr(p, '}');
		}
		p++;
	}
	return pairs;
}

static const char *vmx(uint64_t c) { return kvm_exit__vmx_reason((uint32_t)c); }
static const char *svm(uint64_t c) { return kvm_exit__svm_reason(c == (uint64_t)-1 ? ~0ull : c); }
static const char *user(uint64_t c) { return kvm_exit__userspace_reason((uint32_t)c); }

static void test_x86(const char *dir)
{
	char *text = slurp(dir, "kvm_exit.x86_64.format");
	struct tp_format fmt;
	struct kvm_exit_decoder d;
	unsigned char raw[72];
	char out[96];
	int n;

	CHECKF(!tp_format__parse(&fmt, text, "kvm_exit.x86_64.format"), "parse x86 kvm_exit");
	CHECKF(fmt.id == 103, "x86 kvm_exit id %d, want 103", fmt.id);
	CHECKF(fmt.nfields == 13, "x86 kvm_exit has %zu fields, want 13", fmt.nfields);
	CHECKF(tp_format__field(&fmt, "exit_reason")->offset == 8, "exit_reason offset");
	CHECKF(tp_format__field(&fmt, "isa")->offset == 24, "isa offset");
	CHECKF(tp_format__field(&fmt, "common_pid")->is_signed, "common_pid is signed");
	CHECKF(!kvm_exit_decoder__init(&d, &fmt, NULL), "x86 decoder");
	CHECKF(d.layout == KVM_LAYOUT_X86, "x86 layout detected");

	/* VMX: EPT violation (48) */
	memset(raw, 0, sizeof(raw));
	put_le(raw, tp_format__field(&d.fmt, "exit_reason"), 48);
	put_le(raw, tp_format__field(&d.fmt, "isa"), 1);
	CHECKF(!kvm_exit_decoder__reason(&d, raw, sizeof(raw), out, sizeof(out)) &&
	      !strcmp(out, "EPT_VIOLATION"), "vmx 48 -> '%s'", out);
	/* VMX: failed VM entry flag in bit 31 with reason 33 */
	put_le(raw, tp_format__field(&d.fmt, "exit_reason"), 0x80000021u);
	CHECKF(!kvm_exit_decoder__reason(&d, raw, sizeof(raw), out, sizeof(out)) &&
	      !strcmp(out, "INVALID_STATE FAILED_VMENTRY"), "vmx failed entry -> '%s'", out);
	/* VMX: a reason not in the table */
	put_le(raw, tp_format__field(&d.fmt, "exit_reason"), 0x45);
	CHECKF(!kvm_exit_decoder__reason(&d, raw, sizeof(raw), out, sizeof(out)) &&
	      !strcmp(out, "vmx:0x45"), "vmx unknown -> '%s'", out);
	/* SVM: npf (0x400), hlt (0x78) */
	put_le(raw, tp_format__field(&d.fmt, "isa"), 2);
	put_le(raw, tp_format__field(&d.fmt, "exit_reason"), 0x400);
	CHECKF(!kvm_exit_decoder__reason(&d, raw, sizeof(raw), out, sizeof(out)) &&
	      !strcmp(out, "npf"), "svm 0x400 -> '%s'", out);
	put_le(raw, tp_format__field(&d.fmt, "exit_reason"), 0x78);
	CHECKF(!kvm_exit_decoder__reason(&d, raw, sizeof(raw), out, sizeof(out)) &&
	      !strcmp(out, "hlt"), "svm 0x78 -> '%s'", out);
	/* a sample too short for the isa field */
	CHECKF(kvm_exit_decoder__reason(&d, raw, 20, out, sizeof(out)) == -1, "short sample rejected");

	/* the kernel's tables in the recorded print fmt */
	n = check_symbolic(text, 0, vmx, "VMX");
	CHECKF(n >= 60, "VMX pairs compared: %d", n);
	n = check_symbolic(text, 1, svm, "SVM");
	CHECKF(n >= 100, "SVM pairs compared: %d", n);
	kvm_exit_decoder__free(&d);
	free(text);
}

static void test_userspace(const char *dir)
{
	char *text = slurp(dir, "kvm_userspace_exit.x86_64.format");
	struct tp_format fmt;
	struct kvm_exit_decoder d;
	unsigned char raw[16] = { 0 };
	char out[96];
	int n;

	CHECKF(!tp_format__parse(&fmt, text, "kvm_userspace_exit"), "parse userspace exit");
	CHECKF(!kvm_exit_decoder__init(&d, &fmt, NULL) && d.layout == KVM_LAYOUT_USERSPACE,
	      "userspace layout");
	put_le(raw, tp_format__field(&d.fmt, "reason"), 6);
	CHECKF(!kvm_exit_decoder__reason(&d, raw, sizeof(raw), out, sizeof(out)) &&
	      !strcmp(out, "userspace:KVM_EXIT_MMIO"), "userspace 6 -> '%s'", out);
	n = check_symbolic(text, 0, user, "KVM_EXIT");
	CHECKF(n >= 30, "KVM_EXIT pairs compared: %d", n);
	kvm_exit_decoder__free(&d);
	free(text);
}

static void test_riscv(const char *dir)
{
	char *text = slurp(dir, "kvm_exit.riscv64.format");
	struct tp_format fmt;
	struct kvm_exit_decoder d;
	unsigned char raw[48] = { 0 };
	char out[96];
	static const struct { uint64_t scause; const char *name; } cases[] = {
		{ 10, "VS-mode ecall" },               /* an SBI call of the guest */
		{ 21, "load guest-page fault" },       /* MMIO or a page not yet mapped */
		{ 23, "store guest-page fault" },
		{ 22, "virtual instruction" },         /* wfi, CSR access trapped by hstatus */
		{ 2, "illegal instruction" },
		{ (1ull << 63) | 5, "S timer interrupt" },
		{ (1ull << 63) | 9, "S external interrupt" },
		{ (1ull << 63) | 12, "S guest external interrupt" },
		{ 14, "scause:0xe" },                  /* reserved */
	};

	CHECKF(!tp_format__parse(&fmt, text, "kvm_exit.riscv64.format"), "parse riscv kvm_exit");
	CHECKF(!kvm_exit_decoder__init(&d, &fmt, NULL) && d.layout == KVM_LAYOUT_RISCV, "riscv layout");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_le(raw, tp_format__field(&d.fmt, "scause"), cases[i].scause);
		CHECKF(!kvm_exit_decoder__reason(&d, raw, sizeof(raw), out, sizeof(out)) &&
		      !strcmp(out, cases[i].name), "scause %#llx -> '%s', want '%s'",
		      (unsigned long long)cases[i].scause, out, cases[i].name);
	}
	kvm_exit_decoder__free(&d);
	free(text);
}

static void test_field_and_errors(const char *dir)
{
	char *text = slurp(dir, "raw_syscalls_sys_enter.x86_64.format");
	struct tp_format fmt;
	struct kvm_exit_decoder d;
	unsigned char raw[64] = { 0 };
	char out[96];
	struct reason_tally t = { 0 };

	CHECKF(!tp_format__parse(&fmt, text, "sys_enter"), "parse sys_enter");
	/* no exit_reason/scause/reason field: detection must refuse */
	messages_quiet(1);
	{
		struct tp_format copy;

		CHECKF(!tp_format__parse(&copy, text, "sys_enter"), "parse sys_enter again");
		CHECKF(kvm_exit_decoder__init(&d, &copy, NULL) == -1, "no reason field refused");
		CHECKF(kvm_exit_decoder__init(&d, &fmt, "nosuch") == -1, "unknown field refused");
	}
	CHECKF(!tp_format__parse(&fmt, text, "sys_enter"), "parse sys_enter a third time");
	CHECKF(!kvm_exit_decoder__init(&d, &fmt, "id"), "decode by field id");
	put_le(raw, tp_format__field(&d.fmt, "id"), (uint64_t)-1); /* signed long: -1 */
	CHECKF(!kvm_exit_decoder__reason(&d, raw, sizeof(raw), out, sizeof(out)) &&
	      !strcmp(out, "id=-1"), "signed field -> '%s'", out);
	kvm_exit_decoder__free(&d);

	/* damaged format files */
	CHECKF(tp_format__parse(&fmt, "name: x\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n",
			       "no-id") == -1, "format without ID refused");
	CHECKF(tp_format__parse(&fmt, "name: x\nID: 7\n\tfield:int a;\toffset:zero;\n", "bad-field") == -1,
	      "bad field line refused");
	CHECKF(tp_format__parse(&fmt, "ID: 12x\n", "bad-id") == -1, "bad ID refused");
	messages_quiet(0);

	reason_tally__add(&t, "a", 0, 2);
	reason_tally__add(&t, "b", 0, 1);
	reason_tally__add(&t, "a", 1, 4);
	reason_tally__add(&t, "a", 0, 3);
	CHECKF(t.n == 3 && t.v[0].count == 5 && t.v[2].seq == 1 && reason_tally__total(&t) == 10, "tally");
	reason_tally__free(&t);
	free(text);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_kvm_exit DATA_DIR\n");
		return 2;
	}
	test_x86(argv[1]);
	test_userspace(argv[1]);
	test_riscv(argv[1]);
	test_field_and_errors(argv[1]);
	if (!check_failures)
		printf("kvm_exit: all checks passed\n");
	return check_exit();
}
