/*
 * sfile.h - files netify reads and writes, opened so that what sits at the
 * path cannot hurt the process.
 *
 * Reading: a path may name a FIFO (open() would wait for a writer, read()
 * for data), a device (/dev/zero never ends), a directory or a file far
 * larger than anything netify reads. sfile_open() opens without blocking,
 * accepts only a regular file (a symlink to one is fine) of at most a cap,
 * and says what else it found; sfile_read() reads such a file whole.
 *
 * Writing: a file is replaced through a temporary name nobody can have
 * prepared (random, O_CREAT|O_EXCL|O_NOFOLLOW) in a directory that nobody
 * else can write to, then renamed over the old one: a planted symlink is
 * neither followed nor written through, and readers see the old file or
 * the new one, never half of one.
 */
#ifndef NETIFY_SFILE_H
#define NETIFY_SFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SFILE_WHY_LEN 96	/* room for any reason sfile gives */

/**
 * sfile_open - @path opened read-only (O_CLOEXEC, blocking mode) if it is
 * a regular file of at most @max bytes (0: no cap)
 * Returns the descriptor, or -1 with errno set and the reason in @why
 * ("not a regular file (FIFO)", "larger than N bytes", strerror...).
 */
int sfile_open(const char *path, uint64_t max, char *why, size_t whylen);

/**
 * sfile_read - the whole of @path (as sfile_open() accepts it) in a
 * malloc()ed buffer with a NUL after its @len bytes (NULs inside are the
 * file's own: callers that care look for them)
 * A file that grows past @max while it is read is refused too.
 * NULL with errno and @why on failure.
 */
char *sfile_read(const char *path, size_t max, size_t *len, char *why, size_t whylen);

/**
 * sfile_dir_safe - 0 if @dirfd is a directory owned by us or by root that
 * neither its group nor others may write to; -1 with errno (ENOTDIR,
 * EPERM) and the reason in @why otherwise
 */
int sfile_dir_safe(int dirfd, char *why, size_t whylen);

/* A file being written under a temporary name (see sfile_tmp_open). */
struct sfile_tmp {
	int dirfd;
	int fd;		/* the caller's to write; -1 once it closed it itself */
	char name[256];	/* final name in the directory */
	char tmp[288];	/* temporary name in the directory */
};

/**
 * sfile_tmp_open - starts replacing @dir/@name: @dir must pass
 * sfile_dir_safe(), the new file gets a fresh temporary name there
 * (".@name.<random>", mode @mode). t->fd is open for writing.
 * 0, or -1 with errno and @why (nothing is left behind).
 */
int sfile_tmp_open(struct sfile_tmp *t, const char *dir, const char *name, mode_t mode,
		   char *why, size_t whylen);

/**
 * sfile_tmp_commit - closes t->fd (unless the caller did and set it to -1),
 * renames the temporary file over the final name and, with @sync, makes
 * the file and the rename durable (fsync of both). 0, or -1 with errno: the
 * temporary file is then removed. Either way @t is finished.
 */
int sfile_tmp_commit(struct sfile_tmp *t, bool sync);

/** sfile_tmp_abort - drops the temporary file; @t is finished */
void sfile_tmp_abort(struct sfile_tmp *t);

/** sfile_write_all - all @len bytes to @fd (EINTR retried); 0 or -1 */
int sfile_write_all(int fd, const void *buf, size_t len);

/**
 * sfile_replace - @dir/@name becomes @buf (@len bytes) whole, through
 * sfile_tmp_open() and sfile_tmp_commit() without sync. 0, or -1 with
 * errno and @why.
 */
int sfile_replace(const char *dir, const char *name, const void *buf, size_t len, mode_t mode,
		  char *why, size_t whylen);

#endif
