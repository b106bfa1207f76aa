/*
 * pwfilter-driver.exe: a test driver for adsync-pwfilter.dll (run under
 * wine by tests/integration/test_pwfilter.sh). It plays LSASS: loads the
 * DLL, looks the three exports up, calls InitializeChangeNotify, then
 * PasswordFilter and PasswordChangeNotify with the account and password of
 * its command line, and waits until the spool is empty.
 *
 *   pwfilter-driver.exe DLL [--user NAME --password PW] [--wait SECONDS]
 *
 * Prints key=value lines; exit 0 when the spool emptied within the wait,
 * 3 when entries remain, 1 on a usage or DLL error. Single-threaded (the
 * DLL starts its own sender thread).
 */
#include <windows.h>
#include <ntsecapi.h>
#include <shellapi.h>
#include <stdio.h>
#include <wchar.h>

typedef BOOLEAN(NTAPI *init_fn)(void);
typedef BOOLEAN(NTAPI *filter_fn)(PUNICODE_STRING, PUNICODE_STRING,
    PUNICODE_STRING, BOOLEAN);
typedef NTSTATUS(NTAPI *notify_fn)(PUNICODE_STRING, ULONG, PUNICODE_STRING);

static void
ustr(UNICODE_STRING *u, WCHAR *s)
{
	u->Buffer = s;
	u->Length = (USHORT)(wcslen(s) * sizeof(WCHAR));
	u->MaximumLength = u->Length;
}

static int
spool_count(const WCHAR *dir)
{
	WCHAR pat[MAX_PATH + 8];
	WIN32_FIND_DATAW fd;
	HANDLE f;
	int n = 0;

	_snwprintf(pat, MAX_PATH + 8, L"%ls\\*.bin", dir);
	pat[MAX_PATH + 7] = 0;
	f = FindFirstFileW(pat, &fd);
	if (f == INVALID_HANDLE_VALUE)
		return 0;
	do
		n++;
	while (FindNextFileW(f, &fd));
	FindClose(f);
	return n;
}

int
main(void)
{
	int argc = 0, i, left = -1;
	WCHAR **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
	WCHAR *user = NULL, *pw = NULL, dir[MAX_PATH];
	WCHAR full[] = L"Test User";
	double waitsec = 0;
	HMODULE dll;
	init_fn init;
	filter_fn filter;
	notify_fn notify;
	UNICODE_STRING u, p, f;
	LARGE_INTEGER freq, t0, t1;
	DWORD n;

	if (argv == NULL || argc < 2) {
		fprintf(stderr, "usage: pwfilter-driver DLL [--user NAME "
		    "--password PW] [--wait SECONDS]\n");
		return 1;
	}
	for (i = 2; i < argc; i++) {
		if (wcscmp(argv[i], L"--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (wcscmp(argv[i], L"--password") == 0 && i + 1 < argc)
			pw = argv[++i];
		else if (wcscmp(argv[i], L"--wait") == 0 && i + 1 < argc)
			waitsec = wcstod(argv[++i], NULL);
		else {
			fprintf(stderr, "pwfilter-driver: bad argument %d\n", i);
			return 1;
		}
	}
	if ((user == NULL) != (pw == NULL)) {
		fprintf(stderr, "pwfilter-driver: --user and --password go "
		    "together\n");
		return 1;
	}
	dll = LoadLibraryW(argv[1]);
	if (dll == NULL) {
		printf("load=failed error=%lu\n", (unsigned long)GetLastError());
		return 1;
	}
	init = (init_fn)(void *)GetProcAddress(dll, "InitializeChangeNotify");
	filter = (filter_fn)(void *)GetProcAddress(dll, "PasswordFilter");
	notify = (notify_fn)(void *)GetProcAddress(dll,
	    "PasswordChangeNotify");
	printf("exports=%s\n", init && filter && notify ? "ok" : "missing");
	if (!init || !filter || !notify)
		return 1;
	printf("init=%s\n", init() ? "TRUE" : "FALSE");

	QueryPerformanceFrequency(&freq);
	if (user != NULL) {
		ustr(&u, user);
		ustr(&p, pw);
		ustr(&f, full);
		printf("filter=%s\n", filter(&u, &f, &p, FALSE) &&
		    filter(&u, &f, &p, TRUE) ? "TRUE" : "FALSE");
		QueryPerformanceCounter(&t0);
		printf("notify=0x%lx\n", (unsigned long)notify(&u, 1105, &p));
		QueryPerformanceCounter(&t1);
		printf("notify_ms=%.1f\n", (double)(t1.QuadPart - t0.QuadPart)
		    * 1000.0 / (double)freq.QuadPart);
	}

	n = GetEnvironmentVariableW(L"ProgramData", dir, MAX_PATH - 20);
	if (n == 0 || n >= MAX_PATH - 20)
		wcscpy(dir, L"C:\\ProgramData");
	wcscat(dir, L"\\adsync\\spool");
	QueryPerformanceCounter(&t0);
	for (;;) {
		left = spool_count(dir);
		QueryPerformanceCounter(&t1);
		if (left == 0 || (double)(t1.QuadPart - t0.QuadPart) /
		    (double)freq.QuadPart >= waitsec)
			break;
		Sleep(100);
	}
	printf("spool=%d\n", left);
	printf("waited_ms=%.0f\n", (double)(t1.QuadPart - t0.QuadPart) *
	    1000.0 / (double)freq.QuadPart);
	fflush(stdout);
	/* The DLL's sender thread is still running: end the process the
	 * way LSASS would never do, at once. */
	ExitProcess(left == 0 ? 0 : 3);
}
