/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: ipv4opt_header_parse() on arbitrary bytes, as a raw socket delivers them
 * (src/lib/header.c). A header that parses marshals back to the same bytes (the checksum
 * recomputed) and parses again to the same fields; the Internet checksum of any buffer is
 * computed without reading past it.
 */
#include <string.h>

#include "fuzz.h"
#include "ipv4opt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipv4opt_header h, again;
	uint8_t out[IPV4OPT_HEADER_LEN + IPV4OPT_HEADER_MAX_OPTIONS];
	size_t n = 0;
	int r;

	(void)ipv4opt_checksum(data, size);

	r = ipv4opt_header_parse(data, size, &h);
	if (r < 0) {
		fuzz_check(r == -IPV4OPT_E_HEADER_SHORT || r == -IPV4OPT_E_HEADER_VERSION ||
			   r == -IPV4OPT_E_HEADER_LENGTH || r == -IPV4OPT_E_HEADER_TOTAL_LENGTH);
		return 0;
	}
	fuzz_check(h.version == 4);
	fuzz_check(h.len == 4 * (data[0] & 0x0f) && (size_t)h.len <= size);
	fuzz_check(h.options_len == (size_t)h.len - IPV4OPT_HEADER_LEN);
	fuzz_check(h.total_len >= h.len);
	fuzz_check(h.checksum == (data[10] << 8 | data[11]));

	/* too small a buffer is refused, and nothing is written past it */
	for (size_t small = 0; small < (size_t)h.len; small += 7) {
		uint8_t *b = malloc(small ? small : 1);

		fuzz_check(b);
		r = ipv4opt_header_marshal(&h, small ? b : NULL, small, &n);
		fuzz_check(r == -IPV4OPT_E_BUFFER_TOO_SMALL);
		free(b);
	}

	r = ipv4opt_header_marshal(&h, out, sizeof(out), &n);
	fuzz_check(r == 0);
	fuzz_check(n == (size_t)h.len);
	fuzz_check(memcmp(out, data, 10) == 0);
	fuzz_check(memcmp(out + 12, data + 12, n - 12) == 0);
	fuzz_check(ipv4opt_checksum(out, n) == 0);
	/* the parsed checksum was the right one exactly when the input verifies */
	fuzz_check((ipv4opt_checksum(data, n) == 0) == (memcmp(out + 10, data + 10, 2) == 0) ||
		   /* 0x0000 and 0xffff are the same one's complement value (RFC 1071) */
		   (data[10] & data[11]) == 0xff || (data[10] | data[11]) == 0);

	r = ipv4opt_header_parse(out, n, &again);
	fuzz_check(r == 0);
	h.checksum = again.checksum;
	fuzz_check(memcmp(&h, &again, sizeof(h)) == 0);
	return 0;
}
