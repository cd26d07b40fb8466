// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * openat_count: openat(2) calls counted per process name, in the kernel.
 * `-c test` (targ_comm in common.bpf.h) counts only processes named "test", as the
 * tutorial example did.
 */
#include "common.bpf.h"

/* One counter per process name, drained at every read: 10240 names per read (a second). */
DRAINED_COUNTS(counts, struct comm_key, __u64, 10240);

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	/* Zeroed: older kernels leave stack bytes after the comm's NUL (see kmalloc_bytes). */
	struct comm_key key = {};

	if (!trace_allowed())
		return 0;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.cgroup_id = key_cgroup();
	count_drained(&counts, &key, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
