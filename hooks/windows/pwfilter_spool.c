/*
 * pwfilter_spool.c: the on-disk spool of captured changes, and the JSON
 * writer that builds capture and heartbeat bodies.
 *
 * Threads: pwf_spool_write() runs on LSASS's thread inside
 * PasswordChangeNotify; pwf_spool_read() on the sender thread. An entry
 * appears atomically (written as ID.tmp, then renamed to ID.bin), so the
 * sender never reads a partial entry.
 *
 * SECURITY: an entry is the capture body encrypted with DPAPI in machine
 * scope (CryptProtectData, CRYPTPROTECT_LOCAL_MACHINE): no key of ours
 * exists anywhere, the password is never on disk in clear, and the blob
 * only opens on this machine. Machine scope means any process on the DC
 * could open it, so the spool directory is restricted to SYSTEM and
 * Administrators (pwf_paths_init()). Every clear buffer is wiped.
 */
#include "pwfilter.h"

#include <bcrypt.h>
#include <dpapi.h>
#include <stdio.h>
#include <string.h>

volatile LONG pwf_spooled;
volatile LONG64 pwf_last_change_ms;

/* Domain separation for DPAPI (not a secret: DPAPI's key is). */
static BYTE spool_entropy[] = "adsync-pwfilter spool v1";

int
pwf_json_init(struct pwf_json *j)
{
	j->len = 0;
	j->overflow = false;
	j->p = pwf_alloc(PWF_BODY_MAX + 1);
	return j->p ? 0 : -1;
}

static void
json_put(struct pwf_json *j, const char *s, size_t n)
{
	if (j->overflow || n > PWF_BODY_MAX - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = 0;
}

void
pwf_json_raw(struct pwf_json *j, const char *s)
{
	json_put(j, s, strlen(s));
}

void
pwf_json_str(struct pwf_json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	json_put(j, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4],
		    hex[c & 15] };

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			json_put(j, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			json_put(j, esc, 6);
		} else {
			json_put(j, (const char *)&s[i], 1);
		}
		SecureZeroMemory(esc, sizeof(esc));
	}
	json_put(j, "\"", 1);
}

void
pwf_json_int(struct pwf_json *j, int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", (long long)v);
	json_put(j, b, strlen(b));
}

void
pwf_json_fini(struct pwf_json *j)
{
	pwf_free(j->p, PWF_BODY_MAX + 1);
	j->p = NULL;
	j->len = 0;
}

int
pwf_new_id(char id[PWF_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	BYTE r[PWF_ID_LEN / 2];
	int i;

	if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, r, sizeof(r),
	    BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
		return -1;
	for (i = 0; i < PWF_ID_LEN / 2; i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 15];
	}
	id[PWF_ID_LEN] = 0;
	return 0;
}

int
pwf_spool_write(const char *id, const char *body, size_t len)
{
	DATA_BLOB in, out = { 0, NULL }, ent;
	WCHAR tmp[PWF_PATH_MAX], fin[PWF_PATH_MAX];
	HANDLE h = INVALID_HANDLE_VALUE;
	DWORD done = 0;
	int rc = -1;
	const char *where = "encrypt";

	in.cbData = (DWORD)len;
	in.pbData = (BYTE *)body;
	ent.cbData = sizeof(spool_entropy) - 1;
	ent.pbData = spool_entropy;
	if (!CryptProtectData(&in, L"adsync-pwfilter", &ent, NULL, NULL,
	    CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN, &out))
		goto out;
	where = "path";
	if (_snwprintf(tmp, PWF_PATH_MAX, L"%ls\\%hs.tmp", pwf_spool_dir,
	    id) < 0 || _snwprintf(fin, PWF_PATH_MAX, L"%ls\\%hs.bin",
	    pwf_spool_dir, id) < 0)
		goto out;
	tmp[PWF_PATH_MAX - 1] = fin[PWF_PATH_MAX - 1] = 0;
	where = "create";
	h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		goto out;
	where = "write";
	if (!WriteFile(h, out.pbData, out.cbData, &done, NULL) ||
	    done != out.cbData || !FlushFileBuffers(h))
		goto out;
	CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	where = "rename";
	if (!MoveFileExW(tmp, fin, MOVEFILE_REPLACE_EXISTING |
	    MOVEFILE_WRITE_THROUGH))
		goto out;
	rc = 0;
out:
	if (rc < 0)
		pwf_log("spool: id=%s %s failed (error %lu)", id, where,
		    (unsigned long)GetLastError());
	if (h != INVALID_HANDLE_VALUE) {
		CloseHandle(h);
		DeleteFileW(tmp);
	}
	if (out.pbData != NULL)
		LocalFree(out.pbData);
	return rc;
}

int
pwf_spool_read(const WCHAR *path, char **body, DWORD *len)
{
	HANDLE h;
	LARGE_INTEGER size;
	BYTE *raw = NULL;
	DATA_BLOB in, out = { 0, NULL }, ent;
	DWORD got = 0;
	int rc = -1;

	h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	if (!GetFileSizeEx(h, &size))
		goto out;
	if (size.QuadPart <= 0 || size.QuadPart > PWF_SPOOL_ENTRY_MAX) {
		rc = -2;
		goto out;
	}
	if ((raw = pwf_alloc((size_t)size.QuadPart)) == NULL)
		goto out;
	if (!ReadFile(h, raw, (DWORD)size.QuadPart, &got, NULL) ||
	    got != (DWORD)size.QuadPart)
		goto out;
	in.cbData = got;
	in.pbData = raw;
	ent.cbData = sizeof(spool_entropy) - 1;
	ent.pbData = spool_entropy;
	if (!CryptUnprotectData(&in, NULL, &ent, NULL, NULL,
	    CRYPTPROTECT_UI_FORBIDDEN, &out)) {
		rc = -2;
		goto out;
	}
	if (out.cbData == 0 || out.cbData > PWF_BODY_MAX) {
		rc = -2;
		goto out;
	}
	if ((*body = pwf_alloc(out.cbData + 1)) == NULL)
		goto out;
	memcpy(*body, out.pbData, out.cbData);
	*len = out.cbData;
	rc = 0;
out:
	if (out.pbData != NULL) {
		/* SECURITY: DPAPI's output holds the password in clear. */
		SecureZeroMemory(out.pbData, out.cbData);
		LocalFree(out.pbData);
	}
	pwf_free(raw, 0);
	CloseHandle(h);
	return rc;
}
