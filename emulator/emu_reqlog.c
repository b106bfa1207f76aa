/*
 * Request ring and counters (see emu_reqlog.h). Entries are stored as their
 * compact JSON text: one allocation each, and the dump only concatenates.
 * Any thread, under l->lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "emu_reqlog.h"

#define EMU_STAT_METHODS 6	/* GET POST PUT DELETE HEAD other */
#define EMU_STAT_CODES 600
#define EMU_DUMP_MAX (512u * 1024 * 1024)

struct emu_reqlog {
	pthread_mutex_t lock;
	size_t max;
	char **ring;		/* max slots */
	uint64_t *ids;
	size_t head;		/* next slot to write */
	size_t n;		/* entries held */
	uint64_t next_id;
	uint64_t dropped;	/* entries pushed out of the ring */
	uint64_t by[EMU_STAT_METHODS][EMU_STAT_CODES];
	uint64_t total, authfail, throttled;
	uint64_t faults[EMU_FA_COUNT];
};

static const char *const emu_stat_methods[EMU_STAT_METHODS] = {
	"GET", "POST", "PUT", "DELETE", "HEAD", "other"
};

struct emu_reqlog *
emu_reqlog_new(size_t max)
{
	struct emu_reqlog *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if (max > 0 && ((l->ring = calloc(max, sizeof(*l->ring))) == NULL ||
	    (l->ids = calloc(max, sizeof(*l->ids))) == NULL)) {
		free(l->ring);
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->max = max;
	l->next_id = 1;
	return l;
}

static void
emu_reqlog_empty(struct emu_reqlog *l)
{
	size_t i;

	for (i = 0; i < l->max; i++) {
		free(l->ring[i]);
		l->ring[i] = NULL;
	}
	l->head = 0;
	l->n = 0;
}

void
emu_reqlog_free(struct emu_reqlog *l)
{
	if (l == NULL)
		return;
	emu_reqlog_empty(l);
	pthread_mutex_destroy(&l->lock);
	free(l->ring);
	free(l->ids);
	free(l);
}

uint64_t
emu_reqlog_add(struct emu_reqlog *l, json_t *entry)
{
	char *text = NULL, *old = NULL;
	uint64_t id;

	pthread_mutex_lock(&l->lock);
	id = l->next_id++;
	pthread_mutex_unlock(&l->lock);
	if (l->max == 0)
		goto out;
	json_object_set_new(entry, "id", json_integer((json_int_t)id));
	/* Serialise outside the lock; only the slot swap is locked. */
	if ((text = json_dumps(entry, JSON_COMPACT)) == NULL)
		goto out;
	pthread_mutex_lock(&l->lock);
	old = l->ring[l->head];
	if (old != NULL)
		l->dropped++;
	l->ring[l->head] = text;
	l->ids[l->head] = id;
	l->head = (l->head + 1) % l->max;
	if (l->n < l->max)
		l->n++;
	pthread_mutex_unlock(&l->lock);
	free(old);
out:
	json_decref(entry);
	return id;
}

char *
emu_reqlog_dump(struct emu_reqlog *l, uint64_t since, size_t limit)
{
	struct buf b;
	size_t i, slot, shown = 0;
	uint64_t last = since;
	bool ok = true;

	buf_init(&b, EMU_DUMP_MAX);
	pthread_mutex_lock(&l->lock);
	ok = buf_addstr(&b, "{\"requests\":[") == 0;
	for (i = 0; ok && i < l->n && shown < limit; i++) {
		slot = (l->head + l->max - l->n + i) % l->max;
		if (l->ids[slot] <= since)
			continue;
		ok = (shown == 0 || buf_addc(&b, ',') == 0) &&
		    buf_addstr(&b, l->ring[slot]) == 0;
		last = l->ids[slot];
		shown++;
	}
	if (ok)
		ok = buf_printf(&b, "],\"last_id\":%llu,\"dropped\":%llu}",
		    (unsigned long long)last,
		    (unsigned long long)l->dropped) == 0;
	pthread_mutex_unlock(&l->lock);
	if (!ok) {
		buf_fini(&b);
		return NULL;
	}
	return buf_take(&b);
}

void
emu_reqlog_redact(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			if (strcmp(key, "password") == 0)
				json_object_set_new(j, key,
				    json_string("<redacted>"));
			else
				emu_reqlog_redact(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			emu_reqlog_redact(v);
	}
}

static size_t
emu_reqlog_method_index(const char *m)
{
	size_t i;

	for (i = 0; i < EMU_STAT_METHODS - 1; i++)
		if (strcmp(m, emu_stat_methods[i]) == 0)
			return i;
	return EMU_STAT_METHODS - 1;
}

void
emu_reqlog_count(struct emu_reqlog *l, const char *method, unsigned status,
    unsigned flags, enum emu_fault_action fault)
{
	size_t m = emu_reqlog_method_index(method);

	pthread_mutex_lock(&l->lock);
	l->total++;
	l->by[m][status < EMU_STAT_CODES ? status : 0]++;
	if (flags & EMU_STAT_AUTHFAIL)
		l->authfail++;
	if (flags & EMU_STAT_THROTTLED)
		l->throttled++;
	if ((unsigned)fault < EMU_FA_COUNT && fault != EMU_FA_NONE)
		l->faults[fault]++;
	pthread_mutex_unlock(&l->lock);
}

json_t *
emu_reqlog_stats(struct emu_reqlog *l)
{
	json_t *o = json_object(), *by = json_object(), *st, *fa;
	char code[8];
	size_t m, c;
	int i;

	fa = json_object();
	pthread_mutex_lock(&l->lock);
	json_object_set_new(o, "requests", json_integer((json_int_t)l->total));
	for (m = 0; m < EMU_STAT_METHODS; m++) {
		st = NULL;
		for (c = 0; c < EMU_STAT_CODES; c++) {
			if (l->by[m][c] == 0)
				continue;
			if (st == NULL)
				st = json_object();
			snprintf(code, sizeof(code), "%zu", c);
			json_object_set_new(st, code,
			    json_integer((json_int_t)l->by[m][c]));
		}
		if (st != NULL)
			json_object_set_new(by, emu_stat_methods[m], st);
	}
	for (i = 1; i < EMU_FA_COUNT; i++)
		json_object_set_new(fa, emu_faults_action_name(
		    (enum emu_fault_action)i),
		    json_integer((json_int_t)l->faults[i]));
	json_object_set_new(o, "auth_failures",
	    json_integer((json_int_t)l->authfail));
	json_object_set_new(o, "throttled",
	    json_integer((json_int_t)l->throttled));
	json_object_set_new(o, "log_entries", json_integer((json_int_t)l->n));
	json_object_set_new(o, "log_dropped",
	    json_integer((json_int_t)l->dropped));
	pthread_mutex_unlock(&l->lock);
	json_object_set_new(o, "by_method_status", by);
	json_object_set_new(o, "faults_injected", fa);
	return o;
}

void
emu_reqlog_clear(struct emu_reqlog *l)
{
	pthread_mutex_lock(&l->lock);
	emu_reqlog_empty(l);
	l->dropped = 0;
	memset(l->by, 0, sizeof(l->by));
	l->total = l->authfail = l->throttled = 0;
	memset(l->faults, 0, sizeof(l->faults));
	pthread_mutex_unlock(&l->lock);
}
