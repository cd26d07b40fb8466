// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execsnoop: every execve(2) with its arguments and result.
 *
 * The arguments are read when the call starts (sys_enter_execve, or with --ksyscall a
 * BPF_KSYSCALL kprobe on the execve syscall), while the caller's memory still exists,
 * and kept per thread. A failed call is reported at sys_exit_execve, named by the
 * caller. A successful one is reported at sched:sched_process_exec, named by the new
 * program: that tracepoint carries old_pid, the id the thread had when it called
 * execve, which an exec from a thread other than the leader loses on the way
 * (de_thread gives it the leader's id).
 */
#include "events.bpf.h"
#include "execsnoop.h"

/* --max-args: arguments kept, the path included (at most ARGS_MAX) */
const volatile __u32 max_args = 20;

/* Execs in flight, one per thread. An event is 7.7 KiB: it lives here, not on the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct event);
} execs SEC(".maps");

/* What an entry of `execs` starts as (rodata: the stack is too small to zero one). */
static const struct event empty_event = {};

static __always_inline int enter(const char *path, const char *const *argv)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *event;
	const char *arg;
	long len;
	int i;

	if (!trace_allowed())
		return 0;
	if (bpf_map_update_elem(&execs, &tid, &empty_event, BPF_ANY))
		return 0;
	event = bpf_map_lookup_elem(&execs, &tid);
	if (!event)
		return 0;
	/* with_ppid is always set by execsnoop: PPID is one of its columns. */
	fill_task(&event->task);

	/* The path executed stands first, for argv[0] need not name it. */
	len = bpf_probe_read_user_str(event->args, ARG_LEN, path);
	if (len <= 0) {
		event->args[0] = '\0';
		len = 1;
	}
	event->args_size = len;
	event->args_count = 1;

	for (i = 1; i < ARGS_MAX; i++) {
		__u32 size = event->args_size;

		if (i >= max_args)
			break;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			return 0;
		/* Bounds the offset for the verifier as well as for the buffer. */
		if (size > ARGS_BYTES - ARG_LEN)
			break;
		len = bpf_probe_read_user_str(&event->args[size], ARG_LEN, arg);
		if (len <= 0)
			break;
		event->args_size = size + len;
		event->args_count++;
	}
	/* Stopped with arguments left: say so. */
	if (!bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) && arg)
		event->args_cut = 1;
	return 0;
}

static __always_inline void report(void *ctx, struct event *event, long ret)
{
	__u64 size = event->args_size;

	event->ret = ret;
	/* A success is named by the new program. */
	bpf_get_current_comm(event->task.comm, sizeof(event->task.comm));
	if (size > ARGS_BYTES)
		size = ARGS_BYTES;
	submit_event(ctx, event, offsetof(struct event, args) + size);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[0], (const char *const *)ctx->args[1]);
}

SEC("ksyscall/execve")
int BPF_KSYSCALL(ksyscall__execve, const char *path, const char *const *argv)
{
	return enter(path, argv);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *event;

	/* A success is reported (and its entry removed) at sched_process_exec. */
	if (ctx->ret >= 0)
		return 0;
	event = bpf_map_lookup_elem(&execs, &tid);
	if (!event)
		return 0;
	report(ctx, event, ctx->ret);
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int tracepoint__sched__sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 old_tid = (__u32)ctx->old_pid;
	struct event *event;

	/* Looked up by the old id only: -p/-t were applied when the call started. */
	event = bpf_map_lookup_elem(&execs, &old_tid);
	if (!event)
		return 0;
	if (!targ_failed) {
		event->task.tid = (__u32)bpf_get_current_pid_tgid();
		report(ctx, event, 0);
	}
	bpf_map_delete_elem(&execs, &old_tid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
