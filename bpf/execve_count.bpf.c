// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execve_count: execve(2) and execveat(2) calls counted per name of the binary being
 * executed (for fexecve, AT_EMPTY_PATH: the name of the file the descriptor holds).
 *
 * At sys_enter_execve the task's comm is still the caller's (bash, say): the new
 * program's name is only in the filename argument, so the key is its last path
 * component, read from user memory. `-c cat` (targ_name) counts only binaries named
 * cat, as the tutorial example did.
 */
#include "common.bpf.h"

#define PATH_LEN 256
#define NAME_LEN 64

struct name_key {
	__u64 cgroup_id;	/* key_cgroup() */
	char name[NAME_LEN];
};

/* -c: the executed binary's name, NUL padded; only compared when filter_name is set */
const volatile char targ_name[NAME_LEN] = {};
const volatile bool filter_name = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct name_key);
	__type(value, __u64);
} counts SEC(".maps");

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

/* `dfd` and `flags` as execveat(2) takes them (AT_FDCWD and 0 for execve). */
static __always_inline int count_exec(int dfd, const char *user_path, int flags)
{
	struct name_key key = {};
	__u32 zero = 0, start = 0;
	char *path;
	long len, i, at;

	if (!trace_allowed())
		return 0;
	path = bpf_map_lookup_elem(&path_buf, &zero);
	if (!path)
		return 0;
	len = read_exec_name(path, PATH_LEN, dfd, user_path, flags);
	if (len <= 0)
		return 0;
	/*
	 * Scan backwards for the last '/': a forward scan that remembers every slash gives
	 * the verifier two paths per byte and never fits its budget; this one stops at the
	 * first slash it meets. len counts the NUL, so the last byte is at len - 2.
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
	bpf_probe_read_kernel_str(key.name, sizeof(key.name), path + (start & (PATH_LEN - 1)));
	if (!name_allowed(&key))
		return 0;
	key.cgroup_id = key_cgroup();
	count_key(&counts, &key, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return count_exec(AT_FDCWD, (const char *)ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tracepoint__syscalls__sys_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	/* execveat(dfd, path, argv, envp, flags) */
	return count_exec((int)ctx->args[0], (const char *)ctx->args[1], (int)ctx->args[4]);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
