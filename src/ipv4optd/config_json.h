/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_json: the JSON view of the configuration in force (the "policies" of `show`,
 * doc/control-protocol.md): one object per policy, in file order,
 *   {"interfaces": [NAME|PATTERN, ...], "name": ..., "group": ..., "sources": [...],
 *    "exclude": [...], "action": "join"|"relay"|"log", "port": N, "line": N}
 */
#ifndef IPV4OPTD_CONFIG_JSON_H
#define IPV4OPTD_CONFIG_JSON_H

#include <json-c/json.h>

#include "config.h"

/* The object of policy p. 0 or -ENOMEM. */
int config_json_policy(const struct policy *p, struct json_object **ret);
/* Appends the object of every policy of c to the array arr. 0 or -ENOMEM. */
int config_json_append_policies(const struct config *c, struct json_object *arr);

#endif
