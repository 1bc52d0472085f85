/* Flow records as JSON (yajl), with the Netify Agent's field names where
 * the meaning is the same. See man/netify-json.7 for every field. */
#include <stdio.h>
#include <string.h>

#include "dnscache.h"
#include "engine.h"
#include "flowjson.h"
#include "meta.h"
#include "util.h"

#define JSON_STR_MAX 4096	/* longer strings are cut (at a character boundary) */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_str(yajl_gen g, const char *s, size_t len)
{
	unsigned char buf[JSON_STR_MAX * 3 + 4];
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	if (len > JSON_STR_MAX)
		len = JSON_STR_MAX;
	/* Plain ASCII (most host names, all addresses) needs no repair. */
	while (i < len && p[i] < 0x80)
		i++;
	if (i == len) {
		yajl_gen_string(g, p, len);
		return;
	}
	memcpy(buf, p, i);
	o = i;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);

		if (n) {
			memcpy(buf + o, p + i, n);
			o += n;
			i += n;
		} else {	/* U+FFFD REPLACEMENT CHARACTER */
			buf[o++] = 0xef;
			buf[o++] = 0xbf;
			buf[o++] = 0xbd;
			i++;
		}
	}
	yajl_gen_string(g, buf, o);
}

void json_cstr(yajl_gen g, const char *s)
{
	json_str(g, s, strlen(s));
}

void json_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void json_kv_str(yajl_gen g, const char *key, const char *val)
{
	if (!val)
		return;
	json_key(g, key);
	json_cstr(g, val);
}

/* yajl_gen_integer() goes through printf; this runs ~20 times a record. */
void json_int(yajl_gen g, long long val)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = val < 0 ? 0ULL - (unsigned long long)val : (unsigned long long)val;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (val < 0)
		*--p = '-';
	yajl_gen_number(g, p, (size_t)(buf + sizeof(buf) - p));
}

void json_kv_int(yajl_gen g, const char *key, long long val)
{
	json_key(g, key);
	json_int(g, val);
}

void json_kv_bool(yajl_gen g, const char *key, int val)
{
	json_key(g, key);
	yajl_gen_bool(g, !!val);
}

void json_kv_ip(yajl_gen g, const char *key, int family, const uint8_t *addr)
{
	char buf[64], *p = buf;
	int i;

	if (family != 4) {
		json_kv_str(g, key, util_ntop(family, addr, buf, sizeof(buf)));
		return;
	}
	for (i = 0; i < 4; i++) {	/* dotted quad without printf */
		if (addr[i] >= 100)
			*p++ = (char)('0' + addr[i] / 100);
		if (addr[i] >= 10)
			*p++ = (char)('0' + addr[i] / 10 % 10);
		*p++ = (char)('0' + addr[i] % 10);
		*p++ = '.';
	}
	json_key(g, key);
	yajl_gen_string(g, (const unsigned char *)buf, (size_t)(p - buf - 1));
}

static const char hexdigits[] = "0123456789abcdef";

/* Hex without printf: this runs for every MAC of every flow record. */
static void kv_hex(yajl_gen g, const char *key, const uint8_t *b, size_t n, char sep)
{
	char buf[3 * 32];
	size_t i, o = 0;

	for (i = 0; i < n && i < 32; i++) {
		if (i && sep)
			buf[o++] = sep;
		buf[o++] = hexdigits[b[i] >> 4];
		buf[o++] = hexdigits[b[i] & 15];
	}
	json_key(g, key);
	yajl_gen_string(g, (const unsigned char *)buf, o);
}

static void kv_u16hex(yajl_gen g, const char *key, uint16_t v)
{
	char buf[6] = { '0', 'x', hexdigits[v >> 12], hexdigits[v >> 8 & 15], hexdigits[v >> 4 & 15],
			hexdigits[v & 15] };

	json_key(g, key);
	yajl_gen_string(g, (const unsigned char *)buf, sizeof(buf));
}

static void json_names_list(yajl_gen g, const char *key, const char *list)
{
	const char *p = list;

	json_key(g, key);
	yajl_gen_array_open(g);
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n)
			json_str(g, p, n);
		p += n + (p[n] == ',');
	}
	yajl_gen_array_close(g);
}

static void json_ssl(yajl_gen g, const struct flow_meta *m)
{
	json_key(g, "ssl");
	yajl_gen_map_open(g);
	if (m->tls_version)
		kv_u16hex(g, "version", m->tls_version);
	if (m->tls_cipher)
		kv_u16hex(g, "cipher_suite", m->tls_cipher);
	json_kv_str(g, "client_sni", m->host);
	json_kv_str(g, "alpn", m->alpn);
	json_kv_str(g, "client_ja3", m->ja3_client);
	json_kv_str(g, "server_ja3", m->ja3_server);
	json_kv_str(g, "subject_dn", m->cert_subject);
	json_kv_str(g, "issuer_dn", m->cert_issuer);
	if (m->cert_names)
		json_names_list(g, "alt_names", m->cert_names);
	if (m->cert_sha1)
		kv_hex(g, "cert_fingerprint", m->cert_sha1, 20, ':');
	yajl_gen_map_close(g);
}

static void json_http(yajl_gen g, const struct flow_meta *m)
{
	json_key(g, "http");
	yajl_gen_map_open(g);
	json_kv_str(g, "host", m->host);
	json_kv_str(g, "url", m->http_url);
	json_kv_str(g, "user_agent", m->http_user_agent);
	json_kv_str(g, "content_type", m->http_content_type);
	if (m->http_status)
		json_kv_int(g, "status", m->http_status);
	yajl_gen_map_close(g);
}

static void json_dns(yajl_gen g, const char *key, const struct flow_meta *m)
{
	unsigned i;

	json_key(g, key);
	yajl_gen_map_open(g);
	json_kv_str(g, "query", m->host);
	if (m->dns) {
		json_kv_int(g, "type", m->dns->dns_qtype);
		if (m->dns->dns_is_response) {
			json_kv_int(g, "rcode", m->dns->dns_rcode);
			json_key(g, "answers");
			yajl_gen_array_open(g);
			for (i = 0; i < m->dns->n_dns_answers; i++)
				json_cstr(g, m->dns->dns_answers[i]);
			yajl_gen_array_close(g);
		}
	}
	yajl_gen_map_close(g);
}

static void json_meta(yajl_gen g, const struct flow_meta *m)
{
	if (m->is_tls)
		json_ssl(g, m);
	if (m->is_http || m->http_url || m->http_user_agent)
		json_http(g, m);
	if (m->is_dns)
		json_dns(g, "dns", m);
	if (m->is_mdns)
		json_dns(g, "mdns", m);
	if (m->is_dhcp) {
		json_key(g, "dhcp");
		yajl_gen_map_open(g);
		json_kv_str(g, "fingerprint", m->dhcp_fingerprint);
		json_kv_str(g, "class_ident", m->dhcp_class_ident);
		json_kv_str(g, "hostname", m->host);
		yajl_gen_map_close(g);
	}
	if (m->is_ssh) {
		json_key(g, "ssh");
		yajl_gen_map_open(g);
		json_kv_str(g, "client", m->ssh_client);
		json_kv_str(g, "server", m->ssh_server);
		yajl_gen_map_close(g);
	}
	if (m->is_bt && m->bt_info_hash) {
		json_key(g, "bt");
		yajl_gen_map_open(g);
		kv_hex(g, "info_hash", m->bt_info_hash, 20, 0);
		yajl_gen_map_close(g);
	}
}

static void json_mac(yajl_gen g, const char *key, const uint8_t *mac)
{
	static const uint8_t none[6];

	/* Cooked captures know only one side's address. */
	if (memcmp(mac, none, 6))
		kv_hex(g, key, mac, 6, ':');
}

static void json_detection(yajl_gen g, struct engine *e, const struct flow *f)
{
	const char *app = engine_app_tag(e, f);
	uint8_t srv = (uint8_t)!f->init_side;

	json_kv_int(g, "detected_protocol", f->proto_master);
	json_kv_str(g, "detected_protocol_name", engine_proto_name(e, f->proto_master));
	json_kv_int(g, "detected_application", f->app_id >= 0 ? f->app_id : 0);
	json_kv_str(g, "detected_application_name", app ? app : "unknown");
	if (f->proto_app != f->proto_master)
		json_kv_str(g, "detected_app_protocol_name", engine_proto_name(e, f->proto_app));
	json_kv_str(g, "detection_source", flow_source_name((enum flow_source)f->source));
	if (f->source == FLOW_SRC_DNS && engine_dnscache(e))
		json_kv_str(g, "dns_host_name", dnscache_lookup(engine_dnscache(e), f->key.family,
								 f->key.addr[srv], f->last_seen / 1000));
	json_kv_bool(g, "detection_guessed", f->guessed);
	json_kv_int(g, "detection_packets", f->detection_packets);
	json_kv_str(g, "detection_end", flow_end_name((enum flow_end)f->end_reason));
}

void flowjson_open(yajl_gen g, struct engine *e, const struct flow *f)
{
	uint8_t l = engine_local_side(e, f), o = (uint8_t)!l;
	struct flow_meta m;

	yajl_gen_map_open(g);
	json_kv_str(g, "type", "flow");
	json_key(g, "flow");
	yajl_gen_map_open(g);
	json_kv_int(g, "flow_id", f->id);
	json_kv_int(g, "ip_version", f->key.family);
	json_kv_int(g, "ip_protocol", f->key.proto);
	json_kv_int(g, "vlan_id", f->key.vlan);
	json_kv_ip(g, "local_ip", f->key.family, f->key.addr[l]);
	json_kv_int(g, "local_port", f->key.port[l]);
	json_kv_ip(g, "other_ip", f->key.family, f->key.addr[o]);
	json_kv_int(g, "other_port", f->key.port[o]);
	if (f->has_mac) {
		json_mac(g, "local_mac", f->mac[l]);
		json_mac(g, "other_mac", f->mac[o]);
	}
	json_kv_bool(g, "local_origin", l == f->init_side);
	json_detection(g, e, f);
	json_kv_str(g, "host_server_name", f->host[0] ? f->host : NULL);
	json_kv_int(g, "first_seen_at", (long long)f->first_seen);
	json_kv_int(g, "last_seen_at", (long long)f->last_seen);
	json_kv_int(g, "local_packets", f->packets[l]);
	json_kv_int(g, "other_packets", f->packets[o]);
	json_kv_int(g, "local_bytes", (long long)f->bytes[l]);
	json_kv_int(g, "other_bytes", (long long)f->bytes[o]);
	if (!engine_flow_meta(e, f, &m))
		json_meta(g, &m);
}

void flowjson_close(yajl_gen g)
{
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

yajl_gen json_gen_new(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g)
		yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	return g;
}
