// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * opensnoop: every open(2), openat(2) and openat2(2) with its result.
 *
 * sys_enter_* filters and remembers the arguments per thread; sys_exit_* reads the path
 * (the kernel has copied it by then, so the page is present) and emits one event.
 * User space switches off the programs whose tracepoint the kernel lacks (e.g. open on
 * arm64, openat2 before 5.6) before load.
 */
#include "events.bpf.h"
#include "inflight.bpf.h"
#include "path.bpf.h"
#include "opensnoop.h"

/* In-flight opens, one per thread (inflight.bpf.h): 10240 threads in open() at once
 * is plenty for the hash. */
INFLIGHT(start, struct open_args, 10240);

/*
 * The bench's pieces of the event path (`make bench`, opensnoop's hidden --bench-stop):
 * the exit stops after 1 the in-flight get, 2 the task header, 3 the path read; 0 (every
 * run but the bench's) makes the whole event, and the verifier drops the stops.
 */
const volatile __u32 bench_stop = 0;

/* The event is built here: at 8 KiB it is far bigger than the 512-byte BPF stack. */
PERCPU_SLOT(heap, struct event);

static __always_inline int enter(int dfd, const char *fname, __s32 flags, __u32 mode)
{
	struct open_args args = {
		.fname = fname,
		.flags = flags,
		.mode = mode,
		.dfd = dfd,
	};

	if (!trace_allowed())
		return 0;
	if (!inflight_put(start, &args))
		count_dropped();
	return 0;
}

/*
 * `full`: -F. The exits come in two sets, with and without it, and user space loads
 * one: the kernel-structure reads of the walk need CO-RE relocations that cost
 * milliseconds at every start, which a run without -F should not pay.
 */
static __always_inline int leave(struct trace_event_raw_sys_exit *ctx, const bool full)
{
	struct open_args *args;
	struct event *event;
	__u32 zero = 0;
	long ret = ctx->ret;

	if (!pid_allowed())
		return 0;
	args = inflight_get(start);
	if (!args)
		return 0;
	if (targ_failed && ret >= 0)
		goto cleanup;
	event = bpf_map_lookup_elem(&heap, &zero);
	if (!event || bench_stop == 1)
		goto cleanup;

	fill_task(&event->task);
	if (bench_stop == 2)
		goto cleanup;
	event->ret = ret;
	event->flags = args->flags;
	event->mode = args->mode;
	path_from_user(&event->path, args->fname);
	if (full)
		path_walk_start(&event->path, args->dfd);
	if (bench_stop == 3)
		goto cleanup;
	submit_event(ctx, event, offsetof(struct event, path.names) + path_used(&event->path));
cleanup:
	inflight_done(start, args);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int tracepoint__syscalls__sys_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return enter(AT_FDCWD, (const char *)ctx->args[0], (__s32)ctx->args[1],
		     (__u32)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return enter((int)ctx->args[0], (const char *)ctx->args[1], (__s32)ctx->args[2],
		     (__u32)ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int tracepoint__syscalls__sys_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	/* openat2(dfd, filename, how, size): flags and mode live in user memory. */
	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return enter((int)ctx->args[0], (const char *)ctx->args[1], (__s32)how.flags,
		     (__u32)how.mode);
}

SEC("tracepoint/syscalls/sys_exit_open")
int tracepoint__syscalls__sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, false);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, false);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int tracepoint__syscalls__sys_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, false);
}

SEC("tracepoint/syscalls/sys_exit_open")
int full_path__sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, true);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int full_path__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, true);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int full_path__sys_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, true);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
