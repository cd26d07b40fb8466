/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __XDP_DROP_COUNT_H
#define __XDP_DROP_COUNT_H

/*
 * Counter slots: 0-255 are IP protocol numbers (IPv4's protocol, IPv6's next
 * header), then ARP, then every other kind of frame.
 */
#define SLOT_ARP 256
#define SLOT_OTHER 257
#define SLOTS 258

struct proto_counts {
	__u64 packets;
	__u64 dropped;
};

#endif /* __XDP_DROP_COUNT_H */
