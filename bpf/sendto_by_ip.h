/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __SENDTO_BY_IP_H
#define __SENDTO_BY_IP_H

/*
 * A destination: family 0 = no address given (a connected socket); AF_INET keeps its
 * 4 bytes at the start of addr; other families are counted by family alone.
 */
struct dest_key {
	__u64 cgroup_id;	/* key_cgroup() */
	__u16 family;
	__u16 pad;
	__u8 addr[16];
	__u32 pad2;	/* named, so that the key has no hidden padding to zero */
};

#endif /* __SENDTO_BY_IP_H */
