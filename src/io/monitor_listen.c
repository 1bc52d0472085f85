/* The monitor's listeners: Unix and TCP sockets for the stream, the
 * control socket; numeric addresses only (see monitor.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor_int.h"

/* ---- addresses ---- */

static int mon_parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Splits "host:port" / "[v6]:port" / "port" into host (may be "") and port. */
static int mon_split_hostport(const char *s, char *host, size_t hostlen, const char **port)
{
	const char *colon;
	size_t hl;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		hl = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			host[0] = '\0';
			*port = s;
			return 0;
		}
		hl = (size_t)(colon - s);
	}
	if (hl >= hostlen)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	*port = colon + 1;
	return 0;
}

int monitor_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned *sslen)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	uint16_t p;

	memset(ss, 0, sizeof(*ss));
	if (!s || mon_split_hostport(s, host, sizeof(host), &port) || mon_parse_port(port, &p))
		goto out_inval;
	if (!host[0] || !strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");	/* loopback unless told otherwise */
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(p);
		*sslen = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		*sslen = sizeof(*in6);
		return 0;
	}
out_inval:
	errno = EINVAL;
	return -1;
}

/* ---- listeners ---- */

static int mon_listen_tcp(struct mon_listener *l, const char *addr)
{
	struct sockaddr_storage ss;
	unsigned sslen;
	int one = 1, fd;

	if (monitor_parse_addr(addr, &ss, &sslen) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 64) < 0)
		goto out_close;
	l->ep.fd = fd;
	return 0;

out_close:
	one = errno;
	close(fd);
	errno = one;
	return -1;
}

/* A socket file left by a daemon that died is removed; one a live daemon
 * answers on is not (EADDRINUSE), so two daemons never steal each other's. */
static int mon_unix_clear(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (r == 0) {
		errno = EADDRINUSE;
		return -1;
	}
	return unlink(sun->sun_path);
}

static int mon_unix_perms(const struct monitor_cfg *cfg, const char *path)
{
	struct group gr, *res = NULL;
	char buf[1024];

	if (cfg->group && cfg->group[0]) {
		if (getgrnam_r(cfg->group, &gr, buf, sizeof(buf), &res) || !res) {
			errno = ENOENT;
			return -1;
		}
		if (chown(path, (uid_t)-1, res->gr_gid) < 0)
			return -1;
	}
	return chmod(path, cfg->mode);
}

/* Creates the socket's directory (one level, as /var/run/netify). */
static void mon_unix_mkdir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

static int mon_listen_unix(const struct monitor_cfg *cfg, struct mon_listener *l, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	mon_unix_mkdir(path);
	if (mon_unix_clear(&sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto out_close;
	strcpy(l->path, path);
	if (mon_unix_perms(cfg, path) < 0 || listen(fd, 64) < 0)
		goto out_unlink;
	l->ep.fd = fd;
	return 0;

out_unlink:
	e = errno;
	unlink(path);
	l->path[0] = '\0';
	errno = e;
out_close:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int mon_listener_add(struct monitor *m, const char *unix_path, const char *tcp,
			    enum monitor_framing framing, bool control)
{
	struct mon_listener *l = &m->listeners[m->n_listeners];
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->ep };

	memset(l, 0, sizeof(*l));
	l->ep.type = EP_LISTEN;
	l->ep.fd = -1;
	l->framing = framing < __MONITOR_FRAMING_MAX ? framing : MONITOR_FRAMING_NDJSON;
	l->control = control;
	if (unix_path ? mon_listen_unix(&m->cfg, l, unix_path) : mon_listen_tcp(l, tcp))
		return -1;
	m->n_listeners++;
	return epoll_ctl(m->epfd, EPOLL_CTL_ADD, l->ep.fd, &ev);
}

int mon_listeners_open(struct monitor *m)
{
	const struct monitor_cfg *c = &m->cfg;
	unsigned i;

	if (c->unix_path && mon_listener_add(m, c->unix_path, NULL, c->unix_framing, false))
		return -1;
	for (i = 0; i < c->n_tcp && i < MONITOR_TCP_MAX; i++)
		if (mon_listener_add(m, NULL, c->tcp[i], c->tcp_framing[i], false))
			return -1;
	if (c->control_path && mon_listener_add(m, c->control_path, NULL, 0, true))
		return -1;
	return 0;
}
