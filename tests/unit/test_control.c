/* Control requests: validation, dispatch, error replies. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "control.h"

struct seen {
	int calls;
	struct control_args a;
	char device[64], app[64];
};

static int cb_flows(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	struct seen *s = ctx;

	s->calls++;
	s->a = *a;
	snprintf(s->device, sizeof(s->device), "%s", a->device ? a->device : "");
	snprintf(s->app, sizeof(s->app), "%s", a->app ? a->app : "");
	yajl_gen_string(g, (const unsigned char *)"flows", 5);
	yajl_gen_array_open(g);
	yajl_gen_array_close(g);
	return 0;
}

/* usage: the arguments live as long as the request; keep copies */
static char usage_from[16], usage_to[16], usage_category[16];

static int cb_usage(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	struct seen *s = ctx;

	s->calls++;
	s->a = *a;
	snprintf(usage_from, sizeof(usage_from), "%s", a->from ? a->from : "(null)");
	snprintf(usage_to, sizeof(usage_to), "%s", a->to ? a->to : "(null)");
	snprintf(usage_category, sizeof(usage_category), "%s", a->category ? a->category : "(null)");
	return 0;
}

static int cb_status(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	yajl_gen_string(g, (const unsigned char *)"flows", 5);
	yajl_gen_integer(g, 42);
	return 0;
}

/* fails half-way through: nothing it wrote may leak into the reply */
static int cb_fail(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	yajl_gen_string(g, (const unsigned char *)"partial", 7);
	yajl_gen_array_open(g);
	snprintf(err, el, "reload failed: bad config");
	return -1;
}

static int cb_bad_utf8(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	yajl_gen_string(g, (const unsigned char *)"devices", 7);
	yajl_gen_string(g, (const unsigned char *)"\xff\xfe", 2);
	return 0;
}

static int cb_unbalanced(void *ctx, const struct control_args *a, yajl_gen g, char *err,
			 size_t el)
{
	yajl_gen_string(g, (const unsigned char *)"apps", 4);
	yajl_gen_array_open(g);
	return 0;
}

static struct control *new_ctl(struct seen *s)
{
	struct control_ops ops = { .fn = {
		[CONTROL_STATUS] = cb_status, [CONTROL_FLOWS] = cb_flows,
		[CONTROL_RELOAD] = cb_fail, [CONTROL_DEVICES] = cb_bad_utf8,
		[CONTROL_APPS] = cb_unbalanced, [CONTROL_USAGE] = cb_usage } };
	struct control *c = control_new(&ops, s);

	assert_non_null(c);
	return c;
}

/* Sends req and returns the parsed reply (caller frees). */
static yajl_val ask(struct control *c, const char *req, size_t len)
{
	char *reply, perr[128];
	size_t rlen = 0;
	yajl_val v;

	reply = control_handle(c, req, len, &rlen);
	assert_non_null(reply);
	assert_int_equal(strlen(reply), rlen);
	assert_null(memchr(reply, '\n', rlen));
	v = yajl_tree_parse(reply, perr, sizeof(perr));
	assert_non_null(v);
	assert_true(YAJL_IS_OBJECT(v));
	free(reply);
	return v;
}

static const char *get_str(yajl_val v, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);

	return s ? YAJL_GET_STRING(s) : NULL;
}

static void expect_error(struct control *c, const char *req, size_t len, const char *substr)
{
	yajl_val v = ask(c, req, len);
	const char *e = get_str(v, "error");

	assert_non_null(e);
	if (!strstr(e, substr))
		fail_msg("error '%s' lacks '%s' for request %.80s", e, substr, req);
	assert_int_equal(v->u.object.len, 1);
	yajl_tree_free(v);
}

#define ERR(c, r, s) expect_error(c, r, strlen(r), s)

static void test_status_running(void **state)
{
	struct seen s = { 0 };
	struct control *c = new_ctl(&s);
	const char *rt[] = { "running", NULL }, *fl[] = { "flows", NULL };
	yajl_val v = ask(c, "{\"method\":\"status\"}\n", 20);

	assert_true(YAJL_IS_TRUE(yajl_tree_get(v, rt, yajl_t_any)));
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, fl, yajl_t_number)), 42);
	yajl_tree_free(v);
	control_free(c);
}

static void test_flows_args(void **state)
{
	struct seen s = { 0 };
	struct control *c = new_ctl(&s);
	const char *req = "{\"args\":{\"device\":\"kid_phone\",\"app\":\"whatsapp\",\"blocked\":true},"
			  "\"method\":\"flows\"}";
	yajl_val v = ask(c, req, strlen(req));

	assert_int_equal(s.calls, 1);
	assert_string_equal(s.device, "kid_phone");
	assert_string_equal(s.app, "whatsapp");
	assert_int_equal(s.a.blocked, 1);
	yajl_tree_free(v);
	v = ask(c, "{\"method\":\"flows\",\"args\":null}", 30);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.a.blocked, -1);
	assert_null(s.a.device);
	yajl_tree_free(v);
	control_free(c);
}

static void test_usage_args(void **state)
{
	struct seen s = { 0 };
	struct control *c = new_ctl(&s);
	const char *req = "{\"method\":\"usage\",\"args\":{\"device\":\"kid\",\"app\":\"tiktok\","
			  "\"category\":\"video\",\"from\":\"2026-06-01\",\"to\":\"2026-06-10\","
			  "\"hours\":true}}";
	yajl_val v = ask(c, req, strlen(req));

	(void)state;
	assert_int_equal(s.calls, 1);
	assert_string_equal(usage_from, "2026-06-01");
	assert_string_equal(usage_to, "2026-06-10");
	assert_string_equal(usage_category, "video");
	assert_int_equal(s.a.hours, 1);
	yajl_tree_free(v);
	v = ask(c, "{\"method\":\"usage\"}", 18);
	assert_int_equal(s.calls, 2);
	assert_string_equal(usage_from, "(null)");
	assert_int_equal(s.a.hours, 0);
	yajl_tree_free(v);
	ERR(c, "{\"method\":\"usage\",\"args\":{\"blocked\":true}}", "unknown argument 'blocked'");
	ERR(c, "{\"method\":\"usage\",\"args\":{\"hours\":1}}", "must be a boolean");
	ERR(c, "{\"method\":\"usage\",\"args\":{\"from\":20260601}}", "must be a string");
	ERR(c, "{\"method\":\"flows\",\"args\":{\"from\":\"x\"}}", "unknown argument 'from'");
	assert_int_equal(s.calls, 2);
	control_free(c);
}

static void test_bad_requests(void **state)
{
	struct seen s = { 0 };
	struct control *c = new_ctl(&s);

	ERR(c, "", "malformed");
	ERR(c, "{\"method\":", "malformed");
	ERR(c, "[1,2]", "object");
	ERR(c, "\"status\"", "object");
	ERR(c, "{}", "method must be");
	ERR(c, "{\"method\":7}", "method must be");
	ERR(c, "{\"method\":\"shutdown\"}", "unknown method");
	ERR(c, "{\"method\":\"status\",\"extra\":1}", "unknown key");
	ERR(c, "{\"method\":\"flows\",\"args\":[]}", "args must be an object");
	ERR(c, "{\"method\":\"flows\",\"args\":{\"mac\":\"x\"}}", "unknown argument 'mac'");
	ERR(c, "{\"method\":\"status\",\"args\":{\"app\":\"x\"}}", "unknown argument");
	ERR(c, "{\"method\":\"flows\",\"args\":{\"blocked\":\"yes\"}}", "must be a boolean");
	ERR(c, "{\"method\":\"flows\",\"args\":{\"app\":1}}", "must be a string");
	ERR(c, "{\"method\":\"flows\",\"args\":{\"app\":{}}}", "must be a string");
	ERR(c, "{\"method\":\"st\xff\"}", "malformed");
	assert_int_equal(s.calls, 0);
	control_free(c);
}

static void test_limits(void **state)
{
	struct seen s = { 0 };
	struct control *c = new_ctl(&s);
	size_t big = CONTROL_REQ_MAX + 10;
	char *req = malloc(big + 1);
	char arg[CONTROL_ARG_MAX + 64];

	memset(req, ' ', big);
	memcpy(req, "{\"method\":\"status\"}", 19);
	expect_error(c, req, big, "too large");
	expect_error(c, "{\"method\":\"status\"}\0", 20, "NUL");
	memset(arg, 'a', sizeof(arg));
	memcpy(arg, "{\"method\":\"flows\",\"args\":{\"app\":\"", 33);
	strcpy(arg + sizeof(arg) - 5, "\"}}");
	ERR(c, arg, "too long");
	assert_int_equal(s.calls, 0);
	free(req);
	control_free(c);
}

static void test_callback_failures(void **state)
{
	struct seen s = { 0 };
	struct control *c = new_ctl(&s);
	struct control_stats st;

	ERR(c, "{\"method\":\"reload\"}", "reload failed: bad config");
	ERR(c, "{\"method\":\"devices\"}", "malformed JSON");
	ERR(c, "{\"method\":\"apps\"}", "malformed JSON");
	ERR(c, "{\"method\":\"policy_test\"}", "not supported");
	control_stats(c, &st);
	assert_int_equal(st.requests, 4);
	assert_int_equal(st.errors, 4);
	control_free(c);
}

/* ---- replies in parts ---- */

struct parts {
	int parts;		/* parts the method writes */
	int waits;		/* CONTROL_WAIT before the first part */
	int fail_at;		/* part that fails (0: none) */
	int freed;		/* cursors given back */
	int bad_at;		/* part that writes a broken value (0: none) */
};

static int pt_flows(void *ctx, const struct control_args *a, void **cursor, yajl_gen g, char *err,
		    size_t el)
{
	struct parts *p = ctx;
	int *n = *cursor;

	if (!n) {
		n = *cursor = calloc(1, sizeof(*n));
		yajl_gen_string(g, (const unsigned char *)"flows", 5);
		yajl_gen_array_open(g);
	}
	if (p->waits > 0) {
		p->waits--;
		return CONTROL_WAIT;
	}
	if (++*n == p->fail_at) {
		snprintf(err, el, "walk failed at %d", *n);
		return -1;
	}
	if (*n == p->bad_at)
		yajl_gen_number(g, "]]", 2);	/* written as it is: does not parse */
	yajl_gen_integer(g, *n);
	if (*n < p->parts)
		return CONTROL_MORE;
	yajl_gen_array_close(g);
	return CONTROL_DONE;
}

static void pt_free(void *ctx, void *cursor)
{
	struct parts *p = ctx;

	p->freed++;
	free(cursor);
}

static struct control *parts_ctl(struct parts *p)
{
	struct control_ops ops = { .part = { [CONTROL_FLOWS] = pt_flows }, .cursor_free = pt_free };
	struct control *c = control_new(&ops, p);

	assert_non_null(c);
	return c;
}

/* Takes a whole reply from control_next(), counting parts and waits; -1 if
 * it failed half-way. */
static int take_parts(struct control_reply *r, char *out, size_t cap, int *parts, int *waits)
{
	const unsigned char *buf;
	size_t len, used = 0;
	int rc;

	*parts = *waits = 0;
	do {
		rc = control_next(r, &buf, &len);
		if (rc < 0)
			return -1;
		if (rc == CONTROL_WAIT) {
			assert_int_equal(len, 0);
			(*waits)++;
			continue;
		}
		assert_true(used + len < cap);
		memcpy(out + used, buf, len);
		used += len;
		(*parts)++;
	} while (rc != CONTROL_DONE);
	out[used] = '\0';
	return 0;
}

static void test_parts(void **state)
{
	struct parts p = { .parts = 5, .waits = 2 };
	struct control *c = parts_ctl(&p);
	struct control_reply *r = control_begin(c, "{\"method\":\"flows\"}", 18);
	char out[256];
	int parts, waits;

	assert_non_null(r);
	assert_int_equal(take_parts(r, out, sizeof(out), &parts, &waits), 0);
	assert_string_equal(out, "{\"flows\":[1,2,3,4,5]}");
	assert_int_equal(parts, 5);
	assert_int_equal(waits, 2);
	control_reply_free(r);
	assert_int_equal(p.freed, 1);
	/* whole, through control_handle(); a reply that would wait cannot */
	p = (struct parts){ .parts = 2 };
	{
		size_t len;
		char *s = control_handle(c, "{\"method\":\"flows\"}", 18, &len);

		assert_string_equal(s, "{\"flows\":[1,2]}");
		free(s);
		p.waits = 1;
		s = control_handle(c, "{\"method\":\"flows\"}", 18, &len);
		assert_string_equal(s, "{\"error\":\"reply not ready\"}");
		free(s);
	}
	assert_int_equal(p.freed, 2);
	control_free(c);
}

static void test_parts_failures(void **state)
{
	struct parts p = { .parts = 5, .fail_at = 1 };
	struct control *c = parts_ctl(&p);
	struct control_reply *r;
	char out[256];
	int parts, waits;

	/* before anything was handed out: the reply becomes an error */
	r = control_begin(c, "{\"method\":\"flows\"}", 18);
	assert_int_equal(take_parts(r, out, sizeof(out), &parts, &waits), 0);
	assert_string_equal(out, "{\"error\":\"walk failed at 1\"}");
	control_reply_free(r);
	/* half-way: the transport must close */
	p = (struct parts){ .parts = 5, .fail_at = 3 };
	r = control_begin(c, "{\"method\":\"flows\"}", 18);
	assert_int_equal(take_parts(r, out, sizeof(out), &parts, &waits), -1);
	control_reply_free(r);
	/* a part that does not parse back is never handed out */
	p = (struct parts){ .parts = 5, .bad_at = 2 };
	r = control_begin(c, "{\"method\":\"flows\"}", 18);
	assert_int_equal(take_parts(r, out, sizeof(out), &parts, &waits), -1);
	control_reply_free(r);
	/* abandoned by the transport (the client went away): cursor freed */
	p = (struct parts){ .parts = 5 };
	r = control_begin(c, "{\"method\":\"flows\"}", 18);
	{
		const unsigned char *buf;
		size_t len;

		assert_int_equal(control_next(r, &buf, &len), CONTROL_MORE);
	}
	control_reply_free(r);
	assert_int_equal(p.freed, 1);
	/* bad requests never reach the method */
	r = control_begin(c, "{\"method\":\"flows\",\"args\":{\"x\":1}}", 33);
	assert_int_equal(take_parts(r, out, sizeof(out), &parts, &waits), 0);
	assert_non_null(strstr(out, "unknown argument"));
	control_reply_free(r);
	assert_int_equal(p.freed, 1);
	control_free(c);
}

static void test_method_names(void **state)
{
	int i;

	for (i = 0; i < __CONTROL_MAX; i++)
		assert_int_equal(control_method_find(control_method_name(i)), i);
	assert_int_equal(control_method_find("nope"), -1);
	assert_null(control_method_name(__CONTROL_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_running),
		cmocka_unit_test(test_flows_args),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_callback_failures),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_parts_failures),
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_usage_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
