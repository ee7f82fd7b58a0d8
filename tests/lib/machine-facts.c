/*
 * machine-facts.c - the facts of this machine that tests depend on, one
 * `key=value` line each, in a form a shell can `eval`:
 *
 *   cpu_vendor   vendor_id of /proc/cpuinfo (x86), else mvendorid or the machine name
 *   cores        online processors
 *   paranoid     kernel.perf_event_paranoid (-99 unreadable)
 *   privileged   1 for root or CAP_PERFMON/CAP_SYS_ADMIN
 *   sys_nice     1 when CAP_SYS_NICE is effective (cyclictest sets its scheduling
 *                policy, even SCHED_OTHER, and fails without it)
 *   hw_counters  1 when perf_event_open accepts PERF_COUNT_HW_INSTRUCTIONS for this process
 *   rdpmc        1 when that event's mmap page allows user-space rdpmc (cap_user_rdpmc)
 *   tracefs      the mounted tracefs holding events/ ("" when none)
 *   dev_kvm      1 when /dev/kvm exists
 *   kvm          absent | unusable | runs-guest
 *   kvm_why      why kvm is not runs-guest (empty otherwise)
 *
 * "runs-guest" means a guest really ran: on x86_64 the probe creates a VM with
 * one vCPU, runs three real-mode instructions (out to port 0x10, hlt) and sees
 * both exits. /dev/kvm being there is not that: some machines have a /dev/kvm
 * whose guests die with internal errors. On other architectures a VM that can
 * be created and a vCPU that can be made count as "unusable" with the reason,
 * since no guest was run. Written from the kernel's KVM API documentation.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static char kvm_why[256];

static void shell_quote(const char *key, const char *v)
{
	printf("%s='", key);
	for (; *v; v++)
		if (*v == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*v);
	puts("'");
}

static long read_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "r");
	long v = dflt;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

static void cpu_vendor(char *out, size_t size)
{
	static const char *const keys[] = { "vendor_id", "mvendorid", "CPU implementer" };
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	struct utsname u;

	snprintf(out, size, "unknown");
	if (!uname(&u))
		snprintf(out, size, "%s", u.machine);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		for (size_t i = 0; colon && i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i]))) {
				colon += 1 + strspn(colon + 1, " \t");
				colon[strcspn(colon, "\n")] = 0;
				snprintf(out, size, "%s", colon);
				fclose(f);
				return;
			}
	}
	fclose(f);
}

/* The effective capabilities (CapEff of /proc/self/status); -1 when unreadable. */
static long long cap_eff(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long long caps = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			caps = (long long)strtoull(line + 7, NULL, 16);
	fclose(f);
	return caps;
}

static int privileged(void)
{
	long long caps = cap_eff();

	return geteuid() == 0 || (caps > 0 && (caps & (1ll << 38 | 1ll << 21)));
}

static int sys_nice(void)
{
	long long caps = cap_eff();

	return caps < 0 ? geteuid() == 0 : !!(caps & 1ll << 23);
}

/* hw_counters and rdpmc: one instructions counter on this process. */
static void counters(int *hw, int *rdpmc)
{
	struct perf_event_attr a;
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	*hw = *rdpmc = 0;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0)
		return;
	*hw = 1;
	struct perf_event_mmap_page *pg = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
	if (pg != MAP_FAILED) {
		*rdpmc = pg->cap_user_rdpmc && pg->index != 0;
		munmap(pg, (size_t)page);
	}
	close(fd);
}

static const char *tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events" };
	struct stat st;

	for (size_t i = 0; i < 2; i++)
		if (!stat(dirs[i], &st) && S_ISDIR(st.st_mode))
			return i ? "/sys/kernel/debug/tracing" : "/sys/kernel/tracing";
	return "";
}

#if defined(__x86_64__)
/* out %al,$0x10 ; hlt  - in real mode at guest physical 0x1000 */
static const uint8_t guest_code[] = { 0xb0, 0x2a, 0xe6, 0x10, 0xf4 };

static const char *kvm_run_guest(int vm)
{
	struct kvm_userspace_memory_region mr;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t *mem;
	int vcpu, io = 0;
	const char *why = NULL;

	mem = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return "mmap of guest memory failed";
	memcpy(mem + 0x1000, guest_code, sizeof(guest_code));
	mr = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = 0,
		.memory_size = 0x2000, .userspace_addr = (uint64_t)(uintptr_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		return "KVM_SET_USER_MEMORY_REGION failed";
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return "KVM_CREATE_VCPU failed";
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int mmap_size = kvm < 0 ? -1 : ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm >= 0)
		close(kvm);
	if (mmap_size <= 0)
		return "KVM_GET_VCPU_MMAP_SIZE failed";
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return "mmap of kvm_run failed";
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return "KVM_GET_SREGS failed";
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return "KVM_SET_SREGS failed";
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return "KVM_SET_REGS failed";
	for (int steps = 0; steps < 8 && !why; steps++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			why = "KVM_RUN failed";
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10 &&
		    ((uint8_t *)run)[run->io.data_offset] == 0x2a) {
			io = 1;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			return io ? NULL : "the guest halted without its port write";
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			why = "KVM internal error running a real-mode guest";
		else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			why = "KVM could not enter the guest (FAIL_ENTRY)";
		else if (run->exit_reason != KVM_EXIT_IO)
			why = "the guest stopped with an unexpected exit";
	}
	return why ? why : "the guest did not halt";
}
#else
static const char *kvm_run_guest(int vm)
{
	(void)vm;
	return "VM created; this probe runs a guest on x86_64 only";
}
#endif

static const char *kvm_state(void)
{
	int kvm, vm, api;
	const char *why;

	if (access("/dev/kvm", F_OK))
		return snprintf(kvm_why, sizeof(kvm_why), "no /dev/kvm"), "absent";
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(kvm_why, sizeof(kvm_why), "/dev/kvm: %s", strerror(errno));
		return "unusable";
	}
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(kvm_why, sizeof(kvm_why), "/dev/kvm: KVM_GET_API_VERSION gave %d (%s)", api,
			 api < 0 ? strerror(errno) : "not 12");
		close(kvm);
		return "unusable";
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	if (vm < 0) {
		snprintf(kvm_why, sizeof(kvm_why), "KVM_CREATE_VM: %s", strerror(errno));
		return "unusable";
	}
	why = kvm_run_guest(vm);
	close(vm);
	if (why) {
		snprintf(kvm_why, sizeof(kvm_why), "%s", why);
		return "unusable";
	}
	return "runs-guest";
}

int main(void)
{
	char vendor[128];
	int hw, rdpmc;
	const char *kvm = kvm_state();

	cpu_vendor(vendor, sizeof(vendor));
	counters(&hw, &rdpmc);
	shell_quote("cpu_vendor", vendor);
	printf("cores=%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("paranoid=%ld\n", read_long("/proc/sys/kernel/perf_event_paranoid", -99));
	printf("privileged=%d\n", privileged());
	printf("sys_nice=%d\n", sys_nice());
	printf("hw_counters=%d\n", hw);
	printf("rdpmc=%d\n", rdpmc);
	shell_quote("tracefs", tracefs());
	printf("dev_kvm=%d\n", !access("/dev/kvm", F_OK));
	printf("kvm=%s\n", kvm);
	shell_quote("kvm_why", kvm_why);
	return ferror(stdout) ? 1 : 0;
}
