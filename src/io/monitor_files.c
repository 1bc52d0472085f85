/* The files the monitor writes on its io thread: json_save's status.json
 * and flows.json, and the unknown-flow captures it is handed
 * (monitor_capture). Each file appears whole: written aside under a fresh
 * name, then renamed (sfile.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "monitor_int.h"
#include "sfile.h"

/* ---- json_save ---- */

/* Writes dir/name through a fresh temporary name and rename(), so readers
 * see the old file or the new one, never half of one; nothing planted in
 * the directory (a symlink at either name) is followed, and a directory
 * that others may write to is refused (sfile.h). The first failure is
 * logged with its reason, every one counted by the caller. */
int mon_save_file(struct monitor *m, const char *dir, const char *name, const unsigned char *buf,
		  size_t len, bool newline)
{
	char why[SFILE_WHY_LEN];
	struct sfile_tmp t;
	int err;

	if (sfile_tmp_open(&t, dir, name, 0640, why, sizeof(why)) < 0)
		goto out_log;
	if (sfile_write_all(t.fd, buf, len) < 0 || (newline && sfile_write_all(t.fd, "\n", 1) < 0)) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		sfile_tmp_abort(&t);
		goto out_log;
	}
	if (sfile_tmp_commit(&t, false) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", strerror(errno));
out_log:
	err = errno;
	log_once(&m->save_logged, LOG_WARNING, "monitor: cannot write %s/%s: %s (logged once)", dir, name,
		 why);
	errno = err;
	return -1;
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
	    mon_save_file(m, m->cfg.json_save_dir, "flows.json", buf, len, true) == 0) {
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
	if (mon_save_file(m, m->cfg.capture_dir, name, msg + sizeof(flow_id),
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
