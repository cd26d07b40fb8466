// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mkdirsnoop: every directory created with mkdir(2) or mkdirat(2), with its mode and
 * the result. The entry keeps the path and mode per thread (path_call.bpf.h), the exit
 * adds the result. User space switches off mkdir's tracepoints where the kernel has
 * no such syscall (arm64, riscv64: only mkdirat).
 */
#include "path_call.bpf.h"

SEC("tracepoint/syscalls/sys_enter_mkdir")
int tracepoint__syscalls__sys_enter_mkdir(struct trace_event_raw_sys_enter *ctx)
{
	/* mkdir(path, mode) */
	return remember_user_path(AT_FDCWD, (const char *)ctx->args[0], (__u32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_mkdirat")
int tracepoint__syscalls__sys_enter_mkdirat(struct trace_event_raw_sys_enter *ctx)
{
	/* mkdirat(dfd, path, mode) */
	return remember_user_path((int)ctx->args[0], (const char *)ctx->args[1],
				  (__u32)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_mkdir")
int tracepoint__syscalls__sys_exit_mkdir(struct trace_event_raw_sys_exit *ctx)
{
	finish(ctx, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mkdirat")
int tracepoint__syscalls__sys_exit_mkdirat(struct trace_event_raw_sys_exit *ctx)
{
	finish(ctx, ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
