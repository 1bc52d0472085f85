/* Control requests: validation against static tables, then dispatch. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "control.h"
#include "json.h"

enum control_arg_type { ARG_STR, ARG_BOOL };

struct control_arg_spec {
	const char *name;
	enum control_arg_type type;
	size_t off;
};

#define ARG(n, t) { #n, t, offsetof(struct control_args, n) }
static const struct control_arg_spec control_args_tbl[] = {
	ARG(device, ARG_STR), ARG(app, ARG_STR), ARG(category, ARG_STR), ARG(mac, ARG_STR),
	ARG(ip, ARG_STR), ARG(at, ARG_STR), ARG(host, ARG_STR), ARG(blocked, ARG_BOOL),
	ARG(from, ARG_STR), ARG(to, ARG_STR), ARG(hours, ARG_BOOL),
};
#undef ARG
#define N_ARGS (sizeof(control_args_tbl) / sizeof(control_args_tbl[0]))

/* bit i allows control_args_tbl[i] */
#define A_DEVICE	(1u << 0)
#define A_APP		(1u << 1)
#define A_CATEGORY	(1u << 2)
#define A_MAC		(1u << 3)
#define A_IP		(1u << 4)
#define A_AT		(1u << 5)
#define A_HOST		(1u << 6)
#define A_BLOCKED	(1u << 7)
#define A_FROM		(1u << 8)
#define A_TO		(1u << 9)
#define A_HOURS		(1u << 10)

static const struct {
	const char *name;
	unsigned args;
} control_methods[__CONTROL_MAX] = {
	[CONTROL_STATUS]	= { "status", 0 },
	[CONTROL_FLOWS]		= { "flows", A_DEVICE | A_APP | A_BLOCKED },
	[CONTROL_RELOAD]	= { "reload", 0 },
	[CONTROL_APPS]		= { "apps", A_CATEGORY },
	[CONTROL_DEVICES]	= { "devices", 0 },
	[CONTROL_APPS_LOOKUP]	= { "apps_lookup", A_HOST | A_IP },
	[CONTROL_POLICY_TEST]	= { "policy_test", A_MAC | A_IP | A_APP | A_AT },
	[CONTROL_USAGE]		= { "usage", A_DEVICE | A_APP | A_CATEGORY | A_FROM | A_TO | A_HOURS },
};

struct control {
	struct control_ops ops;
	void *ctx;
	struct control_stats st;
};

const char *control_method_name(enum control_method m)
{
	return (unsigned)m < __CONTROL_MAX ? control_methods[m].name : NULL;
}

int control_method_find(const char *name)
{
	int i;

	for (i = 0; i < __CONTROL_MAX; i++)
		if (!strcmp(control_methods[i].name, name))
			return i;
	return -1;
}

struct control *control_new(const struct control_ops *ops, void *ctx)
{
	struct control *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (ops)
		c->ops = *ops;
	c->ctx = ctx;
	return c;
}

void control_free(struct control *c)
{
	free(c);
}

void control_stats(const struct control *c, struct control_stats *st)
{
	*st = c->st;
}

static yajl_gen control_gen_new(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	/* a callback handing us bytes that are not UTF-8 fails the reply
	 * instead of emitting invalid JSON */
	if (g)
		yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	return g;
}

int control_json_valid(const unsigned char *buf, size_t len)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	int ok;

	if (!h)
		return 0;
	ok = yajl_parse(h, buf, len) == yajl_status_ok && yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	return ok;
}

/* Copies g's text into a new string; NULL on allocation failure or when a
 * callback's misuse of the generator (a failed string, a missing value)
 * left text that does not parse back. */
static char *control_gen_take(yajl_gen g, size_t *out_len)
{
	const unsigned char *buf;
	size_t len;
	char *s;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || !control_json_valid(buf, len))
		return NULL;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	memcpy(s, buf, len);
	s[len] = '\0';
	*out_len = len;
	return s;
}

char *control_error(const char *msg, size_t *out_len)
{
	yajl_gen g = control_gen_new();
	char *s = NULL;

	if (!g)
		return NULL;
	yajl_gen_map_open(g);
	json_key(g, "error");
	/* msg may quote client bytes: invalid UTF-8 becomes a generic message */
	if (yajl_gen_string(g, (const unsigned char *)msg, strlen(msg)) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return control_error("invalid request", out_len);
	}
	yajl_gen_map_close(g);
	s = control_gen_take(g, out_len);
	yajl_gen_free(g);
	return s;
}

static int control_arg_set(const struct control_arg_spec *spec, yajl_val v, struct control_args *a,
			   char *err, size_t errlen)
{
	char *field = (char *)a + spec->off;

	if (spec->type == ARG_BOOL) {
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			goto out_type;
		*(int *)(void *)field = YAJL_IS_TRUE(v);
		return 0;
	}
	if (!YAJL_IS_STRING(v))
		goto out_type;
	if (strlen(v->u.string) > CONTROL_ARG_MAX) {
		snprintf(err, errlen, "argument '%s' is too long", spec->name);
		return -1;
	}
	*(const char **)(void *)field = v->u.string;
	return 0;

out_type:
	snprintf(err, errlen, "argument '%s' must be a %s", spec->name,
		 spec->type == ARG_BOOL ? "boolean" : "string");
	return -1;
}

static int control_arg_find(const char *key)
{
	unsigned i;

	for (i = 0; i < N_ARGS; i++)
		if (!strcmp(control_args_tbl[i].name, key))
			return (int)i;
	return -1;
}

static int control_args_parse(int method, yajl_val args, struct control_args *a, char *err,
			      size_t errlen)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	a->blocked = -1;
	if (!args || YAJL_IS_NULL(args))
		return 0;
	if (!YAJL_IS_OBJECT(args)) {
		snprintf(err, errlen, "args must be an object");
		return -1;
	}
	for (i = 0; i < args->u.object.len; i++) {
		const char *key = args->u.object.keys[i];
		int k = control_arg_find(key);

		if (k < 0 || !(control_methods[method].args & (1u << k))) {
			snprintf(err, errlen, "unknown argument '%.64s' for %s", key,
				 control_methods[method].name);
			return -1;
		}
		if (control_arg_set(&control_args_tbl[k], args->u.object.values[i], a, err, errlen))
			return -1;
	}
	return 0;
}

/* Checks the request's shape: {"method":"..."[,"args":{...}]}, nothing else. */
static int control_req_parse(yajl_val root, int *method, yajl_val *args, char *err, size_t errlen)
{
	yajl_val m = NULL;
	size_t i;

	*args = NULL;
	if (!YAJL_IS_OBJECT(root)) {
		snprintf(err, errlen, "request must be a JSON object");
		return -1;
	}
	for (i = 0; i < root->u.object.len; i++) {
		const char *key = root->u.object.keys[i];

		if (!strcmp(key, "method"))
			m = root->u.object.values[i];
		else if (!strcmp(key, "args"))
			*args = root->u.object.values[i];
		else {
			snprintf(err, errlen, "unknown key '%.64s'", key);
			return -1;
		}
	}
	if (!m || !YAJL_IS_STRING(m)) {
		snprintf(err, errlen, "method must be a string");
		return -1;
	}
	*method = control_method_find(YAJL_GET_STRING(m));
	if (*method < 0) {
		snprintf(err, errlen, "unknown method '%.64s'", YAJL_GET_STRING(m));
		return -1;
	}
	return 0;
}

/* Runs the method's callback into a fresh generator; NULL + err on failure. */
static char *control_dispatch(struct control *c, int method, const struct control_args *a,
			      size_t *out_len, char *err, size_t errlen)
{
	control_fn fn = c->ops.fn[method];
	yajl_gen g;
	char *s = NULL;

	if (!fn) {
		snprintf(err, errlen, "method '%s' is not supported", control_methods[method].name);
		return NULL;
	}
	g = control_gen_new();
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yajl_gen_map_open(g);
	if (method == CONTROL_STATUS) {
		json_kv_bool(g, "running", 1);
	}
	if (fn(c->ctx, a, g, err, errlen) < 0)
		goto out_free_gen;
	if (yajl_gen_map_close(g) != yajl_gen_status_ok) {
		snprintf(err, errlen, "internal error: %s produced malformed JSON",
			 control_methods[method].name);
		goto out_free_gen;
	}
	s = control_gen_take(g, out_len);
	if (!s)
		snprintf(err, errlen, "internal error: %s produced malformed JSON",
			 control_methods[method].name);
out_free_gen:
	yajl_gen_free(g);
	return s;
}

/* A reply being written: the request it answers (its arguments point into
 * the parsed tree), and either the whole reply or the state of one written
 * in parts. */
struct control_reply {
	struct control *c;
	int method;
	yajl_val root;
	struct control_args a;
	char *whole;			/* written at once, or an error */
	size_t whole_len;
	void *cursor;			/* the part method's */
	yajl_gen g;			/* parts: written here, handed out, cleared */
	yajl_handle check;		/* parses every part back */
	size_t checked;			/* bytes of g already parsed back */
	bool handed;			/* g's bytes were handed out: clear before more */
	bool started;			/* bytes were handed out: no error reply now */
	bool done;
};

/* Parses and checks the request into r; -1 with err if it is refused. */
static int control_req_take(struct control_reply *r, const char *req, size_t len, char *err,
			    size_t errlen)
{
	char perr[128];
	yajl_val args;
	char *text;

	while (len && (req[len - 1] == '\n' || req[len - 1] == '\r'))
		len--;
	if (len > CONTROL_REQ_MAX) {
		snprintf(err, errlen, "request too large");
		return -1;
	}
	if (memchr(req, '\0', len)) {
		snprintf(err, errlen, "request contains a NUL byte");
		return -1;
	}
	if (!(text = malloc(len + 1))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(text, req, len);
	text[len] = '\0';
	r->root = yajl_tree_parse(text, perr, sizeof(perr));
	free(text);
	if (!r->root) {
		snprintf(err, errlen, "malformed JSON");
		return -1;
	}
	if (control_req_parse(r->root, &r->method, &args, err, errlen))
		return -1;
	return control_args_parse(r->method, args, &r->a, err, errlen);
}

/* A reply in parts: its generator, with the reply map open, and the parser
 * that reads the parts back. */
static int control_parts_open(struct control_reply *r, char *err, size_t errlen)
{
	r->g = control_gen_new();
	r->check = yajl_alloc(NULL, NULL, NULL);
	if (!r->g || !r->check) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yajl_gen_map_open(r->g);
	return 0;
}

struct control_reply *control_begin(struct control *c, const char *req, size_t len)
{
	char err[CONTROL_ERR_MAX] = "";
	struct control_reply *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->c = c;
	c->st.requests++;
	if (control_req_take(r, req, len, err, sizeof(err)) == 0) {
		if (c->ops.part[r->method] && control_parts_open(r, err, sizeof(err)) == 0)
			return r;
		if (!c->ops.part[r->method])
			r->whole = control_dispatch(c, r->method, &r->a, &r->whole_len, err,
						    sizeof(err));
	}
	if (!r->whole) {
		c->st.errors++;
		r->whole = control_error(err[0] ? err : "request failed", &r->whole_len);
	}
	if (!r->whole) {
		control_reply_free(r);
		return NULL;
	}
	return r;
}

/* The reply becomes {"error":err}, if nothing was handed out yet. */
static int control_part_failed(struct control_reply *r, const char *err,
			       const unsigned char **buf, size_t *len)
{
	if (r->started)
		return -1;
	r->c->st.errors++;
	if (!(r->whole = control_error(err, &r->whole_len)))
		return -1;
	*buf = (const unsigned char *)r->whole;
	*len = r->whole_len;
	r->done = true;
	return CONTROL_DONE;
}

static int control_part(struct control_reply *r, const unsigned char **buf, size_t *len)
{
	const char *name = control_methods[r->method].name;
	char err[CONTROL_ERR_MAX] = "";
	int rc;

	if (r->handed) {
		yajl_gen_clear(r->g);
		r->checked = 0;
		r->handed = false;
	}
	rc = r->c->ops.part[r->method](r->c->ctx, &r->a, &r->cursor, r->g, err, sizeof(err));
	if (rc < 0 || rc > CONTROL_WAIT)
		return control_part_failed(r, err[0] ? err : "request failed", buf, len);
	if ((rc == CONTROL_DONE && yajl_gen_map_close(r->g) != yajl_gen_status_ok) ||
	    yajl_gen_get_buf(r->g, buf, len) != yajl_gen_status_ok ||
	    (*len > r->checked && yajl_parse(r->check, *buf + r->checked, *len - r->checked) !=
	     yajl_status_ok) ||
	    (rc == CONTROL_DONE && yajl_complete_parse(r->check) != yajl_status_ok)) {
		snprintf(err, sizeof(err), "internal error: %s produced malformed JSON", name);
		return control_part_failed(r, err, buf, len);
	}
	r->checked = *len;
	if (rc == CONTROL_WAIT || !*len) {
		/* what it wrote waits in g for the next part */
		*len = 0;
		return rc == CONTROL_DONE ? CONTROL_MORE : rc;
	}
	r->handed = r->started = true;
	r->done = rc == CONTROL_DONE;
	return rc;
}

int control_next(struct control_reply *r, const unsigned char **buf, size_t *len)
{
	*len = 0;
	if (r->done)
		return CONTROL_DONE;
	if (r->whole) {
		*buf = (const unsigned char *)r->whole;
		*len = r->whole_len;
		r->done = true;
		return CONTROL_DONE;
	}
	return control_part(r, buf, len);
}

void control_reply_free(struct control_reply *r)
{
	if (!r)
		return;
	if (r->cursor && r->c->ops.cursor_free)
		r->c->ops.cursor_free(r->c->ctx, r->cursor);
	if (r->g)
		yajl_gen_free(r->g);
	if (r->check)
		yajl_free(r->check);
	yajl_tree_free(r->root);
	free(r->whole);
	free(r);
}

/* Appends n bytes to *s (doubling); -1 when out of memory. */
static int control_append(char **s, size_t *used, size_t *cap, const unsigned char *p, size_t n)
{
	char *q;

	if (*used + n + 1 > *cap) {
		size_t nc = *cap ? *cap * 2 : 4096;

		while (nc < *used + n + 1)
			nc *= 2;
		if (!(q = realloc(*s, nc)))
			return -1;
		*s = q;
		*cap = nc;
	}
	memcpy(*s + *used, p, n);
	*used += n;
	(*s)[*used] = '\0';
	return 0;
}

char *control_handle(struct control *c, const char *req, size_t len, size_t *out_len)
{
	struct control_reply *r = control_begin(c, req, len);
	const unsigned char *buf;
	size_t n, used = 0, cap = 0;
	char *s = NULL;
	int rc;

	if (!r)
		return NULL;
	do {
		rc = control_next(r, &buf, &n);
		if (rc >= 0 && rc != CONTROL_WAIT && control_append(&s, &used, &cap, buf, n) < 0)
			rc = -1;
	} while (rc == CONTROL_MORE);
	control_reply_free(r);
	if (rc == CONTROL_DONE && s) {
		*out_len = used;
		return s;
	}
	free(s);
	c->st.errors++;
	return control_error(rc == CONTROL_WAIT ? "reply not ready" : "request failed", out_len);
}
