/*
 * Listening sockets from "ADDR:PORT" specs (net.h). Shared by adsync's
 * hook receiver and rsemu, which both take a listen address from their
 * configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "net.h"
#include "strparse.h"

int
net_addr_parse(const char *s, struct sockaddr_storage *ss,
    unsigned *sslen)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon, *hs = s;
	const char *errstr;
	size_t hlen;
	long long port;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -ADSYNC_EPARSE;
		hs = s + 1;
		hlen = (size_t)(colon - hs);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -ADSYNC_EPARSE;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -ADSYNC_EPARSE;
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (strparse_num(colon + 1, 0, 65535, &port, &errstr) < 0)
		return -ADSYNC_EPARSE;
	memset(ss, 0, sizeof(*ss));
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*in6);
		return 0;
	}
	return -ADSYNC_EPARSE;
}

int
net_listen(const char *spec, const char *what, char *addr, size_t addrlen,
    char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned sslen;
	char host[INET6_ADDRSTRLEN];
	int one = 1, port, fd, r;

	if (net_addr_parse(spec, &ss, &sslen) < 0) {
		snprintf(why, whylen, "%s %s: not ADDR:PORT with a numeric "
		    "address (e.g. 127.0.0.1:8732 or [::1]:8732)", what, spec);
		return -ADSYNC_ECONFIG;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "%s %s: socket: %s", what, spec,
		    adsync_strerror(r));
		return r;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    listen(fd, 511) < 0) {
		r = -errno;
		snprintf(why, whylen, "%s %s: cannot listen: %s%s", what,
		    spec, adsync_strerror(r), r == -EADDRINUSE ? " (another "
		    "program has the port; stop it or choose another)" :
		    r == -EACCES ? " (ports below 1024 need "
		    "CAP_NET_BIND_SERVICE)" : "");
		close(fd);
		return -ADSYNC_ECONFIG;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		r = -errno;
		snprintf(why, whylen, "%s: getsockname: %s", what,
		    adsync_strerror(r));
		close(fd);
		return r;
	}
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		snprintf(addr, addrlen, "%s:%d", host, port);
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    host, sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		snprintf(addr, addrlen, "[%s]:%d", host, port);
	}
	return fd;
}
