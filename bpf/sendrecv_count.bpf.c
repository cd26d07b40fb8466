// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sendrecv_count: sendto(2) and recvfrom(2) calls, two tracepoints in one object
 * counting into one per-CPU array (no atomics: each CPU has its own slot).
 */
#include "common.bpf.h"

struct send_recv {
	__u64 sent;
	__u64 recv;
};

PERCPU_SLOT(counts, struct send_recv);

static __always_inline struct send_recv *slot(void)
{
	__u32 zero = 0;

	if (!trace_allowed())
		return NULL;
	return bpf_map_lookup_elem(&counts, &zero);
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int tracepoint__syscalls__sys_enter_sendto(struct trace_event_raw_sys_enter *ctx)
{
	struct send_recv *c = slot();

	if (c)
		c->sent += 1;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_recvfrom")
int tracepoint__syscalls__sys_enter_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	struct send_recv *c = slot();

	if (c)
		c->recv += 1;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
