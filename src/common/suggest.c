/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "suggest.h"

size_t suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[3][32]; /* rows i-2, i-1, i, indexed modulo 3 */

	if (la >= 32 || lb >= 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i - 2 + 3) % 3];

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
	}
	return d[la % 3][lb];
}

const char *suggest_closest(const char *word, const char *const *candidates, size_t n)
{
	size_t max = strlen(word) <= 4 ? 1 : 2, best = SIZE_MAX;
	const char *found = NULL;
	bool tie = false;

	for (size_t i = 0; i < n; i++) {
		size_t d = suggest_distance(word, candidates[i]);

		if (d > max || d > best)
			continue;
		tie = d == best;
		best = d;
		found = candidates[i];
	}
	return tie ? NULL : found;
}
