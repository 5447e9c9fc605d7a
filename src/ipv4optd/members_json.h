/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * members_json: the JSON view of the memberships (the "members" of `show`, the answer of
 * `join`; doc/control-protocol.md): one object per wanted membership,
 *   {"policy": ..., "origin": "config"|"runtime", "group": ..., "mode": "include"|"exclude",
 *    "sources": [...], "ifname": ..., "ifindex": N, "port": N,
 *    "state": "waiting"|"joined"|"failed", "error": TEXT|null, "error_code": "E..."|null,
 *    "since": ISO 8601 UTC, "since_unix": N, "joins": N}
 */
#ifndef IPV4OPTD_MEMBERS_JSON_H
#define IPV4OPTD_MEMBERS_JSON_H

#include <json-c/json.h>

#include "members.h"

/* The object of membership mb. 0 or -ENOMEM. */
int members_json_member(const struct member *mb, struct json_object **ret);
/* Appends the object of every membership of m, in creation order, to the array arr. */
int members_json_append_all(const struct members *m, struct json_object *arr);

#endif
