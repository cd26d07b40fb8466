// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * unlinksnoop: every file unlinked, with the result.
 *
 * Two ways in, chosen by user space before load:
 * - kprobe + kretprobe on do_unlinkat, where unlink(2) and unlinkat(2) meet; the name
 *   is read from the kernel's copy (struct filename) with CO-RE. Linux 7.2 calls it
 *   filename_unlinkat (same parameters): user space attaches these programs to the
 *   name the running kernel has (src/tools/unlinksnoop.rs, HOOKS);
 * - on kernels without kprobes, the unlink/unlinkat syscall tracepoints, reading the
 *   user's path.
 * Either way the entry builds the event (do_unlinkat frees the filename before it
 * returns) and the exit adds the result and submits it.
 */
#include "path_call.bpf.h"

#ifndef AT_REMOVEDIR
#define AT_REMOVEDIR 0x200
#endif

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(kprobe__do_unlinkat, int dfd, struct filename *name)
{
	struct event *event = new_event();

	if (!event)
		return 0;
	path_from_kernel(&event->path, BPF_CORE_READ(name, name));
	remember(event, dfd);
	return 0;
}

/*
 * do_unlinkat returns an int: read as a long, -ENOENT would be 4294967294 on kernels
 * whose code leaves the upper half of the register clear, and -x would miss it.
 */
SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(kretprobe__do_unlinkat, int ret)
{
	finish(ctx, ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_unlink")
int tracepoint__syscalls__sys_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return remember_user_path(AT_FDCWD, (const char *)ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int tracepoint__syscalls__sys_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	/* unlinkat(dfd, path, AT_REMOVEDIR) is rmdir: do_rmdir, not do_unlinkat. */
	if (ctx->args[2] & AT_REMOVEDIR)
		return 0;
	return remember_user_path((int)ctx->args[0], (const char *)ctx->args[1], 0);
}

SEC("tracepoint/syscalls/sys_exit_unlink")
int tracepoint__syscalls__sys_exit_unlink(struct trace_event_raw_sys_exit *ctx)
{
	finish(ctx, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int tracepoint__syscalls__sys_exit_unlinkat(struct trace_event_raw_sys_exit *ctx)
{
	finish(ctx, ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
