// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execs_by_user: execve(2) and execveat(2) calls counted per (user, path). An
 * execveat path is as passed; for fexecve (AT_EMPTY_PATH, "") it is the name of the
 * file the descriptor holds.
 *
 * The call's entry applies the filters and keeps the user, the cgroup and the call's
 * pointers per thread until the result is known; the path is read where the kernel
 * has it (bpf/exec.bpf.h). A failed call is counted at sys_exit_execve. A successful
 * one is counted at sched:sched_process_exec, which names the thread by the id it had
 * when it called execve (old_pid): an exec from a thread other than the leader takes
 * the leader's id on the way (de_thread), so at sys_exit_execve the thread that
 * entered can no longer be found by its id. -x counts only the calls that failed.
 * Shell builtins (cd, pwd) never call execve and so are never counted.
 */
#include "common.bpf.h"
#include "exec.bpf.h"
#include "execs_by_user.h"

DRAINED_COUNTS(counts, struct exec_key, __u64, 10240);

EXEC_CALLS(exec_calls);

/* The key is built here: 260 bytes is too much for the 512-byte stack next to the rest. */
PERCPU_SLOT(heap, struct exec_key);

/* A call the in-flight map had no room for. */
static __always_inline void exec_call_lost(void)
{
	note_not_counted(1);
}

/*
 * The key of the current task's exec, path left empty: the user and the cgroup are
 * the caller's (an exec changes neither its real uid nor its cgroup).
 */
static __always_inline struct exec_key *new_key(void)
{
	__u32 zero = 0;
	struct exec_key *key = bpf_map_lookup_elem(&heap, &zero);

	if (!key)
		return NULL;
	/* Zero the whole key: bytes after the path's NUL are part of the hash key. */
	__builtin_memset(key, 0, sizeof(*key));
	key->uid = (__u32)bpf_get_current_uid_gid();
	key->cgroup_id = key_cgroup();
	return key;
}

/* Counts `key`; `len` is what its path's read returned (< 0: it failed). */
static __always_inline void count_key_read(struct exec_key *key, long len)
{
	if (len <= 0) {
		__builtin_memset(key->path, 0, sizeof(key->path));
		key->unreadable = 1;
	}
	count_drained(&counts, key, 1);
}

static __always_inline void exec_failed(void *ctx, const struct exec_call *call, long ret)
{
	struct exec_key *key = new_key();

	if (key)
		count_key_read(key, exec_name_at_exit(call, key->path, sizeof(key->path)));
}

static __always_inline void exec_succeeded(struct trace_event_raw_sched_process_exec *ctx,
					   const struct exec_call *call)
{
	struct exec_key *key = new_key();

	if (key)
		count_key_read(key, exec_name_at_exec(ctx, key->path, sizeof(key->path)));
}

#include "exec_programs.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
