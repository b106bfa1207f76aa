/*
 * The process sandbox (issue 10, docs/SECURITY.md): what a process may
 * still do once it has opened what it needs, enforced by the kernel so
 * that a bug in a parser of untrusted input (a hook's capture, a browser's
 * request, an LDAP or API reply) cannot become more than that.
 *
 *  - no capability left (a root without them cannot override file
 *    modes), and no_new_privs: nothing it runs can gain privileges;
 *  - Landlock (Linux 5.13+, as much of it as the kernel has): the files
 *    it may read and the directories it may write; no execve anywhere;
 *    from ABI 4 the TCP ports it may bind; from ABI 6 no signal to, and
 *    no abstract UNIX socket of, a process outside the sandbox;
 *  - a seccomp filter that refuses (EPERM) the system calls a sync daemon
 *    never makes: tracing other processes, loading kernel code, mounts
 *    and namespaces, keyrings, io_uring, bpf, raw I/O ports, clocks,
 *    changing identity, exec.
 *
 * sandbox_apply() affects the calling thread and the threads it creates
 * afterwards: call it before any other thread starts. It cannot be undone
 * (a configuration reload that needs more must restart the process).
 * Any thread; no globals.
 */
#ifndef ADSYNC_SANDBOX_H
#define ADSYNC_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"

#define SANDBOX_PATHS_MAX 32
#define SANDBOX_PORTS_MAX 8

/* What the sandboxed process keeps. Paths are borrowed; a path that does
 * not exist is left out (nothing can be reached through it). A file (not
 * a directory) gets only the file rights of its list. */
struct sandbox_rules {
	const char *read[SANDBOX_PATHS_MAX];	/* read files, list dirs */
	size_t nread;
	const char *write[SANDBOX_PATHS_MAX];	/* also create, write,
						 * truncate, remove files,
						 * dirs and sockets */
	size_t nwrite;
	uint16_t bind[SANDBOX_PORTS_MAX];	/* TCP ports it may bind (0:
						 * an ephemeral one) */
	size_t nbind;
	bool scope_abstract;	/* no abstract UNIX socket outside (leave it
				 * off when $NOTIFY_SOCKET is abstract) */
	bool keep_net_bind;	/* keep CAP_NET_BIND_SERVICE, if held: a
				 * listen port below 1024 */
};

/* What was applied, for the log and `adsync status`. */
struct sandbox_report {
	int landlock_abi;	/* 0: Landlock unavailable (or disabled) */
	bool fs;		/* files and directories restricted */
	bool net;		/* TCP bind restricted (ABI 4+) */
	bool scope;		/* signals / abstract sockets scoped (ABI 6+) */
	bool seccomp;		/* the system-call filter is on */
	bool net_bind_cap;	/* CAP_NET_BIND_SERVICE was kept */
	char text[160];		/* one line: "landlock ABI 7 (files, bind,
				 * scope), seccomp" */
};

/* Adds a path to a list; false when the list is full. */
bool sandbox_rules_read(struct sandbox_rules *r, const char *path);
bool sandbox_rules_write(struct sandbox_rules *r, const char *path);
bool sandbox_rules_bind(struct sandbox_rules *r, uint16_t port);

/*
 * Applies no_new_privs, Landlock (best effort: what the kernel supports,
 * nothing when it has none) and the seccomp filter. 0 and *rep, or a
 * negative errno and `why` when a step the kernel supports failed (then
 * the process must not go on as if it were sandboxed).
 */
int sandbox_apply(const struct sandbox_rules *r, struct sandbox_report *rep,
    char *why, size_t whylen) ATTR_NODISCARD;

/* The Landlock ABI of the running kernel; 0 when it has none. */
int sandbox_landlock_abi(void);

#endif
