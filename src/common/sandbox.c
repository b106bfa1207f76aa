/*
 * The process sandbox (sandbox.h): no_new_privs, Landlock rules and a
 * seccomp filter. Landlock's definitions are spelled out here: Debian 12's
 * kernel headers stop at its ABI 2, while the kernels adsync runs on may
 * have more (bind rules from ABI 4, scopes from ABI 6). They are the
 * kernel's stable UAPI (include/uapi/linux/landlock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "sandbox.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE		(1ull << 0)
#define LL_FS_WRITE_FILE	(1ull << 1)
#define LL_FS_READ_FILE		(1ull << 2)
#define LL_FS_READ_DIR		(1ull << 3)
#define LL_FS_REMOVE_DIR	(1ull << 4)
#define LL_FS_REMOVE_FILE	(1ull << 5)
#define LL_FS_MAKE_CHAR		(1ull << 6)
#define LL_FS_MAKE_DIR		(1ull << 7)
#define LL_FS_MAKE_REG		(1ull << 8)
#define LL_FS_MAKE_SOCK		(1ull << 9)
#define LL_FS_MAKE_FIFO		(1ull << 10)
#define LL_FS_MAKE_BLOCK	(1ull << 11)
#define LL_FS_MAKE_SYM		(1ull << 12)
#define LL_FS_REFER		(1ull << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ull << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ull << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ull << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ull << 1)	/* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX	(1ull << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ull << 1)	/* ABI 6 */

/* Rights that a rule on a file (not a directory) may carry. */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | \
	LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

bool
sandbox_rules_read(struct sandbox_rules *r, const char *path)
{
	if (r->nread >= SANDBOX_PATHS_MAX)
		return false;
	r->read[r->nread++] = path;
	return true;
}

bool
sandbox_rules_write(struct sandbox_rules *r, const char *path)
{
	if (r->nwrite >= SANDBOX_PATHS_MAX)
		return false;
	r->write[r->nwrite++] = path;
	return true;
}

bool
sandbox_rules_bind(struct sandbox_rules *r, uint16_t port)
{
	size_t i;

	for (i = 0; i < r->nbind; i++)
		if (r->bind[i] == port)
			return true;
	if (r->nbind >= SANDBOX_PORTS_MAX)
		return false;
	r->bind[r->nbind++] = port;
	return true;
}

int
sandbox_landlock_abi(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, (size_t)0,
	    LL_CREATE_RULESET_VERSION);

	return abi > 0 ? (int)abi : 0;
}

/* Every file right the kernel of `abi` knows: all of them are handled,
 * so whatever no rule grants is refused. */
static uint64_t
ll_fs_handled(int abi)
{
	uint64_t m = (LL_FS_MAKE_SYM << 1) - 1;	/* ABI 1: bits 0-12 */

	if (abi >= 2)
		m |= LL_FS_REFER;
	if (abi >= 3)
		m |= LL_FS_TRUNCATE;
	if (abi >= 5)
		m |= LL_FS_IOCTL_DEV;
	return m;
}

static int
ll_add_path(int rfd, const char *path, uint64_t access, uint64_t handled,
    char *why, size_t whylen)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* nothing to reach there */
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	pb.allowed_access = access & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE_RIGHTS;
	pb.parent_fd = fd;
	if (syscall(__NR_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH, &pb,
	    0) < 0)
		r = -errno;
out:
	if (r < 0)
		snprintf(why, whylen, "sandbox: cannot allow %s: %s", path,
		    adsync_strerror(r));
	close(fd);
	return r;
}

static int
ll_apply(const struct sandbox_rules *rules, struct sandbox_report *rep,
    char *why, size_t whylen)
{
	struct ll_ruleset_attr attr;
	struct ll_net_port_attr np;
	uint64_t handled, ro, rw;
	size_t size, i;
	int abi, rfd, r = 0;

	abi = sandbox_landlock_abi();
	rep->landlock_abi = abi;
	if (abi == 0)
		return 0;
	memset(&attr, 0, sizeof(attr));
	handled = ll_fs_handled(abi);
	attr.handled_access_fs = handled;
	size = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		/* Binding only: where the daemon connects (DCs, the API,
		 * DNS, a proxy) is configuration that may change on reload. */
		attr.handled_access_net = LL_NET_BIND_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_SIGNAL |
		    (rules->scope_abstract ? LL_SCOPE_ABSTRACT_UNIX : 0);
		size = sizeof(attr);
	}
	rfd = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	if (rfd < 0) {
		r = -errno;
		snprintf(why, whylen, "sandbox: cannot create the Landlock "
		    "ruleset: %s", adsync_strerror(r));
		return r;
	}
	ro = LL_FS_READ_FILE | LL_FS_READ_DIR;
	rw = ro | LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_REMOVE_FILE |
	    LL_FS_REMOVE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_DIR |
	    LL_FS_MAKE_SOCK;
	for (i = 0; i < rules->nread && r == 0; i++)
		r = ll_add_path(rfd, rules->read[i], ro, handled, why, whylen);
	for (i = 0; i < rules->nwrite && r == 0; i++)
		r = ll_add_path(rfd, rules->write[i], rw, handled, why,
		    whylen);
	for (i = 0; i < rules->nbind && r == 0 && abi >= 4; i++) {
		np.allowed_access = LL_NET_BIND_TCP;
		np.port = rules->bind[i];
		if (syscall(__NR_landlock_add_rule, rfd, LL_RULE_NET_PORT, &np,
		    0) < 0) {
			r = -errno;
			snprintf(why, whylen, "sandbox: cannot allow binding "
			    "port %u: %s", (unsigned)rules->bind[i],
			    adsync_strerror(r));
		}
	}
	if (r == 0 && syscall(__NR_landlock_restrict_self, rfd, 0) < 0) {
		r = -errno;
		snprintf(why, whylen, "sandbox: cannot enforce the Landlock "
		    "ruleset: %s", adsync_strerror(r));
	}
	close(rfd);
	if (r == 0) {
		rep->fs = true;
		rep->net = abi >= 4;
		rep->scope = abi >= 6;
	}
	return r;
}

/*
 * System calls refused with EPERM. A deny list, not an allow list: the
 * libraries under the daemon (libldap, GnuTLS, libcurl, SQLite,
 * libmicrohttpd, glibc's resolver) pick their calls by version and
 * configuration, and an allow list that missed one would stop a sync on
 * some administrator's machine. What is refused here is what none of
 * them needs and what an exploit wants.
 */
static const int sb_denied[] = {
#ifndef __SANITIZE_ADDRESS__
	/* LeakSanitizer stops the threads with ptrace at exit: the
	 * sanitizer builds (tests) keep it. */
	__NR_ptrace,
#endif
	__NR_process_vm_readv, __NR_process_vm_writev,
	__NR_kexec_load, __NR_kexec_file_load,
	__NR_init_module, __NR_finit_module, __NR_delete_module,
	__NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot,
	__NR_swapon, __NR_swapoff, __NR_reboot, __NR_acct,
	__NR_bpf, __NR_perf_event_open, __NR_userfaultfd,
	__NR_keyctl, __NR_add_key, __NR_request_key,
	__NR_unshare, __NR_setns,
	__NR_execve, __NR_execveat,
	__NR_fanotify_init, __NR_open_by_handle_at, __NR_name_to_handle_at,
	__NR_quotactl, __NR_settimeofday, __NR_clock_settime, __NR_adjtimex,
	__NR_clock_adjtime, __NR_syslog, __NR_vhangup,
	__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
	__NR_setuid, __NR_setgid, __NR_setreuid, __NR_setregid,
	__NR_setresuid, __NR_setresgid, __NR_setgroups, __NR_setfsuid,
	__NR_setfsgid, __NR_sethostname, __NR_setdomainname,
	__NR_open_tree, __NR_move_mount, __NR_fsopen, __NR_fsconfig,
	__NR_fsmount, __NR_fspick,
#ifdef __NR_iopl
	__NR_iopl, __NR_ioperm,
#endif
};

#if defined(__x86_64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SB_AUDIT_ARCH
static int
sb_seccomp(char *why, size_t whylen)
{
	enum { N = sizeof(sb_denied) / sizeof(sb_denied[0]) };
	struct sock_filter f[5 + 2 * N + 2];
	struct sock_fprog prog;
	size_t i, k = 0;

	/* Another ABI (i386, x32) would number the calls differently:
	 * such a call ends the process. */
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SB_AUDIT_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    0x40000000u, 2 * N + 1, 0);
#else
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
#endif
	for (i = 0; i < N; i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, (unsigned)sb_denied[i], 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ALLOW);
	/* x32 calls (>= 0x40000000) jump past the list and the allow. */
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
	prog.len = (unsigned short)k;
	prog.filter = f;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		int r = -errno;

		snprintf(why, whylen, "sandbox: cannot install the system "
		    "call filter: %s", adsync_strerror(r));
		return r;
	}
	return 1;
}
#endif

/* The highest capability number of the running kernel. */
static int
sb_cap_last(void)
{
	FILE *fp = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int last = 63;

	if (fp != NULL) {
		if (fscanf(fp, "%d", &last) != 1 || last < 0 || last > 63)
			last = 63;
		fclose(fp);
	}
	return last;
}

/*
 * Every capability gone, for good: the bounding set (which needs
 * CAP_SETPCAP: a process without it has nothing to drop there), the
 * ambient set, then effective, permitted and inheritable. The daemon
 * binds unprivileged ports and reads files it owns; a root that kept its
 * capabilities could override every file mode.
 */
static int
sb_drop_caps(bool keep_net_bind, bool *kept, char *why, size_t whylen)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint32_t keep = keep_net_bind ? 1u << CAP_NET_BIND_SERVICE : 0;
	int cap, last = sb_cap_last();

	*kept = false;
	for (cap = 0; cap <= last; cap++)
		if ((keep == 0 || cap != CAP_NET_BIND_SERVICE) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EINVAL && errno != EPERM)
			goto fail;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		goto fail;
	memset(d, 0, sizeof(d));
	if (keep != 0 && syscall(SYS_capget, &h, d) < 0)
		goto fail;
	/* At most the one kept, and only if it was held. */
	d[0].effective &= keep;
	d[0].permitted &= keep;
	d[0].inheritable = 0;
	d[1].effective = d[1].permitted = d[1].inheritable = 0;
	*kept = (d[0].permitted & keep) != 0;
	if (syscall(SYS_capset, &h, d) < 0)
		goto fail;
	return 0;
fail:
	cap = -errno;
	snprintf(why, whylen, "sandbox: cannot drop capabilities: %s",
	    adsync_strerror(cap));
	return cap;
}

int
sandbox_apply(const struct sandbox_rules *rules, struct sandbox_report *rep,
    char *why, size_t whylen)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = sb_drop_caps(rules->keep_net_bind, &rep->net_bind_cap, why,
	    whylen)) < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		snprintf(why, whylen, "sandbox: cannot set no_new_privs: %s",
		    adsync_strerror(r));
		return r;
	}
	if ((r = ll_apply(rules, rep, why, whylen)) < 0)
		return r;
#ifdef SB_AUDIT_ARCH
	if ((r = sb_seccomp(why, whylen)) < 0)
		return r;
	rep->seccomp = true;
#endif
	if (rep->landlock_abi == 0)
		snprintf(rep->text, sizeof(rep->text), "no Landlock in this "
		    "kernel%s; %s", rep->seccomp ? "; seccomp" : "",
		    rep->net_bind_cap ? "only CAP_NET_BIND_SERVICE" :
		    "no capabilities");
	else
		snprintf(rep->text, sizeof(rep->text), "Landlock ABI %d "
		    "(files%s%s)%s; %s", rep->landlock_abi,
		    rep->net ? ", bind" : "", rep->scope ? ", scope" : "",
		    rep->seccomp ? "; seccomp" : "", rep->net_bind_cap ?
		    "only CAP_NET_BIND_SERVICE" : "no capabilities");
	return 0;
}
