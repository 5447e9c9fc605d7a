/* SPDX-License-Identifier: BSD-3-Clause */
/* rtnetlink messages as the kernel sends them, built for the unit tests of links and members. */
#pragma once

#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

/* An RTM_NEWLINK / RTM_DELLINK for (index, name) in buf (zeroed by the caller; 256 bytes
 * hold it). Returns the message's length. */
static inline size_t put_link(char *buf, uint16_t type, int index, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh->nlmsg_len;
}
