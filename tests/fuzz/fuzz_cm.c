/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: ipv4opt_cm_parse() on arbitrary bytes as a control buffer (msg_control),
 * unaligned and exactly as long as the input so that any over-read is reported
 * (src/lib/control.c). What parses marshals (the send side: IP_PKTINFO, IP_TTL, IP_TOS) into
 * at most ipv4opt_cm_space() bytes and parses back to the same values.
 */
#include <netinet/in.h>
#include <string.h>

#include "fuzz.h"
#include "ipv4opt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipv4opt_cm cm, again;
	uint8_t out[IPV4OPT_CM_MAX_SPACE];
	uint8_t *odd;
	unsigned sent;
	size_t n = 0;
	int r;

	/* one byte in: the parser must not need the buffer aligned */
	odd = malloc(size + 1);
	if (!odd)
		return 0;
	memcpy(odd + 1, data, size);
	r = ipv4opt_cm_parse(size ? odd + 1 : NULL, size, &cm);
	free(odd);
	if (r < 0) {
		fuzz_check(r == -IPV4OPT_E_CMSG_SHORT);
		return 0;
	}
	fuzz_check((cm.flags & ~(unsigned)IPV4OPT_CM_ALL) == 0);
	/* SRC, DST and IFINDEX come together, from one IP_PKTINFO */
	fuzz_check(!(cm.flags & (IPV4OPT_CM_SRC | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX)) ||
		   (cm.flags & (IPV4OPT_CM_SRC | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX)) ==
			   (IPV4OPT_CM_SRC | IPV4OPT_CM_DST | IPV4OPT_CM_IFINDEX));
	if (!(cm.flags & IPV4OPT_CM_TOS))
		fuzz_check(cm.tos == 0);

	sent = cm.flags & (IPV4OPT_CM_SRC | IPV4OPT_CM_IFINDEX | IPV4OPT_CM_TTL | IPV4OPT_CM_TOS);
	r = ipv4opt_cm_marshal(&cm, out, sizeof(out), &n);
	fuzz_check(r == 0);
	fuzz_check(n <= ipv4opt_cm_space(cm.flags) && n <= IPV4OPT_CM_MAX_SPACE);
	fuzz_check((n == 0) == (sent == 0));
	/* a buffer one byte short is refused */
	if (n > 0) {
		uint8_t *b = malloc(n - 1 ? n - 1 : 1);
		size_t m = 0;

		fuzz_check(b);
		r = ipv4opt_cm_marshal(&cm, n - 1 ? b : NULL, n - 1, &m);
		fuzz_check(r == -IPV4OPT_E_BUFFER_TOO_SMALL);
		free(b);
	}

	r = ipv4opt_cm_parse(out, n, &again);
	fuzz_check(r == 0);
	if (cm.flags & IPV4OPT_CM_TTL)
		fuzz_check((again.flags & IPV4OPT_CM_TTL) && again.ttl == cm.ttl);
	if (cm.flags & IPV4OPT_CM_TOS)
		fuzz_check((again.flags & IPV4OPT_CM_TOS) && again.tos == cm.tos);
	if (cm.flags & IPV4OPT_CM_SRC)
		fuzz_check((again.flags & IPV4OPT_CM_SRC) && again.src.s_addr == cm.src.s_addr);
	if (cm.flags & IPV4OPT_CM_IFINDEX)
		fuzz_check((again.flags & IPV4OPT_CM_IFINDEX) && again.ifindex == cm.ifindex);
	fuzz_check(!(again.flags & IPV4OPT_CM_RXQ_OVFL));
	return 0;
}
