// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execsnoop: every execve(2) and execveat(2) with its arguments and result.
 *
 * The arguments are read when the call starts (sys_enter_execve(at), or with --ksyscall
 * a BPF_KSYSCALL kprobe on the syscall), while the caller's memory still exists,
 * and kept per thread. A failed call is reported at sys_exit_execve, named by the
 * caller. A successful one is reported at sched:sched_process_exec, named by the new
 * program: that tracepoint carries old_pid, the id the thread had when it called
 * execve, which an exec from a thread other than the leader loses on the way
 * (de_thread gives it the leader's id).
 */
#include "events.bpf.h"
#include "path.bpf.h"
#include "execsnoop.h"

/* --max-args: arguments kept, the path included (at most ARGS_MAX) */
const volatile __u32 max_args = 20;

/*
 * Execs in flight, one per thread. An event is 12 KiB: it lives here, not on the
 * stack, and the map is preallocated: 1024 execs at once (12 MiB) is plenty.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct event);
} execs SEC(".maps");

/* What an entry of `execs` starts as (rodata: the stack is too small to zero one). */
static const struct event empty_event = {};

/*
 * `dfd` and `flags` as execveat(2) takes them (AT_FDCWD and 0 for execve): what ran is
 * named by its path in full when it is relative to a directory descriptor, or by the
 * file's own path when the descriptor is the file (fexecve: AT_EMPTY_PATH, "").
 */
static __always_inline int enter(int dfd, const char *path, const char *const *argv, int flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *event;
	const char *arg;
	__u32 start;
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
	path_from_user(&event->path, path);
	if (dfd != AT_FDCWD) {
		if (event->path.names[0] == '\0' && (flags & AT_EMPTY_PATH)) {
			struct file *file = current_file(dfd);

			if (file)
				path_of_file(&event->path, file);
		} else {
			path_walk_start(&event->path, dfd);
		}
	}
	start = path_used(&event->path);
	event->args_size = 0;
	event->args_count = 0;

	for (i = 1; i < ARGS_MAX; i++) {
		__u32 at = start + event->args_size;

		if (i >= max_args)
			break;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			return 0;
		/* Bounds the offset for the verifier as well as for the buffer. */
		if (at > PATH_BYTES + ARGS_BYTES - ARG_LEN)
			break;
		len = bpf_probe_read_user_str(&event->path.names[at], ARG_LEN, arg);
		if (len <= 0)
			break;
		event->args_size += len;
		event->args_count++;
	}
	/* Stopped with arguments left: say so. */
	if (!bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) && arg)
		event->args_cut = 1;
	return 0;
}

static __always_inline void report(void *ctx, struct event *event, long ret)
{
	__u64 size = path_used(&event->path) + event->args_size;

	event->ret = ret;
	/* A success is named by the new program. */
	bpf_get_current_comm(event->task.comm, sizeof(event->task.comm));
	if (size > PATH_BYTES + ARGS_BYTES)
		size = PATH_BYTES + ARGS_BYTES;
	submit_event(ctx, event, offsetof(struct event, path.names) + size);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return enter(AT_FDCWD, (const char *)ctx->args[0], (const char *const *)ctx->args[1], 0);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tracepoint__syscalls__sys_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	/* execveat(dfd, path, argv, envp, flags) */
	return enter((int)ctx->args[0], (const char *)ctx->args[1],
		     (const char *const *)ctx->args[2], (int)ctx->args[4]);
}

SEC("ksyscall/execve")
int BPF_KSYSCALL(ksyscall__execve, const char *path, const char *const *argv)
{
	return enter(AT_FDCWD, path, argv, 0);
}

SEC("ksyscall/execveat")
int BPF_KSYSCALL(ksyscall__execveat, int dfd, const char *path, const char *const *argv,
		 const char *const *envp, int flags)
{
	return enter(dfd, path, argv, flags);
}

/* A failure is reported when the call returns; a success at sched_process_exec. */
static __always_inline int leave(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *event;

	if (ret >= 0)
		return 0;
	event = bpf_map_lookup_elem(&execs, &tid);
	if (!event)
		return 0;
	report(ctx, event, ret);
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int tracepoint__syscalls__sys_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, ctx->ret);
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
