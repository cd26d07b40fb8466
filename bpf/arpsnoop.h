/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __ARPSNOOP_H
#define __ARPSNOOP_H

#include "common.h"

#define IFNAMSIZ 16

/* One ARP frame for IPv4 over Ethernet, as it leaves the host. */
struct event {
	__u64 ts;		/* stamped by submit_event() */
	__u16 op;		/* 1 request, 2 reply */
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u8 src_ip[4];
	__u8 dst_ip[4];
	char dev[IFNAMSIZ];
};

#endif /* __ARPSNOOP_H */
