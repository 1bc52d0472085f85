/* Parser for /proc/net/netfilter/nfnetlink_queue. The file is kernel text,
 * but it is still parsed as untrusted bytes through a cursor: a future
 * kernel adding fields or a truncated read must not make us misreport. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "json.h"
#include "nfqstat.h"

#define NFQSTAT_FIELDS 9

static void nfqstat_skip_blanks(struct cursor *c)
{
	const uint8_t *p;

	while ((p = cur_peek(c, 1)) && (*p == ' ' || *p == '\t'))
		cur_pull(c, 1);
}

/* One decimal field; -1 on no digits or overflow of 64 bits. */
static int nfqstat_number(struct cursor *c, uint64_t *v)
{
	const uint8_t *p;
	uint64_t n = 0;
	unsigned digits = 0;

	nfqstat_skip_blanks(c);
	while ((p = cur_peek(c, 1)) && *p >= '0' && *p <= '9') {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
		cur_pull(c, 1);
		digits++;
	}
	*v = n;
	return digits ? 0 : -1;
}

static bool nfqstat_fits32(const uint64_t *f)
{
	return f[0] <= UINT32_MAX && f[1] <= UINT32_MAX && f[2] <= UINT32_MAX &&
	       f[3] <= UINT32_MAX && f[4] <= UINT32_MAX;
}

/* Parses one line (without its newline); 0 if it held a queue entry. */
static int nfqstat_line(const uint8_t *line, size_t len, struct nfqstat_queue *q)
{
	struct cursor c;
	uint64_t f[NFQSTAT_FIELDS];
	unsigned i;

	cur_init(&c, line, len);
	for (i = 0; i < NFQSTAT_FIELDS; i++)
		if (nfqstat_number(&c, &f[i]) < 0)
			return -1;
	nfqstat_skip_blanks(&c);
	if (c.len || !nfqstat_fits32(f))
		return -1;
	q->queue = (uint32_t)f[0];
	q->portid = (uint32_t)f[1];
	q->waiting = (uint32_t)f[2];
	q->copy_mode = (uint32_t)f[3];
	q->copy_range = (uint32_t)f[4];
	q->dropped = f[5];
	q->user_dropped = f[6];
	q->id_sequence = f[7];
	return 0;
}

unsigned nfqstat_parse(const char *buf, size_t len, struct nfqstat_queue *out, unsigned max,
		       unsigned *bad)
{
	struct cursor c;
	unsigned n = 0, nbad = 0;

	cur_init(&c, buf, len);
	while (c.len) {
		const uint8_t *nl = memchr(c.p, '\n', c.len);
		size_t ll = nl ? (size_t)(nl - c.p) : c.len;
		const uint8_t *line = cur_pull(&c, ll);

		cur_pull(&c, nl ? 1 : 0);
		if (!ll)
			continue;
		if (n < max && nfqstat_line(line, ll, &out[n]) == 0)
			n++;
		else
			nbad++;
	}
	if (bad)
		*bad = nbad;
	return n;
}

int nfqstat_read(const char *path, struct nfqstat_queue *out, unsigned max)
{
	static const size_t cap = NFQSTAT_FILE_MAX;
	char buf[NFQSTAT_FILE_MAX];
	size_t len = 0;
	ssize_t r;
	int fd;

	fd = open(path ? path : NFQSTAT_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* proc files hand out a page per read: loop until EOF or full */
	while (len < cap && (r = read(fd, buf + len, cap - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	return (int)nfqstat_parse(buf, len, out, max, NULL);
}

/* kernel counters are unsigned 64 bits; JSON readers take int64 */
static void nfqstat_kv(yajl_gen g, const char *k, unsigned long long v)
{
	json_kv_int(g, k, (long long)(v > INT64_MAX ? INT64_MAX : v));
}

void nfqstat_json(yajl_gen g, const char *path)
{
	struct nfqstat_queue q[NFQSTAT_QUEUES_MAX];
	int i, n = nfqstat_read(path, q, NFQSTAT_QUEUES_MAX);

	json_key(g, "kernel_queues");
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		nfqstat_kv(g, "queue", q[i].queue);
		nfqstat_kv(g, "portid", q[i].portid);
		nfqstat_kv(g, "waiting", q[i].waiting);
		nfqstat_kv(g, "dropped", q[i].dropped);
		nfqstat_kv(g, "user_dropped", q[i].user_dropped);
		nfqstat_kv(g, "id_sequence", q[i].id_sequence);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}
