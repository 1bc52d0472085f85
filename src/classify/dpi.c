/* nDPI behind a small compat layer. This is the only file that includes
 * nDPI: every API difference between 4.2 and 5.x is handled here, selected
 * by the NDPI_* macros configure defines after probing the installed nDPI
 * (m4/netify_ndpi.m4).
 *
 * Built and tested against nDPI 4.2 (Debian), 4.8 (OpenWrt 23.05/24.10)
 * and 4.11-dev. nDPI 5.0 (OpenWrt master): no 5.0 source was at hand, so
 * its branches below (NDPI_GIVEUP_2, NDPI_HAVE_STATE,
 * NDPI_HAVE_NUM_PROTOCOLS) follow its published API and have never been
 * compiled; configure stops rather than guess when an API matches none of
 * the forms known here.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include <ndpi_api.h>

#include "dpi.h"
#include "log.h"

#define POOL_CHUNK 64	/* elements allocated at once when a pool is empty */

#define DPI_ALIGN 16	/* of every pool element */

/* A flow under inspection: netify's part, and nDPI's flow state, taken
 * from a second pool when nDPI is first given a packet (a TCP connection
 * picked up mid-stream can send bare ACKs for a long time: until its
 * first payload it costs this head alone, not nDPI's 0.7-1.2 KiB). */
struct dpi_flow {
	struct ndpi_flow_struct *nf;	/* NULL until dpi_process() */
	struct meta_extra extra;
};

/* malloc() guarantees 8 bytes on 32-bit targets, not 16: chunks come from
 * posix_memalign() so that mem[] and every element in it are aligned. */
struct dpi_chunk {
	struct dpi_chunk *next;
	uint8_t mem[] __attribute__((aligned(DPI_ALIGN)));
};

/* Fixed-size elements in chunks, reused through a free list kept in the
 * free elements' first bytes. */
struct dpi_pool {
	struct dpi_chunk *chunks;
	void *free_list;
	size_t size;		/* of an element, a multiple of DPI_ALIGN */
	uint64_t count;		/* elements allocated */
};

/* A detection module, shared by the struct dpi of several workers when the
 * owner trades some latency for memory (5.5-10 MiB per module): nDPI keeps
 * per-packet state and caches in the module, so a shared one is used under
 * its lock. Its protocol tables are read-only after init: names need no
 * lock. */
struct dpi_module {
	struct ndpi_detection_module_struct *mod;
	pthread_mutex_t lock;
	unsigned int refs;	/* changed only before the workers start */
	bool shared;		/* refs > 1: take the lock */
};

struct dpi {
	struct ndpi_detection_module_struct *mod;	/* == m->mod */
	struct dpi_module *m;
	struct dpi_pool heads;	/* struct dpi_flow */
	struct dpi_pool states;	/* struct ndpi_flow_struct */
	uint32_t max_flows, in_use;
	struct dpi_stats stats;
	int full_logged, nomem_logged;
};

/* ---- compat: the calls whose signatures changed between releases ---- */

static struct ndpi_detection_module_struct *compat_init(void)
{
	struct ndpi_detection_module_struct *mod;

	/* netify reads no flow risk: nDPI's risk address lists (1.1 MiB per
	 * module in 4.8, 2.8 MiB in 4.11) are not loaded where nDPI lets us
	 * say so (4.2 has no such switch) */
#ifdef NDPI_HAVE_GLOBAL_CTX
	mod = ndpi_init_detection_module(NULL);
#elif defined(NDPI_HAVE_PREF_NO_RISK_PTREE)
	mod = ndpi_init_detection_module(ndpi_dont_init_risk_ptree);
#else
	mod = ndpi_init_detection_module(ndpi_no_prefs);
#endif
	if (!mod)
		return NULL;
#ifdef NDPI_HAVE_SET_CONFIG
	if (ndpi_set_config(mod, NULL, "flow_risk_lists.load", "0") != NDPI_CFG_OK)
		log_msg(LOG_DEBUG, "nDPI: flow_risk_lists.load not accepted; risk lists stay loaded");
#endif
#ifdef NDPI_HAVE_BITMASK
	{
		NDPI_PROTOCOL_BITMASK all;

		NDPI_BITMASK_SET_ALL(all);
		ndpi_set_protocol_detection_bitmask2(mod, &all);
	}
#endif
#ifdef NDPI_FINALIZE_RETURNS_INT
	if (ndpi_finalize_initialization(mod) != 0) {
		ndpi_exit_detection_module(mod);
		return NULL;
	}
#else
	ndpi_finalize_initialization(mod);
#endif
	return mod;
}

static ndpi_protocol compat_process(struct ndpi_detection_module_struct *mod,
				    struct ndpi_flow_struct *f, const struct pkt *p, uint64_t ts_ms)
{
	/* nDPI takes an unsigned short length: a GSO super-packet is cut to
	 * what it can read, which is all inspection needs. */
	unsigned short len = p->l3_len > 0xffff ? 0xffff : (unsigned short)p->l3_len;

#ifdef NDPI_HAVE_INPUT_INFO
	return ndpi_detection_process_packet(mod, f, p->l3, len, ts_ms, NULL);
#else
	return ndpi_detection_process_packet(mod, f, p->l3, len, ts_ms);
#endif
}

static ndpi_protocol compat_giveup(struct ndpi_detection_module_struct *mod,
				   struct ndpi_flow_struct *f, uint8_t *guessed)
{
#if defined(NDPI_GIVEUP_HAS_ENABLE_GUESS)
	return ndpi_detection_giveup(mod, f, 1, guessed);
#elif defined(NDPI_GIVEUP_3)
	return ndpi_detection_giveup(mod, f, guessed);
#elif defined(NDPI_GIVEUP_2)
	/* 5.0 (published API, not compiled here): no guess flag; the flow's
	 * confidence says whether ports or addresses named it. */
	ndpi_protocol p = ndpi_detection_giveup(mod, f);

	*guessed = f->confidence == NDPI_CONFIDENCE_MATCH_BY_PORT ||
		   f->confidence == NDPI_CONFIDENCE_MATCH_BY_IP;
	return p;
#else
#error "configure found no ndpi_detection_giveup form (m4/netify_ndpi.m4)"
#endif
}

/* Whether nDPI has nothing more to collect on a flow it named. */
static int compat_done(struct ndpi_detection_module_struct *mod, struct ndpi_flow_struct *f,
		       const ndpi_protocol *p)
{
#if defined(NDPI_HAVE_EXTRA_DISSECTION)
	(void)p;
	return !ndpi_extra_dissection_possible(mod, f);
#elif defined(NDPI_HAVE_STATE)
	/* 5.0 (published API, not compiled here): the state replaces
	 * ndpi_extra_dissection_possible(); a dissector that still wants
	 * packets keeps extra_packets_func set. */
	(void)mod;
	return p->state == NDPI_STATE_CLASSIFIED && !f->extra_packets_func;
#else
#error "configure found neither ndpi_extra_dissection_possible nor ndpi_protocol.state"
#endif
}

static unsigned compat_num_protocols(struct ndpi_detection_module_struct *mod)
{
#ifdef NDPI_HAVE_NUM_PROTOCOLS
	return ndpi_get_num_protocols(mod);	/* 5.0 name */
#else
	return ndpi_get_num_supported_protocols(mod);
#endif
}

#ifdef NDPI_PROTOCOL_HAS_PROTO
#define PROTO_MASTER(p) ((p).proto.master_protocol)
#define PROTO_APP(p) ((p).proto.app_protocol)
#else
#define PROTO_MASTER(p) ((p).master_protocol)
#define PROTO_APP(p) ((p).app_protocol)
#endif
/* The application nDPI names by the server's address. From 4.6 nDPI keeps
 * it apart from the DPI result; 4.2 put it in app_protocol itself. */
#ifdef NDPI_HAVE_PROTOCOL_BY_IP
#define PROTO_BY_IP(p) ((p).protocol_by_ip)
#else
#define PROTO_BY_IP(p) ((void)(p), NDPI_PROTOCOL_UNKNOWN)
#endif

/* ---- pool ---- */

static struct ndpi_flow_struct *ndpi_of(const struct dpi_flow *df)
{
	return df->nf;
}

static void pool_init(struct dpi_pool *p, size_t size)
{
	memset(p, 0, sizeof(*p));
	p->size = (size + DPI_ALIGN - 1) & ~(size_t)(DPI_ALIGN - 1);
}

static void pool_fini(struct dpi_pool *p)
{
	struct dpi_chunk *c, *next;

	for (c = p->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	p->chunks = NULL;
	p->free_list = NULL;
}

/* A zeroed element; NULL when the pool cannot grow. */
static void *pool_get(struct dpi_pool *p)
{
	struct dpi_chunk *c;
	void *e;
	unsigned i;

	if (!p->free_list) {
		if (posix_memalign((void **)&c, DPI_ALIGN, sizeof(*c) + p->size * POOL_CHUNK))
			return NULL;
		c->next = p->chunks;
		p->chunks = c;
		for (i = 0; i < POOL_CHUNK; i++) {
			e = c->mem + i * p->size;
			*(void **)e = p->free_list;
			p->free_list = e;
		}
		p->count += POOL_CHUNK;
	}
	e = p->free_list;
	p->free_list = *(void **)e;
	memset(e, 0, p->size);
	return e;
}

static void pool_put(struct dpi_pool *p, void *e)
{
	*(void **)e = p->free_list;
	p->free_list = e;
}

/* ---- nDPI's memory while a module is built ----
 *
 * A module is tens of thousands of small allocations (patricia nodes and
 * prefixes, automaton nodes) kept for its whole life, where malloc adds
 * a header and rounds each to 16 bytes. While module_new() runs, the
 * thread building it takes nDPI's allocations from a bump arena instead:
 * 8-byte aligned, no header, in one reserve of untouched address space
 * (measured: 1.6 MiB less RSS per module with nDPI 4.8, 0.9 with 4.2). A
 * free of the latest piece gives it back; other frees into the arena are
 * ignored (a build frees little: the saving above is net of them). Every
 * other allocation, and all of them once the module is built, goes to
 * malloc; the arena is never unmapped (modules live as long as the
 * process). Under AddressSanitizer its leak checker is told to scan the
 * arena for pointers, as it scans the heap. */
#if defined(__SANITIZE_ADDRESS__)
#define DPI_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DPI_LSAN 1
#endif
#endif
#ifdef DPI_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define ARENA_RESERVE ((size_t)(sizeof(void *) >= 8 ? 256 : 48) << 20)

static struct {
	pthread_mutex_t lock;
	uint8_t *base;
	size_t used, size;
	void *last;
	size_t last_len;
} arena = { .lock = PTHREAD_MUTEX_INITIALIZER };
static __thread bool arena_on;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static void arena_reserve(void)
{
	void *p = mmap(NULL, ARENA_RESERVE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return;		/* modules then come from malloc */
	arena.base = p;
	arena.size = ARENA_RESERVE;
#ifdef DPI_LSAN
	__lsan_register_root_region(p, ARENA_RESERVE);
#endif
}

static void *arena_malloc(size_t n)
{
	size_t len = (n + 7) & ~(size_t)7;
	void *p = NULL;

	if (!arena_on || !len)
		return malloc(n);
	pthread_mutex_lock(&arena.lock);
	if (arena.base && arena.size - arena.used >= len) {
		p = arena.base + arena.used;
		arena.used += len;
		arena.last = p;
		arena.last_len = len;
	}
	pthread_mutex_unlock(&arena.lock);
	return p ? p : malloc(n);
}

static void arena_free(void *p)
{
	uint8_t *b = p;

	if (!arena.base || b < arena.base || b >= arena.base + arena.size) {
		free(p);
		return;
	}
	pthread_mutex_lock(&arena.lock);
	if (p == arena.last) {
		arena.used -= arena.last_len;
		arena.last = NULL;
	}
	pthread_mutex_unlock(&arena.lock);
}

/* A detection module built in the arena (see above). */
static struct ndpi_detection_module_struct *arena_init_module(void)
{
	struct ndpi_detection_module_struct *mod;

	pthread_once(&arena_once, arena_reserve);
	set_ndpi_malloc(arena_malloc);
	set_ndpi_free(arena_free);
	arena_on = true;
	mod = compat_init();
	arena_on = false;
	return mod;
}

static struct dpi_module *module_new(void)
{
	struct dpi_module *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (!(m->mod = arena_init_module())) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->refs = 1;
	return m;
}

static void module_put(struct dpi_module *m)
{
	if (!m || --m->refs)
		return;
	ndpi_exit_detection_module(m->mod);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static void module_lock(struct dpi_module *m)
{
	if (m->shared)
		pthread_mutex_lock(&m->lock);
}

static void module_unlock(struct dpi_module *m)
{
	if (m->shared)
		pthread_mutex_unlock(&m->lock);
}

struct dpi *dpi_new(uint32_t max_flows, struct dpi *share)
{
	struct dpi *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (share) {
		d->m = share->m;
		d->m->refs++;
		d->m->shared = true;
	} else if (!(d->m = module_new())) {
		free(d);
		return NULL;
	}
	d->mod = d->m->mod;
	pool_init(&d->heads, sizeof(struct dpi_flow));
	pool_init(&d->states, ndpi_detection_get_sizeof_ndpi_flow_struct());
	d->max_flows = max_flows;
	return d;
}

void dpi_free(struct dpi *d)
{
	if (!d)
		return;
	pool_fini(&d->heads);
	pool_fini(&d->states);
	module_put(d->m);
	free(d);
}

static void log_nomem(struct dpi *d)
{
	d->stats.flows_nomem++;
	log_once(&d->nomem_logged, LOG_ERR,
		 "out of memory for inspection states (%u in use): new flows are not inspected",
		 d->in_use);
}

struct dpi_flow *dpi_flow_new(struct dpi *d)
{
	struct dpi_flow *df;

	if (d->max_flows && d->in_use >= d->max_flows) {
		d->stats.flows_full++;
		log_once(&d->full_logged, LOG_WARNING,
			 "%u flows under inspection: new flows are not inspected until some finish",
			 d->max_flows);
		return NULL;
	}
	if (!(df = pool_get(&d->heads))) {
		log_nomem(d);
		return NULL;
	}
	d->stats.flows_pool = d->heads.count;
	d->in_use++;
	d->stats.flows_alloc++;
	return df;
}

bool dpi_flow_fed(const struct dpi_flow *df)
{
	return df->nf != NULL;
}

void dpi_flow_release(struct dpi *d, struct dpi_flow *df)
{
	if (!df)
		return;
	if (df->nf) {
		/* the strings nDPI allocated for this flow, not the flow */
		ndpi_free_flow_data(df->nf);
		pool_put(&d->states, df->nf);
	}
	pool_put(&d->heads, df);
	d->in_use--;
}

struct meta_extra *dpi_flow_extra(struct dpi_flow *df)
{
	return &df->extra;
}

/* ---- detection ---- */

static void fill_result(struct dpi_result *r, ndpi_protocol p)
{
	uint16_t master = PROTO_MASTER(p), app = PROTO_APP(p);

	/* nDPI says "TLS.WhatsApp" as master=TLS app=WhatsApp and plain "TLS"
	 * as master=0 app=TLS; normalise to master=wire, app=app-or-wire. */
	if (master == NDPI_PROTOCOL_UNKNOWN)
		master = app;
	if (app == NDPI_PROTOCOL_UNKNOWN)
		app = master;
	r->master = master;
	r->app = app;
	r->by_ip = PROTO_BY_IP(p);
	r->detected = app != NDPI_PROTOCOL_UNKNOWN;
}

/* nDPI <= 4.6 appends every payload of a flow it has not named to one TLS
 * reassembly buffer and waits for the record whose header starts it to
 * be complete. When that header is no TLS record header (content type 20
 * to 24, version 3.x, at most 2^14 bytes and 2,048 of expansion), the
 * flow is not TLS: nDPI would buffer up to the length the junk declares
 * (up to 64 KiB per flow, 10 MiB at the classify size) and then
 * stop reading TLS there. Said at once instead: the buffer is emptied
 * (its memory kept) and TLS excluded for the flow, as nDPI does for a
 * dissector that has ruled its protocol out. The same results on the
 * corpus, flow for flow. */
static void tls_junk_drop(struct ndpi_flow_struct *f)
{
#ifdef NDPI_TLS_ONE_BUFFER
	const uint8_t *b = f->l4.tcp.tls.message.buffer;

	if (b && f->l4.tcp.tls.message.buffer_used >= 5 &&
	    (b[0] < 20 || b[0] > 24 || b[1] != 3 || ((unsigned)b[3] << 8 | b[4]) > (1u << 14) + 2048)) {
		f->l4.tcp.tls.message.buffer_used = 0;
		NDPI_ADD_PROTOCOL_TO_BITMASK(f->excluded_protocol_bitmask, NDPI_PROTOCOL_TLS);
	}
#else
	(void)f;
#endif
}

void dpi_process(struct dpi *d, struct dpi_flow *df, const struct pkt *p, uint64_t ts_ms,
		 struct dpi_result *r)
{
	ndpi_protocol proto;
	int done;

	if (!df->nf && !(df->nf = pool_get(&d->states))) {
		log_nomem(d);
		memset(r, 0, sizeof(*r));
		r->nomem = 1;
		return;
	}
	module_lock(d->m);
	proto = compat_process(d->mod, ndpi_of(df), p, ts_ms);
	if (p->l4proto == IPPROTO_TCP)
		tls_junk_drop(ndpi_of(df));
	memset(r, 0, sizeof(*r));
	fill_result(r, proto);
	done = r->detected && compat_done(d->mod, ndpi_of(df), &proto);
	module_unlock(d->m);
	r->complete = done;
}

void dpi_giveup(struct dpi *d, struct dpi_flow *df, struct dpi_result *r)
{
	struct ndpi_flow_struct *f = ndpi_of(df);
	uint8_t guessed = 0;
	ndpi_protocol proto;

	memset(r, 0, sizeof(*r));
	r->complete = 1;
	if (!f)
		return;		/* nDPI never saw the flow: nothing to guess from */
	/* A protocol already found stands; giveup() only fills in the rest. */
	module_lock(d->m);
	proto = compat_giveup(d->mod, f, &guessed);
	module_unlock(d->m);
	fill_result(r, proto);
	r->guessed = guessed ? 1 : 0;
}

/* ---- metadata ---- */

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

static int is_tls_like(uint16_t id)
{
	return id == NDPI_PROTOCOL_TLS || id == NDPI_PROTOCOL_QUIC || id == NDPI_PROTOCOL_DTLS ||
	       id == NDPI_PROTOCOL_MAIL_IMAPS || id == NDPI_PROTOCOL_MAIL_POPS ||
	       id == NDPI_PROTOCOL_MAIL_SMTPS;
}

static void meta_tls(const struct ndpi_flow_struct *f, const struct meta_extra *x, struct flow_meta *m)
{
	static const uint8_t zero[20];

	m->is_tls = 1;
	m->tls_version = f->protos.tls_quic.ssl_version;
	m->tls_cipher = f->protos.tls_quic.server_cipher;
#ifdef NDPI_TLS_ALPN_FIELD
	m->alpn = nz(f->protos.tls_quic.NDPI_TLS_ALPN_FIELD);
#endif
	if (!m->alpn && x->text == META_TEXT_QUIC)
		m->alpn = nz(x->t->quic.alpn);
#ifdef NDPI_HAVE_JA3
	m->ja3_client = nz(f->protos.tls_quic.ja3_client);
	m->ja3_server = nz(f->protos.tls_quic.ja3_server);
#endif
	m->cert_subject = nz(f->protos.tls_quic.subjectDN);
	m->cert_issuer = nz(f->protos.tls_quic.issuerDN);
	m->cert_names = nz(f->protos.tls_quic.server_names);
	if (memcmp(f->protos.tls_quic.sha1_certificate_fingerprint, zero, 20))
		m->cert_sha1 = f->protos.tls_quic.sha1_certificate_fingerprint;
}

static void meta_proto(const struct dpi_flow *df, const struct ndpi_flow_struct *f, uint16_t id,
		       struct flow_meta *m)
{
	static const uint8_t zero[20];

	switch (id) {
	case NDPI_PROTOCOL_DNS:
	case NDPI_PROTOCOL_LLMNR:
		m->is_dns = 1;
		m->dns = df->extra.text == META_TEXT_DNS ? &df->extra.t->dns : NULL;
		break;
	case NDPI_PROTOCOL_MDNS:
		m->is_mdns = 1;
		m->dns = df->extra.text == META_TEXT_DNS ? &df->extra.t->dns : NULL;
		break;
	case NDPI_PROTOCOL_DHCP:
		m->is_dhcp = 1;
		m->dhcp_fingerprint = nz(f->protos.dhcp.fingerprint);
		m->dhcp_class_ident = nz(f->protos.dhcp.class_ident);
		break;
	case NDPI_PROTOCOL_SSH:
		m->is_ssh = 1;
		m->ssh_client = nz(f->protos.ssh.client_signature);
		m->ssh_server = nz(f->protos.ssh.server_signature);
		break;
	case NDPI_PROTOCOL_BITTORRENT:
		m->is_bt = 1;
		if (memcmp(f->protos.bittorrent.hash, zero, 20))
			m->bt_info_hash = f->protos.bittorrent.hash;
		break;
	default:
		break;
	}
}

void dpi_meta(const struct dpi_flow *df, const struct dpi_result *r, struct flow_meta *m)
{
	const struct ndpi_flow_struct *f = ndpi_of(df);

	memset(m, 0, sizeof(*m));
	if (!f)
		return;		/* nDPI never saw the flow */
	m->host = nz(f->host_server_name);
	if (!m->host && df->extra.text == META_TEXT_QUIC)	/* a ClientHello nDPI could not reassemble */
		m->host = nz(df->extra.t->quic.sni);
	/* protos is a union: read only the member the protocol filled. */
	if (is_tls_like(r->master) || is_tls_like(r->app))
		meta_tls(f, &df->extra, m);
	else
		meta_proto(df, f, r->master, m);
	m->is_http = r->master == NDPI_PROTOCOL_HTTP || r->app == NDPI_PROTOCOL_HTTP;
	m->http_url = nz(f->http.url);
	m->http_user_agent = nz(f->http.user_agent);
	m->http_content_type = nz(f->http.content_type);
	m->http_status = f->http.response_status_code;
	/* netify's own parse fills what nDPI did not keep. */
	if (df->extra.text == META_TEXT_HTTP) {
		if (!m->http_url)
			m->http_url = nz(df->extra.t->http.url);
		if (!m->http_user_agent)
			m->http_user_agent = nz(df->extra.t->http.user_agent);
	}
}

/* ---- names ---- */

const char *dpi_proto_name(const struct dpi *d, uint16_t id)
{
	const char *n = ndpi_get_proto_name(d->mod, id);

	return n ? n : "Unknown";
}

unsigned dpi_proto_count(const struct dpi *d)
{
	return compat_num_protocols(d->mod);
}

const struct dpi_stats *dpi_stats(const struct dpi *d)
{
	return &d->stats;
}

static struct ndpi_detection_module_struct *names_mod;
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_init(void)
{
	names_mod = compat_init();
}

int dpi_proto_by_name(const char *name)
{
	unsigned i, n;

	pthread_once(&names_once, names_init);
	if (!names_mod)
		return -1;
	n = compat_num_protocols(names_mod);
	for (i = 0; i < n; i++) {
		const char *pn = ndpi_get_proto_name(names_mod, (uint16_t)i);

		if (pn && !strcasecmp(pn, name))
			return (int)i;
	}
	return -1;
}

int dpi_proto_names_server(uint16_t id)
{
	return is_tls_like(id) || id == NDPI_PROTOCOL_HTTP || id == NDPI_PROTOCOL_HTTP_CONNECT ||
	       id == NDPI_PROTOCOL_HTTP_PROXY;
}

int dpi_proto_quic_id(void)
{
	return NDPI_PROTOCOL_QUIC;
}

int dpi_proto_is_quic(uint16_t id)
{
	return id == NDPI_PROTOCOL_QUIC;
}

int dpi_proto_is_tls(uint16_t id)
{
	return id == NDPI_PROTOCOL_TLS;
}

int dpi_proto_is_infrastructure(uint16_t id)
{
	switch (id) {
	case NDPI_PROTOCOL_DNS:
	case NDPI_PROTOCOL_MDNS:
	case NDPI_PROTOCOL_LLMNR:
	case NDPI_PROTOCOL_NTP:
	case NDPI_PROTOCOL_IP_ICMP:
	case NDPI_PROTOCOL_IP_ICMPV6:
	case NDPI_PROTOCOL_DHCP:
	case NDPI_PROTOCOL_DHCPV6:
	case NDPI_PROTOCOL_SSDP:
	case NDPI_PROTOCOL_NETBIOS:
	case NDPI_PROTOCOL_IP_IGMP:
		return 1;
	default:
		return 0;
	}
}

const char *dpi_version(void)
{
	return ndpi_revision();
}
