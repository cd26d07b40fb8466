// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_drop_count: an XDP program on one interface that counts the frames it receives
 * per protocol and drops those of the protocols user space names (--drop).
 *
 * XDP runs before the kernel builds a socket buffer, so there is no task to filter
 * on: -p/-u/-c do not apply. User space attaches the program to the interface it
 * names (the section cannot).
 */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "xdp_drop_count.h"

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_IPV6 0x86DD

/* --drop: one bit per slot */
const volatile __u64 drop_mask[(SLOTS + 63) / 64] = {};

/* One counter pair per slot and CPU: the receive path of each CPU counts alone. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, struct proto_counts);
} protocols SEC(".maps");

/* The slot of a frame: its IP protocol, ARP, or other. */
static __always_inline __u32 slot_of(void *data, void *end)
{
	struct ethhdr *eth = data;
	void *next = eth + 1;
	__u16 type;

	if (next > end)
		return SLOT_OTHER;
	type = bpf_ntohs(eth->h_proto);
	/* One VLAN tag (802.1Q or 802.1ad) is looked through. */
	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		struct vlan_hdr *vlan = next;

		if ((void *)(vlan + 1) > end)
			return SLOT_OTHER;
		type = bpf_ntohs(vlan->h_vlan_encapsulated_proto);
		next = vlan + 1;
	}
	if (type == ETH_P_IP) {
		struct iphdr *ip = next;

		if ((void *)(ip + 1) > end)
			return SLOT_OTHER;
		return ip->protocol;
	}
	if (type == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = next;

		/* The first next header: extension headers are not walked. */
		if ((void *)(ip6 + 1) > end)
			return SLOT_OTHER;
		return ip6->nexthdr;
	}
	if (type == ETH_P_ARP)
		return SLOT_ARP;
	return SLOT_OTHER;
}

SEC("xdp")
int xdp__count(struct xdp_md *ctx)
{
	__u32 slot = slot_of((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	/*
	 * The lookup takes its key from the stack, and a value read back from there has
	 * lost the bounds the verifier needs to index drop_mask: slot stays in a register.
	 */
	__u32 key = slot;
	struct proto_counts *counts;

	counts = bpf_map_lookup_elem(&protocols, &key);
	if (!counts)
		return XDP_PASS;
	counts->packets += 1;
	if (drop_mask[slot / 64] & (1ULL << (slot % 64))) {
		counts->dropped += 1;
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
