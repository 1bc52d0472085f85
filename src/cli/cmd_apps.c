/*
 * cmd_apps.c - `netify apps`: list the catalog, explain a lookup.
 *
 *   netify apps list [--category C] [--json] [--dir DIR]
 *   netify apps categories [--json] [--dir DIR]
 *   netify apps lookup HOST|IP [--json] [--dir DIR]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "apps.h"
#include "cmd.h"
#include "esc.h"
#include "json.h"

#define APPS_DEFAULT_DIR "/etc/netify/apps.d"

struct apps_opts {
	const char *dir;
	const char *category;
	int json;
};

static void cmd_apps_usage(FILE *out)
{
	fprintf(out,
		"usage: netify apps list [--category C] [--json] [--dir DIR]\n"
		"       netify apps categories [--json] [--dir DIR]\n"
		"       netify apps lookup HOST|IP [--json] [--dir DIR]\n"
		"Definitions are read from DIR/*.conf (default %s).\n",
		APPS_DEFAULT_DIR);
}

/* Parse options after the sub-command; returns the first operand index. */
static int cmd_apps_parse_opts(int argc, char **argv, struct apps_opts *o)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "category", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	o->dir = APPS_DEFAULT_DIR;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:c:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dir = optarg;
			break;
		case 'c':
			o->category = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			cmd_apps_usage(stdout);
			return -2;
		default:
			cmd_apps_usage(stderr);
			return -1;
		}
	}
	return optind;
}

/* Load errors are warnings here: the catalog is still usable without the
 * bad lines, exactly as the daemon would run with it. */
static struct apps_db *cmd_apps_open(const char *dir)
{
	static struct apps_errors errs;
	struct apps_db *db = apps_db_load(dir, &errs);
	unsigned int i;

	if (!db) {
		if (errs.count)	/* the first says why the load failed */
			fprintf(stderr, "netify apps: %s\n", esc(errs.msg[0]));
		else
			fprintf(stderr, "netify apps: %s: %m\n", esc(dir));
		return NULL;
	}
	for (i = 0; i < errs.count; i++)
		fprintf(stderr, "warning: %s\n", esc(errs.msg[i]));
	if (errs.dropped)
		fprintf(stderr, "warning: %u more errors\n", errs.dropped);
	return db;
}

static const char *cmd_apps_cat_tag(const struct apps_db *db, int cat)
{
	const struct apps_category *c = cat >= 0 ? apps_category_at(db, (size_t)cat) : NULL;

	return c ? c->tag : "";
}

static void cmd_apps_json_app(yajl_gen g, const struct apps_db *db,
			      const struct apps_app *a)
{
	yajl_gen_map_open(g);
	json_kv_int(g, "id", a->id);
	json_kv_str(g, "tag", a->tag);
	json_kv_str(g, "name", a->label);
	json_kv_str(g, "category", cmd_apps_cat_tag(db, a->category));
	yajl_gen_map_close(g);
}

static int cmd_apps_json_flush(yajl_gen g)
{
	json_gen_print(g, stdout);
	yajl_gen_free(g);
	return 0;
}

/* --json: a generator with the list's array open; NULL for a table. -1 if
 * out of memory. */
static int cmd_apps_array_open(const struct apps_opts *o, yajl_gen *g)
{
	*g = NULL;
	if (!o->json)
		return 0;
	if (!(*g = json_gen_new()))
		return -1;
	yajl_gen_array_open(*g);
	return 0;
}

/* Prints the JSON array; nothing for a table. */
static int cmd_apps_array_close(yajl_gen g)
{
	if (!g)
		return 0;
	yajl_gen_array_close(g);
	return cmd_apps_json_flush(g);
}

static int cmd_apps_list(const struct apps_db *db, const struct apps_opts *o)
{
	int cat = -1;
	yajl_gen g;
	size_t i;

	if (o->category && (cat = apps_category_find(db, o->category)) < 0) {
		fprintf(stderr, "netify apps: unknown category '%s'\n", esc(o->category));
		return 1;
	}
	if (cmd_apps_array_open(o, &g) < 0)
		return 1;
	for (i = 0; i < apps_count(db); i++) {
		const struct apps_app *a = apps_at(db, i);

		if (o->category && a->category != cat)
			continue;
		if (g)
			cmd_apps_json_app(g, db, a);
		else
			printf("%-7d %-24s %-16s %s\n", a->id, esc(a->tag),
			       esc(cmd_apps_cat_tag(db, a->category)), esc(a->label));
	}
	return cmd_apps_array_close(g);
}

static int cmd_apps_categories(const struct apps_db *db, const struct apps_opts *o)
{
	yajl_gen g;
	size_t i;

	if (cmd_apps_array_open(o, &g) < 0)
		return 1;
	for (i = 0; i < apps_category_count(db); i++) {
		const struct apps_category *c = apps_category_at(db, i);

		if (!g) {
			printf("%-16s %s\n", esc(c->tag), esc(c->label));
			continue;
		}
		yajl_gen_map_open(g);
		json_kv_str(g, "tag", c->tag);
		json_kv_str(g, "name", c->label);
		yajl_gen_map_close(g);
	}
	return cmd_apps_array_close(g);
}

static void cmd_apps_lookup_json(const struct apps_db *db, const char *query,
				 const char *kind, const struct apps_match *m)
{
	const struct apps_app *a = apps_get(db, m->id);
	yajl_gen g = json_gen_new();

	if (!g)
		return;
	yajl_gen_map_open(g);
	json_kv_str(g, "query", query);
	json_kv_str(g, "kind", kind);
	json_key(g, "app");
	if (a)
		cmd_apps_json_app(g, db, a);
	else
		yajl_gen_null(g);
	if (a) {
		json_kv_str(g, "rule", m->rule);
		json_kv_str(g, "file", m->file);
		json_kv_int(g, "line", m->line);
	}
	yajl_gen_map_close(g);
	cmd_apps_json_flush(g);
}

static int cmd_apps_lookup(const struct apps_db *db, const char *query, int json)
{
	const char *kind = "host", *rec = "dom";
	const struct apps_app *a;
	struct apps_match m;
	uint8_t addr[16];

	if (inet_pton(AF_INET, query, addr) == 1) {
		apps_explain_addr(db, AF_INET, addr, &m);
		kind = "address", rec = "net";
	} else if (inet_pton(AF_INET6, query, addr) == 1) {
		apps_explain_addr(db, AF_INET6, addr, &m);
		kind = "address", rec = "net";
	} else {
		apps_explain_host(db, query, &m);
	}
	a = apps_get(db, m.id);
	if (json) {
		cmd_apps_lookup_json(db, query, kind, &m);
	} else if (!a) {
		printf("%s: no application\n", esc(query));
	} else {
		printf("%s: %s (%s, id %d, category %s)\n", esc(query), esc(a->tag),
		       esc(a->label), a->id, esc(cmd_apps_cat_tag(db, a->category)));
		printf("  matched %s:%d:%s at %s:%u\n", rec, a->id, esc(m.rule),
		       esc(m.file), m.line);
	}
	return a ? 0 : 1;
}

int cmd_apps(int argc, char **argv)
{
	struct apps_opts o = { 0 };
	struct apps_db *db;
	const char *sub;
	int first, rc = 1;

	if (argc < 2) {
		cmd_apps_usage(stderr);
		return 2;
	}
	sub = argv[1];
	first = cmd_apps_parse_opts(argc - 1, argv + 1, &o);
	if (first < 0)
		return first == -2 ? 0 : 2;
	first++;	/* index in argv, which has the command name in front */
	if (strcmp(sub, "lookup") == 0 ? argc - first != 1 : argc != first) {
		cmd_apps_usage(stderr);
		return 2;
	}
	if (strcmp(sub, "list") && strcmp(sub, "lookup") &&
	    strcmp(sub, "categories")) {
		fprintf(stderr, "netify apps: unknown sub-command '%s'\n", esc(sub));
		return 2;
	}
	db = cmd_apps_open(o.dir);
	if (!db)
		return 1;
	if (strcmp(sub, "list") == 0)
		rc = cmd_apps_list(db, &o);
	else if (strcmp(sub, "categories") == 0)
		rc = cmd_apps_categories(db, &o);
	else
		rc = cmd_apps_lookup(db, argv[first], o.json);
	apps_db_free(db);
	return rc;
}
