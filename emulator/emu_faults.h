/*
 * Fault injection for the API listener: per-request probabilities
 * (`--faults SPEC`), added latency (`--latency-ms MIN-MAX`) and deterministic
 * one-shot rules set through the admin API. The parsers and emu_faults_pick()
 * are pure; struct emu_faults is shared by the MHD worker threads and the
 * admin handlers and guarded by its own mutex (never held with another lock).
 * The dice come from libsodium's randombytes.
 */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "attributes.h"

enum emu_fault_action {
	EMU_FA_NONE = 0,
	EMU_FA_ERROR500,	/* 500 appsFault, request not processed */
	EMU_FA_DROP,		/* close without a reply, not processed */
	EMU_FA_DROP_AFTER,	/* process, then close without the reply */
	EMU_FA_STALL,		/* hold ms, then close; not processed */
	EMU_FA_THROTTLE,	/* 403 "Exceeded request limits" (rules) */
	EMU_FA_LATENCY,		/* delay the reply by ms (rules) */
	/*
	 * Hostile replies (rules only; tests/hostile): what a broken proxy,
	 * a half-dead server or a changed API could send.
	 */
	EMU_FA_REPLY,		/* the rule's status, body and content
				 * type; not processed */
	EMU_FA_HTML_ERROR,	/* a proxy's HTML error page (502); not
				 * processed */
	EMU_FA_GARBAGE,		/* 200, binary noise labelled JSON; not
				 * processed */
	EMU_FA_HUGE_BODY,	/* 200, a JSON-looking body of `bytes`;
				 * not processed */
	EMU_FA_TRUNCATE,	/* processed; the body cut to `bytes` */
	EMU_FA_WRONG_TYPE,	/* processed; every JSON value of the body
				 * changes type */
	EMU_FA_DRIP,		/* processed; `bytes` every `ms` */
	EMU_FA_COUNT
};

#define EMU_FAULTS_SPEC_MAX 256
#define EMU_FAULTS_STALL_DEFAULT 30000u
#define EMU_FAULTS_MS_MAX 600000u	/* ten minutes */
#define EMU_FAULTS_RULES_MAX 256
#define EMU_FAULTS_PATH_MAX 256
#define EMU_FAULTS_BODY_MAX 2048	/* a "reply" rule's body */
#define EMU_FAULTS_CTYPE_MAX 96	/* a "reply" rule's content type */
#define EMU_FAULTS_BYTES_MAX (1024ull * 1024 * 1024)	/* huge_body */
#define EMU_FAULTS_DRIP_MS_MAX 10000u	/* a drip holds a worker thread */
#define EMU_FAULTS_HUGE_DEFAULT (16u * 1024 * 1024)
#define EMU_FAULTS_GARBAGE_DEFAULT 64u
#define EMU_FAULTS_DRIP_DEFAULT_MS 1000u

struct emu_faults_spec {
	double p[EMU_FA_COUNT];	/* ERROR500, DROP, DROP_AFTER, STALL used */
	unsigned stall_ms;	/* default EMU_FAULTS_STALL_DEFAULT */
	unsigned latency_min;	/* ms added to every reply, uniform in */
	unsigned latency_max;	/* [min, max]; 0-0 = none */
};

struct emu_fault_rule {
	char method[8];			/* "" = any method */
	char path[EMU_FAULTS_PATH_MAX];	/* "" = any path */
	bool prefix;			/* prefix match, else substring */
	enum emu_fault_action action;
	unsigned skip;			/* matching requests to let pass */
	unsigned count;			/* times to fire; 0 = every time */
	unsigned ms;			/* stall, latency, drip; 0: default */
	unsigned fired;			/* times fired so far */
	unsigned status;		/* reply, html_error, garbage:
					 * HTTP status; 0 = the default */
	unsigned long long bytes;	/* truncate: bytes kept (0 = half);
					 * huge_body, garbage: size; drip:
					 * bytes per tick (0 = 1) */
	char ctype[EMU_FAULTS_CTYPE_MAX];	/* reply; "" = JSON */
	char body[EMU_FAULTS_BODY_MAX];	/* reply: sent as is */
	size_t body_len;
};

/* What to do with one request. A copy: the rule may be replaced by the
 * admin API while the request is answered. */
struct emu_fault_decision {
	enum emu_fault_action action;	/* never LATENCY */
	unsigned stall_ms;		/* for STALL; DRIP: ms per tick */
	unsigned latency_ms;		/* added before the reply, any action */
	unsigned status;		/* REPLY, HTML_ERROR, GARBAGE (0 =
					 * the action's default) */
	unsigned long long bytes;	/* as in the rule */
	char ctype[EMU_FAULTS_CTYPE_MAX];
	char body[EMU_FAULTS_BODY_MAX];
	size_t body_len;
};

/* Name of an action ("error500", ...), or NULL. */
const char *emu_faults_action_name(enum emu_fault_action a);

/*
 * Parses "error500=P,drop=P,drop_after=P,stall=P,stall_ms=MS" (any subset,
 * P a probability in [0,1], their sum at most 1; "none" = no faults) into
 * *out, keeping out's latency. Returns 0 or negative with `why`.
 */
int emu_faults_spec_parse(const char *spec,
    struct emu_faults_spec *out /* IN/OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/* Parses "MIN-MAX" (ms, MIN <= MAX <= EMU_FAULTS_MS_MAX) or "N". */
int emu_faults_latency_parse(const char *s, unsigned *min /* OUT */,
    unsigned *max /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/* Maps a uniform draw `u` in [0,1) onto the probabilistic action. Pure. */
enum emu_fault_action emu_faults_pick(const struct emu_faults_spec *s,
    double u);

/* Does `rule` match this method and raw path? Pure. */
bool emu_faults_rule_match(const struct emu_fault_rule *rule,
    const char *method, const char *path);

/*
 * Parses the admin JSON {"error500":P, "drop":P, "drop_after":P, "stall":P,
 * "stall_ms":MS, "latency_ms":"MIN-MAX", "rules":[{"method","path","match":
 * "prefix"|"substring","action","count","skip","ms","status","bytes",
 * "content_type","body"}]}. Keys left out are zero (the body replaces
 * everything). A key that the rule's action does not use is an error
 * (a test that sets "bytes" on an error500 rule has a mistake). `rules`
 * is allocated (free() it).
 */
int emu_faults_json_parse(const json_t *j, struct emu_faults_spec *spec
    /* OUT */, struct emu_fault_rule **rules /* OUT */, size_t *nrules
    /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

struct emu_faults;

struct emu_faults *emu_faults_new(const struct emu_faults_spec *spec);
void emu_faults_free(struct emu_faults *f);

/* Replaces spec and rules; takes ownership of `rules`. Thread-safe. */
void emu_faults_set(struct emu_faults *f, const struct emu_faults_spec *spec,
    struct emu_fault_rule *rules, size_t nrules);

/* Decides for one request: rules first (in order), then the dice. Counts a
 * rule's skip/fired. Thread-safe. */
void emu_faults_decide(struct emu_faults *f, const char *method,
    const char *path, struct emu_fault_decision *out /* OUT */);

/* Current spec and rules as a new JSON object (caller owns). */
json_t *emu_faults_to_json(struct emu_faults *f);

/*
 * The hostile-reply transformations, pure (tests/unit/test_emu_faults.c):
 *
 * emu_faults_wrong_type(): a new JSON value of the same shape as `j` with
 * every leaf's type changed (string -> integer 7, integer/real -> string
 * "7", true/false -> string, null -> [], an array -> an object {"0":...}
 * of its changed items); objects keep their keys. Caller owns the result.
 *
 * emu_faults_garbage(): fills `out` with `len` bytes of deterministic
 * noise that is neither UTF-8 nor JSON (it starts with 0xff and holds NUL
 * and C0 bytes).
 *
 * emu_faults_huge_byte(): byte `pos` of the huge_body body of `total`
 * bytes: a JSON object that opens and never closes, so only the size
 * limit can stop a reader.
 */
json_t *emu_faults_wrong_type(const json_t *j);
void emu_faults_garbage(unsigned char *out /* OUT */, size_t len);
char emu_faults_huge_byte(unsigned long long pos);

#endif
