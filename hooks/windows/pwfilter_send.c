/*
 * pwfilter_send.c: the sender thread. Delivers spool entries oldest first
 * to adsync's receiver (POST /v1/password over HTTPS with the DC's client
 * certificate), sends a heartbeat at start and every 60 s, retries with a
 * backoff of 1 s doubling to 60 s, and drops entries older than 7 days.
 *
 * Threads: exactly one, started by InitializeChangeNotify; it owns the
 * configuration, the WinHTTP handles and the certificate objects. It
 * shares with LSASS's threads only the spool directory, the wake event
 * and interlocked counters.
 *
 * SECURITY: the receiver is trusted only when its certificate chains to
 * the hook file's ca_cert and nothing else (a chain engine whose
 * exclusive root is ca_cert) and names the receiver's host in its
 * subjectAltName. WinHTTP cannot be given a private trust anchor, so it
 * is told to ignore exactly one error, "unknown CA" (the private CA is not
 * in the Windows root store); it still checks the host name and dates
 * itself. Our own check runs in the WINHTTP_CALLBACK_STATUS_SENDING_REQUEST
 * callback, after the TLS handshake of the connection the request will
 * use and before its first byte is sent; a failure closes the request
 * there. The body is not given to WinHttpSendRequest at all: it is written
 * with WinHttpWriteData only after WinHttpSendRequest has returned and the
 * callback's verdict was "verified", so no path sends a password to an
 * unverified server. See hooks/windows/README.md.
 */
#include "pwfilter.h"

#include <stdio.h>
#include <string.h>

#define HEARTBEAT_MS 60000
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define SCAN_MAX 256		/* entries handled per pass */
#define TMP_MAX_AGE_MS (10 * 60 * 1000)

NTSYSAPI NTSTATUS NTAPI RtlIpv6StringToAddressA(PCSTR s, PCSTR *term,
    void *addr);

struct pwf_verifier {
	HCERTSTORE root;
	HCERTCHAINENGINE engine;
	BYTE *ca;		/* borrowed from the configuration */
	DWORD ca_len;
	char host[256];
	BYTE ip[16];
	DWORD ip_len;		/* 0: host is a DNS name */
};

struct sender {
	struct pwf_conf *conf;	/* owned */
	HANDLE wake;
	struct pwf_verifier *ver;
	HCERTSTORE p12_store;
	PCCERT_CONTEXT client;	/* borrowed from p12_store */
	HINTERNET session;
	HINTERNET conn;
	bool last_ok;		/* for logging state changes only */
};

/* Per request: what the SENDING_REQUEST callback decided. */
struct req_ctx {
	struct pwf_verifier *ver;
	volatile LONG verdict;	/* 0 not run, 1 verified, -1 refused */
	volatile LONG closed;	/* the callback closed the handle */
	char why[160];
};

enum {
	POST_TRANSPORT = -1,	/* no answer: connection, TLS, timeout */
	POST_UNTRUSTED = -2,	/* server certificate refused by us */
};

/* ------------------------------------------------------------------
 * Server certificate verification
 */
static int
parse_ipv4(const char *s, BYTE out[4])
{
	int part = 0, val = -1;

	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			val = (val < 0 ? 0 : val * 10) + (*s - '0');
			if (val > 255)
				return -1;
		} else if ((*s == '.' || *s == 0) && val >= 0 && part < 4) {
			out[part++] = (BYTE)val;
			val = -1;
			if (*s == 0)
				break;
		} else {
			return -1;
		}
	}
	return part == 4 ? 0 : -1;
}

struct pwf_verifier *
pwf_verifier_new(const struct pwf_conf *conf)
{
	struct pwf_verifier *v;
	CERT_CHAIN_ENGINE_CONFIG cfg;
	PCSTR term = NULL;

	if ((v = pwf_alloc(sizeof(*v))) == NULL)
		return NULL;
	v->ca = conf->ca_der;
	v->ca_len = conf->ca_len;
	lstrcpynA(v->host, conf->host, sizeof(v->host));
	if (parse_ipv4(v->host, v->ip) == 0)
		v->ip_len = 4;
	else if (strchr(v->host, ':') != NULL) {
		if (RtlIpv6StringToAddressA(v->host, &term, v->ip) != 0 ||
		    term == NULL || *term != 0)
			goto fail;
		v->ip_len = 16;
	}
	v->root = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0,
	    CERT_STORE_CREATE_NEW_FLAG, NULL);
	if (v->root == NULL || !CertAddEncodedCertificateToStore(v->root,
	    X509_ASN_ENCODING, v->ca, v->ca_len, CERT_STORE_ADD_ALWAYS, NULL))
		goto fail;
	memset(&cfg, 0, sizeof(cfg));
	/* The Windows 7 layout (up to hExclusiveTrustedPeople): every
	 * Windows since accepts it, and so does wine. */
	cfg.cbSize = offsetof(CERT_CHAIN_ENGINE_CONFIG, dwExclusiveFlags);
	cfg.hExclusiveRoot = v->root;
	if (!CertCreateCertificateChainEngine(&cfg, &v->engine))
		goto fail;
	return v;
fail:
	pwf_verifier_free(v);
	return NULL;
}

void
pwf_verifier_free(struct pwf_verifier *v)
{
	if (v == NULL)
		return;
	if (v->engine != NULL)
		CertFreeCertificateChainEngine(v->engine);
	if (v->root != NULL)
		CertCloseStore(v->root, 0);
	pwf_free(v, 0);
}

static bool
dns_eq(const WCHAR *w, const char *host)
{
	for (; *w && *host; w++, host++) {
		WCHAR a = *w, b = (WCHAR)(unsigned char)*host;

		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return false;
	}
	return *w == 0 && *host == 0;
}

/* The host of `receiver` must be a dNSName (exact, no wildcards: adsync
 * issues exact names) or an iPAddress of the subjectAltName. The subject
 * CN is not looked at (RFC 6125). */
static int
san_match(const struct pwf_verifier *v, PCCERT_CONTEXT cert)
{
	PCERT_EXTENSION ext;
	CERT_ALT_NAME_INFO *info = NULL;
	DWORD sz = 0, i;
	int rc = -1;

	ext = CertFindExtension(szOID_SUBJECT_ALT_NAME2,
	    cert->pCertInfo->cExtension, cert->pCertInfo->rgExtension);
	if (ext == NULL || !CryptDecodeObjectEx(X509_ASN_ENCODING,
	    X509_ALTERNATE_NAME, ext->Value.pbData, ext->Value.cbData,
	    CRYPT_DECODE_ALLOC_FLAG, NULL, &info, &sz))
		return -1;
	for (i = 0; i < info->cAltEntry && rc < 0; i++) {
		const CERT_ALT_NAME_ENTRY *e = &info->rgAltEntry[i];

		if (e->dwAltNameChoice == CERT_ALT_NAME_DNS_NAME &&
		    v->ip_len == 0 && e->pwszDNSName != NULL &&
		    dns_eq(e->pwszDNSName, v->host))
			rc = 0;
		else if (e->dwAltNameChoice == CERT_ALT_NAME_IP_ADDRESS &&
		    v->ip_len != 0 && e->IPAddress.cbData == v->ip_len &&
		    memcmp(e->IPAddress.pbData, v->ip, v->ip_len) == 0)
			rc = 0;
	}
	LocalFree(info);
	return rc;
}

int
pwf_verifier_check(struct pwf_verifier *v, PCCERT_CONTEXT cert, char *why,
    size_t whylen)
{
	static LPSTR server_auth[] = { (LPSTR)szOID_PKIX_KP_SERVER_AUTH };
	CERT_CHAIN_PARA para;
	PCCERT_CHAIN_CONTEXT chain = NULL;
	CERT_CHAIN_POLICY_PARA pp;
	CERT_CHAIN_POLICY_STATUS ps;
	SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl;
	const CERT_SIMPLE_CHAIN *simple;
	PCCERT_CONTEXT top;
	int rc = -1;

	memset(&para, 0, sizeof(para));
	para.cbSize = sizeof(para);
	para.RequestedUsage.dwType = USAGE_MATCH_TYPE_AND;
	para.RequestedUsage.Usage.cUsageIdentifier = 1;
	para.RequestedUsage.Usage.rgpszUsageIdentifier = server_auth;
	/* The server's own intermediates come with cert->hCertStore; no
	 * network fetching (AIA) from inside LSASS. */
	if (!CertGetCertificateChain(v->engine, cert, NULL, cert->hCertStore,
	    &para, CERT_CHAIN_DISABLE_AIA, NULL, &chain)) {
		snprintf(why, whylen, "cannot build a chain (error %lu)",
		    (unsigned long)GetLastError());
		goto out;
	}
	if (chain->TrustStatus.dwErrorStatus != CERT_TRUST_NO_ERROR) {
		snprintf(why, whylen, "chain not trusted by ca_cert (trust "
		    "error 0x%lx)", (unsigned long)chain->TrustStatus.dwErrorStatus);
		goto out;
	}
	/* SECURITY: belt and braces against an engine that would fall
	 * back to the system roots: the chain must end at OUR CA, byte for
	 * byte, and the server certificate must not be the CA itself. */
	simple = chain->cChain == 1 ? chain->rgpChain[0] : NULL;
	if (simple == NULL || simple->cElement < 2) {
		snprintf(why, whylen, "unexpected chain shape");
		goto out;
	}
	top = simple->rgpElement[simple->cElement - 1]->pCertContext;
	if (top->cbCertEncoded != v->ca_len ||
	    memcmp(top->pbCertEncoded, v->ca, v->ca_len) != 0) {
		snprintf(why, whylen, "chain does not end at ca_cert");
		goto out;
	}
	memset(&ssl, 0, sizeof(ssl));
	ssl.cbSize = sizeof(ssl);
	ssl.dwAuthType = AUTHTYPE_SERVER;
	ssl.pwszServerName = NULL;	/* names: san_match() below */
	memset(&pp, 0, sizeof(pp));
	pp.cbSize = sizeof(pp);
	pp.pvExtraPolicyPara = &ssl;
	memset(&ps, 0, sizeof(ps));
	ps.cbSize = sizeof(ps);
	if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain,
	    &pp, &ps) || ps.dwError != 0) {
		snprintf(why, whylen, "TLS server policy failed (0x%lx)",
		    (unsigned long)ps.dwError);
		goto out;
	}
	if (san_match(v, cert) < 0) {
		snprintf(why, whylen, "certificate does not name %s in its "
		    "subjectAltName", v->host);
		goto out;
	}
	rc = 0;
out:
	if (chain != NULL)
		CertFreeCertificateChain(chain);
	return rc;
}

/* Runs on the sender thread inside WinHttpSendRequest, after the TLS
 * handshake of the connection the request uses (new or reused), before
 * the request line is written. */
static void CALLBACK
status_cb(HINTERNET h, DWORD_PTR context, DWORD status, LPVOID info,
    DWORD infolen)
{
	struct req_ctx *c = (struct req_ctx *)context;
	PCCERT_CONTEXT cert = NULL;
	DWORD sz = sizeof(cert);

	(void)info;
	(void)infolen;
	if (c == NULL || status != WINHTTP_CALLBACK_STATUS_SENDING_REQUEST)
		return;
	if (!WinHttpQueryOption(h, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &cert,
	    &sz) || cert == NULL) {
		snprintf(c->why, sizeof(c->why), "no server certificate "
		    "(error %lu)", (unsigned long)GetLastError());
		c->verdict = -1;
	} else if (pwf_verifier_check(c->ver, cert, c->why,
	    sizeof(c->why)) < 0) {
		c->verdict = -1;
	} else {
		c->verdict = 1;
	}
	if (cert != NULL)
		CertFreeCertificateContext(cert);
	if (c->verdict != 1) {
		/* Cancels the request: nothing more goes out on it. */
		c->closed = 1;
		WinHttpCloseHandle(h);
	}
}

/* ------------------------------------------------------------------
 * HTTP
 */
static int
sender_connect(struct sender *s)
{
	DWORD proto = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 |
	    WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3;
	DWORD redir = WINHTTP_OPTION_REDIRECT_POLICY_NEVER;

	s->session = WinHttpOpen(L"adsync-pwfilter/" PWF_VERSION_W,
	    WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
	    WINHTTP_NO_PROXY_BYPASS, 0);
	if (s->session == NULL)
		return -1;
	WinHttpSetTimeouts(s->session, 5000, 5000, 10000, 10000);
	/* TLS 1.2 or later; Windows before TLS 1.3 support refuses that
	 * bit, then TLS 1.2 alone. */
	if (!WinHttpSetOption(s->session, WINHTTP_OPTION_SECURE_PROTOCOLS,
	    &proto, sizeof(proto))) {
		proto = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2;
		if (!WinHttpSetOption(s->session,
		    WINHTTP_OPTION_SECURE_PROTOCOLS, &proto, sizeof(proto)))
			return -1;
	}
	WinHttpSetOption(s->session, WINHTTP_OPTION_REDIRECT_POLICY, &redir,
	    sizeof(redir));
	s->conn = WinHttpConnect(s->session, s->conf->whost, s->conf->port,
	    0);
	return s->conn ? 0 : -1;
}

/* Copies the answer's body (at most cap - 1 bytes) as printable ASCII. */
static void
read_answer(HINTERNET req, char *out, size_t cap)
{
	DWORD got = 0, n;
	size_t len = 0;

	out[0] = 0;
	while (len + 1 < cap && WinHttpReadData(req, out + len,
	    (DWORD)(cap - 1 - len), &got) && got > 0)
		len += got;
	out[len] = 0;
	for (n = 0; n < len; n++)
		if ((unsigned char)out[n] < 0x20 ||
		    (unsigned char)out[n] > 0x7e)
			out[n] = '?';
}

/*
 * POSTs `body` to `path`. Returns the HTTP status, POST_TRANSPORT or
 * POST_UNTRUSTED; `answer` gets the start of the answer's body.
 */
static int
post(struct sender *s, const WCHAR *path, const char *body, DWORD len,
    char *answer, size_t anscap)
{
	HINTERNET req;
	struct req_ctx ctx;
	DWORD flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA, done, status = 0,
	    sz = sizeof(status), off = 0;
	DWORD nofeat = WINHTTP_DISABLE_COOKIES |
	    WINHTTP_DISABLE_AUTHENTICATION | WINHTTP_DISABLE_KEEP_ALIVE;
	int rc = POST_TRANSPORT;

	answer[0] = 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ver = s->ver;
	req = WinHttpOpenRequest(s->conn, L"POST", path, NULL,
	    WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
	    WINHTTP_FLAG_SECURE);
	if (req == NULL)
		return POST_TRANSPORT;
	/* SECURITY: the only certificate error WinHTTP may ignore is
	 * "unknown CA"; status_cb() then verifies against ca_cert. */
	if (!WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags,
	    sizeof(flags)) ||
	    !WinHttpSetOption(req, WINHTTP_OPTION_CLIENT_CERT_CONTEXT,
	    (void *)s->client, sizeof(CERT_CONTEXT)) ||
	    WinHttpSetStatusCallback(req, status_cb,
	    WINHTTP_CALLBACK_FLAG_SEND_REQUEST, 0) ==
	    WINHTTP_INVALID_STATUS_CALLBACK) {
		snprintf(answer, anscap, "request setup failed (error %lu)",
		    (unsigned long)GetLastError());
		goto out;
	}
	/* One request per connection: each send makes its own handshake,
	 * so the verified certificate is that of this very connection. */
	WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &nofeat,
	    sizeof(nofeat));
	/* The body is NOT passed here (see the file comment). */
	if (!WinHttpSendRequest(req, L"Content-Type: application/json\r\n",
	    (DWORD)-1L, WINHTTP_NO_REQUEST_DATA, 0, len, (DWORD_PTR)&ctx)) {
		if (ctx.verdict == -1) {
			snprintf(answer, anscap, "%s", ctx.why);
			rc = POST_UNTRUSTED;
		} else {
			snprintf(answer, anscap, "send failed (error %lu)",
			    (unsigned long)GetLastError());
		}
		goto out;
	}
	if (ctx.verdict != 1) {
		/* SECURITY: never reached with a refused certificate unless
		 * WinHTTP ignored the cancellation; the body stays here. */
		snprintf(answer, anscap, "%s", ctx.verdict == -1 ? ctx.why :
		    "server certificate was not checked");
		rc = POST_UNTRUSTED;
		goto out;
	}
	while (off < len) {
		if (!WinHttpWriteData(req, body + off, len - off, &done) ||
		    done == 0) {
			snprintf(answer, anscap, "write failed (error %lu)",
			    (unsigned long)GetLastError());
			goto out;
		}
		off += done;
	}
	if (!WinHttpReceiveResponse(req, NULL) ||
	    !WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE |
	    WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX, &status,
	    &sz, WINHTTP_NO_HEADER_INDEX)) {
		snprintf(answer, anscap, "no answer (error %lu)",
		    (unsigned long)GetLastError());
		goto out;
	}
	read_answer(req, answer, anscap);
	rc = (int)status;
out:
	if (!ctx.closed)
		WinHttpCloseHandle(req);
	return rc;
}

/* ------------------------------------------------------------------
 * Spool scanning and delivery
 */
struct entry {
	WCHAR name[PWF_ID_LEN + 8];
	int64_t t;
};

/* Only the sender thread scans. */
static struct entry scan_buf[SCAN_MAX];

static bool
entry_name(const WCHAR *n, const WCHAR *ext)
{
	int i;

	for (i = 0; i < PWF_ID_LEN; i++)
		if (!((n[i] >= '0' && n[i] <= '9') ||
		    (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	return lstrcmpW(n + PWF_ID_LEN, ext) == 0;
}

static void
spool_path(WCHAR *out, const WCHAR *name)
{
	_snwprintf(out, PWF_PATH_MAX, L"%ls\\%ls", pwf_spool_dir, name);
	out[PWF_PATH_MAX - 1] = 0;
}

/* Lists up to SCAN_MAX entries, oldest first, into `e`; drops those
 * older than 7 days and stale temporary files; counts all entries into
 * pwf_spooled. Returns the number listed. */
static int
spool_scan(struct entry *e)
{
	WCHAR pat[PWF_PATH_MAX], path[PWF_PATH_MAX];
	WIN32_FIND_DATAW fd;
	HANDLE f;
	int n = 0, i;
	LONG total = 0;
	int64_t now = pwf_now_ms();

	_snwprintf(pat, PWF_PATH_MAX, L"%ls\\*", pwf_spool_dir);
	pat[PWF_PATH_MAX - 1] = 0;
	f = FindFirstFileW(pat, &fd);
	if (f == INVALID_HANDLE_VALUE)
		return 0;
	do {
		int64_t t = pwf_filetime_ms(&fd.ftLastWriteTime);

		if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
			continue;
		if (entry_name(fd.cFileName, L".tmp")) {
			/* Left by a crash between write and rename. */
			if (now - t > TMP_MAX_AGE_MS) {
				spool_path(path, fd.cFileName);
				DeleteFileW(path);
			}
			continue;
		}
		if (!entry_name(fd.cFileName, L".bin"))
			continue;
		if (now - t > PWF_SPOOL_MAX_AGE_MS) {
			spool_path(path, fd.cFileName);
			if (DeleteFileW(path))
				pwf_log("spool: id=%.32ls older than 7 days, "
				    "dropped unsent", fd.cFileName);
			continue;
		}
		total++;
		/* Insertion into the sorted list (oldest first, then by
		 * name); when full, newer entries wait for the next pass. */
		for (i = n; i > 0 && (e[i - 1].t > t || (e[i - 1].t == t &&
		    lstrcmpW(e[i - 1].name, fd.cFileName) > 0)); i--)
			if (i < SCAN_MAX)
				e[i] = e[i - 1];
		if (i < SCAN_MAX) {
			lstrcpynW(e[i].name, fd.cFileName, PWF_ID_LEN + 8);
			e[i].t = t;
			if (n < SCAN_MAX)
				n++;
		}
	} while (FindNextFileW(f, &fd));
	FindClose(f);
	InterlockedExchange(&pwf_spooled, total);
	return n;
}

static void
log_state(struct sender *s, bool ok, const char *what, const char *detail)
{
	if (ok != s->last_ok || !ok)
		pwf_log("send: %s: %s", what, detail);
	s->last_ok = ok;
}

/* Sends what the spool holds. 0 when it is empty (or everything left was
 * dropped), 1 when an entry must wait (retry later). */
static int
drain(struct sender *s)
{
	struct entry *e = scan_buf;
	WCHAR path[PWF_PATH_MAX];
	char answer[256], *body = NULL;
	DWORD len = 0;
	int n, i, r, st;

	n = spool_scan(e);
	for (i = 0; i < n; i++) {
		spool_path(path, e[i].name);
		r = pwf_spool_read(path, &body, &len);
		if (r == -2) {
			pwf_log("spool: id=%.32ls cannot be decrypted or is "
			    "oversized, dropped", e[i].name);
			if (DeleteFileW(path))
				InterlockedDecrement(&pwf_spooled);
			continue;
		}
		if (r < 0)
			continue;	/* vanished or locked: next pass */
		st = post(s, L"/v1/password", body, len, answer,
		    sizeof(answer));
		/* SECURITY: the clear body is wiped at once. */
		pwf_free(body, len + 1);
		body = NULL;
		switch (st) {
		case 200:
		case 202:
		case 400:
		case 413:
			if (st == 400 || st == 413)
				pwf_log("send: id=%.32ls refused with %d (%s), "
				    "dropped", e[i].name, st, answer);
			else
				pwf_log("send: id=%.32ls delivered (%d)",
				    e[i].name, st);
			if (DeleteFileW(path))
				InterlockedDecrement(&pwf_spooled);
			s->last_ok = true;
			continue;
		case 403:
			pwf_log("send: id=%.32ls: 403: revoked: re-enrol this "
			    "DC", e[i].name);
			return 1;
		case POST_UNTRUSTED:
			pwf_log("send: receiver certificate refused: %s; "
			    "nothing sent", answer);
			return 1;
		case POST_TRANSPORT:
			log_state(s, false, "receiver unreachable", answer);
			return 1;
		default:
			pwf_log("send: id=%.32ls: answer %d, kept", e[i].name,
			    st);
			return 1;
		}
	}
	return 0;
}

static void
heartbeat(struct sender *s)
{
	struct pwf_json j;
	char answer[256];
	int st;

	if (pwf_json_init(&j) < 0)
		return;
	pwf_json_raw(&j, "{\"v\":1,\"version\":\"" PWF_VERSION
	    "\",\"spooled\":");
	pwf_json_int(&j, pwf_spooled);
	pwf_json_raw(&j, ",\"last_change\":");
	pwf_json_int(&j, pwf_last_change_ms);
	pwf_json_raw(&j, "}");
	st = post(s, L"/v1/heartbeat", j.p, (DWORD)j.len, answer,
	    sizeof(answer));
	pwf_json_fini(&j);
	if (st == 200)
		log_state(s, true, "heartbeat", "ok");
	else if (st == 403)
		pwf_log("send: heartbeat: 403: revoked: re-enrol this DC");
	else if (st == POST_UNTRUSTED)
		pwf_log("send: heartbeat: receiver certificate refused: %s",
		    answer);
	else if (st == POST_TRANSPORT)
		log_state(s, false, "receiver unreachable", answer);
	else
		pwf_log("send: heartbeat: answer %d", st);
}

/* Imports client_p12 (empty password) and finds its certificate with a
 * private key. The key is not persisted unless the registry says so
 * (PersistKey = 1, see README.md). */
static int
load_client_cert(struct sender *s)
{
	CRYPT_DATA_BLOB b;
	DWORD persist = 0, sz = sizeof(persist), spec;
	BOOL mustfree;
	HCRYPTPROV_OR_NCRYPT_KEY_HANDLE key;
	PCCERT_CONTEXT c = NULL;

	RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\adsync\\PasswordFilter",
	    L"PersistKey", RRF_RT_REG_DWORD, NULL, &persist, &sz);
	b.cbData = s->conf->p12_len;
	b.pbData = s->conf->p12;
	s->p12_store = PFXImportCertStore(&b, L"", persist == 1 ?
	    CRYPT_MACHINE_KEYSET : PKCS12_NO_PERSIST_KEY);
	/* SECURITY: the PKCS#12 holds the private key: gone from our
	 * memory once imported (or refused). */
	pwf_free(s->conf->p12, s->conf->p12_len);
	s->conf->p12 = NULL;
	s->conf->p12_len = 0;
	if (s->p12_store == NULL) {
		pwf_log("init: client_p12 cannot be imported (error 0x%lx)",
		    (unsigned long)GetLastError());
		return -1;
	}
	while ((c = CertEnumCertificatesInStore(s->p12_store, c)) != NULL) {
		if (CryptAcquireCertificatePrivateKey(c,
		    CRYPT_ACQUIRE_SILENT_FLAG | CRYPT_ACQUIRE_CACHE_FLAG |
		    CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG, NULL, &key, &spec,
		    &mustfree)) {
			/* Keeps the enumeration's reference: the
			 * sender uses it until the process ends. */
			s->client = c;
			return 0;
		}
	}
	pwf_log("init: client_p12 holds no certificate with a usable key");
	return -1;
}

static DWORD WINAPI
sender_main(LPVOID arg)
{
	struct sender *s = arg;
	bool can_send = false;
	int64_t now, next_hb = 0, next_try = 0, backoff = 0, wait;

	if (s->conf != NULL) {
		if ((s->ver = pwf_verifier_new(s->conf)) == NULL)
			pwf_log("init: ca_cert or receiver host unusable "
			    "(error %lu)", (unsigned long)GetLastError());
		else if (load_client_cert(s) == 0 && sender_connect(s) == 0)
			can_send = true;
		else if (s->client != NULL)
			pwf_log("init: WinHTTP setup failed (error %lu)",
			    (unsigned long)GetLastError());
	}
	if (!can_send)
		pwf_log("sender: cannot send; changes stay in the spool");
	else
		pwf_log("sender: started");
	spool_scan(scan_buf);	/* the first heartbeat's "spooled" */
	for (;;) {
		now = pwf_now_ms();
		if (!can_send) {
			spool_scan(scan_buf);
			WaitForSingleObject(s->wake, HEARTBEAT_MS);
			continue;
		}
		if (now >= next_hb) {
			heartbeat(s);
			next_hb = now + HEARTBEAT_MS;
		}
		if (now >= next_try) {
			if (drain(s) == 0) {
				backoff = 0;
				next_try = INT64_MAX;
			} else {
				backoff = backoff == 0 ? BACKOFF_MIN_MS :
				    backoff * 2;
				if (backoff > BACKOFF_MAX_MS)
					backoff = BACKOFF_MAX_MS;
				next_try = pwf_now_ms() + backoff;
			}
		}
		now = pwf_now_ms();
		wait = next_hb - now;
		if (next_try - now < wait)
			wait = next_try - now;
		if (wait < 0)
			wait = 0;
		/* A new capture wakes us: it is tried at once, backoff or
		 * not (it is cheap, and the receiver may be back). */
		if (WaitForSingleObject(s->wake, (DWORD)wait) ==
		    WAIT_OBJECT_0)
			next_try = 0;
	}
	return 0;
}

int
pwf_sender_start(struct pwf_conf *conf, HANDLE wake)
{
	struct sender *s;
	HANDLE t;

	if ((s = pwf_alloc(sizeof(*s))) == NULL) {
		pwf_conf_fini(conf);
		pwf_free(conf, 0);
		return -1;
	}
	s->conf = conf;
	s->wake = wake;
	s->last_ok = true;
	t = CreateThread(NULL, 0, sender_main, s, 0, NULL);
	if (t == NULL) {
		pwf_conf_fini(conf);
		pwf_free(conf, 0);
		pwf_free(s, 0);
		return -1;
	}
	CloseHandle(t);
	return 0;
}
