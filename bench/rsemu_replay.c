/*
 * rsemu_replay: sends again, as fast as C connections allow, the writes an
 * rsemu recorded in its request log (GET /_emu/requests), into a fresh
 * rsemu. It is the peer of the sync benchmark: the very requests adsync
 * made, made by the leanest client (bodies prepared before the clock
 * starts, nothing decided, nothing stored), so that adsync's apply time
 * can be set against the time those requests take at raw capacity.
 *
 *   rsemu_replay --url URL --user-key K --secret-key-file F [--ca-file F]
 *                --log FILE --concurrency C
 *
 * Only successful writes (POST, PUT, DELETE with a 2xx answer) are sent.
 * Requests of one kind (method and route) in a row form a phase; a phase
 * starts when the previous one has finished, as adsync's phases do (a list
 * member needs its mailbox). The log holds passwords as "<redacted>": they
 * are sent as a fixed password that meets the service rule. Signs every
 * request afresh, as a real client must. Single thread; trusts its input
 * (a benchmark tool). Output: one line of key=value pairs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "rs_auth.h"
#include "secret.h"
#include "strparse.h"
#include "xmalloc.h"

#define REPLAY_MAX_CONC 256
#define REPLAY_UA "adsync-bench/1"
#define REPLAY_PASSWORD "Replay-Passw0rd!7"

struct replay_req {
	char *method;
	char *url;
	char *body;		/* NULL when none */
	const char *ctype;	/* static */
	char *phase;		/* method + route */
};

struct replay_slot {
	CURL *easy;
	struct curl_slist *hdrs;
	bool busy;
};

static double
replay_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
replay_discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* application/x-www-form-urlencoded text of a flat JSON object. */
static char *
replay_form(json_t *o)
{
	const char *k;
	json_t *v;
	struct buf b;
	char *esc;
	const char *s;
	bool first = true;

	buf_init(&b, 1024 * 1024);
	json_object_foreach(o, k, v) {
		s = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(k, "password") == 0)
			s = REPLAY_PASSWORD;
		esc = curl_easy_escape(NULL, s, 0);
		if (buf_printf(&b, "%s%s=%s", first ? "" : "&", k,
		    esc != NULL ? esc : "") < 0) {
			fprintf(stderr, "rsemu_replay: body too large\n");
			exit(1);
		}
		curl_free(esc);
		first = false;
	}
	esc = xstrdup(buf_str(&b));
	buf_fini(&b);
	return esc;
}

/* The writes of the log, in order; *n their count. */
static struct replay_req *
replay_load(const char *path, const char *origin, size_t *n)
{
	json_error_t jerr;
	json_t *root, *reqs, *it, *body;
	struct replay_req *v;
	const char *method, *p, *query, *ctype, *route;
	size_t i, k = 0;
	long long status;
	char url[4096];

	if ((root = json_load_file(path, 0, &jerr)) == NULL ||
	    !json_is_array(reqs = json_object_get(root, "requests"))) {
		fprintf(stderr, "rsemu_replay: %s: not a request log: %s\n",
		    path, jerr.text);
		exit(1);
	}
	v = xcalloc(json_array_size(reqs) + 1, sizeof(*v));
	json_array_foreach(reqs, i, it) {
		method = json_string_value(json_object_get(it, "method"));
		p = json_string_value(json_object_get(it, "path"));
		query = json_string_value(json_object_get(it, "query"));
		ctype = json_string_value(json_object_get(it,
		    "content_type"));
		route = json_string_value(json_object_get(it, "route"));
		status = json_integer_value(json_object_get(it, "status"));
		if (method == NULL || p == NULL || status < 200 ||
		    status > 299 || strcmp(method, "GET") == 0 ||
		    strcmp(method, "HEAD") == 0)
			continue;
		snprintf(url, sizeof(url), "%s%s%s%s", origin, p,
		    query != NULL && *query ? "?" : "",
		    query != NULL ? query : "");
		v[k].method = xstrdup(method);
		v[k].url = xstrdup(url);
		body = json_object_get(it, "body");
		if (json_is_object(body) && ctype != NULL &&
		    strstr(ctype, "json") != NULL) {
			v[k].body = json_dumps(body, JSON_COMPACT);
			v[k].ctype = "Content-Type: application/json";
		} else if (json_is_object(body)) {
			v[k].body = replay_form(body);
			v[k].ctype = "Content-Type: "
			    "application/x-www-form-urlencoded";
		}
		snprintf(url, sizeof(url), "%s %s", method,
		    route != NULL ? route : "");
		v[k].phase = xstrdup(url);
		k++;
	}
	json_decref(root);
	*n = k;
	return v;
}

static int
replay_prepare(struct replay_slot *s, const struct replay_req *q,
    const char *user_key, const struct secret *secret)
{
	char sig[RS_AUTH_HEADER_MAX + 1], hdr[RS_AUTH_HEADER_MAX + 32];
	const unsigned char *key;
	size_t keylen;
	int r;

	key = secret_bytes(secret, &keylen);
	if ((r = rs_auth_header(user_key, REPLAY_UA, time(NULL), key, keylen,
	    sig, sizeof(sig))) < 0)
		return r;
	curl_slist_free_all(s->hdrs);
	snprintf(hdr, sizeof(hdr), "X-Api-Signature: %s", sig);
	s->hdrs = curl_slist_append(NULL, hdr);
	s->hdrs = curl_slist_append(s->hdrs, "Accept: application/json");
	s->hdrs = curl_slist_append(s->hdrs, "Expect:");
	if (q->ctype != NULL)
		s->hdrs = curl_slist_append(s->hdrs, q->ctype);
	curl_easy_setopt(s->easy, CURLOPT_URL, q->url);
	curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, q->method);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS,
	    q->body != NULL ? q->body : "");
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: rsemu_replay --url URL --user-key K "
	    "--secret-key-file F [--ca-file F] --log FILE "
	    "[--concurrency C]\n");
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
		{ "log", required_argument, NULL, 'l' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *user_key = NULL, *secret_path = NULL;
	const char *ca = NULL, *log = NULL, *errstr, *p;
	struct replay_slot *slots;
	struct replay_req *reqs;
	struct secret *secret = NULL;
	char why[512], origin[1024];
	size_t nreq, next = 0, i, busy = 0, phases = 0;
	unsigned long errors = 0;
	long long v;
	long conc = 8, status;
	double t0, elapsed;
	CURLM *multi;
	CURLMsg *m;
	int ch, running, left;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'k': user_key = optarg; break;
		case 's': secret_path = optarg; break;
		case 'C': ca = optarg; break;
		case 'l': log = optarg; break;
		case 'c':
			if (strparse_num(optarg, 1, REPLAY_MAX_CONC, &v,
			    &errstr) < 0)
				usage();
			conc = (long)v;
			break;
		default:
			usage();
		}
	}
	if (!url || !user_key || !secret_path || !log)
		usage();
	/* The log's paths are absolute: keep the URL's scheme and host. */
	if ((p = strstr(url, "://")) == NULL ||
	    (p = strchr(p + 3, '/')) == NULL)
		p = url + strlen(url);
	snprintf(origin, sizeof(origin), "%.*s", (int)(p - url), url);
	if (secret_load_file(secret_path, "bench.secret_key_file",
	    SECRET_FILE_MAX, &secret, why, sizeof(why)) < 0) {
		fprintf(stderr, "rsemu_replay: %s\n", why);
		return 1;
	}
	reqs = replay_load(log, origin, &nreq);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, conc);
	slots = xcalloc((size_t)conc, sizeof(*slots));
	for (i = 0; i < (size_t)conc; i++) {
		if ((slots[i].easy = curl_easy_init()) == NULL)
			return 1;
		curl_easy_setopt(slots[i].easy, CURLOPT_USERAGENT, REPLAY_UA);
		curl_easy_setopt(slots[i].easy, CURLOPT_WRITEFUNCTION,
		    replay_discard);
		curl_easy_setopt(slots[i].easy, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
		if (ca != NULL)
			curl_easy_setopt(slots[i].easy, CURLOPT_CAINFO, ca);
	}
	t0 = replay_now();
	while (next < nreq || busy > 0) {
		/* Start what the phase allows: a new phase waits for the
		 * previous one to drain. */
		for (i = 0; i < (size_t)conc && next < nreq; i++) {
			if (slots[i].busy)
				continue;
			if (next > 0 && busy > 0 && strcmp(reqs[next].phase,
			    reqs[next - 1].phase) != 0)
				break;
			if (next > 0 && strcmp(reqs[next].phase,
			    reqs[next - 1].phase) != 0)
				phases++;
			if (replay_prepare(&slots[i], &reqs[next], user_key,
			    secret) < 0)
				return 1;
			curl_multi_add_handle(multi, slots[i].easy);
			slots[i].busy = true;
			busy++;
			next++;
		}
		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			struct replay_slot *s;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			status = 0;
			curl_easy_getinfo(m->easy_handle,
			    CURLINFO_RESPONSE_CODE, &status);
			if (m->data.result != CURLE_OK || status < 200 ||
			    status > 299)
				errors++;
			curl_multi_remove_handle(multi, s->easy);
			s->busy = false;
			busy--;
		}
		if (running)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	elapsed = replay_now() - t0;
	printf("op=replay conc=%ld requests=%zu phases=%zu seconds=%.3f "
	    "rps=%.0f errors=%lu\n", conc, nreq, nreq > 0 ? phases + 1 : 0,
	    elapsed, elapsed > 0 ? (double)nreq / elapsed : 0.0, errors);
	for (i = 0; i < (size_t)conc; i++) {
		curl_easy_cleanup(slots[i].easy);
		curl_slist_free_all(slots[i].hdrs);
	}
	for (i = 0; i < nreq; i++) {
		free(reqs[i].method);
		free(reqs[i].url);
		free(reqs[i].body);
		free(reqs[i].phase);
	}
	free(reqs);
	free(slots);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	secret_free(secret);
	return errors > 0 ? 1 : 0;
}
