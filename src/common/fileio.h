/*
 * Replacing a file atomically: the one implementation behind the writers of
 * secret files (secret_write_file), adsync.conf (conf_edit_file) and the
 * console's password file (web_passwd_write). A temporary file is made
 * beside the target, written, synced and renamed over it, so a reader (or a
 * crash) sees the old file or the new one, never a part. Any thread; no
 * global state; the data is the caller's and is never logged or quoted.
 */
#ifndef ADSYNC_FILEIO_H
#define ADSYNC_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "attributes.h"

/*
 * How file_replace() makes the new file. "The old file" is `was` when
 * `check_unchanged` is set, else the regular file found at `path` (lstat;
 * a symbolic link is no old file).
 */
struct file_replace_opts {
	/* Permission bits of the new file (when `keep_mode`, only of a file
	 * that has no old file). */
	mode_t mode;
	/* Give the new file the old file's permission bits. */
	bool keep_mode;
	/* When running as root, give the new file the old file's owner and
	 * group (an error when that fails): root writing for the service
	 * user must not take the file away from it. */
	bool keep_owner;
	/* Otherwise (not root, or no `keep_owner`), the old file's group,
	 * best effort: when we do not belong to it, the file gets ours. */
	bool keep_group;
	/* Refuse with -ELOOP when `path` is a symbolic link at the moment
	 * of the rename (which would replace the link, not its target). */
	bool no_symlink;
	/* Refuse with -EAGAIN, nothing written, unless `path` is still the
	 * file `*was` describes (device, inode, size, modification time),
	 * or, when `was` is NULL, still does not exist: somebody else
	 * changed it since the caller read it, and theirs wins. */
	bool check_unchanged;
	const struct stat *was;	/* borrowed, for the call */
	/* The temporary file is DIR/.BASE.INFIX-XXXXXX; NULL means "new".
	 * Left-overs of a crash can be recognised by it. */
	const char *tmp_infix;
	/* Advice appended to a failure to create or rename a file in the
	 * directory, for the negative code `err` (e.g. "; create the
	 * directory first"); returns static text, "" for none. NULL: none. */
	const char *(*dir_advice)(int err);
};

/*
 * Replaces (or creates) `path` with `len` bytes of `data` (borrowed, not
 * copied: wipe it after when it is a secret): a temporary file in the same
 * directory made with mkostemp() (O_EXCL, mode 0600 from the first byte,
 * so a planted file or link is never written through), its owner and mode
 * set as `o` says, the data written, fsync, rename over `path`, fsync of
 * the directory. A symbolic link at `path` is replaced, never followed
 * (or refused, see `no_symlink`). On failure the temporary file is
 * truncated and removed and `path` is as it was, except when only the
 * final fsync of the directory failed: the new file is then in place, and
 * the code says its durability is in doubt.
 *
 * Returns 0, or a negative code with a sentence naming `path` (and the
 * fix, from `dir_advice`) in `why` (may be NULL): -EISDIR (`path` ends in
 * '/' or is a directory; with `check_unchanged`, a directory where the
 * caller saw a file or none is -EAGAIN like any other change),
 * -ENAMETOOLONG, -EAGAIN and -ELOOP (see the options), or -errno of the
 * step that failed.
 */
int file_replace(const char *path, const void *data, size_t len,
    const struct file_replace_opts *o, char *why, size_t whylen)
    ATTR_NODISCARD;

#endif
