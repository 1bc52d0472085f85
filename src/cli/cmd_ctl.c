/* Client side of the control socket: `netify status|flows|reload` for
 * people and scripts, `netify rpc list|call` for rpcd's exec plugin
 * protocol (a LuCI backend). Every rpc answer is exactly one JSON object:
 * replies are read whole and parsed before anything is printed. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cmd.h"
#include "control.h"
#include "esc.h"
#include "json.h"
#include "policy.h"
#include "uci.h"

#define CTL_REPLY_MAX	(256u * 1024u * 1024u)	/* bytes of one reply */
#define CTL_TIMEOUT_MS	10000
#define CTL_STDIN_MAX	CONTROL_REQ_MAX
#define CTL_DEPTH_MAX	16
#define CTL_CONFIG	"/etc/config/netify"

enum ctl_result { CTL_OK = 0, CTL_NOT_RUNNING = -1, CTL_FAILED = -2 };

/* ---- socket path ---- */

/* --socket, else $NETIFY_CONTROL_SOCKET, else control_socket from the UCI
 * file ($NETIFY_CONFIG or /etc/config/netify), else the default. */
static const char *ctl_socket_path(const char *opt)
{
	static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *env = getenv("NETIFY_CONTROL_SOCKET");
	const char *cfg = getenv("NETIFY_CONFIG");
	struct uci_pkg *pkg = NULL;
	const struct uci_sec *s;
	char why[128], *buf;
	size_t len;

	if (opt)
		return opt;
	if (env && env[0])
		return env;
	snprintf(path, sizeof(path), "%s", CONTROL_DEFAULT_PATH);
	/* Read as package netify whatever the file is called, as the daemon
	 * and `netify check` do (netify.conf is not a valid UCI name). */
	buf = policy_read_file(cfg ? cfg : CTL_CONFIG, &len, why, sizeof(why));
	if (buf && uci_parse_buf(cfg ? cfg : CTL_CONFIG, "netify", buf, len, &pkg, NULL) == 0) {
		s = uci_sec_find(pkg, "main");
		if (s)
			snprintf(path, sizeof(path), "%s",
				 uci_get_str(s, "control_socket", CONTROL_DEFAULT_PATH));
		uci_pkg_free(pkg);
	}
	free(buf);
	return path;
}

/* ---- JSON helpers ---- */

/* Re-emits a parsed value compactly (stdin arguments may span lines, a
 * request must be one line). -1 when nested deeper than CTL_DEPTH_MAX. */
static int ctl_emit(yajl_gen g, yajl_val v, unsigned depth)
{
	size_t i;

	if (depth > CTL_DEPTH_MAX)
		return -1;
	if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];

			yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			if (ctl_emit(g, v->u.object.values[i], depth + 1) < 0)
				return -1;
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			if (ctl_emit(g, v->u.array.values[i], depth + 1) < 0)
				return -1;
		yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v)) {
		yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_NUMBER(v)) {
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		yajl_gen_null(g);
	}
	return 0;
}

static void ctl_print_error(const char *msg)
{
	size_t len;
	char *s = control_error(msg, &len);

	if (s)
		printf("%s\n", s);
	else
		printf("{\"error\":\"out of memory\"}\n");
	free(s);
}

/* Builds {"method":M,"args":ARGS}\n; NULL + msg on failure. */
static char *ctl_request(const char *method, yajl_val args, size_t *len, const char **msg)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	char *req = NULL;
	size_t n;

	*msg = "out of memory";
	if (!g)
		return NULL;
	yajl_gen_map_open(g);
	json_kv_str(g, "method", method);
	if (args) {
		json_key(g, "args");
		if (ctl_emit(g, args, 0) < 0) {
			*msg = "arguments nested too deeply";
			goto out_free_gen;
		}
	}
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &n);
	if ((req = malloc(n + 1))) {
		memcpy(req, buf, n);
		req[n] = '\n';
		*len = n + 1;
	}
out_free_gen:
	yajl_gen_free(g);
	return req;
}

/* ---- the exchange ---- */

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int ctl_send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one reply line; NULL on timeout, error or a reply over the cap. */
static char *ctl_recv_line(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *p;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;

	while (buf && !memchr(buf, '\n', n)) {
		if (n == cap) {
			if (cap >= CTL_REPLY_MAX || !(p = realloc(buf, cap * 2)))
				goto out_free;
			buf = p;
			cap *= 2;
		}
		if (poll(&pfd, 1, CTL_TIMEOUT_MS) <= 0)
			goto out_free;
		r = recv(fd, buf + n, cap - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out_free;
		n += (size_t)r;
	}
	if (!buf)
		return NULL;
	*len = (size_t)((char *)memchr(buf, '\n', n) - buf);
	buf[*len] = '\0';
	return buf;

out_free:
	free(buf);
	return NULL;
}

static char ctl_errbuf[256];	/* the message of a failed connect */

/* Sends one request and returns the parsed reply object in *out. A socket
 * that is absent or refuses connections means the daemon is not running;
 * any other failure is an error of its own. */
static enum ctl_result ctl_call(const char *path, const char *method, yajl_val args,
				yajl_val *out, const char **msg)
{
	char perr[128], *req, *reply;
	size_t len;
	int fd;

	fd = ctl_connect(path);
	if (fd < 0 && (errno == ENOENT || errno == ECONNREFUSED)) {
		*msg = "netify is not running";
		return CTL_NOT_RUNNING;
	}
	if (fd < 0) {
		snprintf(ctl_errbuf, sizeof(ctl_errbuf), "cannot connect to %.200s: %s", path,
			 strerror(errno));
		*msg = ctl_errbuf;
		return CTL_FAILED;
	}
	req = ctl_request(method, args, &len, msg);
	reply = req && ctl_send_all(fd, req, len) == 0 ? ctl_recv_line(fd, &len) : NULL;
	close(fd);
	free(req);
	if (!reply) {
		*msg = req ? "no reply from netify" : *msg;
		return CTL_FAILED;
	}
	*out = yajl_tree_parse(reply, perr, sizeof(perr));
	free(reply);
	if (!*out || !YAJL_IS_OBJECT(*out)) {
		yajl_tree_free(*out);
		*msg = "malformed reply from netify";
		return CTL_FAILED;
	}
	return CTL_OK;
}

static void ctl_print_json(yajl_val v)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g || ctl_emit(g, v, 0) < 0 || yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		ctl_print_error("reply nested too deeply");
	else
		printf("%.*s\n", (int)len, (const char *)buf);
	if (g)
		yajl_gen_free(g);
}

/* The reply's "error" member, or NULL. */
static const char *ctl_reply_error(yajl_val r)
{
	const char *path[] = { "error", NULL };
	yajl_val e = yajl_tree_get(r, path, yajl_t_string);

	return e ? YAJL_GET_STRING(e) : NULL;
}

/* ---- human output ----
 *
 * Every value comes from the daemon, which got it from packets, files or
 * other clients: it is escaped (esc.h) before a terminal sees it. */

#define CTL_VAL_MAX	ESC_RING_LEN	/* bytes of one printed value */

/* A member's value as text, escaped into buf. */
static const char *ctl_val_str(yajl_val v, char *buf, size_t n)
{
	const char *s;

	if (!v || YAJL_IS_NULL(v))
		s = "-";
	else if (YAJL_IS_STRING(v))
		s = v->u.string[0] ? v->u.string : "-";
	else if (YAJL_IS_NUMBER(v))
		s = v->u.number.r;
	else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		s = YAJL_IS_TRUE(v) ? "yes" : "no";
	else
		s = YAJL_IS_ARRAY(v) ? "[...]" : "{...}";
	return esc_str(s, buf, n);
}

static yajl_val ctl_member(yajl_val obj, const char *key)
{
	size_t i;

	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

/* Display width of escaped text: its characters (UTF-8 lead bytes). */
static int ctl_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Prints s padded to w columns, and the gap to the next column. */
static void ctl_cell(const char *s, int w, bool last)
{
	printf("%s%*s", s, last ? 0 : w - ctl_width(s) + 2, "");
}

/* Prints an array of objects as a table whose columns are the first
 * object's members (status queues, ...), each as wide as its widest cell,
 * two spaces apart. */
static void ctl_print_table(const char *title, yajl_val arr)
{
	yajl_val first = arr->u.array.len ? arr->u.array.values[0] : NULL;
	char tmp[CTL_VAL_MAX];
	size_t i, k, nk;
	int *w;

	if (!YAJL_IS_OBJECT(first) || !(w = calloc(first->u.object.len, sizeof(*w))))
		return;
	nk = first->u.object.len;
	for (k = 0; k < nk; k++) {
		w[k] = ctl_width(esc(first->u.object.keys[k]));
		for (i = 0; i < arr->u.array.len; i++) {
			int cw = ctl_width(ctl_val_str(ctl_member(arr->u.array.values[i],
						first->u.object.keys[k]), tmp, sizeof(tmp)));

			w[k] = cw > w[k] ? cw : w[k];
		}
	}
	printf("\n%s:\n", esc(title));
	for (k = 0; k < nk; k++)
		ctl_cell(esc(first->u.object.keys[k]), w[k], k + 1 == nk);
	printf("\n");
	for (i = 0; i < arr->u.array.len; i++) {
		for (k = 0; k < nk; k++)
			ctl_cell(ctl_val_str(ctl_member(arr->u.array.values[i], first->u.object.keys[k]),
					     tmp, sizeof(tmp)), w[k], k + 1 == nk);
		printf("\n");
	}
	free(w);
}

/* Scalar members as "name  value" lines, names padded to the longest. */
static void ctl_print_members(yajl_val r, const char *indent)
{
	char tmp[CTL_VAL_MAX];
	int w = 0;
	size_t i;

	for (i = 0; i < r->u.object.len; i++) {
		int kw = ctl_width(esc(r->u.object.keys[i]));

		if (!YAJL_IS_OBJECT(r->u.object.values[i]) && !YAJL_IS_ARRAY(r->u.object.values[i]) &&
		    kw > w)
			w = kw;
	}
	for (i = 0; i < r->u.object.len; i++) {
		yajl_val v = r->u.object.values[i];

		if (YAJL_IS_OBJECT(v) || YAJL_IS_ARRAY(v))
			continue;
		printf("%s", indent);
		ctl_cell(esc(r->u.object.keys[i]), w, false);
		printf("%s\n", ctl_val_str(v, tmp, sizeof(tmp)));
	}
}

static void ctl_print_status(yajl_val r)
{
	size_t i;

	ctl_print_members(r, "");
	for (i = 0; i < r->u.object.len; i++) {
		yajl_val v = r->u.object.values[i];

		if (YAJL_IS_ARRAY(v))
			ctl_print_table(r->u.object.keys[i], v);
		else if (YAJL_IS_OBJECT(v)) {
			size_t k;

			printf("\n%s:\n", esc(r->u.object.keys[i]));
			ctl_print_members(v, "  ");
			for (k = 0; k < v->u.object.len; k++)	/* export collectors, ... */
				if (YAJL_IS_ARRAY(v->u.object.values[k]))
					ctl_print_table(v->u.object.keys[k], v->u.object.values[k]);
		}
	}
}

static void ctl_endpoint(yajl_val f, const char *ip, const char *port, char *buf, size_t n)
{
	char t1[CTL_VAL_MAX], t2[CTL_VAL_MAX];
	const char *a = ctl_val_str(ctl_member(f, ip), t1, sizeof(t1));
	const char *p = ctl_val_str(ctl_member(f, port), t2, sizeof(t2));

	snprintf(buf, n, strchr(a, ':') ? "[%s]:%s" : "%s:%s", a, p);
}

static const char *ctl_ipproto(yajl_val v, char *buf, size_t n)
{
	long long p = YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;

	switch (p) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmp6";
	default: return ctl_val_str(v, buf, n);
	}
}

/* Columns after the endpoints: member, header, width (0 = last, unpadded). */
static const struct {
	const char *key, *title;
	int width;
} ctl_flow_cols[] = {
	{ "detected_protocol_name", "PROTOCOL", 12 },
	{ "detected_application_name", "APP", 16 },
	{ "device", "DEVICE", 12 },
	{ "action", "ACTION", 7 },
	{ "host_server_name", "HOST", 0 },
};
#define CTL_N_FLOW_COLS (sizeof(ctl_flow_cols) / sizeof(ctl_flow_cols[0]))

static void ctl_print_flows(yajl_val r)
{
	yajl_val flows = ctl_member(r, "flows");
	char l[CTL_VAL_MAX], o[CTL_VAL_MAX], tmp[CTL_VAL_MAX];
	size_t i, k;

	if (!YAJL_IS_ARRAY(flows))
		return;
	printf("%-6s %-30s %-30s", "PROTO", "LOCAL", "OTHER");
	for (k = 0; k < CTL_N_FLOW_COLS; k++)
		printf(" %-*s", ctl_flow_cols[k].width, ctl_flow_cols[k].title);
	printf("\n");
	for (i = 0; i < flows->u.array.len; i++) {
		yajl_val f = flows->u.array.values[i];

		ctl_endpoint(f, "local_ip", "local_port", l, sizeof(l));
		ctl_endpoint(f, "other_ip", "other_port", o, sizeof(o));
		printf("%-6s %-30s %-30s", ctl_ipproto(ctl_member(f, "ip_protocol"), tmp, sizeof(tmp)),
		       l, o);
		for (k = 0; k < CTL_N_FLOW_COLS; k++)
			printf(" %-*s", ctl_flow_cols[k].width,
			       ctl_val_str(ctl_member(f, ctl_flow_cols[k].key), tmp, sizeof(tmp)));
		printf("\n");
	}
	printf("%zu flow%s\n", flows->u.array.len, flows->u.array.len == 1 ? "" : "s");
}

/* ---- commands ---- */

struct ctl_opts {
	const char *socket;
	bool json;
	const char *device, *app;
	bool blocked;
};

static int ctl_parse(int argc, char **argv, struct ctl_opts *o, bool filters, const char *usage)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "socket", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' }, { "app", required_argument, NULL, 'a' },
		{ "blocked", no_argument, NULL, 'b' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "js:d:a:bh", opts, NULL)) != -1) {
		if (c == 'j')
			o->json = true;
		else if (c == 's')
			o->socket = optarg;
		else if (filters && c == 'd')
			o->device = optarg;
		else if (filters && c == 'a')
			o->app = optarg;
		else if (filters && c == 'b')
			o->blocked = true;
		else {
			fprintf(c == 'h' ? stdout : stderr, "usage: netify %s\n", usage);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: netify %s\n", usage);
		return 2;
	}
	return -1;
}

/* Runs one method for a human command; prints errors to stderr. */
static int ctl_run(const struct ctl_opts *o, const char *method, yajl_val args,
		   void (*print)(yajl_val))
{
	const char *msg = NULL, *err;
	yajl_val r = NULL;
	enum ctl_result res = ctl_call(ctl_socket_path(o->socket), method, args, &r, &msg);
	int rc;

	if (res == CTL_NOT_RUNNING && !strcmp(method, "status") && o->json)
		printf("{\"running\":false}\n");
	if (res != CTL_OK) {
		fprintf(stderr, "netify: %s\n", esc(msg));
		return res == CTL_NOT_RUNNING ? 3 : 1;
	}
	err = ctl_reply_error(r);
	if (err)
		fprintf(stderr, "netify: %s: %s\n", method, esc(err));
	else if (o->json)
		ctl_print_json(r);
	else
		print(r);
	/* a reload the daemon refused is a failure, in JSON too */
	rc = err || (!strcmp(method, "reload") && !YAJL_IS_TRUE(ctl_member(r, "reload")));
	yajl_tree_free(r);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	struct ctl_opts o;
	int r = ctl_parse(argc, argv, &o, false, "status [--json] [--socket PATH]");

	return r >= 0 ? r : ctl_run(&o, "status", NULL, ctl_print_status);
}

/* Builds the flows filter arguments as a tree through the JSON parser, so
 * that the values are escaped by the generator, not by hand. */
static yajl_val ctl_flows_args(const struct ctl_opts *o)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return NULL;
	yajl_gen_map_open(g);
	json_kv_str(g, "device", o->device);
	json_kv_str(g, "app", o->app);
	if (o->blocked)
		json_kv_bool(g, "blocked", 1);
	yajl_gen_map_close(g);
	return json_gen_tree(g);
}

int cmd_flows(int argc, char **argv)
{
	struct ctl_opts o;
	yajl_val args;
	int r = ctl_parse(argc, argv, &o, true,
			  "flows [--json] [--device D] [--app A] [--blocked] [--socket PATH]");

	if (r >= 0)
		return r;
	args = ctl_flows_args(&o);
	r = ctl_run(&o, "flows", args, ctl_print_flows);
	yajl_tree_free(args);
	return r;
}

/* A reply's array of strings, one a line on stderr: the reload's errors
 * as `netify check` prints them. Returns how many. */
static size_t ctl_print_lines(yajl_val r, const char *key, const char *prefix)
{
	yajl_val a = ctl_member(r, key);
	size_t i, n = 0;

	if (!YAJL_IS_ARRAY(a))
		return 0;
	for (i = 0; i < a->u.array.len; i++) {
		if (!YAJL_IS_STRING(a->u.array.values[i]))
			continue;
		fprintf(stderr, "%s%s\n", prefix, esc(a->u.array.values[i]->u.string));
		n++;
	}
	return n;
}

static void ctl_print_reload(yajl_val r)
{
	size_t n;

	ctl_print_lines(r, "warnings", "warning: ");
	if (YAJL_IS_TRUE(ctl_member(r, "reload"))) {
		printf("reloaded\n");
		return;
	}
	n = ctl_print_lines(r, "errors", "");
	fprintf(stderr, "%zu error%s\nnetify: reload failed; the running configuration is kept\n", n,
		n == 1 ? "" : "s");
}

/* Answers after the daemon tried: exit 0 if it reloaded, 1 if it kept the
 * running configuration. */
int cmd_reload(int argc, char **argv)
{
	struct ctl_opts o;
	int r = ctl_parse(argc, argv, &o, false, "reload [--json] [--socket PATH]");

	return r >= 0 ? r : ctl_run(&o, "reload", NULL, ctl_print_reload);
}

/* ---- rpcd exec plugin ---- */

static const char ctl_rpc_signature[] =
	"{\"status\":{},\"flows\":{\"device\":\"str\",\"app\":\"str\",\"blocked\":true},"
	"\"apps\":{\"category\":\"str\"},\"devices\":{},"
	"\"policy_test\":{\"mac\":\"str\",\"ip\":\"str\",\"app\":\"str\",\"at\":\"str\"},"
	"\"usage\":{\"device\":\"str\",\"app\":\"str\",\"category\":\"str\",\"from\":\"str\","
	"\"to\":\"str\",\"hours\":true}}";

static const char *const ctl_rpc_methods[] = { "status", "flows", "apps", "devices",
					       "policy_test", "usage" };

/* uhttpd and LuCI add the caller's session to every ubus call, and rpcd
 * passes it on to exec plugins: it is the transport's, not an argument. */
#define CTL_RPC_SESSION	"ubus_rpc_session"

static void ctl_rpc_drop_session(yajl_val args)
{
	size_t i = 0, n;

	if (!YAJL_IS_OBJECT(args))
		return;
	n = args->u.object.len;
	while (i < n) {
		if (strcmp(args->u.object.keys[i], CTL_RPC_SESSION) ||
		    !YAJL_IS_STRING(args->u.object.values[i])) {
			i++;
			continue;
		}
		free((char *)args->u.object.keys[i]);	/* yajl_tree's own allocation */
		yajl_tree_free(args->u.object.values[i]);
		n--;
		memmove(&args->u.object.keys[i], &args->u.object.keys[i + 1],
			(n - i) * sizeof(args->u.object.keys[0]));
		memmove(&args->u.object.values[i], &args->u.object.values[i + 1],
			(n - i) * sizeof(args->u.object.values[0]));
		args->u.object.len = n;
	}
}

/* Reads the JSON arguments rpcd passes on stdin: empty means none. */
static int ctl_rpc_args(yajl_val *out, const char **msg)
{
	char *buf = malloc(CTL_STDIN_MAX + 1);
	size_t n = 0, r;

	*out = NULL;
	if (!buf) {
		*msg = "out of memory";
		return -1;
	}
	while (n <= CTL_STDIN_MAX && (r = fread(buf + n, 1, CTL_STDIN_MAX + 1 - n, stdin)) > 0)
		n += r;
	buf[n > CTL_STDIN_MAX ? CTL_STDIN_MAX : n] = '\0';
	*msg = n > CTL_STDIN_MAX ? "arguments too large" : memchr(buf, '\0', n) ?
	       "arguments contain a NUL byte" : NULL;
	if (!*msg && strspn(buf, " \t\r\n") != n) {
		*out = yajl_tree_parse(buf, NULL, 0);
		if (!*out || !YAJL_IS_OBJECT(*out))
			*msg = "arguments must be a JSON object";
	}
	free(buf);
	return *msg ? -1 : 0;
}

static int ctl_rpc_call(const char *method)
{
	const char *msg = NULL;
	yajl_val args, r = NULL;
	enum ctl_result res;
	size_t i;

	for (i = 0; i < sizeof(ctl_rpc_methods) / sizeof(ctl_rpc_methods[0]); i++)
		if (!strcmp(method, ctl_rpc_methods[i]))
			break;
	if (i == sizeof(ctl_rpc_methods) / sizeof(ctl_rpc_methods[0])) {
		ctl_print_error("unknown method");
		return 2;
	}
	if (ctl_rpc_args(&args, &msg) < 0) {
		yajl_tree_free(args);
		ctl_print_error(msg);
		return 2;
	}
	ctl_rpc_drop_session(args);
	res = ctl_call(ctl_socket_path(NULL), method, args, &r, &msg);
	yajl_tree_free(args);
	/* "running": false tells a stopped daemon from a failed call */
	if (res == CTL_NOT_RUNNING && !strcmp(method, "status"))
		printf("{\"running\":false}\n");
	else if (res == CTL_NOT_RUNNING)
		printf("{\"running\":false,\"error\":\"%s\"}\n", msg);
	else if (res != CTL_OK)
		ctl_print_error(msg);
	else
		ctl_print_json(r);
	yajl_tree_free(r);
	return 0;
}

int cmd_rpc(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "list")) {
		printf("%s\n", ctl_rpc_signature);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "call"))
		return ctl_rpc_call(argv[2]);
	ctl_print_error("usage: netify rpc list | netify rpc call METHOD");
	return 2;
}

/* One method for another command (cmd_usage.c): the reply printed by
 * @print, or as JSON; errors on stderr. Exit status as ctl_run's. */
int ctl_command(const char *socket, bool json, const char *method, yajl_val args,
		void (*print)(yajl_val))
{
	struct ctl_opts o = { .socket = socket, .json = json };

	return ctl_run(&o, method, args, print);
}
