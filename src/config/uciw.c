/*
 * uciw.c - write a UCI tree back as a file, the way `uci export` and
 * `uci commit` lay it out, and save it atomically.
 *
 * Every value is single-quoted (a ' inside becomes '\''), which reads back
 * byte for byte, newlines included.  libuci writes section types bare even
 * when they hold a quote, '#' or ';' and so would read back differently; we
 * quote such types and keep libuci's bare form for all others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uci.h"

void uci_write_quoted(const char *v, FILE *out)
{
	fputc('\'', out);
	for (; *v; v++) {
		if (*v == '\'')
			fputs("'\\''", out);
		else
			fputc(*v, out);
	}
	fputc('\'', out);
}

/* A type is printable ASCII; these are the bytes the parser reads specially. */
static void write_type(const char *type, FILE *out)
{
	if (strpbrk(type, "'\"#;\\"))
		uci_write_quoted(type, out);
	else
		fputs(type, out);
}

static void write_opt(const struct uci_opt *o, FILE *out)
{
	size_t i;

	if (o->type == UCI_OPT_STRING) {
		fprintf(out, "\toption %s ", o->name);
		uci_write_quoted(o->value, out);
		fputc('\n', out);
		return;
	}
	for (i = 0; i < o->n_items; i++) {
		fprintf(out, "\tlist %s ", o->name);
		uci_write_quoted(o->items[i], out);
		fputc('\n', out);
	}
}

static int write_pkg(const struct uci_pkg *p, FILE *out, int header)
{
	const struct uci_sec *s;
	const struct uci_opt *o;

	if (!p || !out) {
		errno = EINVAL;
		return -1;
	}
	if (header)
		fprintf(out, "package %s\n", p->name);
	for (s = p->secs; s; s = s->next) {
		fputs("\nconfig ", out);
		write_type(s->type, out);
		if (s->name) {
			fputc(' ', out);
			uci_write_quoted(s->name, out);
		}
		fputc('\n', out);
		for (o = s->opts; o; o = o->next)
			write_opt(o, out);
	}
	fputc('\n', out);
	return ferror(out) ? -1 : 0;
}

int uci_write(const struct uci_pkg *p, FILE *out)
{
	return write_pkg(p, out, 1);
}

/* Keep the mode of the file we replace; a new one gets 0644. */
static mode_t save_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0644 : (st.st_mode & 07777);
}

static char *save_tmpname(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
	char *tmp = malloc(strlen(path) + sizeof(".uci-XXXXXX") + 1);

	if (!tmp)
		return NULL;
	memcpy(tmp, path, dlen);
	sprintf(tmp + dlen, ".%s.uci-XXXXXX", path + dlen);
	return tmp;
}

/* The rename is durable only once the directory entry is on disk too. */
static void save_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	int fd;

	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static int save_write(const struct uci_pkg *p, int fd, const char *path)
{
	FILE *f;

	if (fchmod(fd, save_mode(path))) {
		close(fd);
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	/* like `uci commit`: no package line, the file name is the package */
	if (write_pkg(p, f, 0) || fflush(f) || fsync(fileno(f))) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

int uci_save_atomic(const struct uci_pkg *p, const char *path)
{
	char *tmp, *real;
	int fd, saved;

	if (!p || !path || !*path) {
		errno = EINVAL;
		return -1;
	}
	/* replace what a symlink points to, not the link (as uci commit) */
	real = realpath(path, NULL);
	if (!real && errno != ENOENT)
		return -1;
	tmp = save_tmpname(real ? real : path);
	if (!tmp)
		goto out_free_real;
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out_free_tmp;
	if (real)
		path = real;
	if (save_write(p, fd, path) || rename(tmp, path))
		goto out_unlink_tmp;
	save_sync_dir(path);
	free(tmp);
	free(real);
	return 0;

out_unlink_tmp:
	saved = errno;
	unlink(tmp);
	errno = saved;
out_free_tmp:
	free(tmp);
out_free_real:
	saved = errno;
	free(real);
	errno = saved;
	return -1;
}
