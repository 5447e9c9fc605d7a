/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * links_json: the JSON view of the interfaces the daemon knows from rtnetlink (the
 * "interfaces" of `show`, doc/control-protocol.md): {"ifname": ..., "ifindex": N, "up": BOOL}
 * each, in the link table's order.
 */
#ifndef IPV4OPTD_LINKS_JSON_H
#define IPV4OPTD_LINKS_JSON_H

#include <json-c/json.h>

#include "links.h"

/* Appends the object of every interface of l to the array arr. 0 or -ENOMEM. */
int links_json_append_all(const struct links *l, struct json_object *arr);

#endif
