/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv4 header (RFC 791, section 3.1) and the Internet checksum (RFC 1071).
 *
 * Everything here works on wire (network) order. Linux hands raw sockets the header exactly
 * as it was on the wire (total length and fragment field included, unlike the traditional
 * BSD kernels that swap them), and takes an IP_HDRINCL header in wire order too, so there is
 * a single wire format and no platform switch.
 */
#include <stdint.h>

#include "internal.h"

/* Bits of the 16-bit flags + fragment offset word (RFC 791: 3 flag bits, 13 offset bits). */
#define FRAG_OFFSET_MASK 0x1fff
#define FLAGS_SHIFT 13
#define FLAGS_MAX 0x7 /* reserved (evil) bit, DF, MF */

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

_public_ uint16_t ipv4opt_checksum(const void *b, size_t n)
{
	const uint8_t *p = b;
	uint64_t sum = 0;

	/* RFC 1071 4.1: sum the 16-bit big-endian words, pad an odd last byte with zero,
	 * fold the carries back in and complement. A 64-bit accumulator cannot overflow for
	 * any buffer that fits in memory (2^48 words of 0xffff). */
	while (n > 1) {
		sum += get_be16(p);
		p += 2;
		n -= 2;
	}
	if (n > 0)
		sum += (uint64_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

_public_ int ipv4opt_header_parse(const void *b, size_t n, struct ipv4opt_header *ret_h)
{
	const uint8_t *p = b;
	struct ipv4opt_header h = {};
	size_t hlen;

	if (!ret_h || (!b && n > 0))
		return -EINVAL;
	if (n < IPV4OPT_HEADER_LEN)
		return -IPV4OPT_E_HEADER_SHORT;
	if (p[0] >> 4 != 4)
		return -IPV4OPT_E_HEADER_VERSION;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	if (hlen < IPV4OPT_HEADER_LEN)
		return -IPV4OPT_E_HEADER_LENGTH;
	if (n < hlen)
		return -IPV4OPT_E_HEADER_SHORT;

	h.version = 4;
	h.len = (int)hlen;
	h.tos = p[1];
	h.total_len = get_be16(p + 2);
	if ((size_t)h.total_len < hlen)
		return -IPV4OPT_E_HEADER_TOTAL_LENGTH;
	h.id = get_be16(p + 4);
	h.flags = get_be16(p + 6) >> FLAGS_SHIFT;
	h.frag_off = get_be16(p + 6) & FRAG_OFFSET_MASK;
	h.ttl = p[8];
	h.protocol = p[9];
	h.checksum = get_be16(p + 10);
	memcpy(&h.src, p + 12, 4);
	memcpy(&h.dst, p + 16, 4);
	h.options_len = hlen - IPV4OPT_HEADER_LEN;
	memcpy(h.options, p + IPV4OPT_HEADER_LEN, h.options_len);

	*ret_h = h;
	return 0;
}

static bool in_range(int v, int max)
{
	return v >= 0 && v <= max;
}

_public_ int ipv4opt_header_marshal(const struct ipv4opt_header *h, void *buf, size_t len,
				    size_t *ret_len)
{
	uint8_t *p = buf;
	size_t hlen;

	if (!h)
		return -EINVAL;
	if (h->options_len % 4 != 0 || h->options_len > IPV4OPT_HEADER_MAX_OPTIONS)
		return -IPV4OPT_E_HEADER_LENGTH;
	hlen = IPV4OPT_HEADER_LEN + h->options_len;
	/* Fields wider than their wire slot would be silently cut: refuse them instead. */
	if (!in_range(h->tos, 0xff) || !in_range(h->total_len, 0xffff) ||
	    !in_range(h->id, 0xffff) || !in_range(h->flags, FLAGS_MAX) ||
	    !in_range(h->frag_off, FRAG_OFFSET_MASK) || !in_range(h->ttl, 0xff) ||
	    !in_range(h->protocol, 0xff))
		return -EINVAL;
	if (!buf || len < hlen)
		return -IPV4OPT_E_BUFFER_TOO_SMALL;

	p[0] = (uint8_t)(4 << 4 | hlen / 4);
	p[1] = (uint8_t)h->tos;
	put_be16(p + 2, (unsigned)h->total_len);
	put_be16(p + 4, (unsigned)h->id);
	put_be16(p + 6, (unsigned)h->flags << FLAGS_SHIFT | (unsigned)h->frag_off);
	p[8] = (uint8_t)h->ttl;
	p[9] = (uint8_t)h->protocol;
	put_be16(p + 10, 0);
	memcpy(p + 12, &h->src, 4);
	memcpy(p + 16, &h->dst, 4);
	memcpy(p + IPV4OPT_HEADER_LEN, h->options, h->options_len);
	put_be16(p + 10, ipv4opt_checksum(p, hlen));

	if (ret_len)
		*ret_len = hlen;
	return 0;
}
