/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The programs of every tool that follows execs (execsnoop, execve_count,
 * execs_by_user), included once the tool has defined, with exec.bpf.h:
 * - EXEC_CALLS(exec_calls): the calls in flight (inflight.bpf.h);
 * - exec_call_lost(): a call the tool could not follow (no room to keep it);
 * - exec_failed(ctx, call, ret): a failed call, at its sys_exit;
 * - exec_succeeded(ctx, call): a success, at sched_process_exec, in the new image.
 * The entries apply the filters (-p/-t/-u/-c/--cgroup select the calling task) and
 * keep the call; -x (targ_failed) leaves the successes out.
 */
#ifndef __EXEC_PROGRAMS_BPF_H
#define __EXEC_PROGRAMS_BPF_H

#include "exec.bpf.h"

/* `dfd` and `flags` as execveat(2) takes them (AT_FDCWD and 0 for execve). */
static __always_inline int exec_enter(int dfd, const char *path, const char *const *argv,
				      int flags)
{
	struct exec_call call = {
		.path = path,
		.argv = argv,
		.dfd = dfd,
		.flags = flags,
	};

	if (!trace_allowed())
		return 0;
	if (!inflight_put(exec_calls, &call))
		exec_call_lost();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return exec_enter(AT_FDCWD, (const char *)ctx->args[0], (const char *const *)ctx->args[1],
			  0);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tracepoint__syscalls__sys_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	/* execveat(dfd, path, argv, envp, flags) */
	return exec_enter((int)ctx->args[0], (const char *)ctx->args[1],
			  (const char *const *)ctx->args[2], (int)ctx->args[4]);
}

/* A failure is handed over when the call returns; a success at sched_process_exec. */
static __always_inline int exec_leave(void *ctx, long ret)
{
	struct exec_call *call;

	if (ret >= 0 || !pid_allowed())
		return 0;
	call = inflight_get(exec_calls);
	if (!call)
		return 0;
	exec_failed(ctx, call, ret);
	inflight_done(exec_calls, call);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exec_leave(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int tracepoint__syscalls__sys_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exec_leave(ctx, ctx->ret);
}

/*
 * The tracepoint carries old_pid, the id the thread had when it called execve, which an
 * exec from a thread other than the leader loses on the way (de_thread gives it the
 * leader's id): the hash is looked up by it (task storage stays with the task); the
 * filters were applied at entry.
 */
SEC("tracepoint/sched/sched_process_exec")
int tracepoint__sched__sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 old_tid = (__u32)ctx->old_pid;
	struct exec_call *call;

	call = inflight_get_of(exec_calls, old_tid);
	if (!call)
		return 0;
	if (!targ_failed)
		exec_succeeded(ctx, call);
	inflight_done_of(exec_calls, call, old_tid);
	return 0;
}

#endif /* __EXEC_PROGRAMS_BPF_H */
