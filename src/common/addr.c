/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "addr.h"

int addr_parse_in(const char *s, struct in_addr *ret)
{
	struct in_addr a;

	if (!s)
		return -EINVAL;
	/* inet_pton(), unlike inet_aton(), takes only the four-part decimal form: "10.1",
	 * "0x0a.0.0.1", "010.0.0.1" and trailing text are all refused. */
	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = a;
	return 0;
}

int addr_parse_port(const char *s, uint16_t *ret)
{
	unsigned long v = 0;
	size_t n;

	if (!s || !*s)
		return -EINVAL;
	for (n = 0; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9')
			return -EINVAL;
		if (n >= 5) /* more digits than 65535 has: out of range, checked without overflow */
			return -ERANGE;
		v = v * 10 + (unsigned long)(s[n] - '0');
	}
	if (v < 1 || v > 65535)
		return -ERANGE;
	*ret = (uint16_t)v;
	return 0;
}

int addr_parse_endpoint(const char *s, struct sockaddr_in *ret)
{
	char host[INET_ADDRSTRLEN];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *colon;
	uint16_t port;
	size_t len;
	int r;

	if (!s)
		return -EINVAL;
	colon = strchr(s, ':');
	if (!colon || strchr(colon + 1, ':'))
		return -EINVAL;
	len = (size_t)(colon - s);
	if (len == 0 || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';

	r = addr_parse_in(host, &sin.sin_addr);
	if (r < 0)
		return r;
	r = addr_parse_port(colon + 1, &port);
	if (r < 0)
		return r;
	sin.sin_port = htons(port);
	*ret = sin;
	return 0;
}

bool addr_is_multicast(struct in_addr a)
{
	return IN_MULTICAST(ntohl(a.s_addr));
}

bool addr_is_ssm(struct in_addr a)
{
	return (ntohl(a.s_addr) & 0xff000000u) == 0xe8000000u;
}

bool addr_is_unicast(struct in_addr a)
{
	return a.s_addr != htonl(INADDR_ANY) && a.s_addr != htonl(INADDR_BROADCAST) &&
	       !addr_is_multicast(a);
}

static bool ifname_chars_valid(const char *s)
{
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

bool ifname_is_valid(const char *s)
{
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len >= IFNAMSIZ)
		return false;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	return ifname_chars_valid(s);
}

bool ifname_is_pattern(const char *s)
{
	return s && strpbrk(s, "*?[");
}

bool ifname_pattern_is_valid(const char *s)
{
	size_t len;

	if (!ifname_is_pattern(s))
		return ifname_is_valid(s);
	len = strlen(s);
	return len <= IFNAME_PATTERN_MAX && ifname_chars_valid(s);
}
