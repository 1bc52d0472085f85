/* Kernel NFQUEUE counters from /proc/net/netfilter/nfnetlink_queue.
 *
 * One line per bound queue, nine decimal fields:
 *   queue_number peer_portid queue_total copy_mode copy_range
 *   queue_dropped queue_user_dropped id_sequence 1
 * queue_dropped counts packets the kernel dropped (or, with fail-open,
 * accepted) because the queue was full; queue_user_dropped counts those
 * lost because netlink could not deliver them to us (ENOBUFS).
 */
#ifndef NETIFY_NFQSTAT_H
#define NETIFY_NFQSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#define NFQSTAT_PATH "/proc/net/netfilter/nfnetlink_queue"
#define NFQSTAT_FILE_MAX 65536	/* bytes read from the proc file */

struct nfqstat_queue {
	uint32_t queue;
	uint32_t portid;
	uint32_t waiting;	/* queue_total: packets waiting for a verdict */
	uint32_t copy_mode;
	uint32_t copy_range;
	uint64_t dropped;	/* queue full */
	uint64_t user_dropped;	/* netlink delivery failed */
	uint64_t id_sequence;
};

/**
 * nfqstat_parse - parse the proc file's text (need not be NUL-terminated)
 * into at most @max entries. Malformed lines are skipped and counted in
 * *@bad (may be NULL). Returns the number of entries stored.
 */
unsigned nfqstat_parse(const char *buf, size_t len, struct nfqstat_queue *out, unsigned max,
		       unsigned *bad);

/** nfqstat_read - read and parse @path (NULL: NFQSTAT_PATH); -1 if unreadable */
int nfqstat_read(const char *path, struct nfqstat_queue *out, unsigned max);

/**
 * nfqstat_json - "kernel_queues":[{queue,portid,waiting,dropped,
 * user_dropped,id_sequence}...] as a member of an open map (agent_status,
 * control status); an empty array when the file cannot be read.
 */
#define NFQSTAT_QUEUES_MAX 64
void nfqstat_json(yajl_gen g, const char *path);

#endif
