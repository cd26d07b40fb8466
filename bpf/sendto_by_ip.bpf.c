// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sendto_by_ip: sendto(2) calls counted per destination address, read from the
 * caller's sockaddr with its length checked before any field is trusted.
 */
#include "common.bpf.h"
#include "sendto_by_ip.h"

#define AF_INET 2
#define AF_INET6 10
/* sizeof(struct sockaddr_in) and sizeof(struct sockaddr_in6) */
#define SOCKADDR_IN_LEN 16
#define SOCKADDR_IN6_LEN 28

DRAINED_COUNTS(counts, struct dest_key, __u64, 10240);

SEC("tracepoint/syscalls/sys_enter_sendto")
int tracepoint__syscalls__sys_enter_sendto(struct trace_event_raw_sys_enter *ctx)
{
	/* sendto(fd, buf, len, flags, dest_addr, addrlen) */
	const void *addr = (const void *)ctx->args[4];
	__u32 addrlen = (__u32)ctx->args[5];
	struct dest_key key = {};
	__u16 family = 0;

	if (!trace_allowed())
		return 0;
	if (addr && addrlen >= sizeof(family) &&
	    bpf_probe_read_user(&family, sizeof(family), addr) == 0) {
		key.family = family;
		if (family == AF_INET && addrlen >= SOCKADDR_IN_LEN)
			bpf_probe_read_user(key.addr, 4, addr + offsetof(struct sockaddr_in, sin_addr));
		else if (family == AF_INET6 && addrlen >= SOCKADDR_IN6_LEN)
			bpf_probe_read_user(key.addr, 16, addr + offsetof(struct sockaddr_in6, sin6_addr));
	}
	key.cgroup_id = key_cgroup();
	count_drained(&counts, &key, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
