// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * unlinksnoop: every file unlinked, with the result.
 *
 * Two ways in, chosen by user space before load:
 * - kprobe + kretprobe on do_unlinkat, where unlink(2) and unlinkat(2) meet; the name
 *   is read from the kernel's copy (struct filename) with CO-RE;
 * - on kernels without kprobes, the unlink/unlinkat syscall tracepoints, reading the
 *   user's path.
 * Either way the entry builds the event (do_unlinkat frees the filename before it
 * returns) and the exit adds the result and submits it.
 */
#include "events.bpf.h"
#include "unlinksnoop.h"

#ifndef AT_REMOVEDIR
#define AT_REMOVEDIR 0x200
#endif

/* -x: only unlinks that failed */
const volatile bool targ_failed = false;

/* Unlinks in flight, one per thread; each entry holds the path read at entry. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct event);
} start SEC(".maps");

/* Zeroed template: hash values cannot be built on the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} heap SEC(".maps");

static __always_inline struct event *new_event(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct event *event;
	__u32 zero = 0;

	if (!trace_allowed())
		return NULL;
	event = bpf_map_lookup_elem(&heap, &zero);
	if (!event)
		return NULL;
	event->tgid = pid_tgid >> 32;
	event->pid = (__u32)pid_tgid;
	event->uid = (__u32)bpf_get_current_uid_gid();
	event->ret = 0;
	bpf_get_current_comm(event->comm, sizeof(event->comm));
	return event;
}

static __always_inline void remember(struct event *event)
{
	bpf_map_update_elem(&start, &event->pid, event, BPF_ANY);
}

static __always_inline void finish(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *event;

	if (!pid_allowed())
		return;
	event = bpf_map_lookup_elem(&start, &tid);
	if (!event)
		return;
	if (!targ_failed || ret < 0) {
		event->ret = ret;
		/* Unlinks are rare next to opens: the whole record, path padding included. */
		submit_event(ctx, event, sizeof(*event));
	}
	bpf_map_delete_elem(&start, &tid);
}

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(kprobe__do_unlinkat, int dfd, struct filename *name)
{
	struct event *event = new_event();
	const char *path;

	if (!event)
		return 0;
	path = BPF_CORE_READ(name, name);
	if (bpf_probe_read_kernel_str(event->path, sizeof(event->path), path) < 0)
		event->path[0] = '\0';
	remember(event);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(kretprobe__do_unlinkat, long ret)
{
	finish(ctx, ret);
	return 0;
}

static __always_inline int enter_tracepoint(const char *user_path)
{
	struct event *event = new_event();

	if (!event)
		return 0;
	if (bpf_probe_read_user_str(event->path, sizeof(event->path), user_path) < 0)
		event->path[0] = '\0';
	remember(event);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_unlink")
int tracepoint__syscalls__sys_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return enter_tracepoint((const char *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int tracepoint__syscalls__sys_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	/* unlinkat(dfd, path, AT_REMOVEDIR) is rmdir: do_rmdir, not do_unlinkat. */
	if (ctx->args[2] & AT_REMOVEDIR)
		return 0;
	return enter_tracepoint((const char *)ctx->args[1]);
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
