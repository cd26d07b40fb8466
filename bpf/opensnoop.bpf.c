// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * opensnoop: every open(2), openat(2) and openat2(2) with its result.
 *
 * Two ways in, chosen by user space before load (--mode, src/kernel/load.rs Hooks):
 * - fexit on do_sys_openat2, where BPF trampolines work: the one kernel function every
 *   open(2), openat(2), openat2(2) and creat(2) goes through (32-bit programs' too),
 *   with both the arguments
 *   and the result, so one program and no state kept between entry and return;
 * - the syscall tracepoints: sys_enter_* filters and remembers the arguments per thread;
 *   sys_exit_* emits the event. User space switches off the programs whose tracepoint
 *   the kernel lacks (e.g. open on arm64, openat2 before 5.6).
 * Either way the path is read at the return (the kernel has copied it by then, so the
 * page is present).
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
 * the exit stops after 1 the in-flight get, 2 the task header, 3 the path read, 4 the
 * time stamp submit_event() takes; 0 (every run but the bench's) makes the whole event,
 * and the verifier drops the stops.
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
 * The event of one open that returned `ret`. `full`: -F. The returns come in two sets,
 * with and without it, and user space loads one: the kernel-structure reads of the walk
 * need CO-RE relocations that cost milliseconds at every start, which a run without -F
 * should not pay.
 */
static __always_inline void emit(void *ctx, const struct open_args *args, long ret,
				 const bool full)
{
	struct event *event;
	__u32 zero = 0;

	if (targ_failed && ret >= 0)
		return;
	event = bpf_map_lookup_elem(&heap, &zero);
	if (!event || bench_stop == 1)
		return;
	fill_task(&event->task);
	if (bench_stop == 2)
		return;
	event->ret = ret;
	event->flags = args->flags;
	event->mode = args->mode;
	path_from_user(&event->path, args->fname);
	if (full)
		path_walk_start(&event->path, args->dfd);
	if (bench_stop == 3)
		return;
	if (bench_stop == 4) {
		event->task.ts = bpf_ktime_get_boot_ns();
		return;
	}
	submit_event(ctx, event, offsetof(struct event, path.names) + path_used(&event->path));
}

static __always_inline int leave(struct trace_event_raw_sys_exit *ctx, const bool full)
{
	struct open_args *args;

	if (!pid_allowed())
		return 0;
	args = inflight_get(start);
	if (!args)
		return 0;
	emit(ctx, args, ctx->ret, full);
	inflight_done(start, args);
	return 0;
}

/* O_LARGEFILE, which the kernel adds to the flags of every open(2) and openat(2) on a
 * 64-bit kernel (force_o_largefile()): not what was passed. */
#if defined(__TARGET_ARCH_arm64)
#define OPEN_O_LARGEFILE 0400000
#else
#define OPEN_O_LARGEFILE 0100000
#endif

/*
 * do_sys_openat2(dfd, filename, how): `how` is the kernel's copy (openat2's as passed,
 * or the one open and openat build from their flags and mode, with O_LARGEFILE added
 * and the mode zeroed unless the open may create). `ret` is an int on newer kernels
 * (7.x) and a long before: the fd or -errno fits the low 32 bits either way. An
 * openat2(2) whose `how` cannot be copied (EFAULT, E2BIG) fails before this function
 * and is not seen; nor is an O_LARGEFILE a 32-bit program passed itself.
 */
static __always_inline int opened(void *ctx, int dfd, const char *fname,
				  const struct open_how *how, __s32 ret, const bool full)
{
	struct open_args args;

	if (!trace_allowed())
		return 0;
	args.fname = fname;
	args.flags = (__s32)(how->flags & ~(__u64)OPEN_O_LARGEFILE);
	args.mode = (__u32)how->mode;
	args.dfd = dfd;
	emit(ctx, &args, ret, full);
	return 0;
}

SEC("fexit/do_sys_openat2")
int BPF_PROG(fexit__do_sys_openat2, int dfd, const char *filename, struct open_how *how,
	     long ret)
{
	return opened(ctx, dfd, filename, how, (__s32)ret, false);
}

SEC("fexit/do_sys_openat2")
int BPF_PROG(full_path__fexit__do_sys_openat2, int dfd, const char *filename,
	     struct open_how *how, long ret)
{
	return opened(ctx, dfd, filename, how, (__s32)ret, true);
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
