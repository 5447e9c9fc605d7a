/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * view: what the modules' JSON views (config_json, members_json, links_json, stats_json, the
 * answers of commands.c) share: the value forms of doc/control-protocol.md. An address is a
 * dotted quad, an absent string JSON null, a list of addresses an array of dotted quads. Each
 * adds to object o under key and returns 0 or -ENOMEM (o is unchanged on failure).
 */
#ifndef IPV4OPTD_VIEW_H
#define IPV4OPTD_VIEW_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* s NULL: JSON null. */
int view_add_string(struct json_object *o, const char *key, const char *s);
int view_add_u64(struct json_object *o, const char *key, uint64_t v);
int view_add_int(struct json_object *o, const char *key, int64_t v);
int view_add_bool(struct json_object *o, const char *key, bool v);
int view_add_addr(struct json_object *o, const char *key, struct in_addr a);
int view_add_addrs(struct json_object *o, const char *key, const struct in_addr *a, size_t n);
/* An array of the n strings of v. */
int view_add_strings(struct json_object *o, const char *key, char *const *v, size_t n);

#endif
