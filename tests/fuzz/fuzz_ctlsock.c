/* Request sequences on the control socket, statefully: the real transport
 * (monitor.c) and the real request checks (control.c), turned one step at a
 * time on the fuzzer's thread (monitor_run_once), with up to 4 clients that
 * connect, send whole requests, fragments, junk or 64 KiB floods, read all
 * or part of what comes, shut their sending end, close, while the clock of
 * the timeouts jumps and a reload comes to an end. The methods answer at
 * once, in parts (a flows reply of up to 64 parts) or after waiting.
 *
 * After every step, for every connection, the daemon side holds at most one
 * request buffer (64 KiB + 1) and one reply or part; every byte a client
 * reads belongs to complete, valid JSON lines (the last line may still be
 * coming). After every input, once the clients are gone, every control
 * slot is free again: no connection outlives its peer.
 *
 * Input: a sequence of operations, each one byte (op in the low 4 bits,
 * client in the next 2) followed by its argument bytes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "control.h"
#include "monitor.h"
#include "monitor_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CLIENTS	4
#define FZ_RECV_MAX	(1u << 20)	/* bytes a client keeps to check */

struct fz_client {
	int fd;			/* -1: not connected */
	char *rx;		/* bytes received, not yet checked as lines */
	size_t rx_len;
};

static struct monitor *fz_mon;
static struct fz_client fz_cl[FZ_CLIENTS];
static uint64_t fz_now;
static unsigned int fz_parts = 3;	/* parts of a flows reply */
static int fz_reload_done;		/* a waiting reload may answer */

static uint64_t fz_clock(void)
{
	return fz_now;
}

/* ---- methods ---- */

static int fz_status(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	yajl_gen_string(g, (const unsigned char *)"flows", 5);
	yajl_gen_integer(g, 3);
	return 0;
}

static int fz_apps(void *ctx, const struct control_args *a, yajl_gen g, char *err, size_t el)
{
	if (!a->category) {
		snprintf(err, el, "no category");
		return -1;
	}
	yajl_gen_string(g, (const unsigned char *)"echo", 4);
	yajl_gen_string(g, (const unsigned char *)a->category, strlen(a->category));
	return 0;
}

static int fz_flows(void *ctx, const struct control_args *a, void **cursor, yajl_gen g, char *err,
		    size_t el)
{
	unsigned int *n = *cursor;

	if (!n) {
		if (!(n = *cursor = calloc(1, sizeof(*n))))
			return -1;
		yajl_gen_string(g, (const unsigned char *)"flows", 5);
		yajl_gen_array_open(g);
	}
	yajl_gen_map_open(g);
	yajl_gen_string(g, (const unsigned char *)"app", 3);
	yajl_gen_string(g, (const unsigned char *)(a->app ? a->app : "x"), a->app ? strlen(a->app) : 1);
	yajl_gen_map_close(g);
	if (++*n < fz_parts)
		return CONTROL_MORE;
	yajl_gen_array_close(g);
	return CONTROL_DONE;
}

static int fz_reload(void *ctx, const struct control_args *a, void **cursor, yajl_gen g, char *err,
		     size_t el)
{
	if (!*cursor) {
		*cursor = malloc(1);
		return CONTROL_WAIT;
	}
	if (!fz_reload_done)
		return CONTROL_WAIT;
	yajl_gen_string(g, (const unsigned char *)"reload", 6);
	yajl_gen_bool(g, 1);
	return CONTROL_DONE;
}

static void fz_cursor_free(void *ctx, void *cursor)
{
	free(cursor);
}

static void fz_init(void)
{
	static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct control_ops ops = {
		.fn = { [CONTROL_STATUS] = fz_status, [CONTROL_APPS] = fz_apps },
		.part = { [CONTROL_FLOWS] = fz_flows, [CONTROL_RELOAD] = fz_reload },
		.cursor_free = fz_cursor_free,
	};
	struct monitor_cfg c;
	int i;

	snprintf(path, sizeof(path), "/tmp/netify-fuzz-ctl-%d.sock", (int)getpid());
	monitor_cfg_defaults(&c);
	c.control_path = path;
	c.control = control_new(&ops, NULL);
	c.status_interval_ms = 0;
	c.clock_ms = fz_clock;
	fz_mon = monitor_new(&c, NULL, NULL);
	if (!c.control || !fz_mon)
		abort();
	for (i = 0; i < FZ_CLIENTS; i++)
		fz_cl[i].fd = -1;
}

/* ---- clients ---- */

static void fz_connect(struct fz_client *cl)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (cl->fd >= 0)
		return;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fz_mon->cfg.control_path);
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cl->fd >= 0 && connect(cl->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(cl->fd);
		cl->fd = -1;
	}
	cl->rx_len = 0;
}

static void fz_close(struct fz_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->rx_len = 0;
}

static void fz_send(struct fz_client *cl, const void *p, size_t n)
{
	if (cl->fd >= 0 && n)
		(void)!send(cl->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Every complete line received is one valid JSON object. */
static void fz_check_lines(struct fz_client *cl)
{
	char *nl;

	while ((nl = memchr(cl->rx, '\n', cl->rx_len))) {
		size_t ll = (size_t)(nl - cl->rx);

		if (!ll || cl->rx[0] != '{' || !control_json_valid((const unsigned char *)cl->rx, ll))
			abort();
		memmove(cl->rx, nl + 1, cl->rx_len - ll - 1);
		cl->rx_len -= ll + 1;
	}
}

static void fz_read(struct fz_client *cl, size_t want)
{
	ssize_t n;

	if (cl->fd < 0)
		return;
	if (!cl->rx && !(cl->rx = malloc(FZ_RECV_MAX)))
		abort();
	while (want && cl->rx_len < FZ_RECV_MAX) {
		n = recv(cl->fd, cl->rx + cl->rx_len, want < FZ_RECV_MAX - cl->rx_len ?
			 want : FZ_RECV_MAX - cl->rx_len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		cl->rx_len += (size_t)n;
		want -= (size_t)n;
		fz_check_lines(cl);
	}
	if (cl->rx_len == FZ_RECV_MAX)
		abort();	/* a line longer than any reply written here */
}

/* ---- the daemon side's bounds ---- */

static void fz_check_bounds(void)
{
	unsigned int i;

	for (i = fz_mon->cfg.max_clients; i < fz_mon->n_slots; i++) {
		const struct mon_client *c = &fz_mon->clients[i];

		if (!c->in_use)
			continue;
		/* one request line at most, one reply (or part) at most */
		if (c->in_cap > CONTROL_REQ_MAX + 1 || c->in_len > c->in_cap ||
		    c->len > 64 * 1024 || (c->waiting && !c->reply))
			abort();
	}
}

static void fz_turn(void)
{
	monitor_run_once(fz_mon, 0);
	fz_check_bounds();
}

static const char *const fz_reqs[] = {
	"{\"method\":\"status\"}\n",
	"{\"method\":\"flows\",\"args\":{\"app\":\"whats\\u0000app\"}}\n",
	"{\"method\":\"reload\"}\n",
	"{\"method\":\"apps\",\"args\":{\"category\":\"x\\ny\"}}\n",
	"{\"method\":\"apps\"}\n",
	"{\"method\":\"nope\"}\n",
	"{\"method\":\"status\"}",	/* no newline */
	"\n\n\n",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char flood[64 * 1024];
	size_t i = 0, k, n;
	int turns;

	if (!fz_mon) {
		fz_init();
		for (k = 0; k + 20 <= sizeof(flood); k += 20)
			memcpy(flood + k, "{\"method\":\"status\"}\n", 20);
	}
	fz_reload_done = 0;
	while (i < size) {
		uint8_t op = data[i] & 15, arg = i + 1 < size ? data[i + 1] : 0;
		struct fz_client *cl = &fz_cl[(data[i] >> 4) & (FZ_CLIENTS - 1)];

		i += 2;
		switch (op) {
		case 0: fz_connect(cl); break;
		case 1: fz_send(cl, fz_reqs[arg % 8], strlen(fz_reqs[arg % 8])); break;
		case 2:	/* raw bytes from the input */
			n = i < size ? size - i : 0;
			n = arg < n ? arg : n;
			fz_send(cl, i < size ? data + i : data, n);
			i += n;
			break;
		case 3: fz_read(cl, (size_t)arg * 256 + 1); break;
		case 4: fz_read(cl, FZ_RECV_MAX); break;
		case 5: if (cl->fd >= 0) shutdown(cl->fd, SHUT_WR); break;
		case 6: fz_close(cl); break;
		case 7: fz_now += (uint64_t)arg * 100; break;	/* up to 25.5 s */
		case 8: fz_reload_done = 1; monitor_wake(fz_mon); break;
		case 9: fz_send(cl, flood, (size_t)arg * 256 + 20); break;
		case 10: fz_parts = 1 + arg % 64; break;
		default: fz_turn(); break;
		}
		fz_turn();
	}
	/* the clients go away: so must every connection */
	for (k = 0; k < FZ_CLIENTS; k++)
		fz_close(&fz_cl[k]);
	fz_reload_done = 1;
	for (turns = 0; turns < 64; turns++) {
		fz_turn();
		for (k = fz_mon->cfg.max_clients; k < fz_mon->n_slots; k++)
			if (fz_mon->clients[k].in_use)
				break;
		if (k == fz_mon->n_slots)
			return 0;
	}
	abort();
}
