/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_*.c). Each target defines
 * LLVMFuzzerTestOneInput(), the entry point of libFuzzer; built with clang's
 * -fsanitize=fuzzer it is a libFuzzer program (`make fuzz`), linked with replay.c it is a
 * plain program that runs the files of a corpus through it (the smoke test without clang).
 */
#ifndef IPV4OPT_FUZZ_H
#define IPV4OPT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property of the code under test that an input broke: abort, so that libFuzzer (or the
 * replay driver) reports the input. Not assert(): it must hold with NDEBUG too. */
#define fuzz_check(expr)                                                                      \
	do {                                                                                   \
		if (!(expr)) {                                                                 \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__,  \
				#expr);                                                        \
			abort();                                                               \
		}                                                                              \
	} while (0)

#endif
