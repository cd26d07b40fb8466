// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netdev_trace: packets handed to a device to send (net/net_dev_queue) and packets
 * received (net/netif_receive_skb). Both tracepoints share the net_dev_template
 * layout: skbaddr, len and the device name as __data_loc.
 *
 * Which one fired? The seed's open question. Candidates, and why this file does what
 * it does:
 * - common_type, the event id at the start of every trace record, compared with the
 *   ids in tracefs: does not work. Before a BPF program runs, perf overwrites the
 *   first 8 bytes of the record (common_type included) with a pt_regs pointer, and
 *   the verifier refuses loads from them for that reason.
 * - an attach cookie per link (bpf_get_attach_cookie): one program, but only on
 *   kernels 5.15 and later.
 * - two entry points sharing one always-inline body, each passing its direction as a
 *   constant: correct on every kernel, no run-time cost. That is the choice here.
 */
#include "events.bpf.h"
#include "netdev_trace.h"

/*
 * The events are built on the stack, so no map names struct event; this global does,
 * which makes libbpf-cargo generate the Rust type for it.
 */
struct event *event_type_export __attribute__((unused));

/* --dev: only this device, NUL padded; compared when filter_dev is set */
const volatile char targ_dev[IFNAMSIZ] = {};
const volatile bool filter_dev = false;

static __always_inline bool dev_allowed(const char *dev)
{
	int i;

	if (!filter_dev)
		return true;
	for (i = 0; i < IFNAMSIZ; i++) {
		if (dev[i] != targ_dev[i])
			return false;
		if (dev[i] == '\0')
			break;
	}
	return true;
}

static __always_inline int record(struct trace_event_raw_net_dev_template *ctx, __u32 dir)
{
	struct event event = {};
	__u32 loc;

	if (!trace_allowed())
		return 0;
	/* __data_loc: the low 16 bits are the offset from the start of the record. */
	loc = ctx->__data_loc_name;
	bpf_probe_read_kernel_str(event.dev, sizeof(event.dev), (void *)ctx + (loc & 0xffff));
	if (!dev_allowed(event.dev))
		return 0;
	event.dir = dir;
	event.len = ctx->len;
	submit_event(ctx, &event, sizeof(event));
	return 0;
}

SEC("tracepoint/net/net_dev_queue")
int tracepoint__net__net_dev_queue(struct trace_event_raw_net_dev_template *ctx)
{
	return record(ctx, DIR_TX);
}

SEC("tracepoint/net/netif_receive_skb")
int tracepoint__net__netif_receive_skb(struct trace_event_raw_net_dev_template *ctx)
{
	return record(ctx, DIR_RX);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
