/* SPDX-License-Identifier: BSD-3-Clause */
/* suggest: "did you mean ...?" for a mistyped word (a command, a keyword). */
#ifndef IPV4OPT_SUGGEST_H
#define IPV4OPT_SUGGEST_H

#include <stddef.h>

/* Optimal string alignment distance between a and b: insertions, deletions, substitutions
 * and swaps of neighbours ("tll" for "ttl") count one each. SIZE_MAX for words of 32
 * characters or more. */
size_t suggest_distance(const char *a, const char *b);

/* The candidate (of n) closest to word: at most one edit away for words of up to four
 * characters, two for longer ones; NULL when none is that close, or two are equally close. */
const char *suggest_closest(const char *word, const char *const *candidates, size_t n);

#endif
