/* SPDX-License-Identifier: BSD-3-Clause */
/* output: what ipv4ctl prints for people (aligned tables, like `ip`) and for Prometheus. */
#ifndef IPV4CTL_OUTPUT_H
#define IPV4CTL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

struct output_table;

/* A table of n columns with these headers (copied). */
int output_table_new(size_t n, const char *const *headers, struct output_table **ret);
struct output_table *output_table_free(struct output_table *t);
void output_table_freep(struct output_table **t);

/* Adds a row of n cells (copied; NULL prints "-"). */
int output_table_add(struct output_table *t, const char *const *cells);

/* Prints the headers and rows, columns padded to their widest cell, two spaces apart; the
 * last column is not padded. */
void output_table_print(const struct output_table *t, FILE *f);

/* Renders the data of a `stats` response ({"policies":{"NAME":{"KEY":N,...}}}) as the
 * Prometheus text exposition format: each numeric KEY becomes the counter
 * ipv4opt_KEY_total{policy="NAME",action="ACTION"}, or the gauge ipv4opt_KEY when KEY ends
 * in _per_second or _seconds; an object of numbers (KEY: {"REASON": N}) becomes the counter
 * ipv4opt_KEY_total{...,reason="REASON"}. Other strings (last_source) are not labels.
 * Returns 0 or -EBADMSG when data has another shape. */
int output_prometheus(struct json_object *data, FILE *f);

#endif
