/* Flow records as JSON (jsonw), with the Netify Agent's field names where
 * the meaning is the same (see man/netify-json.7 for every field). */
#include <stdio.h>
#include <string.h>

#include "dnscache.h"
#include "engine.h"
#include "flowjson.h"
#include "meta.h"
#include "util.h"

static void kv_ip(struct jsonw *w, const char *name, size_t len, int family, const uint8_t *addr)
{
	char buf[64];

	__jsonw_name(w, name, len);
	jsonw_cstr(w, util_ntop(family, addr, buf, sizeof(buf)));
}

static const char hexdigits[] = "0123456789abcdef";

/* Hex without printf: this runs for every MAC of every flow record. */
static void kv_hex(struct jsonw *w, const char *name, size_t len, const uint8_t *b, size_t n, char sep)
{
	char buf[3 * 32];
	size_t i, o = 0;

	for (i = 0; i < n && i < 32; i++) {
		if (i && sep)
			buf[o++] = sep;
		buf[o++] = hexdigits[b[i] >> 4];
		buf[o++] = hexdigits[b[i] & 15];
	}
	__jsonw_name(w, name, len);
	jsonw_str(w, buf, o);
}

static void kv_u16hex(struct jsonw *w, const char *name, size_t len, uint16_t v)
{
	char buf[6] = { '0', 'x', hexdigits[v >> 12], hexdigits[v >> 8 & 15], hexdigits[v >> 4 & 15],
			hexdigits[v & 15] };

	__jsonw_name(w, name, len);
	jsonw_str(w, buf, sizeof(buf));
}

static void flowjson_names_list(struct jsonw *w, const char *name, size_t len, const char *list)
{
	const char *p = list;

	__jsonw_name(w, name, len);
	jsonw_array_open(w);
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n)
			jsonw_str(w, p, n);
		p += n + (p[n] == ',');
	}
	jsonw_array_close(w);
}

static void flowjson_ssl(struct jsonw *w, const struct flow_meta *m)
{
	jsonw_name(w, "ssl");
	jsonw_map_open(w);
	if (m->tls_version)
		kv_u16hex(w, JSONW_NAME("version"), m->tls_version);
	if (m->tls_cipher)
		kv_u16hex(w, JSONW_NAME("cipher_suite"), m->tls_cipher);
	jsonw_kv_str(w, "client_sni", m->host);
	jsonw_kv_str(w, "alpn", m->alpn);
	jsonw_kv_str(w, "client_ja3", m->ja3_client);
	jsonw_kv_str(w, "server_ja3", m->ja3_server);
	jsonw_kv_str(w, "subject_dn", m->cert_subject);
	jsonw_kv_str(w, "issuer_dn", m->cert_issuer);
	if (m->cert_names)
		flowjson_names_list(w, JSONW_NAME("alt_names"), m->cert_names);
	if (m->cert_sha1)
		kv_hex(w, JSONW_NAME("cert_fingerprint"), m->cert_sha1, 20, ':');
	jsonw_map_close(w);
}

static void flowjson_http(struct jsonw *w, const struct flow_meta *m)
{
	jsonw_name(w, "http");
	jsonw_map_open(w);
	jsonw_kv_str(w, "host", m->host);
	jsonw_kv_str(w, "url", m->http_url);
	jsonw_kv_str(w, "user_agent", m->http_user_agent);
	jsonw_kv_str(w, "content_type", m->http_content_type);
	if (m->http_status)
		jsonw_kv_int(w, "status", m->http_status);
	jsonw_map_close(w);
}

static void flowjson_dns(struct jsonw *w, const char *name, size_t len, const struct flow_meta *m)
{
	unsigned i;

	__jsonw_name(w, name, len);
	jsonw_map_open(w);
	jsonw_kv_str(w, "query", m->host);
	if (m->dns) {
		jsonw_kv_int(w, "type", m->dns->qtype);
		if (m->dns->is_response) {
			jsonw_kv_int(w, "rcode", m->dns->rcode);
			jsonw_name(w, "answers");
			jsonw_array_open(w);
			for (i = 0; i < m->dns->n_answers; i++)
				jsonw_cstr(w, m->dns->answers[i]);
			jsonw_array_close(w);
		}
	}
	jsonw_map_close(w);
}

static void flowjson_meta(struct jsonw *w, const struct flow_meta *m)
{
	if (m->is_tls)
		flowjson_ssl(w, m);
	if (m->is_http || m->http_url || m->http_user_agent)
		flowjson_http(w, m);
	if (m->is_dns)
		flowjson_dns(w, JSONW_NAME("dns"), m);
	if (m->is_mdns)
		flowjson_dns(w, JSONW_NAME("mdns"), m);
	if (m->is_dhcp) {
		jsonw_name(w, "dhcp");
		jsonw_map_open(w);
		jsonw_kv_str(w, "fingerprint", m->dhcp_fingerprint);
		jsonw_kv_str(w, "class_ident", m->dhcp_class_ident);
		jsonw_kv_str(w, "hostname", m->host);
		jsonw_map_close(w);
	}
	if (m->is_ssh) {
		jsonw_name(w, "ssh");
		jsonw_map_open(w);
		jsonw_kv_str(w, "client", m->ssh_client);
		jsonw_kv_str(w, "server", m->ssh_server);
		jsonw_map_close(w);
	}
	if (m->is_bt && m->bt_info_hash) {
		jsonw_name(w, "bt");
		jsonw_map_open(w);
		kv_hex(w, JSONW_NAME("info_hash"), m->bt_info_hash, 20, 0);
		jsonw_map_close(w);
	}
}

void __flowjson_kv_mac(struct jsonw *w, const char *name, size_t len, const uint8_t *mac)
{
	kv_hex(w, name, len, mac, 6, ':');
}

static void flowjson_mac(struct jsonw *w, const char *name, size_t len, const uint8_t *mac)
{
	static const uint8_t none[6];

	/* Cooked captures know only one side's address. */
	if (memcmp(mac, none, 6))
		__flowjson_kv_mac(w, name, len, mac);
}

static void flowjson_detection(struct jsonw *w, struct engine *e, const struct flow *f)
{
	const char *app = engine_app_tag(e, f);
	uint8_t srv = (uint8_t)!f->init_side;

	jsonw_kv_int(w, "detected_protocol", f->proto_master);
	jsonw_kv_str(w, "detected_protocol_name", engine_proto_name(e, f->proto_master));
	jsonw_kv_int(w, "detected_application", f->app_id >= 0 ? f->app_id : 0);
	jsonw_kv_str(w, "detected_application_name", app ? app : "unknown");
	if (f->proto_app != f->proto_master)
		jsonw_kv_str(w, "detected_app_protocol_name", engine_proto_name(e, f->proto_app));
	/* nDPI's own application, which the catalog's coarser one may have
	 * replaced above (GoogleServices, Teams), and the one it names by the
	 * server's address: a rule matches either (netify.5). */
	if (engine_ndpi_app(f)) {
		jsonw_kv_int(w, "ndpi_application", engine_ndpi_app(f));
		jsonw_kv_str(w, "ndpi_application_name", engine_proto_name(e, engine_ndpi_app(f)));
	}
	if (f->proto_ip)
		jsonw_kv_str(w, "ndpi_address_application_name", engine_proto_name(e, f->proto_ip));
	jsonw_kv_str(w, "detection_source", flow_source_name((enum flow_source)f->source));
	if (f->source == FLOW_SRC_DNS && engine_dnscache(e))
		jsonw_kv_str(w, "dns_host_name", dnscache_lookup(engine_dnscache(e), f->key.family,
								 f->key.addr[srv], f->last_seen / 1000));
	jsonw_kv_bool(w, "detection_guessed", f->guessed);
	jsonw_kv_int(w, "detection_packets", f->detection_packets);
	jsonw_kv_str(w, "detection_end", flow_end_name((enum flow_end)f->end_reason));
}

void flowjson_open(struct jsonw *w, struct engine *e, const struct flow *f)
{
	uint8_t l = engine_local_side(e, f), o = (uint8_t)!l;
	struct flow_meta m;

	jsonw_map_open(w);
	jsonw_kv_str(w, "type", "flow");
	jsonw_name(w, "flow");
	jsonw_map_open(w);
	jsonw_kv_int(w, "flow_id", f->id);
	jsonw_kv_int(w, "ip_version", f->key.family);
	jsonw_kv_int(w, "ip_protocol", f->key.proto);
	jsonw_kv_int(w, "vlan_id", f->key.vlan);
	kv_ip(w, JSONW_NAME("local_ip"), f->key.family, f->key.addr[l]);
	jsonw_kv_int(w, "local_port", f->key.port[l]);
	kv_ip(w, JSONW_NAME("other_ip"), f->key.family, f->key.addr[o]);
	jsonw_kv_int(w, "other_port", f->key.port[o]);
	if (f->has_mac) {
		flowjson_mac(w, JSONW_NAME("local_mac"), f->mac[l]);
		flowjson_mac(w, JSONW_NAME("other_mac"), f->mac[o]);
	}
	jsonw_kv_bool(w, "local_origin", l == f->init_side);
	flowjson_detection(w, e, f);
	jsonw_kv_str(w, "host_server_name", f->host[0] ? f->host : NULL);
	jsonw_kv_int(w, "first_seen_at", (long long)f->first_seen);
	jsonw_kv_int(w, "last_seen_at", (long long)f->last_seen);
	jsonw_kv_int(w, "local_packets", f->packets[l]);
	jsonw_kv_int(w, "other_packets", f->packets[o]);
	jsonw_kv_int(w, "local_bytes", (long long)f->bytes[l]);
	jsonw_kv_int(w, "other_bytes", (long long)f->bytes[o]);
	if (!engine_flow_meta(e, f, &m))
		flowjson_meta(w, &m);
}

void flowjson_close(struct jsonw *w)
{
	jsonw_map_close(w);
	jsonw_map_close(w);
}
