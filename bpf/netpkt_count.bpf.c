// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netpkt_count: packets a process sends (net/net_dev_xmit) and receives
 * (net/netif_rx), counted per CPU in a per-CPU hash, as the tutorial example did.
 *
 * The tracepoints fire in whatever task is running: a packet counts for the target
 * process when that process is the one on the CPU (its own transmits, and receives
 * that its transmit drives synchronously, as across a veth pair).
 */
#include "common.bpf.h"

struct tx_rx {
	__u64 tx;
	__u64 rx;
};

/* One key (0); per-CPU values, summed (and shown per CPU) by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tx_rx);
} counts SEC(".maps");

static __always_inline struct tx_rx *slot(void)
{
	struct tx_rx zeroes = {};
	struct tx_rx *c;
	__u32 key = 0;

	if (!trace_allowed())
		return NULL;
	c = bpf_map_lookup_elem(&counts, &key);
	if (c)
		return c;
	bpf_map_update_elem(&counts, &key, &zeroes, BPF_NOEXIST);
	return bpf_map_lookup_elem(&counts, &key);
}

SEC("tracepoint/net/net_dev_xmit")
int tracepoint__net__net_dev_xmit(void *ctx)
{
	struct tx_rx *c = slot();

	if (c)
		c->tx += 1;
	return 0;
}

SEC("tracepoint/net/netif_rx")
int tracepoint__net__netif_rx(void *ctx)
{
	struct tx_rx *c = slot();

	if (c)
		c->rx += 1;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
