// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * hello: "hello world" into the kernel's trace buffer at every execve, with
 * bpf_printk. The trace buffer is shared by everything that writes to it; the line
 * ends with this run's id, so that the tool shows only the lines its own program wrote,
 * and the time of the exec (CLOCK_BOOTTIME ns, as submit_event stamps events: the
 * trace buffer's own clock is not one user space can convert).
 */
#include "common.bpf.h"

/* Set by user space: the tool's pid, which ends each line, before the time. */
const volatile __u32 run_id = 0;

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	if (!trace_allowed())
		return 0;
	bpf_printk("hello world #%u@%llu", run_id, bpf_ktime_get_boot_ns());
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
