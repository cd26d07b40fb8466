/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __NETDEV_TRACE_H
#define __NETDEV_TRACE_H

#define IFNAMSIZ 16

enum direction {
	DIR_TX = 0, /* net/net_dev_queue */
	DIR_RX = 1, /* net/netif_receive_skb */
};

struct event {
	__u64 ts;		/* stamped by submit_event() */
	__u32 len;
	__u32 dir;
	char dev[IFNAMSIZ];
};

#endif /* __NETDEV_TRACE_H */
