/* Monitor stream benchmark.
 *
 *   monitor_bench [SECONDS]
 *
 * 1. publish cost: ns per monitor_publish() with no client;
 * 2. the highest rate (events/s, stepping up) that 1 and 10 reading clients
 *    sustain: two producer threads publish flow-sized events at the paced
 *    rate and every reader must get every event, with nothing refused;
 * 3. a stalled client (connected, never reads) beside one reader at half
 *    that rate, against the same run without it: the reader still gets
 *    everything, publish cost is unchanged, the stalled client is
 *    disconnected and counted.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define PRODUCERS 2
#define READERS_MAX 10

#define HIST 40	/* log2 ns buckets */

struct bench {
	struct monitor *m;
	const char *path;
	_Atomic int stop;
	unsigned rate;		/* events/s over all producers; 0 = unpaced */
	uint64_t t0;
	_Atomic uint64_t published, refused, publish_ns;
	_Atomic uint64_t hist[HIST];
	char event[1024];
	size_t event_len;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void make_event(struct bench *b)
{
	b->event_len = (size_t)snprintf(b->event, sizeof(b->event),
		"{\"type\":\"flow\",\"flow\":{\"flow_id\":123456,\"ip_version\":4,\"ip_protocol\":6,"
		"\"vlan_id\":0,\"local_ip\":\"192.168.1.50\",\"local_port\":51234,"
		"\"other_ip\":\"157.240.17.52\",\"other_port\":443,\"local_mac\":\"aa:bb:cc:dd:ee:ff\","
		"\"local_origin\":true,\"detected_protocol\":91,\"detected_protocol_name\":\"TLS\","
		"\"detected_application\":142,\"detected_application_name\":\"whatsapp\","
		"\"detection_source\":\"sni\",\"detection_guessed\":false,\"detection_packets\":6,"
		"\"detection_end\":\"classified\",\"host_server_name\":\"mmg.whatsapp.net\","
		"\"first_seen_at\":1764190000000,\"last_seen_at\":1764190000250,\"local_packets\":4,"
		"\"other_packets\":3,\"local_bytes\":1187,\"other_bytes\":5120,\"ssl\":{"
		"\"version\":\"0x0304\",\"cipher_suite\":\"0x1301\",\"client_sni\":\"mmg.whatsapp.net\","
		"\"alpn\":[\"h2\"]},\"device\":\"kid_phone\",\"rule\":\"No WhatsApp\","
		"\"action\":\"block\",\"class\":null}}");
}

static unsigned log2_bucket(uint64_t v)
{
	unsigned b = 0;

	while (v >>= 1)
		b++;
	return b < HIST ? b : HIST - 1;
}

/* Sleeps while this producer's k-th event is ahead of the paced rate. */
static void pace(const struct bench *b, uint64_t k)
{
	uint64_t due, now;

	if (!b->rate)
		return;
	due = b->t0 + k * PRODUCERS * 1000000000u / b->rate;
	now = now_ns();
	if (due > now + 200000)
		usleep((useconds_t)((due - now) / 1000));
}

static void *producer(void *arg)
{
	struct bench *b = arg;
	uint64_t n = 0, refused = 0, total = 0, hist[HIST] = { 0 };
	unsigned i;

	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		uint64_t t0, dt;

		pace(b, n);
		t0 = now_ns();
		refused += monitor_publish(b->m, b->event, b->event_len) < 0;
		dt = now_ns() - t0;
		total += dt;
		hist[log2_bucket(dt)]++;
		n++;
	}
	atomic_fetch_add(&b->published, n);
	atomic_fetch_add(&b->refused, refused);
	atomic_fetch_add(&b->publish_ns, total);
	for (i = 0; i < HIST; i++)
		atomic_fetch_add(&b->hist[i], hist[i]);
	return NULL;
}

/* Upper bound (ns) under which a fraction q of publishes completed. */
static uint64_t quantile(struct bench *b, double q)
{
	uint64_t total = 0, acc = 0;
	unsigned i;

	for (i = 0; i < HIST; i++)
		total += b->hist[i];
	for (i = 0; i < HIST; i++) {
		acc += b->hist[i];
		if ((double)acc >= q * (double)total)
			return (uint64_t)2 << i;
	}
	return UINT64_MAX;
}

struct reader {
	struct bench *b;
	int fd;
	uint64_t lines;
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	static _Thread_local char buf[1 << 16];
	ssize_t n, i;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			r->lines += buf[i] == '\n';
	return NULL;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static void wait_clients(struct monitor *m, uint64_t n)
{
	struct monitor_stats st;

	do {
		usleep(1000);
		monitor_stats(m, &st);
	} while (st.clients < n);
}

struct result {
	double offered, accepted, per_reader, avg_ns;
	uint64_t p99_ns, p999_ns, refused, clients_dropped;
	int complete;		/* every reader got every accepted event */
};

static void start_readers(struct bench *b, struct reader *r, pthread_t *rt, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		r[i] = (struct reader){ b, connect_unix(b->path), 0 };
		pthread_create(&rt[i], NULL, reader, &r[i]);
	}
}

static void produce(struct bench *b, double secs)
{
	pthread_t pt[PRODUCERS];
	unsigned i;

	atomic_store(&b->stop, 0);
	b->published = b->refused = b->publish_ns = 0;
	memset((void *)b->hist, 0, sizeof(b->hist));
	b->t0 = now_ns();
	for (i = 0; i < PRODUCERS; i++)
		pthread_create(&pt[i], NULL, producer, b);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&b->stop, 1);
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(pt[i], NULL);
}

/* One run: `readers` reading clients plus `stalled` clients that never read. */
static struct result run(struct bench *b, unsigned readers, unsigned stalled, unsigned rate,
			 double secs)
{
	struct monitor_cfg c;
	struct reader r[READERS_MAX];
	pthread_t rt[READERS_MAX];
	struct monitor_stats st;
	struct result res = { 0 };
	int stall_fd[4] = { -1, -1, -1, -1 };
	uint64_t min_lines = UINT64_MAX;
	double el;
	unsigned i;

	monitor_cfg_defaults(&c);
	c.unix_path = b->path;
	c.status_interval_ms = 0;
	b->m = monitor_new(&c, NULL, NULL);
	if (!b->m || monitor_start(b->m) < 0) {
		perror("monitor");
		exit(1);
	}
	for (i = 0; i < stalled && i < 4; i++)
		stall_fd[i] = connect_unix(b->path);
	start_readers(b, r, rt, readers);
	wait_clients(b->m, readers + stalled);
	b->rate = rate;
	produce(b, secs);
	el = (double)(now_ns() - b->t0) / 1e9;
	usleep(300000);		/* let the readers drain */
	monitor_stats(b->m, &st);
	monitor_free(b->m);	/* EOF for the readers */
	for (i = 0; i < readers; i++) {
		pthread_join(rt[i], NULL);
		close(r[i].fd);
		if (r[i].lines - 2 < min_lines)
			min_lines = r[i].lines - 2;	/* minus hello, definitions */
	}
	for (i = 0; i < 4; i++)
		if (stall_fd[i] >= 0)
			close(stall_fd[i]);
	res.offered = (double)b->published / el;
	res.accepted = (double)st.events / el;
	res.per_reader = readers ? (double)min_lines / el : 0;
	res.avg_ns = (double)b->publish_ns / (double)(b->published ? b->published : 1);
	res.p99_ns = quantile(b, 0.99);
	res.p999_ns = quantile(b, 0.999);
	res.refused = st.events_dropped;
	res.clients_dropped = st.clients_slow;
	res.complete = readers && min_lines == st.events && !st.events_dropped;
	return res;
}

static void print(const char *what, const struct result *r)
{
	printf("%-34s offered %8.0f/s accepted %8.0f/s per reader %8.0f/s refused %llu; "
	       "publish avg %4.0f ns p99 <%llu ns p99.9 <%llu ns; clients dropped %llu\n", what,
	       r->offered, r->accepted, r->per_reader, (unsigned long long)r->refused, r->avg_ns,
	       (unsigned long long)r->p99_ns, (unsigned long long)r->p999_ns,
	       (unsigned long long)r->clients_dropped);
}

/* Steps the rate up until a run loses something; returns the last good one. */
static unsigned sustained(struct bench *b, unsigned readers, double secs)
{
	static const unsigned rates[] = { 25000, 50000, 100000, 150000, 200000, 300000, 400000,
					  600000, 800000 };
	unsigned i, best = 0;
	char what[64];

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct result r = run(b, readers, 0, rates[i], secs);

		snprintf(what, sizeof(what), "%u reader(s) at %u/s:", readers, rates[i]);
		print(what, &r);
		if (!r.complete || r.clients_dropped)
			break;
		best = rates[i];
	}
	return best;
}

int main(int argc, char **argv)
{
	static struct bench b;
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	unsigned one, ten;
	struct result r;
	char path[64];

	snprintf(path, sizeof(path), "/tmp/netify-bench-%d.sock", (int)getpid());
	b.path = path;
	make_event(&b);
	printf("event %zu bytes, %d producer threads, %.1f s per run\n", b.event_len, PRODUCERS,
	       secs);
	r = run(&b, 0, 0, 0, secs);
	print("no client, unpaced:", &r);
	one = sustained(&b, 1, secs);
	ten = sustained(&b, 10, secs);
	printf("sustained: 1 reader %u events/s, 10 readers %u events/s\n", one, ten);
	if (!one)
		return 1;
	/* half the sustained rate: headroom, so that only the stalled client
	 * can explain a difference between the two runs */
	r = run(&b, 1, 0, one / 2, secs);
	print("1 reader at half that rate:", &r);
	r = run(&b, 1, 1, one / 2, secs);
	print("same + 1 stalled client:", &r);
	printf("stalled client: %s\n", r.complete && r.clients_dropped == 1 ?
	       "disconnected and counted, reader got every event, nothing refused" :
	       "the reader beside it lost events");
	return 0;
}
