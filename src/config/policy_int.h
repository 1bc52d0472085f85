/*
 * policy_int.h - internals shared by the policy module's files, not a
 * public interface: policy.c (sections, checks and names across sections,
 * load and free), policy_schema.c (option tables, value parsers, applying
 * options) and policy_match.c (the packet path: matching).
 */
#ifndef NETIFY_POLICY_INT_H
#define NETIFY_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "uci.h"

struct policy_load_ctx {
	struct policy *p;
	const struct policy_names *names;
	struct policy_errors *errs;
	const char *file;
	bool failed;
};

/* The section an error is about: "rule 'x'", "class 'bulk'", "main". */
struct policy_where {
	char label[128];
	int line;
};

enum policy_section {
	POLICY_SEC_MAIN,
	POLICY_SEC_RULE,
	POLICY_SEC_CLASS,
	POLICY_SEC_DEVICE,
	POLICY_SEC_GROUP,
	POLICY_SEC_EXPORT,
	__POLICY_SEC_MAX
};

/* One error, "file:line: section: message"; marks the load failed. */
void policy_err(struct policy_load_ctx *c, int line,
		const struct policy_where *w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Applies every option of section s to obj by the section's table. */
void policy_apply_section(struct policy_load_ctx *c,
			  const struct policy_where *w,
			  enum policy_section sec, void *obj,
			  const struct uci_sec *s);

/* Growable arrays (load time only). */
int policy_vec_push(void **v, size_t *n, size_t elem, const void *item);
void policy_strs_free(struct policy_strs *l);

#endif
