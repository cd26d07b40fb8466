// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * arpsnoop: the ARP frames the host sends (IPv4 over Ethernet).
 *
 * Two ways in, chosen by user space before load:
 * - a kretprobe on arp_create, which returns the frame the kernel's ARP code built;
 * - where the kernel has no kprobes, net/net_dev_queue, which sees every frame handed
 *   to a device, ARP among them (and so also the ARP frames programs send through
 *   packet sockets, such as arping's).
 * Either way the addresses are read from the frame itself, at its network header:
 * arp_create's own arguments are eight, more than a kprobe reads in registers.
 */
#include "events.bpf.h"
#include "arpsnoop.h"
#include <bpf/bpf_endian.h>

#define ETH_P_ARP 0x0806
#define ARPHRD_ETHER 1
#define ETH_P_IP 0x0800

/* The ARP header and, for IPv4 over Ethernet, the addresses after it. */
struct arp_ipv4 {
	struct arphdr hdr;
	__u8 sha[6];
	__u8 sip[4];
	__u8 tha[6];
	__u8 tip[4];
} __attribute__((packed));

/*
 * The events are built on the stack, so no map names struct event; this global does,
 * which makes libbpf-cargo generate the Rust type for it.
 */
struct event *event_type_export __attribute__((unused));

static __always_inline void report(void *ctx, struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 network = BPF_CORE_READ(skb, network_header);
	struct event event = {};
	struct arp_ipv4 arp;

	if (!trace_allowed())
		return;
	if (bpf_probe_read_kernel(&arp, sizeof(arp), head + network))
		return;
	if (arp.hdr.ar_hrd != bpf_htons(ARPHRD_ETHER) || arp.hdr.ar_pro != bpf_htons(ETH_P_IP) ||
	    arp.hdr.ar_hln != 6 || arp.hdr.ar_pln != 4)
		return;
	event.op = bpf_ntohs(arp.hdr.ar_op);
	__builtin_memcpy(event.src_mac, arp.sha, 6);
	__builtin_memcpy(event.dst_mac, arp.tha, 6);
	__builtin_memcpy(event.src_ip, arp.sip, 4);
	__builtin_memcpy(event.dst_ip, arp.tip, 4);
	bpf_probe_read_kernel_str(event.dev, sizeof(event.dev), BPF_CORE_READ(skb, dev, name));
	submit_event(ctx, &event, sizeof(event));
}

SEC("kretprobe/arp_create")
int BPF_KRETPROBE(kretprobe__arp_create, struct sk_buff *skb)
{
	if (skb)
		report(ctx, skb);
	return 0;
}

SEC("tracepoint/net/net_dev_queue")
int tracepoint__net__net_dev_queue(struct trace_event_raw_net_dev_template *ctx)
{
	struct sk_buff *skb = ctx->skbaddr;

	if (BPF_CORE_READ(skb, protocol) == bpf_htons(ETH_P_ARP))
		report(ctx, skb);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
