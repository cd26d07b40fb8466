// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execs_by_user: execve(2) and execveat(2) calls counted per (user, path). An
 * execveat path is as passed; for fexecve (AT_EMPTY_PATH, "") it is the name of the
 * file the descriptor holds.
 *
 * The path is read at sys_enter_execve (the caller's memory is gone once a new
 * program is in place) and kept per thread until the result is known. A failed
 * call is counted at sys_exit_execve. A successful one is counted at
 * sched:sched_process_exec, which names the thread by the id it had when it
 * called execve (old_pid): an exec from a thread other than the leader takes the
 * leader's id on the way (de_thread), so at sys_exit_execve the thread that
 * entered can no longer be found by its id. -x counts only the calls that failed.
 * Shell builtins (cd, pwd) never call execve and so are never counted.
 */
#include "common.bpf.h"
#include "execs_by_user.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct exec_key);
	__type(value, __u64);
} counts SEC(".maps");

/* execs in flight, per thread, between enter and exit */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct exec_key);
} start SEC(".maps");

/* The key is built here: 260 bytes is too much for the 512-byte stack next to the rest. */
PERCPU_SLOT(heap, struct exec_key);

/* `dfd` and `flags` as execveat(2) takes them (AT_FDCWD and 0 for execve). */
static __always_inline int enter(int dfd, const char *path, int flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_key *key;
	__u32 zero = 0;

	if (!trace_allowed())
		return 0;
	key = bpf_map_lookup_elem(&heap, &zero);
	if (!key)
		return 0;
	/* Zero the whole key: bytes after the path's NUL are part of the hash key. */
	__builtin_memset(key, 0, sizeof(*key));
	key->uid = (__u32)bpf_get_current_uid_gid();
	key->cgroup_id = key_cgroup();
	if (read_exec_name(key->path, sizeof(key->path), dfd, path, flags) < 0)
		return 0;
	bpf_map_update_elem(&start, &tid, key, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return enter(AT_FDCWD, (const char *)ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tracepoint__syscalls__sys_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	/* execveat(dfd, path, argv, envp, flags) */
	return enter((int)ctx->args[0], (const char *)ctx->args[1], (int)ctx->args[4]);
}

/* A failure is counted when the call returns; a success at sched_process_exec. */
static __always_inline int leave(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_key *key;

	if (ret >= 0 || !pid_allowed())
		return 0;
	key = bpf_map_lookup_elem(&start, &tid);
	if (!key)
		return 0;
	count_key(&counts, key, 1);
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int tracepoint__syscalls__sys_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx->ret);
}

SEC("tracepoint/sched/sched_process_exec")
int tracepoint__sched__sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 old_tid = (__u32)ctx->old_pid;
	struct exec_key *key;

	/*
	 * Looked up by the old id only: the filters were applied when the call started,
	 * and -t would not match a thread that took the leader's id on the way.
	 */
	key = bpf_map_lookup_elem(&start, &old_tid);
	if (!key)
		return 0;
	if (!targ_failed)
		count_key(&counts, key, 1);
	bpf_map_delete_elem(&start, &old_tid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
