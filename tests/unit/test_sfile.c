/* Unit tests of sfile.c: what a read path may name (FIFO, device, directory,
 * a file too large) and what a writer may find in its directory (planted
 * symlinks, prepared temporary names, a directory others can write to).
 * An alarm turns a read that would block into a failure, not a hang. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sfile.h"

struct fx {
	char dir[64];
	char path[128];
};

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("blocked on a read path");
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/netify-sfile.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	signal(SIGALRM, on_alarm);
	alarm(10);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	alarm(0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static const char *at(struct fx *fx, const char *name)
{
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name);
	return fx->path;
}

static void put(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *get(const char *path, size_t *len)
{
	char why[SFILE_WHY_LEN] = "";
	char *buf = sfile_read(path, 1 << 20, len, why, sizeof(why));

	if (!buf)
		print_message("# %s: %s\n", path, why);
	return buf;
}

static void read_regular(void **state)
{
	static const char data[] = "line 1\n\0line 2\n";
	struct fx *fx = *state;
	size_t len = 0;
	char *buf;

	put(at(fx, "a.conf"), data, sizeof(data) - 1);
	buf = get(fx->path, &len);
	assert_non_null(buf);
	assert_int_equal(len, sizeof(data) - 1);	/* the NUL is the file's */
	assert_memory_equal(buf, data, len);
	assert_int_equal(buf[len], '\0');
	free(buf);
	put(at(fx, "empty.conf"), "", 0);
	buf = get(fx->path, &len);
	assert_non_null(buf);
	assert_int_equal(len, 0);
	free(buf);
	/* a symlink to a regular file is a regular file */
	assert_int_equal(symlink("a.conf", at(fx, "link.conf")), 0);
	buf = get(fx->path, &len);
	assert_non_null(buf);
	assert_int_equal(len, sizeof(data) - 1);
	free(buf);
}

static void refuse(struct fx *fx, const char *name, const char *want)
{
	char why[SFILE_WHY_LEN] = "";
	size_t len = 0;
	int fd;

	assert_null(sfile_read(at(fx, name), 1 << 20, &len, why, sizeof(why)));
	if (!strstr(why, want))
		fail_msg("%s: '%s', wanted '%s'", name, why, want);
	fd = sfile_open(fx->path, 1 << 20, why, sizeof(why));
	assert_int_equal(fd, -1);
	assert_non_null(strstr(why, want));
}

static void read_not_regular(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(mkfifo(at(fx, "fifo.conf"), 0600), 0);
	refuse(fx, "fifo.conf", "FIFO");
	assert_int_equal(symlink("/dev/zero", at(fx, "zero.conf")), 0);
	refuse(fx, "zero.conf", "character device");
	assert_int_equal(mkdir(at(fx, "dir.conf"), 0700), 0);
	refuse(fx, "dir.conf", "directory");
	refuse(fx, "missing.conf", strerror(ENOENT));
}

static void read_cap(void **state)
{
	struct fx *fx = *state;
	char why[SFILE_WHY_LEN] = "", *buf, *big = malloc(4097);
	size_t len = 0;

	assert_non_null(big);
	memset(big, 'x', 4097);
	put(at(fx, "big"), big, 4097);
	assert_null(sfile_read(fx->path, 4096, &len, why, sizeof(why)));
	assert_int_equal(errno, EFBIG);
	assert_string_equal(why, "larger than 4096 bytes");
	put(fx->path, big, 4096);
	buf = sfile_read(fx->path, 4096, &len, why, sizeof(why));
	assert_non_null(buf);
	assert_int_equal(len, 4096);
	free(buf);
	free(big);
	/* a sparse file is refused by its size, before a byte is read */
	assert_int_equal(truncate(fx->path, 1ll << 40), 0);
	assert_int_equal(sfile_open(fx->path, 1 << 20, why, sizeof(why)), -1);
	assert_int_equal(errno, EFBIG);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void write_replace(void **state)
{
	struct fx *fx = *state;
	char why[SFILE_WHY_LEN] = "", *buf;
	size_t len = 0;

	assert_int_equal(sfile_replace(fx->dir, "status.json", "{}\n", 3, 0640, why, sizeof(why)), 0);
	buf = get(at(fx, "status.json"), &len);
	assert_non_null(buf);
	assert_string_equal(buf, "{}\n");
	free(buf);
	assert_int_equal(sfile_replace(fx->dir, "status.json", "[]\n", 3, 0640, why, sizeof(why)), 0);
	buf = get(fx->path, &len);
	assert_string_equal(buf, "[]\n");
	free(buf);
	assert_int_equal(entries(fx->dir), 1);	/* no temporary file left */
}

/* Symlinks planted at the final name and at the temporary name the monitor
 * used to use: neither is followed, the victim keeps its bytes. */
static void write_planted_symlinks(void **state)
{
	struct fx *fx = *state;
	char why[SFILE_WHY_LEN] = "", victim[128], *buf;
	struct stat st;
	size_t len = 0;

	snprintf(victim, sizeof(victim), "%s/victim", fx->dir);
	put(victim, "precious\n", 9);
	assert_int_equal(symlink(victim, at(fx, ".flows.json.tmp")), 0);
	assert_int_equal(symlink(victim, at(fx, "flows.json")), 0);
	assert_int_equal(sfile_replace(fx->dir, "flows.json", "{}\n", 3, 0640, why, sizeof(why)), 0);
	buf = get(victim, &len);
	assert_string_equal(buf, "precious\n");
	free(buf);
	assert_int_equal(lstat(at(fx, "flows.json"), &st), 0);
	assert_true(S_ISREG(st.st_mode));	/* the link was replaced, not written through */
	assert_int_equal(lstat(at(fx, ".flows.json.tmp"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));	/* left alone */
	/* a prepared temporary file of the old fixed name is not reused either */
	put(at(fx, ".status.json.tmp"), "mine\n", 5);
	assert_int_equal(chmod(fx->path, 0666), 0);
	assert_int_equal(sfile_replace(fx->dir, "status.json", "{}\n", 3, 0640, why, sizeof(why)), 0);
	buf = get(at(fx, ".status.json.tmp"), &len);
	assert_string_equal(buf, "mine\n");
	free(buf);
	assert_int_equal(stat(at(fx, "status.json"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
}

static void write_unsafe_dir(void **state)
{
	struct fx *fx = *state;
	char why[SFILE_WHY_LEN] = "";

	assert_int_equal(chmod(fx->dir, 01777), 0);	/* like /tmp */
	assert_int_equal(sfile_replace(fx->dir, "x", "1", 1, 0640, why, sizeof(why)), -1);
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(why, "not ours alone"));
	assert_int_equal(chmod(fx->dir, 0770), 0);	/* group-writable */
	assert_int_equal(sfile_replace(fx->dir, "x", "1", 1, 0640, why, sizeof(why)), -1);
	assert_int_equal(chmod(fx->dir, 0755), 0);
	if (geteuid() == 0) {	/* owned by another user */
		assert_int_equal(chown(fx->dir, 65534, 65534), 0);
		assert_int_equal(sfile_replace(fx->dir, "x", "1", 1, 0640, why, sizeof(why)), -1);
		assert_int_equal(errno, EPERM);
		assert_int_equal(chown(fx->dir, 0, 0), 0);
	}
	assert_int_equal(entries(fx->dir), 0);
	assert_int_equal(sfile_replace(fx->dir, "x", "1", 1, 0640, why, sizeof(why)), 0);
	/* not a directory, a bad name */
	assert_int_equal(sfile_replace(at(fx, "x"), "y", "1", 1, 0640, why, sizeof(why)), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(sfile_replace(fx->dir, "../y", "1", 1, 0640, why, sizeof(why)), -1);
	assert_int_equal(errno, EINVAL);
}

static void write_abort(void **state)
{
	struct fx *fx = *state;
	char why[SFILE_WHY_LEN] = "";
	struct sfile_tmp t;

	assert_int_equal(sfile_tmp_open(&t, fx->dir, "state", 0600, why, sizeof(why)), 0);
	assert_int_equal(sfile_write_all(t.fd, "half", 4), 0);
	assert_int_equal(entries(fx->dir), 1);
	sfile_tmp_abort(&t);
	assert_int_equal(entries(fx->dir), 0);
	/* a commit with sync, the caller having closed the descriptor itself */
	assert_int_equal(sfile_tmp_open(&t, fx->dir, "state", 0600, why, sizeof(why)), 0);
	assert_int_equal(sfile_write_all(t.fd, "whole", 5), 0);
	assert_int_equal(close(t.fd), 0);
	t.fd = -1;
	assert_int_equal(sfile_tmp_commit(&t, true), 0);
	assert_int_equal(entries(fx->dir), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(read_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(read_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(read_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(write_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(write_planted_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(write_unsafe_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(write_abort, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
