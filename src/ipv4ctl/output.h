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

/* Renders the data of a `stats` response ({"version":"V","policies":{"NAME":{"KEY":N,...}},
 * "data_path":{"KEY":N,...}}) as the Prometheus text exposition format:
 * ipv4opt_build_info{version="V"} 1; each numeric KEY of the data path becomes the counter
 * ipv4opt_KEY_total (no labels; data_sockets: the gauge ipv4opt_data_sockets); each numeric
 * KEY of a policy becomes the counter ipv4opt_KEY_total{policy="NAME",action="ACTION"}, or
 * the gauge ipv4opt_KEY when KEY ends in _per_second or _seconds; an object of numbers
 * (KEY: {"REASON": N}) becomes the counter ipv4opt_KEY_total{...,reason="REASON"}. Other
 * strings (last_source) are not labels. Returns 0 or -EBADMSG when data has another shape. */
int output_prometheus(struct json_object *data, FILE *f);

/* For people: under the table of `ipv4ctl stats`, for each policy with redundant inputs, a
 * line (redundancy, switches, recovered, lost_all) and a row per input (group, port, active,
 * received, lost, inactive). Prints nothing when no policy has inputs. */
void output_stats_inputs(struct json_object *data, FILE *f);

/* For people: one line of the data path's own counters (sockets, datagrams no policy
 * claimed, our own output heard again, receive-queue overflows, failed reads), under the
 * table of `ipv4ctl stats`. Prints nothing when data has no "data_path". */
void output_stats_data_path(struct json_object *data, FILE *f);

/* For people, on f (NULL: count only): each finding of a `diagnose` response
 * ({"findings":[{"code","severity","policy","interface","message","hint"}...]}) as
 * "SEVERITY: CODE, policy P, IF: MESSAGE" and "  fix: HINT", then the counts. Returns 1 when
 * a finding is an error, 0 when none is, -EBADMSG when data has another shape. */
int output_diagnose(struct json_object *data, FILE *f);

#endif
