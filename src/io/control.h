/* Control requests: one JSON line in, one JSON object line out.
 *
 *   {"method":"flows","args":{"app":"whatsapp","blocked":true}}
 *   -> {"flows":[...]}          or   {"error":"message"}
 *
 * Requests are parsed whole with yajl's tree parser, size-bounded, and
 * checked against a static table of methods and argument types before any
 * daemon callback runs: unknown methods, unknown arguments and wrong types
 * are answered with an error, never passed on. The socket side lives in the
 * monitor's io thread (monitor.h); this module only turns requests into
 * replies, so it is testable and fuzzable on its own.
 */
#ifndef NETIFY_CONTROL_H
#define NETIFY_CONTROL_H

#include <stddef.h>
#include <yajl/yajl_gen.h>

#define CONTROL_REQ_MAX		(64u * 1024u)	/* bytes of one request line */
#define CONTROL_ARG_MAX		256u		/* bytes of one string argument */
#define CONTROL_ERR_MAX		256u
#define CONTROL_DEFAULT_PATH	"/var/run/netify/control.sock"

enum control_method {
	CONTROL_STATUS,
	CONTROL_FLOWS,
	CONTROL_RELOAD,
	CONTROL_APPS,
	CONTROL_DEVICES,
	CONTROL_APPS_LOOKUP,
	CONTROL_POLICY_TEST,
	CONTROL_USAGE,
	__CONTROL_MAX
};

/* Validated arguments; NULL / -1 when not given. Which ones a method
 * accepts is fixed by the table in control.c (see doc/json.md):
 *   flows: device, app, blocked     apps: category
 *   apps_lookup: host, ip           policy_test: mac, ip, app, at
 *   usage: device, app, category, from, to, hours */
struct control_args {
	const char *device, *app, *category, *mac, *ip, *at, *host;
	int blocked;
	const char *from, *to;	/* usage days, YYYY-MM-DD */
	int hours;		/* usage: hourly series too */
};

/* A method callback writes the reply's members into g: the reply map is
 * already open and control closes it. On failure it returns -1 with a
 * message in err; whatever it wrote is discarded and the reply becomes
 * {"error":err}. Callbacks run on the monitor's io thread: they must take
 * their own locks on data the workers change. For CONTROL_STATUS, control
 * writes "running":true before calling. */
typedef int (*control_fn)(void *ctx, const struct control_args *a, yajl_gen g, char *err,
			  size_t errlen);

/* What a reply written in parts says after each part. */
enum control_step {
	CONTROL_DONE,		/* the reply is complete */
	CONTROL_MORE,		/* a part was written; call again once it is sent */
	CONTROL_WAIT,		/* nothing to write yet (a reload under way): call again later */
};

/* A method whose reply is written in parts, in place of a control_fn: the
 * flows of a large table, one step of it at a time, so that no lock is
 * held and no reply is built whole while the client waits; a reload's
 * result, once the main thread has tried it. Called first with *cursor
 * NULL, then with whatever it left there, it writes the next members into
 * the open reply map and returns a control_step, or -1 with a message in
 * err (the reply becomes {"error":err} if nothing was sent yet, else the
 * connection is closed). Its cursor is given to cursor_free when the reply
 * ends or is abandoned (the client went away). */
typedef int (*control_part_fn)(void *ctx, const struct control_args *a, void **cursor, yajl_gen g,
			       char *err, size_t errlen);

struct control_ops {
	control_fn fn[__CONTROL_MAX];	/* NULL (and no part): answered "not supported" */
	control_part_fn part[__CONTROL_MAX];	/* instead of fn: the reply in parts */
	void (*cursor_free)(void *ctx, void *cursor);
};

struct control;

/** control_new - NULL + errno on failure; ops is copied */
struct control *control_new(const struct control_ops *ops, void *ctx);
void control_free(struct control *c);

struct control_reply;

/**
 * control_begin - take one request (@req need not be NUL-terminated; a
 * trailing newline is allowed) and start its reply, to be taken with
 * control_next(). NULL only on allocation failure.
 */
struct control_reply *control_begin(struct control *c, const char *req, size_t len);

/**
 * control_next - the next bytes of a reply, in *@buf (valid until the next
 * call or control_reply_free()). Returns CONTROL_MORE (bytes given, more
 * follow), CONTROL_WAIT (nothing yet: call again later), CONTROL_DONE (the
 * last bytes given: the reply is one JSON object, without newline), or -1
 * when a reply already under way cannot be finished (the transport closes
 * the connection). Every part is parsed back before it is given: a client
 * never receives bytes that are not the prefix of one valid JSON object.
 */
int control_next(struct control_reply *r, const unsigned char **buf, size_t *len);

/** control_reply_free - end a reply, finished or not; NULL is fine */
void control_reply_free(struct control_reply *r);

/**
 * control_handle - answer one request whole: control_begin() and every
 * control_next(). Returns a malloc'd reply of *@len bytes, one JSON object
 * without newline, or NULL only on allocation failure. A reply that would
 * wait is answered with an error: this is for methods that never wait
 * (tests, fuzzing).
 */
char *control_handle(struct control *c, const char *req, size_t len, size_t *out_len);

/** control_method_name - "status", ...; NULL if out of range */
const char *control_method_name(enum control_method m);
/** control_method_find - method by name; -1 if unknown */
int control_method_find(const char *name);

/** control_error - reply {"error":msg} as a malloc'd string (for clients too) */
char *control_error(const char *msg, size_t *out_len);

/** control_json_valid - 1 if buf[0..len) is one complete, valid JSON text */
int control_json_valid(const unsigned char *buf, size_t len);

struct control_stats {
	unsigned long long requests, errors;
};
void control_stats(const struct control *c, struct control_stats *st);

#endif
