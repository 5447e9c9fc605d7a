/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSCP code points: the top six bits of the TOS byte (RFC 2474); the bottom two bits are ECN
 * (RFC 3168) and belong to the transport, so composing a TOS byte keeps them.
 */
#include <stdlib.h>
#include <strings.h>

#include "internal.h"

#define DSCP_MAX 63

static const struct {
	const char *name;
	uint8_t value;
} dscp_names[] = {
	{ "CS0", IPV4OPT_DSCP_CS0 },   /* RFC 2474 class selectors */
	{ "CS1", IPV4OPT_DSCP_CS1 },
	{ "CS2", IPV4OPT_DSCP_CS2 },
	{ "CS3", IPV4OPT_DSCP_CS3 },
	{ "CS4", IPV4OPT_DSCP_CS4 },
	{ "CS5", IPV4OPT_DSCP_CS5 },
	{ "CS6", IPV4OPT_DSCP_CS6 },
	{ "CS7", IPV4OPT_DSCP_CS7 },
	{ "AF11", IPV4OPT_DSCP_AF11 }, /* RFC 2597 assured forwarding */
	{ "AF12", IPV4OPT_DSCP_AF12 },
	{ "AF13", IPV4OPT_DSCP_AF13 },
	{ "AF21", IPV4OPT_DSCP_AF21 },
	{ "AF22", IPV4OPT_DSCP_AF22 },
	{ "AF23", IPV4OPT_DSCP_AF23 },
	{ "AF31", IPV4OPT_DSCP_AF31 },
	{ "AF32", IPV4OPT_DSCP_AF32 },
	{ "AF33", IPV4OPT_DSCP_AF33 },
	{ "AF41", IPV4OPT_DSCP_AF41 },
	{ "AF42", IPV4OPT_DSCP_AF42 },
	{ "AF43", IPV4OPT_DSCP_AF43 },
	{ "EF", IPV4OPT_DSCP_EF },     /* RFC 3246 expedited forwarding */
	{ "VOICE-ADMIT", IPV4OPT_DSCP_VOICE_ADMIT }, /* RFC 5865 */
	{ "LE", IPV4OPT_DSCP_LE },     /* RFC 8622 lower effort */
};

_public_ int ipv4opt_dscp_from_string(const char *s, uint8_t *ret_dscp)
{
	unsigned long v;
	char *end;

	if (!s || !ret_dscp)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(dscp_names) / sizeof(dscp_names[0]); i++)
		if (strcasecmp(s, dscp_names[i].name) == 0) {
			*ret_dscp = dscp_names[i].value;
			return 0;
		}

	/* Numbers: decimal or 0x hex only. strtoul() alone would also take a sign, leading
	 * blanks and octal, so the first character must be a digit and base is chosen here. */
	if (s[0] < '0' || s[0] > '9')
		return -IPV4OPT_E_DSCP_UNKNOWN;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!((s[2] >= '0' && s[2] <= '9') || (s[2] >= 'a' && s[2] <= 'f') ||
		      (s[2] >= 'A' && s[2] <= 'F')))
			return -IPV4OPT_E_DSCP_UNKNOWN;
		v = strtoul(s + 2, &end, 16);
	} else
		v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > DSCP_MAX)
		return -IPV4OPT_E_DSCP_UNKNOWN;
	*ret_dscp = (uint8_t)v;
	return 0;
}

_public_ const char *ipv4opt_dscp_to_string(uint8_t dscp)
{
	for (size_t i = 0; i < sizeof(dscp_names) / sizeof(dscp_names[0]); i++)
		if (dscp_names[i].value == dscp)
			return dscp_names[i].name;
	return NULL;
}

_public_ uint8_t ipv4opt_tos_compose(uint8_t dscp, uint8_t old_tos)
{
	return (uint8_t)((dscp << 2) | (old_tos & IPV4OPT_ECN_MASK));
}

_public_ int ipv4opt_set_dscp(int fd, uint8_t dscp)
{
	int tos, r;

	if (dscp > DSCP_MAX)
		return -EINVAL;
	r = ipv4opt_get_tos(fd, &tos);
	if (r < 0)
		return r;
	return ipv4opt_set_tos(fd, ipv4opt_tos_compose(dscp, (uint8_t)tos));
}
