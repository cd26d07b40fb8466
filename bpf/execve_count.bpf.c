// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execve_count: execve(2) and execveat(2) calls counted per name of the binary
 * executed (for fexecve, AT_EMPTY_PATH: the name of the file the descriptor holds).
 *
 * The key is the last component of the path executed: the caller's comm (bash, say)
 * is not it. The call's entry applies the filters and keeps its pointers; the name is
 * read where the kernel has it (bpf/exec.bpf.h): a success at sched_process_exec, a
 * failure at sys_exit. `-c cat` (targ_name) counts only binaries named cat, as the
 * tutorial example did.
 */
#include "common.bpf.h"
#include "exec.bpf.h"

#define PATH_LEN 256
#define NAME_LEN 64

struct name_key {
	__u64 cgroup_id;	/* key_cgroup() */
	__u32 unreadable;	/* 1: the kernel could not read the name (name is empty) */
	__u32 pad;
	char name[NAME_LEN];
};

/* -c: the executed binary's name, NUL padded; only compared when filter_name is set */
const volatile char targ_name[NAME_LEN] = {};
const volatile bool filter_name = false;

DRAINED_COUNTS(counts, struct name_key, __u64, 10240);

EXEC_CALLS(exec_calls);

/* The path is read here first: 256 bytes do not fit beside the key on the stack. */
PERCPU_SLOT(path_buf, char[PATH_LEN]);

static __always_inline bool name_allowed(const struct name_key *key)
{
	int i;

	if (!filter_name)
		return true;
	for (i = 0; i < NAME_LEN; i++) {
		if (key->name[i] != targ_name[i])
			return false;
		if (key->name[i] == '\0')
			break;
	}
	return true;
}

/* Counts the exec of `path` (`len`: what its read returned, < 0 if it failed). */
static __always_inline void count_name(const char *path, long len)
{
	struct name_key key = {};
	__u32 start = 0;
	long i, at;

	if (len <= 0) {
		key.unreadable = 1;
	} else {
		/*
		 * Scan backwards for the last '/': a forward scan that remembers every
		 * slash gives the verifier two paths per byte and never fits its budget;
		 * this one stops at the first slash it meets. len counts the NUL, so the
		 * last byte is at len - 2.
		 */
		for (i = 0; i < PATH_LEN; i++) {
			at = len - 2 - i;
			if (at < 0)
				break;
			if (path[at & (PATH_LEN - 1)] == '/') {
				start = at + 1;
				break;
			}
		}
		bpf_probe_read_kernel_str(key.name, sizeof(key.name),
					  path + (start & (PATH_LEN - 1)));
	}
	if (!name_allowed(&key))
		return;
	key.cgroup_id = key_cgroup();
	count_drained(&counts, &key, 1);
}

/* A call the in-flight map had no room for. */
static __always_inline void exec_call_lost(void)
{
	note_not_counted(1);
}

static __always_inline void exec_failed(void *ctx, const struct exec_call *call, long ret)
{
	__u32 zero = 0;
	char *path = bpf_map_lookup_elem(&path_buf, &zero);

	if (path)
		count_name(path, exec_name_at_exit(call, path, PATH_LEN));
}

static __always_inline void exec_succeeded(struct trace_event_raw_sched_process_exec *ctx,
					   const struct exec_call *call)
{
	__u32 zero = 0;
	char *path = bpf_map_lookup_elem(&path_buf, &zero);

	if (path)
		count_name(path, exec_name_at_exec(ctx, path, PATH_LEN));
}

#include "exec_programs.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
