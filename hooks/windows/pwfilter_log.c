/*
 * pwfilter_log.c: the DLL's data directory, heap helpers, clock and log
 * file. Any thread (LSASS's and the sender); the log is serialised by a
 * critical section. Trusts nothing it is given except the literal format
 * strings of its callers.
 *
 * The log is %ProgramData%\adsync\pwfilter.log, one short line per event,
 * rotated to pwfilter.log.1 at PWF_LOG_MAX bytes. It never holds a
 * password, a request body or key material (see pwf_log()).
 */
#include "pwfilter.h"

#include <sddl.h>
#include <stdarg.h>
#include <stdio.h>

WCHAR pwf_data_dir[PWF_PATH_MAX];
WCHAR pwf_spool_dir[PWF_PATH_MAX];
static WCHAR log_path[PWF_PATH_MAX];
static WCHAR log_old_path[PWF_PATH_MAX];
static CRITICAL_SECTION log_lock;
static volatile LONG log_ready;

void *
pwf_alloc(size_t n)
{
	return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n ? n : 1);
}

void
pwf_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	if (n > 0)
		SecureZeroMemory(p, n);
	HeapFree(GetProcessHeap(), 0, p);
}

int64_t
pwf_filetime_ms(const FILETIME *ft)
{
	ULARGE_INTEGER u;

	u.LowPart = ft->dwLowDateTime;
	u.HighPart = ft->dwHighDateTime;
	/* FILETIME counts 100 ns from 1601-01-01. */
	return ((int64_t)u.QuadPart - 116444736000000000LL) / 10000;
}

int64_t
pwf_now_ms(void)
{
	FILETIME ft;

	GetSystemTimeAsFileTime(&ft);
	return pwf_filetime_ms(&ft);
}

/*
 * %ProgramData%. LSASS is started before any user logs on; its
 * environment normally has ProgramData, but we do not depend on it: the
 * ProfileList key holds the same value, and C:\ProgramData is the last
 * resort.
 */
static void
program_data(WCHAR *out, DWORD cap)
{
	WCHAR raw[PWF_PATH_MAX];
	DWORD n, sz;

	n = GetEnvironmentVariableW(L"ProgramData", out, cap);
	if (n > 0 && n < cap)
		return;
	sz = sizeof(raw);
	if (RegGetValueW(HKEY_LOCAL_MACHINE,
	    L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList",
	    L"ProgramData", RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ |
	    RRF_NOEXPAND, NULL, raw, &sz) == ERROR_SUCCESS) {
		n = ExpandEnvironmentStringsW(raw, out, cap);
		if (n > 0 && n <= cap)
			return;
	}
	lstrcpynW(out, L"C:\\ProgramData", cap);
}

/* SECURITY: the data directory holds the spool (DPAPI machine-scope
 * blobs, which any local process could decrypt) and the log, so only
 * SYSTEM and Administrators may open it; inherited ACEs are cut off (P). */
static int
make_private_dir(const WCHAR *path)
{
	SECURITY_ATTRIBUTES sa;
	PSECURITY_DESCRIPTOR sd = NULL;
	int rc = 0;

	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
	    L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", SDDL_REVISION_1, &sd,
	    NULL))
		return -1;
	sa.nLength = sizeof(sa);
	sa.lpSecurityDescriptor = sd;
	sa.bInheritHandle = FALSE;
	if (!CreateDirectoryW(path, &sa) &&
	    GetLastError() != ERROR_ALREADY_EXISTS)
		rc = -1;
	LocalFree(sd);
	return rc;
}

int
pwf_paths_init(void)
{
	WCHAR base[PWF_PATH_MAX];

	program_data(base, PWF_PATH_MAX);
	if (_snwprintf(pwf_data_dir, PWF_PATH_MAX, L"%ls\\adsync", base) < 0 ||
	    _snwprintf(pwf_spool_dir, PWF_PATH_MAX, L"%ls\\spool",
	    pwf_data_dir) < 0 ||
	    _snwprintf(log_path, PWF_PATH_MAX, L"%ls\\pwfilter.log",
	    pwf_data_dir) < 0 ||
	    _snwprintf(log_old_path, PWF_PATH_MAX, L"%ls\\pwfilter.log.1",
	    pwf_data_dir) < 0)
		return -1;
	pwf_data_dir[PWF_PATH_MAX - 1] = 0;
	pwf_spool_dir[PWF_PATH_MAX - 1] = 0;
	log_path[PWF_PATH_MAX - 1] = 0;
	log_old_path[PWF_PATH_MAX - 1] = 0;
	if (make_private_dir(pwf_data_dir) < 0)
		return -1;
	return make_private_dir(pwf_spool_dir);
}

void
pwf_log_init(void)
{
	if (InterlockedCompareExchange(&log_ready, 1, 0) == 0)
		InitializeCriticalSection(&log_lock);
}

void
pwf_log(const char *fmt, ...)
{
	char line[512];
	SYSTEMTIME st;
	va_list ap;
	HANDLE h;
	LARGE_INTEGER size;
	DWORD done;
	int n, m;

	if (!log_ready || log_path[0] == 0)
		return;
	GetSystemTime(&st);
	n = snprintf(line, sizeof(line),
	    "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ [%lu] ", st.wYear, st.wMonth,
	    st.wDay, st.wHour, st.wMinute, st.wSecond, st.wMilliseconds,
	    (unsigned long)GetCurrentThreadId());
	if (n < 0)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 2, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(line) - 3)
		n = (int)sizeof(line) - 3;	/* truncated */
	line[n++] = '\r';
	line[n++] = '\n';

	EnterCriticalSection(&log_lock);
	h = CreateFileW(log_path, FILE_APPEND_DATA, FILE_SHARE_READ, NULL,
	    OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h != INVALID_HANDLE_VALUE && GetFileSizeEx(h, &size) &&
	    size.QuadPart + n > PWF_LOG_MAX) {
		CloseHandle(h);
		MoveFileExW(log_path, log_old_path, MOVEFILE_REPLACE_EXISTING);
		h = CreateFileW(log_path, FILE_APPEND_DATA, FILE_SHARE_READ,
		    NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	}
	if (h != INVALID_HANDLE_VALUE) {
		WriteFile(h, line, (DWORD)n, &done, NULL);
		CloseHandle(h);
	}
	LeaveCriticalSection(&log_lock);
}
