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
	EMU_FA_COUNT
};

#define EMU_FAULTS_SPEC_MAX 256
#define EMU_FAULTS_STALL_DEFAULT 30000u
#define EMU_FAULTS_MS_MAX 600000u	/* ten minutes */
#define EMU_FAULTS_RULES_MAX 256
#define EMU_FAULTS_PATH_MAX 256

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
	unsigned ms;			/* stall/latency; 0 = default */
	unsigned fired;			/* times fired so far */
};

/* What to do with one request. */
struct emu_fault_decision {
	enum emu_fault_action action;	/* NONE..THROTTLE (never LATENCY) */
	unsigned stall_ms;		/* for STALL */
	unsigned latency_ms;		/* added before the reply, any action */
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
 * "prefix"|"substring","action","count","skip","ms"}]}. Keys left out are
 * zero (the body replaces everything). `rules` is allocated (free() it).
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

#endif
