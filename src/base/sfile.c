/* Files opened so that what sits at the path cannot hurt (see sfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sfile.h"
#include "util.h"

#define SFILE_TMP_TRIES 8

static int sfile_fail(char *why, size_t whylen, int err, const char *text)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", text ? text : strerror(err));
	errno = err;
	return -1;
}

static const char *sfile_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "not a regular file (a directory)";
	if (S_ISFIFO(m))
		return "not a regular file (a FIFO)";
	if (S_ISCHR(m))
		return "not a regular file (a character device)";
	if (S_ISBLK(m))
		return "not a regular file (a block device)";
	if (S_ISSOCK(m))
		return "not a regular file (a socket)";
	return "not a regular file";
}

/* ---- reading -------------------------------------------------------- */

int sfile_open(const char *path, uint64_t max, char *why, size_t whylen)
{
	struct stat st;
	char big[64];
	int fd, fl, err;

	/* O_NONBLOCK: a FIFO opens at once instead of waiting for a writer;
	 * fstat() then refuses it before anything is read */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return sfile_fail(why, whylen, errno, NULL);
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return sfile_fail(why, whylen, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, sfile_kind(st.st_mode));
	}
	if (max && (uint64_t)st.st_size > max) {
		close(fd);
		snprintf(big, sizeof(big), "larger than %llu bytes", (unsigned long long)max);
		return sfile_fail(why, whylen, EFBIG, big);
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		err = errno;
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return sfile_fail(why, whylen, err, NULL);
}

/* Reads to the end, growing the buffer geometrically up to @max + 1 bytes:
 * the size fstat() gave is where to start, not a promise (a file may grow,
 * and some report 0). */
static char *sfile_read_fd(int fd, size_t max, size_t *len, char *why, size_t whylen)
{
	struct stat st;
	size_t cap, n = 0;
	char big[64], *buf, *g;
	ssize_t r;

	if (max > SIZE_MAX / 4)
		max = SIZE_MAX / 4;	/* room for max + 1 and the NUL */
	cap = fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size < max ? (size_t)st.st_size + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	if (!(buf = malloc(cap + 1)))
		goto out_nomem;
	for (;;) {
		if (n == cap) {
			if (cap > max)
				break;	/* read max + 1 bytes: too large */
			cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			if (!(g = realloc(buf, cap + 1)))
				goto out_nomem;
			buf = g;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			sfile_fail(why, whylen, errno, NULL);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(buf);
		snprintf(big, sizeof(big), "larger than %zu bytes", max);
		sfile_fail(why, whylen, EFBIG, big);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;

out_nomem:
	free(buf);
	sfile_fail(why, whylen, ENOMEM, NULL);
	return NULL;
}

char *sfile_read(const char *path, size_t max, size_t *len, char *why, size_t whylen)
{
	char *buf;
	int fd, err;

	if ((fd = sfile_open(path, max, why, whylen)) < 0)
		return NULL;
	buf = sfile_read_fd(fd, max, len, why, whylen);
	err = errno;
	close(fd);
	errno = err;
	return buf;
}

/* ---- writing -------------------------------------------------------- */

int sfile_dir_safe(int dirfd, char *why, size_t whylen)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return sfile_fail(why, whylen, errno, NULL);
	if (!S_ISDIR(st.st_mode))
		return sfile_fail(why, whylen, ENOTDIR, NULL);
	/* whoever else may write there could swap names under us */
	if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return sfile_fail(why, whylen, EPERM, "directory not ours alone (owned by another "
				  "user, or writable by its group or others)");
	return 0;
}

int sfile_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -1 : (errno = EIO, -1);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int sfile_tmp_open(struct sfile_tmp *t, const char *dir, const char *name, mode_t mode,
		   char *why, size_t whylen)
{
	int i, err;

	t->fd = -1;
	if (!*name || strchr(name, '/') ||
	    (size_t)snprintf(t->name, sizeof(t->name), "%s", name) >= sizeof(t->name))
		return sfile_fail(why, whylen, EINVAL, "bad file name");
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0)
		return sfile_fail(why, whylen, errno, NULL);
	if (sfile_dir_safe(t->dirfd, why, whylen) < 0)
		goto out_close_dir;
	/* a name nobody can have prepared: O_EXCL fails on anything there,
	 * a symlink included, so no link is ever followed */
	for (i = 0; i < SFILE_TMP_TRIES; i++) {
		snprintf(t->tmp, sizeof(t->tmp), ".%s.%016llx", t->name, (unsigned long long)util_random64());
		t->fd = openat(t->dirfd, t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (t->fd >= 0 || errno != EEXIST)
			break;
	}
	if (t->fd < 0) {
		sfile_fail(why, whylen, errno, NULL);
		goto out_close_dir;
	}
	return 0;

out_close_dir:
	err = errno;
	close(t->dirfd);
	errno = err;
	return -1;
}

void sfile_tmp_abort(struct sfile_tmp *t)
{
	int err = errno;

	if (t->fd >= 0)
		close(t->fd);
	unlinkat(t->dirfd, t->tmp, 0);
	close(t->dirfd);
	t->fd = t->dirfd = -1;
	errno = err;
}

int sfile_tmp_commit(struct sfile_tmp *t, bool sync)
{
	int fd = t->fd, r = 0, err = 0;

	t->fd = -1;
	if (fd >= 0) {
		if (sync && (r = fsync(fd)) < 0)
			err = errno;
		if (close(fd) < 0 && r == 0) {
			r = -1;
			err = errno;
		}
		if (r < 0) {
			errno = err;
			goto out_abort;
		}
	}
	if (renameat(t->dirfd, t->tmp, t->dirfd, t->name) < 0)
		goto out_abort;
	if (sync)
		fsync(t->dirfd);
	close(t->dirfd);
	t->dirfd = -1;
	return 0;

out_abort:
	sfile_tmp_abort(t);
	return -1;
}

int sfile_replace(const char *dir, const char *name, const void *buf, size_t len, mode_t mode,
		  char *why, size_t whylen)
{
	struct sfile_tmp t;

	if (sfile_tmp_open(&t, dir, name, mode, why, whylen) < 0)
		return -1;
	if (sfile_write_all(t.fd, buf, len) < 0) {
		sfile_fail(why, whylen, errno, NULL);
		sfile_tmp_abort(&t);
		return -1;
	}
	if (sfile_tmp_commit(&t, false) < 0)
		return sfile_fail(why, whylen, errno, NULL);
	return 0;
}
