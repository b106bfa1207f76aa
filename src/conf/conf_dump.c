/*
 * The canonical form of a configuration: every section of the keyword table
 * in table order, every key with its value (defaults included), no
 * comments, "key = value" with one space around '='. Parsing the dump gives
 * the same configuration, so dumps can be compared as text (golden tests,
 * `adsync check --dump`). Any thread; the conf is only read.
 *
 * SECURITY: a configuration holds no secret, only the paths of secret files
 * (CONF_F_SENSITIVE keys), and those paths are all the dump shows.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_internal.h"
#include "diag.h"
#include "xmalloc.h"

void
conf_dump(const struct conf *conf, FILE *fp)
{
	const struct conf_section *s;
	const struct conf_key *k;
	const char *str;
	size_t i, j;

	for (i = 0; i < conf_nsections; i++) {
		s = conf_sections[i];
		fprintf(fp, "%s[%s]\n", i > 0 ? "\n" : "", s->name);
		for (j = 0; j < s->nkeys; j++) {
			k = &s->keys[j];
			switch (k->type) {
			case CONF_T_STRING:
			case CONF_T_PATH:
				str = *(char *const *)(const void *)
				    ((const char *)conf + k->offset);
				/* "key =" for an empty value: no trailing
				 * blank for editors to strip. */
				if (str[0] == '\0')
					fprintf(fp, "%s =\n", k->name);
				else
					fprintf(fp, "%s = %s\n", k->name, str);
				break;
			case CONF_T_UINT:
				fprintf(fp, "%s = %u\n", k->name,
				    *(const unsigned *)(const void *)
				    ((const char *)conf + k->offset));
				break;
			case CONF_T_BOOL:
				fprintf(fp, "%s = %s\n", k->name,
				    *(const bool *)(const void *)
				    ((const char *)conf + k->offset) ?
				    "true" : "false");
				break;
			}
		}
	}
}

struct conf *
conf_dup(const struct conf *conf)
{
	struct conf *out = NULL;
	struct diag d;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		return NULL;
	conf_dump(conf, fp);
	if (fclose(fp) != 0) {
		free(text);
		return NULL;
	}
	/* The canonical form parses again to an equal configuration (the
	 * golden tests hold it to that), so this cannot fail on content. */
	diag_init(&d);
	if (conf_parse_buffer(text, len, conf->path, &out, &d) == 0) {
		free(out->path);
		out->path = xstrdup(conf->path);
	}
	diag_fini(&d);
	free(text);
	return out;
}
