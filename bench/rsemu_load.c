/*
 * rsemu_load: a closed-loop load generator for rsemu's raw capacity. It keeps
 * C requests in flight on C reused connections (libcurl multi), signs every
 * request afresh as a real client must, and reports completed requests per
 * second and latency percentiles. Single thread. Trusts its command line; the
 * secret key comes from a 0600 file like everywhere else.
 *
 *   rsemu_load --url URL --user-key K --secret-key-file F [--ca-file F]
 *              --domain D --op get|add|add-full --concurrency C --seconds S
 *
 * add-full creates mailboxes with the fields a directory user carries (the
 * shape adsync's first sync sends), so that the sync benchmark compares
 * adsync with the same work done by the leanest possible client.
 *
 * Output: one line of key=value pairs for bench/run.sh to tabulate.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "err.h"
#include "rs_auth.h"
#include "secret.h"
#include "strparse.h"
#include "xmalloc.h"

#define LOAD_MAX_CONC 256
#define LOAD_MAX_SAMPLES (4 * 1024 * 1024)
#define LOAD_UA "adsync-bench/1"

struct load_slot {
	CURL *easy;
	struct curl_slist *hdrs;
	char body[1024];
	double started;
};

struct load {
	const char *url;
	const char *user_key;
	const char *domain;
	const char *ca_file;
	struct secret *secret;
	bool add;
	bool full;		/* add-full: a directory user's fields */
	long conc;
	long seconds;
	unsigned long seq;
	double *lat;		/* latencies in ms */
	size_t nlat;
	unsigned long errors;
	unsigned long statuses[6];	/* by hundreds */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
load_discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static int
load_prepare(struct load *l, struct load_slot *s)
{
	char sig[RS_AUTH_HEADER_MAX + 1], hdr[RS_AUTH_HEADER_MAX + 32];
	char url[1024];
	const unsigned char *key;
	size_t keylen;
	int r;

	key = secret_bytes(l->secret, &keylen);
	if ((r = rs_auth_header(l->user_key, LOAD_UA, time(NULL), key, keylen,
	    sig, sizeof(sig))) < 0)
		return r;
	curl_slist_free_all(s->hdrs);
	snprintf(hdr, sizeof(hdr), "X-Api-Signature: %s", sig);
	s->hdrs = curl_slist_append(NULL, hdr);
	s->hdrs = curl_slist_append(s->hdrs, "Accept: application/json");
	s->hdrs = curl_slist_append(s->hdrs, "Expect:");
	if (l->add) {
		l->seq++;
		snprintf(url, sizeof(url),
		    "%s/customers/me/domains/%s/rs/mailboxes/b%d-%lu", l->url,
		    l->domain, (int)getpid(), l->seq);
		snprintf(s->body, sizeof(s->body),
		    "password=Bench-Passw0rd&size=25600&displayName=Bench%%20%lu"
		    "%s", l->seq, l->full ? "&enabled=true&firstName=Ada"
		    "&lastName=Smith%20Bench&title=Sales%20Lead"
		    "&businessNumber=%2B1%20555%20000%200000"
		    "&businessStreet=350%20Fifth%20Avenue"
		    "&businessCity=New%20York&businessState=NY"
		    "&businessPostalCode=10118"
		    "&businessCountry=United%20States&userID=G0000000"
		    "&employeeType=Employee&organizationUnit=Sales"
		    "&mobileNumber=%2B1%20555%20100%200000" : "");
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	} else {
		snprintf(url, sizeof(url),
		    "%s/customers/me/domains/%s/rs/mailboxes/bench0", l->url,
		    l->domain);
		curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(s->easy, CURLOPT_URL, url);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	s->started = now_s();
	return 0;
}

static void load_slot_init(struct load *l, struct load_slot *s);

static int
load_setup(struct load *l)
{
	struct load_slot s;
	char url[1024];
	long status = 0;
	CURLcode rc;
	int r;

	memset(&s, 0, sizeof(s));
	load_slot_init(l, &s);
	if ((r = load_prepare(l, &s)) < 0)
		goto out;
	snprintf(url, sizeof(url),
	    "%s/customers/me/domains/%s/rs/mailboxes/bench0", l->url,
	    l->domain);
	curl_easy_setopt(s.easy, CURLOPT_URL, url);
	curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS,
	    "password=Bench-Passw0rd&size=25600&displayName=Bench");
	rc = curl_easy_perform(s.easy);
	curl_easy_getinfo(s.easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || (status != 200 && status != 409)) {
		fprintf(stderr, "rsemu_load: creating bench0 failed: %s, "
		    "HTTP %ld\n", curl_easy_strerror(rc), status);
		r = -ADSYNC_EPROTO;
	}
out:
	curl_easy_cleanup(s.easy);
	curl_slist_free_all(s.hdrs);
	return r;
}

static void
load_slot_init(struct load *l, struct load_slot *s)
{
	s->easy = curl_easy_init();
	if (s->easy == NULL) {
		fprintf(stderr, "rsemu_load: curl_easy_init failed\n");
		exit(1);
	}
	curl_easy_setopt(s->easy, CURLOPT_USERAGENT, LOAD_UA);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, load_discard);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	if (l->ca_file != NULL)
		curl_easy_setopt(s->easy, CURLOPT_CAINFO, l->ca_file);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static void
usage(void)
{
	fprintf(stderr, "usage: rsemu_load --url URL --user-key K "
	    "--secret-key-file F [--ca-file F] --domain D --op get|add|add-full "
	    "[--concurrency C] [--seconds S]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "user-key", required_argument, NULL, 'k' },
		{ "secret-key-file", required_argument, NULL, 's' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "domain", required_argument, NULL, 'd' },
		{ "op", required_argument, NULL, 'o' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct load l = { .conc = 1, .seconds = 5 };
	struct load_slot *slots;
	const char *secret_path = NULL, *errstr;
	char why[512];
	long long v;
	double t0, elapsed;
	CURLM *multi;
	CURLMsg *m;
	int ch, running, left;
	long i, status;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': l.url = optarg; break;
		case 'k': l.user_key = optarg; break;
		case 's': secret_path = optarg; break;
		case 'C': l.ca_file = optarg; break;
		case 'd': l.domain = optarg; break;
		case 'o':
			if (strcmp(optarg, "add") == 0)
				l.add = true;
			else if (strcmp(optarg, "add-full") == 0)
				l.add = l.full = true;
			else if (strcmp(optarg, "get") != 0)
				usage();
			break;
		case 'c':
			if (strparse_num(optarg, 1, LOAD_MAX_CONC, &v,
			    &errstr) < 0)
				usage();
			l.conc = (long)v;
			break;
		case 't':
			if (strparse_num(optarg, 1, 3600, &v, &errstr) < 0)
				usage();
			l.seconds = (long)v;
			break;
		default:
			usage();
		}
	}
	if (!l.url || !l.user_key || !secret_path || !l.domain)
		usage();
	if (secret_load_file(secret_path, "bench.secret_key_file",
	    SECRET_FILE_MAX, &l.secret, why, sizeof(why)) < 0) {
		fprintf(stderr, "rsemu_load: %s\n", why);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, l.conc);
	slots = xcalloc((size_t)l.conc, sizeof(*slots));
	l.lat = xcalloc(LOAD_MAX_SAMPLES, sizeof(double));
	for (i = 0; i < l.conc; i++) {
		load_slot_init(&l, &slots[i]);
		if (load_prepare(&l, &slots[i]) < 0)
			return 1;
		curl_multi_add_handle(multi, slots[i].easy);
	}
	/* The GET load reads one mailbox: create it first (409 if a previous
	 * run did; either way it exists). */
	if (!l.add && load_setup(&l) < 0)
		return 1;
	t0 = now_s();
	do {
		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			struct load_slot *s;
			double done = now_s();

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			status = 0;
			curl_easy_getinfo(m->easy_handle,
			    CURLINFO_RESPONSE_CODE, &status);
			if (m->data.result != CURLE_OK || status < 200 ||
			    status > 299)
				l.errors++;
			if (status >= 100 && status < 600)
				l.statuses[status / 100]++;
			if (l.nlat < LOAD_MAX_SAMPLES)
				l.lat[l.nlat++] = (done - s->started) * 1000.0;
			curl_multi_remove_handle(multi, s->easy);
			if (done - t0 < (double)l.seconds) {
				if (load_prepare(&l, s) < 0)
					return 1;
				curl_multi_add_handle(multi, s->easy);
			}
		}
		if (running)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running || now_s() - t0 < (double)l.seconds);
	elapsed = now_s() - t0;
	qsort(l.lat, l.nlat, sizeof(double), cmp_double);
	printf("op=%s conc=%ld requests=%zu seconds=%.2f rps=%.0f "
	    "p50_ms=%.2f p99_ms=%.2f errors=%lu s2xx=%lu s4xx=%lu s5xx=%lu\n",
	    l.full ? "add-full" : l.add ? "add" : "get", l.conc, l.nlat, elapsed,
	    (double)l.nlat / elapsed, pct(l.lat, l.nlat, 0.50),
	    pct(l.lat, l.nlat, 0.99), l.errors, l.statuses[2], l.statuses[4],
	    l.statuses[5]);
	for (i = 0; i < l.conc; i++) {
		curl_easy_cleanup(slots[i].easy);
		curl_slist_free_all(slots[i].hdrs);
	}
	free(slots);
	free(l.lat);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	secret_free(l.secret);
	return l.errors == l.nlat ? 1 : 0;
}
