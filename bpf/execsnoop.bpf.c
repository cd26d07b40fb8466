// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execsnoop: every execve(2) and execveat(2) with its arguments and result.
 *
 * The call's entry (sys_enter_execve(at), or with --ksyscall a BPF_KSYSCALL kprobe on
 * the syscall) applies the filters and keeps the caller's pointers per thread; what
 * they point at is read once the kernel has it (bpf/exec.bpf.h says why). A failed
 * call is reported at sys_exit_execve, named by the caller. A successful one is
 * reported at sched:sched_process_exec, named by the new program, with the path and
 * argv from the kernel's copies: that tracepoint carries old_pid, the id the thread
 * had when it called execve, which an exec from a thread other than the leader loses
 * on the way (de_thread gives it the leader's id).
 */
#include "events.bpf.h"
#include "path.bpf.h"
#include "exec.bpf.h"
#include "execsnoop.h"

/* --max-args: arguments kept, the path included (at most ARGS_MAX) */
const volatile __u32 max_args = 20;

EXEC_CALLS(exec_calls);

/* The event is built here: at 12 KiB it is far bigger than the 512-byte BPF stack. */
PERCPU_SLOT(heap, struct event);

/* A call the in-flight map had no room for: its event is lost. */
static __always_inline void exec_call_lost(void)
{
	count_dropped();
}

/* Reports the exec the current task made; its path and argv are in `event` already. */
static __always_inline void report(void *ctx, struct event *event, long ret)
{
	__u64 size = path_used(&event->path) + event->args_size;

	/* with_ppid is always set by execsnoop: PPID is one of its columns. */
	fill_task(&event->task);
	event->ret = ret;
	if (size > PATH_BYTES + ARGS_BYTES)
		size = PATH_BYTES + ARGS_BYTES;
	submit_event(ctx, event, offsetof(struct event, path.names) + size);
}

static __always_inline struct event *empty_event(void)
{
	__u32 zero = 0;
	struct event *event = bpf_map_lookup_elem(&heap, &zero);

	if (!event)
		return NULL;
	event->args_size = 0;
	event->args_cut = 0;
	event->args_unreadable = 0;
	return event;
}

/*
 * Where the arguments go: right after the path's used bytes, bounded for the verifier
 * as for the buffer (the path takes at most PATH_BYTES, the arguments ARGS_BYTES).
 */
static __always_inline __u32 args_at(const struct event *event)
{
	__u32 at = path_used(&event->path);

	return at > PATH_BYTES ? PATH_BYTES : at;
}

/*
 * A failure: the caller's memory still holds what it passed, and the kernel has faulted
 * the name in. Each argument is read up to ARG_LEN bytes, as far as they can be read
 * (an exec refused before the kernel copied them may find them unmapped).
 */
static __always_inline void exec_failed(void *ctx, const struct exec_call *call, long ret)
{
	struct event *event = empty_event();
	const char *arg;
	__u32 start;
	long len;
	int i;

	if (!event)
		return;
	path_from_user(&event->path, call->path);
	if (call->dfd != AT_FDCWD) {
		if (event->path.names[0] == '\0' && (call->flags & AT_EMPTY_PATH)) {
			struct file *file = current_file(call->dfd);

			if (file)
				path_of_file(&event->path, file);
		} else {
			path_walk_start(&event->path, call->dfd);
		}
	}
	event->path_unreadable = event->path.names[0] == '\0' && !event->path.walked;
	start = args_at(event);
	for (i = 0; i < ARGS_MAX; i++) {
		__u32 at = start + event->args_size;

		if (i >= max_args)
			break;
		if (bpf_probe_read_user(&arg, sizeof(arg), &call->argv[i])) {
			event->args_unreadable = 1;
			break;
		}
		if (!arg)
			break;
		/* Bounds the offset for the verifier as well as for the buffer. */
		if (at > PATH_BYTES + ARGS_BYTES - ARG_LEN)
			break;
		len = bpf_probe_read_user_str(&event->path.names[at], ARG_LEN, arg);
		if (len <= 0) {
			event->args_unreadable = 1;
			break;
		}
		event->args_size += len;
	}
	/* Stopped with arguments left: say so. */
	if (!event->args_unreadable && !bpf_probe_read_user(&arg, sizeof(arg), &call->argv[i]) &&
	    arg)
		event->args_cut = 1;
	report(ctx, event, ret);
}

/*
 * A success, in the new image: the name from the kernel's copy (or the file that runs,
 * for a descriptor), argv from the stack the kernel has just written.
 */
static __always_inline void exec_succeeded(struct trace_event_raw_sched_process_exec *ctx,
					   const struct exec_call *call)
{
	struct event *event = empty_event();
	const char *name;
	long len;

	if (!event)
		return;
	name = exec_filename(ctx);
	path_from_kernel(&event->path, name);
	if (names_a_descriptor(event->path.names)) {
		struct file *file = exec_file();

		if (file)
			path_of_file(&event->path, file);
	}
	event->path_unreadable = event->path.names[0] == '\0' && !event->path.walked;
	len = exec_argv_at_exec(&event->path.names[args_at(event)], ARGS_BYTES,
				&event->args_cut);
	if (len < 0)
		event->args_unreadable = 1;
	else
		event->args_size = len;
	report(ctx, event, 0);
}

#include "exec_programs.bpf.h"

SEC("ksyscall/execve")
int BPF_KSYSCALL(ksyscall__execve, const char *path, const char *const *argv)
{
	return exec_enter(AT_FDCWD, path, argv, 0);
}

SEC("ksyscall/execveat")
int BPF_KSYSCALL(ksyscall__execveat, int dfd, const char *path, const char *const *argv,
		 const char *const *envp, int flags)
{
	return exec_enter(dfd, path, argv, flags);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
