/* The files the monitor writes on its io thread: json_save's status.json
 * and flows.json, and the unknown-flow captures it is handed
 * (monitor_capture). Each file appears whole: written aside, then renamed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "monitor_int.h"

/* ---- json_save ---- */

/* Writes dir/name through a temporary file and rename(), so readers see the
 * old file or the new one, never half of one. */
int mon_save_file(const char *dir, const char *name, const unsigned char *buf, size_t len,
		  bool newline)
{
	char tmp[4096], path[4096];
	ssize_t w;
	int fd, r = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	while (len && (w = write(fd, buf, len)) != 0) {
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		buf += w;
		len -= (size_t)w;
	}
	if (!len && (!newline || write(fd, "\n", 1) == 1) && close(fd) == 0) {
		fd = -1;
		r = rename(tmp, path);
	}
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlink(tmp);
	return r;
}

void mon_save_flows(struct monitor *m)
{
	const unsigned char *buf;
	size_t len;
	yajl_gen g = mon_msg_open("flows");

	if (!g)
		goto out_error;
	json_key(g, "flows");
	yajl_gen_array_open(g);
	if (m->ops.flows)
		m->ops.flows(m->ctx, g);
	yajl_gen_array_close(g);
	if (mon_msg_close(g, &buf, &len) == 0 &&
	    mon_save_file(m->cfg.json_save_dir, "flows.json", buf, len, true) == 0) {
		yajl_gen_free(g);
		return;
	}
	yajl_gen_free(g);
out_error:
	CNT_ADD(m, json_save_errors, 1);
}

/* ---- unknown-flow captures ---- */

uint32_t mon_cap_slots(const struct monitor_cfg *c)
{
	if (c->capture_max_files < 8)
		return 8;
	return c->capture_max_files < MON_CAP_SLOTS_MAX ? c->capture_max_files : MON_CAP_SLOTS_MAX;
}

int monitor_capture(struct monitor *m, uint32_t flow_id, const uint8_t *file, size_t len)
{
	uint64_t ticket;
	uint8_t *slot;

	if (!m->cap_ring)
		return -1;
	if (len > m->cfg.capture_max_bytes)
		goto out_skip;
	if (atomic_fetch_add(&m->cap_claimed, 1) >= m->cfg.capture_max_files)
		goto out_skip;
	slot = evring_reserve(m->cap_ring, &ticket);
	if (!slot) {
		atomic_fetch_sub(&m->cap_claimed, 1);	/* no file: give the place back */
		goto out_skip;
	}
	memcpy(slot, &flow_id, sizeof(flow_id));
	memcpy(slot + sizeof(flow_id), file, len);
	evring_commit(m->cap_ring, ticket, sizeof(flow_id) + len);
	mon_kick(m);
	return 0;

out_skip:
	atomic_fetch_add_explicit(&m->cap_skipped, 1, memory_order_relaxed);
	return -1;
}

static void mon_capture_write(struct monitor *m, const uint8_t *msg, size_t len)
{
	char name[64];
	uint32_t flow_id;

	memcpy(&flow_id, msg, sizeof(flow_id));
	/* flow ids are per worker and one drain writes several files in the
	 * same millisecond: the sequence number keeps two flows apart */
	snprintf(name, sizeof(name), "unknown-%u-%llu-%u.pcap", flow_id,
		 (unsigned long long)mon_now_ms(), ++m->cap_seq);
	if (mon_save_file(m->cfg.capture_dir, name, msg + sizeof(flow_id),
			  len - sizeof(flow_id), false) == 0)
		CNT_ADD(m, captures, 1);
	else
		atomic_fetch_add_explicit(&m->cap_skipped, 1, memory_order_relaxed);
}

void mon_capture_drain(struct monitor *m)
{
	const void *msg;
	size_t len;

	while (m->cap_ring && (msg = evring_peek(m->cap_ring, &len))) {
		mon_capture_write(m, msg, len);
		evring_pop(m->cap_ring);
	}
}
