/* IPFIX message encoding: see ipfix.h. One table of fields per template
 * drives both the template record and the data records, so the two cannot
 * disagree. */
#include "config.h"

#include <string.h>

#include "ipfix.h"
#include "util.h"

/* What a field of a flow template carries. */
enum ipfix_val {
	V_SADDR4, V_DADDR4, V_SADDR6, V_DADDR6, V_SPORT, V_DPORT, V_PROTO,
	V_START, V_END, V_BYTES, V_PKTS, V_RBYTES, V_RPKTS, V_SMAC, V_DMAC, V_VLAN,
	V_BIDIR, V_ENDREASON, V_FWD, V_FWEVENT, V_APPID, V_FLOWID,
	V_APPNAME, V_CATEGORY, V_HOST,
	V_NDPI, V_ACTION, V_RULE, V_CLASS,	/* netify's own, under the PEN */
	__V_MAX
};

struct ipfix_field {
	uint16_t id;
	uint16_t len;		/* IPFIX_VARLEN: variable */
	uint8_t val;		/* enum ipfix_val */
	uint8_t pen;		/* 0: IANA, 1: RFC 5103 reverse, 2: netify's PEN */
};

enum { PEN_IANA, PEN_REV, PEN_OWN };

#define F(id, len, val) { id, len, val, PEN_IANA }

static const struct ipfix_field fields_v4[] = {
	F(8, 4, V_SADDR4), F(12, 4, V_DADDR4),
};
static const struct ipfix_field fields_v6[] = {
	F(27, 16, V_SADDR6), F(28, 16, V_DADDR6),
};
/* after the addresses, in both templates */
static const struct ipfix_field fields_common[] = {
	F(7, 2, V_SPORT), F(11, 2, V_DPORT), F(4, 1, V_PROTO),
	F(152, 8, V_START), F(153, 8, V_END),
	F(1, 8, V_BYTES), F(2, 8, V_PKTS),
	{ 1, 8, V_RBYTES, PEN_REV }, { 2, 8, V_RPKTS, PEN_REV },
	F(56, 6, V_SMAC), F(80, 6, V_DMAC), F(58, 2, V_VLAN),
	F(239, 1, V_BIDIR), F(136, 1, V_ENDREASON), F(89, 1, V_FWD), F(233, 1, V_FWEVENT),
	F(95, IPFIX_APPID_LEN, V_APPID), F(148, 8, V_FLOWID),
	F(96, IPFIX_VARLEN, V_APPNAME), F(372, IPFIX_VARLEN, V_CATEGORY),
	F(460, IPFIX_VARLEN, V_HOST),
};
/* netify's own elements, only with a configured PEN */
static const struct ipfix_field fields_own[] = {
	{ 1, IPFIX_VARLEN, V_NDPI, PEN_OWN }, { 2, 1, V_ACTION, PEN_OWN },
	{ 3, IPFIX_VARLEN, V_RULE, PEN_OWN }, { 4, IPFIX_VARLEN, V_CLASS, PEN_OWN },
};
/* the options template: scope applicationId, then name and description */
static const struct ipfix_field fields_apps[] = {
	F(95, IPFIX_APPID_LEN, V_APPID), F(96, IPFIX_APPNAME_LEN, V_APPNAME),
	F(94, IPFIX_APPDESC_LEN, V_CATEGORY),
};

#undef F

struct field_list {
	const struct ipfix_field *f;
	size_t n;
};

/* A flow template's fields as up to three runs of the tables above. */
static unsigned flow_fields(int family, uint32_t pen, struct field_list out[3])
{
	unsigned n = 0;

	out[n].f = family == 4 ? fields_v4 : fields_v6;
	out[n++].n = ARRAY_SIZE(fields_v4);
	out[n].f = fields_common;
	out[n++].n = ARRAY_SIZE(fields_common);
	if (pen) {
		out[n].f = fields_own;
		out[n++].n = ARRAY_SIZE(fields_own);
	}
	return n;
}

/* ---- bytes ---------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

size_t ipfix_utf8(uint8_t *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const uint8_t repl[3] = { 0xef, 0xbf, 0xbd };	/* U+FFFD */
	const unsigned char *s = (const unsigned char *)src, *from;
	size_t i = 0, o = 0, n, w;

	while (i < srclen) {
		if ((n = util_utf8_seq(s + i, srclen - i))) {
			from = s + i;
			w = n;
		} else {
			from = repl;
			w = sizeof(repl);
			n = 1;
		}
		if (o + w > dstlen)
			break;
		memcpy(dst + o, from, w);
		o += w;
		i += n;
	}
	return o;
}

/* Bytes of the UTF-8 form ipfix_utf8() writes, without a bound. */
static size_t utf8_len(const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n;

	while (i < srclen) {
		n = util_utf8_seq(s + i, srclen - i);
		o += n ? n : 3;
		i += n ? n : 1;
	}
	return o;
}

/* ---- messages ------------------------------------------------------- */

void ipfix_msg_reset(struct ipfix_msg *m)
{
	m->len = IPFIX_HDR_LEN;
	m->set_at = 0;
	m->set_id = 0;
	m->records = 0;
}

void ipfix_msg_init(struct ipfix_msg *m, uint8_t *buf, size_t cap)
{
	m->buf = buf;
	m->cap = cap > 65535 ? 65535 : cap;
	ipfix_msg_reset(m);
}

static void set_close(struct ipfix_msg *m)
{
	if (!m->set_at)
		return;
	put16(m->buf + m->set_at + 2, (uint16_t)(m->len - m->set_at));
	m->set_at = 0;
	m->set_id = 0;
}

/* Makes set id the open set, with room for need more bytes; -1 if none. */
static int set_want(struct ipfix_msg *m, uint16_t id, size_t need)
{
	if (m->set_at && m->set_id == id)
		return m->len + need <= m->cap ? 0 : -1;
	if (m->len + IPFIX_SET_HDR_LEN + need > m->cap)
		return -1;
	set_close(m);
	m->set_at = m->len;
	m->set_id = id;
	put16(m->buf + m->len, id);
	m->len += IPFIX_SET_HDR_LEN;
	return 0;
}

size_t ipfix_msg_header(struct ipfix_msg *m, uint32_t export_time, uint32_t seq, uint32_t domain)
{
	set_close(m);
	put16(m->buf, IPFIX_VERSION);
	put16(m->buf + 2, (uint16_t)m->len);
	put32(m->buf + 4, export_time);
	put32(m->buf + 8, seq);
	put32(m->buf + 12, domain);
	return m->len;
}

/* ---- templates ------------------------------------------------------ */

static size_t spec_len(const struct ipfix_field *f)
{
	return f->pen == PEN_IANA ? 4 : 8;
}

static uint8_t *put_spec(uint8_t *p, const struct ipfix_field *f, uint32_t pen)
{
	put16(p, (uint16_t)(f->id | (f->pen == PEN_IANA ? 0 : 0x8000)));
	put16(p + 2, f->len);
	if (f->pen == PEN_IANA)
		return p + 4;
	put32(p + 4, f->pen == PEN_REV ? IPFIX_PEN_REVERSE : pen);
	return p + 8;
}

static size_t flow_template_len(int family, uint32_t pen)
{
	struct field_list l[3];
	unsigned n = flow_fields(family, pen, l), i;
	size_t len = 4, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < l[i].n; j++)
			len += spec_len(&l[i].f[j]);
	return len;
}

static uint8_t *put_flow_template(uint8_t *p, int family, uint32_t pen)
{
	struct field_list l[3];
	unsigned n = flow_fields(family, pen, l), i;
	size_t count = 0, j;

	for (i = 0; i < n; i++)
		count += l[i].n;
	put16(p, family == 4 ? IPFIX_TID_V4 : IPFIX_TID_V6);
	put16(p + 2, (uint16_t)count);
	p += 4;
	for (i = 0; i < n; i++)
		for (j = 0; j < l[i].n; j++)
			p = put_spec(p, &l[i].f[j], pen);
	return p;
}

size_t ipfix_templates_len(uint32_t pen)
{
	return IPFIX_SET_HDR_LEN + flow_template_len(4, pen) + flow_template_len(6, pen) +
	       IPFIX_SET_HDR_LEN + 6 + 4 * ARRAY_SIZE(fields_apps);
}

int ipfix_msg_templates(struct ipfix_msg *m, uint32_t pen)
{
	uint8_t *p;
	size_t i;

	if (m->len + ipfix_templates_len(pen) > m->cap)
		return -1;
	set_want(m, IPFIX_SET_TEMPLATE, 0);
	p = put_flow_template(m->buf + m->len, 4, pen);
	p = put_flow_template(p, 6, pen);
	m->len = (size_t)(p - m->buf);
	set_want(m, IPFIX_SET_OPTIONS, 0);
	p = m->buf + m->len;
	put16(p, IPFIX_TID_APPS);
	put16(p + 2, ARRAY_SIZE(fields_apps));
	put16(p + 4, 1);	/* scope: applicationId */
	p += 6;
	for (i = 0; i < ARRAY_SIZE(fields_apps); i++)
		p = put_spec(p, &fields_apps[i], 0);
	m->len = (size_t)(p - m->buf);
	set_close(m);
	return 0;
}

/* ---- data records --------------------------------------------------- */

void ipfix_app_id(const struct export_record *r, uint8_t id[IPFIX_APPID_LEN])
{
	id[0] = r->app_id ? IPFIX_ENGINE_USER : IPFIX_ENGINE_PANA_L7;
	put32(id + 1, r->app_id ? r->app_id : r->ndpi_id);
}

const char *ipfix_app_name(const struct export_record *r)
{
	return r->app_id ? r->app_name : r->ndpi_name;
}

/* The string a variable-length field carries, and its length in r. */
static const char *field_str(const struct export_record *r, uint8_t val, size_t *len)
{
	const char *s;
	size_t max;

	switch (val) {
	case V_APPNAME: s = ipfix_app_name(r); max = EXPORT_NAME_MAX; break;
	case V_CATEGORY: s = r->app_id ? r->category : ""; max = sizeof(r->category); break;
	case V_HOST: s = r->host; max = sizeof(r->host); break;
	case V_NDPI: s = r->ndpi_name; max = sizeof(r->ndpi_name); break;
	case V_RULE: s = r->rule; max = sizeof(r->rule); break;
	case V_CLASS: s = r->action == EXPORT_ACTION_QOS ? r->qos_class : ""; max = sizeof(r->qos_class); break;
	default: s = ""; max = 0; break;
	}
	*len = strnlen(s, max);
	return s;
}

/* Length prefix (RFC 7011 section 7) plus the UTF-8 bytes. */
static size_t varlen_len(size_t n)
{
	return (n < 255 ? 1 : 3) + n;
}

size_t ipfix_record_len(const struct export_record *r, uint32_t pen)
{
	struct field_list l[3];
	unsigned n, i;
	size_t len = 0, j, sl;
	const char *s;

	if (r->family != 4 && r->family != 6)
		return 0;
	n = flow_fields(r->family, pen, l);
	for (i = 0; i < n; i++)
		for (j = 0; j < l[i].n; j++) {
			if (l[i].f[j].len != IPFIX_VARLEN) {
				len += l[i].f[j].len;
				continue;
			}
			s = field_str(r, l[i].f[j].val, &sl);
			len += varlen_len(utf8_len(s, sl));
		}
	return len;
}

/* Writes a variable-length string field; returns the bytes written. */
static size_t put_varlen(uint8_t *p, const char *s, size_t sl)
{
	size_t n = utf8_len(s, sl), hdr = n < 255 ? 1 : 3;

	if (hdr == 1) {
		p[0] = (uint8_t)n;
	} else {
		p[0] = 255;
		put16(p + 1, (uint16_t)n);
	}
	return hdr + ipfix_utf8(p + hdr, n, s, sl);
}

static uint8_t fwd_status(const struct export_record *r)
{
	return r->action == EXPORT_ACTION_BLOCK ? IPFIX_FWD_ACL_DENY : IPFIX_FWD_FORWARDED;
}

static uint8_t fw_event(const struct export_record *r)
{
	if (r->action == EXPORT_ACTION_BLOCK)
		return IPFIX_FW_DENIED;
	return r->end == EXPORT_END_ACTIVE ? IPFIX_FW_UPDATE : IPFIX_FW_DELETED;
}

/* Writes one fixed-length field; returns its length. */
static size_t put_fixed(uint8_t *p, const struct export_record *r, const struct ipfix_field *f)
{
	switch (f->val) {
	case V_SADDR4: memcpy(p, r->saddr, 4); break;
	case V_DADDR4: memcpy(p, r->daddr, 4); break;
	case V_SADDR6: memcpy(p, r->saddr, 16); break;
	case V_DADDR6: memcpy(p, r->daddr, 16); break;
	case V_SPORT: put16(p, r->sport); break;
	case V_DPORT: put16(p, r->dport); break;
	case V_PROTO: p[0] = r->proto; break;
	case V_START: put64(p, r->start_ms); break;
	case V_END: put64(p, r->end_ms); break;
	case V_BYTES: put64(p, r->bytes[0]); break;
	case V_PKTS: put64(p, r->packets[0]); break;
	case V_RBYTES: put64(p, r->bytes[1]); break;
	case V_RPKTS: put64(p, r->packets[1]); break;
	case V_SMAC: memcpy(p, r->smac, 6); break;
	case V_DMAC: memcpy(p, r->dmac, 6); break;
	case V_VLAN: put16(p, r->vlan); break;
	case V_BIDIR: p[0] = 1; break;	/* initiator: the source started the flow */
	case V_ENDREASON: p[0] = r->end; break;
	case V_FWD: p[0] = fwd_status(r); break;
	case V_FWEVENT: p[0] = fw_event(r); break;
	case V_APPID: ipfix_app_id(r, p); break;
	case V_FLOWID: put64(p, r->flow_id); break;
	case V_ACTION: p[0] = r->action < __EXPORT_ACTION_MAX ? r->action : 0; break;
	default: memset(p, 0, f->len); break;
	}
	return f->len;
}

int ipfix_msg_record(struct ipfix_msg *m, const struct export_record *r, uint32_t pen)
{
	size_t need = ipfix_record_len(r, pen), j, sl;
	struct field_list l[3];
	unsigned n, i;
	const char *s;
	uint8_t *p;

	if (!need || set_want(m, r->family == 4 ? IPFIX_TID_V4 : IPFIX_TID_V6, need))
		return -1;
	p = m->buf + m->len;
	n = flow_fields(r->family, pen, l);
	for (i = 0; i < n; i++)
		for (j = 0; j < l[i].n; j++) {
			const struct ipfix_field *f = &l[i].f[j];

			if (f->len != IPFIX_VARLEN) {
				p += put_fixed(p, r, f);
				continue;
			}
			s = field_str(r, f->val, &sl);
			p += put_varlen(p, s, sl);
		}
	m->len += need;
	m->records++;
	return 0;
}

/* A fixed-length string field: UTF-8, NUL-padded, at least one NUL at the
 * end so that readers that take it as a C string (nfdump) stop there. */
static void put_fixed_str(uint8_t *p, size_t len, const char *s)
{
	size_t n = ipfix_utf8(p, len - 1, s, strlen(s));

	memset(p + n, 0, len - n);
}

int ipfix_msg_app(struct ipfix_msg *m, const uint8_t id[IPFIX_APPID_LEN], const char *name,
		  const char *desc)
{
	uint8_t *p;

	if (set_want(m, IPFIX_TID_APPS, IPFIX_APP_RECORD_LEN))
		return -1;
	p = m->buf + m->len;
	memcpy(p, id, IPFIX_APPID_LEN);
	put_fixed_str(p + IPFIX_APPID_LEN, IPFIX_APPNAME_LEN, name);
	put_fixed_str(p + IPFIX_APPID_LEN + IPFIX_APPNAME_LEN, IPFIX_APPDESC_LEN, desc);
	m->len += IPFIX_APP_RECORD_LEN;
	m->records++;
	return 0;
}
