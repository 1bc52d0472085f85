/*
 * cmd_uci.c - `netify uci show FILE [SECTION[.OPTION]]` and
 * `netify uci export FILE`: what uci(1) prints for the same file, so a
 * configuration can be checked on a machine without libuci.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "esc.h"
#include "uci.h"

static void cmd_uci_usage(FILE *out)
{
	fprintf(out,
		"Usage: netify uci show FILE [SECTION[.OPTION]]\n"
		"       netify uci export FILE\n"
		"Parse FILE as libuci does (strict mode) and print it like\n"
		"`uci show` or `uci export`.\n");
}

static void show_value(const struct uci_opt *o)
{
	size_t i;

	if (o->type == UCI_OPT_STRING) {
		uci_write_quoted(o->value, stdout);
	} else {
		for (i = 0; i < o->n_items; i++) {
			if (i)
				putchar(' ');
			uci_write_quoted(o->items[i], stdout);
		}
	}
	putchar('\n');
}

static void show_section(const struct uci_pkg *p, const struct uci_sec *s,
			 const char *ref)
{
	const struct uci_opt *o;

	printf("%s.%s=%s\n", p->name, ref, s->type);
	for (o = s->opts; o; o = o->next) {
		printf("%s.%s.%s=", p->name, ref, o->name);
		show_value(o);
	}
}

/* The whole package: anonymous sections as @type[n], as uci show does. */
static void show_package(const struct uci_pkg *p)
{
	const struct uci_sec *s;
	char ref[UCI_MAX_NAME_LEN + 32];

	for (s = p->secs; s; s = s->next) {
		if (s->name)
			snprintf(ref, sizeof(ref), "%s", s->name);
		else
			snprintf(ref, sizeof(ref), "@%s[%d]", s->type, s->anon_index);
		show_section(p, s, ref);
	}
}

static const char *sec_real_name(const struct uci_sec *s)
{
	return s->name ? s->name : s->anon_name;
}

/*
 * One section or option: uci(1) then prints the real name, which for an
 * anonymous section is its internal cfgNNhhhh name.
 */
static int show_selected(const struct uci_pkg *p, const char *sel)
{
	char *ref = strdup(sel), *dot;
	const struct uci_sec *s;
	const struct uci_opt *o = NULL;
	int ret = 1;

	if (!ref)
		return 1;
	dot = strchr(ref, '.');
	if (dot)
		*dot++ = 0;
	if (dot && (strchr(dot, '.') || !uci_name_valid(dot))) {
		fprintf(stderr, "netify uci: Invalid argument\n");
		goto out_free_ref;
	}
	s = uci_sec_find(p, ref);
	o = s && dot ? uci_opt_get(s, dot) : NULL;
	if (!s || (dot && !o)) {
		fprintf(stderr, "netify uci: Entry not found\n");
		goto out_free_ref;
	}
	if (o) {
		printf("%s.%s.%s=", p->name, sec_real_name(s), o->name);
		show_value(o);
	} else {
		show_section(p, s, sec_real_name(s));
	}
	ret = 0;

out_free_ref:
	free(ref);
	return ret;
}

static int cmd_uci_load(const char *path, struct uci_pkg **p)
{
	struct uci_err err;
	char msg[512];

	if (!uci_parse_file(path, p, &err))
		return 0;
	uci_err_format(&err, msg, sizeof(msg));
	fprintf(stderr, "netify uci: %s\n", esc(msg));
	return -1;
}

static int cmd_uci_run(const char *sub, int argc, char **argv)
{
	int is_show = !strcmp(sub, "show"), ret;
	struct uci_pkg *p;

	if ((!is_show && strcmp(sub, "export")) || argc < 1 ||
	    argc > (is_show ? 2 : 1)) {
		cmd_uci_usage(stderr);
		return 2;
	}
	if (cmd_uci_load(argv[0], &p))
		return 1;
	if (!is_show)
		ret = uci_write(p, stdout) ? 1 : 0;
	else if (argc == 2)
		ret = show_selected(p, argv[1]);
	else
		show_package(p), ret = 0;
	uci_pkg_free(p);
	if (fflush(stdout))
		ret = 1;
	return ret;
}

int cmd_uci(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 0;	/* main() may have run getopt already */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cmd_uci_usage(stdout);
			return 0;
		}
		cmd_uci_usage(stderr);
		return 2;
	}
	if (optind >= argc) {
		cmd_uci_usage(stderr);
		return 2;
	}
	return cmd_uci_run(argv[optind], argc - optind - 1, argv + optind + 1);
}
