/*
 * pwfilter_main.c: the three exports LSASS calls in a password filter
 * ("Notification Packages") DLL: InitializeChangeNotify, PasswordFilter
 * and PasswordChangeNotify (<ntsecapi.h>).
 *
 * Threads: LSASS's own, possibly several at once. Everything here must be
 * short, must never fail LSASS and must never block a password change:
 *   - PasswordFilter allows every password and does nothing else (we only
 *     send committed changes from Windows);
 *   - PasswordChangeNotify encrypts the change into the spool, wakes the
 *     sender thread and returns: no network I/O on LSASS's thread;
 *   - InitializeChangeNotify returns TRUE even when the configuration is
 *     broken (the change then just waits in the spool).
 * Input: UNICODE_STRINGs from LSASS (counted, not NUL-terminated).
 *
 * SECURITY: the password exists in clear only in the UTF-8 buffer and the
 * JSON body, both heap buffers wiped before they are freed. It never goes
 * to the log.
 */
#include "pwfilter.h"

#include <ntsecapi.h>
#include <stdio.h>
#include <string.h>

#ifndef STATUS_SUCCESS
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#endif

static HANDLE wake_event;
static volatile LONG started;

__declspec(dllexport) BOOLEAN NTAPI InitializeChangeNotify(void);
__declspec(dllexport) BOOLEAN NTAPI PasswordFilter(PUNICODE_STRING
    AccountName, PUNICODE_STRING FullName, PUNICODE_STRING Password,
    BOOLEAN SetOperation);
__declspec(dllexport) NTSTATUS NTAPI PasswordChangeNotify(PUNICODE_STRING
    UserName, ULONG RelativeId, PUNICODE_STRING NewPassword);

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved);

BOOL WINAPI
DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)reserved;
	if (reason == DLL_PROCESS_ATTACH)
		DisableThreadLibraryCalls(inst);
	return TRUE;
}

/* The hook file: HKLM\SOFTWARE\adsync\PasswordFilter\HookFile, else
 * %ProgramData%\adsync\adsync.hook. */
static void
hook_path(WCHAR *out, DWORD cap)
{
	DWORD sz = cap * sizeof(WCHAR);
	LSTATUS st;

	st = RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\adsync\\PasswordFilter",
	    L"HookFile", RRF_RT_REG_SZ, NULL, out, &sz);
	if (st == ERROR_SUCCESS && out[0] != 0)
		return;
	if (st != ERROR_FILE_NOT_FOUND)
		pwf_log("init: registry HookFile unreadable (error %ld), "
		    "using the default path", (long)st);
	_snwprintf(out, cap, L"%ls\\adsync.hook", pwf_data_dir);
	out[cap - 1] = 0;
}

__declspec(dllexport) BOOLEAN NTAPI
InitializeChangeNotify(void)
{
	WCHAR path[PWF_PATH_MAX];
	struct pwf_conf *conf = NULL;
	char why[160];

	/* LSASS calls this once; a test driver might call it twice. */
	if (InterlockedCompareExchange(&started, 1, 0) != 0)
		return TRUE;
	pwf_log_init();
	if (pwf_paths_init() < 0) {
		/* Nowhere to spool or log: stay loaded, do nothing. */
		return TRUE;
	}
	pwf_log("init: adsync-pwfilter %s starting", PWF_VERSION);
	hook_path(path, PWF_PATH_MAX);
	if ((conf = pwf_alloc(sizeof(*conf))) == NULL) {
		pwf_log("init: out of memory");
	} else if (pwf_conf_load(path, conf, why, sizeof(why)) < 0) {
		pwf_log("init: hook file %ls: %s; changes are spooled, not "
		    "sent", path, why);
		pwf_conf_fini(conf);
		pwf_free(conf, 0);
		conf = NULL;
	} else {
		pwf_log("init: hook file %ls: dc=%s receiver=%s:%u", path,
		    conf->dc, conf->host, (unsigned)conf->port);
	}
	wake_event = CreateEventW(NULL, FALSE, FALSE, NULL);
	if (wake_event == NULL) {
		pwf_log("init: CreateEvent failed (error %lu)",
		    (unsigned long)GetLastError());
		pwf_conf_fini(conf);
		pwf_free(conf, 0);
		return TRUE;
	}
	if (pwf_sender_start(conf, wake_event) < 0)
		pwf_log("init: cannot start the sender thread (error %lu)",
		    (unsigned long)GetLastError());
	return TRUE;
}

__declspec(dllexport) BOOLEAN NTAPI
PasswordFilter(PUNICODE_STRING AccountName, PUNICODE_STRING FullName,
    PUNICODE_STRING Password, BOOLEAN SetOperation)
{
	/* Never blocks a change; pre-commit captures are not sent from
	 * Windows (PasswordChangeNotify reports committed changes). */
	(void)AccountName;
	(void)FullName;
	(void)Password;
	(void)SetOperation;
	return TRUE;
}

/* UTF-16 (counted) to UTF-8 in a fresh heap buffer of at most `max`
 * bytes. Returns the buffer (*n bytes, NUL-terminated; the caller wipes
 * and frees it with pwf_free(p, *n + 1)) or NULL. */
static char *
to_utf8(const UNICODE_STRING *u, int max, int *n)
{
	int wn, need;
	char *p;

	if (u == NULL || u->Buffer == NULL || u->Length == 0 ||
	    u->Length % 2 != 0)
		return NULL;
	wn = u->Length / 2;
	need = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, u->Buffer,
	    wn, NULL, 0, NULL, NULL);
	if (need <= 0 || need > max)
		return NULL;
	if ((p = pwf_alloc((size_t)need + 1)) == NULL)
		return NULL;
	if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, u->Buffer, wn,
	    p, need, NULL, NULL) != need) {
		pwf_free(p, (size_t)need + 1);
		return NULL;
	}
	*n = need;
	return p;
}

__declspec(dllexport) NTSTATUS NTAPI
PasswordChangeNotify(PUNICODE_STRING UserName, ULONG RelativeId,
    PUNICODE_STRING NewPassword)
{
	char *user = NULL, *pw = NULL, id[PWF_ID_LEN + 1] = "";
	int ulen = 0, plen = 0;
	struct pwf_json j = { NULL, 0, false };
	int64_t now = pwf_now_ms();

	if (!started || pwf_spool_dir[0] == 0)
		return STATUS_SUCCESS;
	if ((user = to_utf8(UserName, PWF_ACCOUNT_MAX, &ulen)) == NULL) {
		pwf_log("notify: rid=%lu: account name missing, invalid or too"
		    " long; change not captured", (unsigned long)RelativeId);
		goto out;
	}
	if (pwf_spooled >= PWF_SPOOL_COUNT_MAX) {
		pwf_log("notify: account=%s: spool full (%ld entries); change"
		    " not captured", user, (long)pwf_spooled);
		goto out;
	}
	if ((pw = to_utf8(NewPassword, PWF_PASSWORD_MAX, &plen)) == NULL) {
		pwf_log("notify: account=%s: password empty, not valid UTF-16 "
		    "or longer than %d bytes; change not captured", user,
		    PWF_PASSWORD_MAX);
		goto out;
	}
	if (pwf_new_id(id) < 0 || pwf_json_init(&j) < 0) {
		pwf_log("notify: account=%s: no random id or memory", user);
		goto out;
	}
	pwf_json_raw(&j, "{\"v\":1,\"id\":\"");
	pwf_json_raw(&j, id);
	pwf_json_raw(&j, "\",\"source\":\"notify\",\"committed\":true,"
	    "\"account\":");
	pwf_json_str(&j, user, (size_t)ulen);
	pwf_json_raw(&j, ",\"password\":");
	pwf_json_str(&j, pw, (size_t)plen);
	pwf_json_raw(&j, ",\"captured\":");
	pwf_json_int(&j, now);
	pwf_json_raw(&j, "}");
	if (j.overflow) {
		pwf_log("notify: account=%s id=%s: body too large", user, id);
		goto out;
	}
	if (pwf_spool_write(id, j.p, j.len) == 0) {
		InterlockedIncrement(&pwf_spooled);
		InterlockedExchange64(&pwf_last_change_ms, now);
		pwf_log("notify: account=%s id=%s spooled", user, id);
		if (wake_event != NULL)
			SetEvent(wake_event);
	}
out:
	pwf_json_fini(&j);
	pwf_free(pw, (size_t)plen + 1);
	pwf_free(user, (size_t)ulen + 1);
	return STATUS_SUCCESS;
}
