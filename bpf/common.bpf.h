/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What every program of ebpf-tracers shares on the kernel side: the filter globals
 * user space writes into .rodata before load, and trace_allowed(), which applies them.
 *
 * Because the filters are `const volatile` and frozen at load, the verifier sees them as
 * constants: a filter that is not set costs nothing, a set one costs a compare.
 */
#ifndef __COMMON_BPF_H
#define __COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "common.h"

/*
 * A map of one slot with a value per CPU: room to build a value too big for the
 * 512-byte BPF stack, or counters that no two CPUs share (so a plain add is safe).
 * A program does not move between CPUs while it runs.
 */
#define PERCPU_SLOT(name, value_type)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);	\
		__uint(max_entries, 1);				\
		__type(key, __u32);				\
		__type(value, value_type);			\
	} name SEC(".maps")

/* -p: process (thread group) id; 0 = any */
const volatile pid_t targ_tgid = 0;
/* -t: thread id; 0 = any */
const volatile pid_t targ_pid = 0;
/* -u: user id; INVALID_UID = any (0 is root, a real filter) */
const volatile uid_t targ_uid = INVALID_UID;
/* -c: exact process name, NUL padded; only compared when filter_comm is set */
const volatile char targ_comm[TASK_COMM_LEN] = {};
const volatile bool filter_comm = false;
/* -x: only calls that failed, in the tools that report a result */
const volatile bool targ_failed = false;
/*
 * --cgroup: only tasks in the cgroup v2 directory user space puts in slot 0 of
 * cgroup_filter, or below it. The map is filled after load and before attach.
 */
const volatile bool filter_cgroup = false;
/* --by-cgroup: counting keys carry the task's cgroup id (key_cgroup()) */
const volatile bool by_cgroup = false;
/* fill_task() reads the parent's tgid (two reads of kernel memory, so only if asked) */
const volatile bool with_ppid = false;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

static __always_inline bool comm_allowed(void)
{
	char comm[TASK_COMM_LEN];
	int i;

	if (!filter_comm)
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (comm[i] == '\0')
			break;
	}
	return true;
}

/*
 * The -p/-t half of trace_allowed(), for the exit side of enter/exit pairs: a compare
 * is cheaper than the hash lookup it saves for every filtered-out task.
 */
static __always_inline bool pid_allowed(void)
{
	if (targ_tgid || targ_pid) {
		__u64 pid_tgid = bpf_get_current_pid_tgid();

		if (targ_tgid && targ_tgid != (pid_t)(pid_tgid >> 32))
			return false;
		if (targ_pid && targ_pid != (pid_t)pid_tgid)
			return false;
	}
	return true;
}

/*
 * True when the current task passes every filter the user set. With no filter set
 * the verifier removes it all: no helper is called for a filter nobody asked for.
 */
static __always_inline bool trace_allowed(void)
{
	if (!pid_allowed())
		return false;
	if (targ_uid != INVALID_UID && targ_uid != (uid_t)bpf_get_current_uid_gid())
		return false;
	if (!comm_allowed())
		return false;
	/* 1: under the cgroup; 0: not; < 0: no cgroup in the slot (never, once attached) */
	return !filter_cgroup || bpf_current_task_under_cgroup(&cgroup_filter, 0) == 1;
}

/* The cgroup part of a counting key: the task's cgroup with --by-cgroup, else 0. */
static __always_inline __u64 key_cgroup(void)
{
	return by_cgroup ? bpf_get_current_cgroup_id() : 0;
}

/* The current task, for the header of an event. */
static __always_inline void fill_task(struct task_info *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	task->tgid = pid_tgid >> 32;
	task->tid = (__u32)pid_tgid;
	task->uid = (__u32)bpf_get_current_uid_gid();
	task->ppid = 0;
	if (with_ppid) {
		struct task_struct *current = (struct task_struct *)bpf_get_current_task();

		task->ppid = BPF_CORE_READ(current, real_parent, tgid);
	}
	bpf_get_current_comm(task->comm, sizeof(task->comm));
	task->cgroup_id = bpf_get_current_cgroup_id();
}

/*
 * Adds n to the u64 counter of `key` in a per-CPU hash map, creating it at zero
 * first. Each CPU has its own slot, so a plain add is safe and costs no locked
 * instruction; user space sums the CPUs when it reads.
 */
static __always_inline void count_key(void *map, const void *key, __u64 n)
{
	__u64 zero = 0;
	__u64 *count;

	count = bpf_map_lookup_elem(map, key);
	if (!count) {
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		count = bpf_map_lookup_elem(map, key);
		if (!count)
			return;
	}
	*count += n;
}

/* The current task's struct file for `fd`, or NULL. */
static __always_inline struct file *current_file(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

#ifndef AT_FDCWD
#define AT_FDCWD -100
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/*
 * What an execve(2) or execveat(2) names, into buf: the path as passed or, for fexecve
 * (execveat with AT_EMPTY_PATH and ""), the name of the file the descriptor holds.
 * `dfd` and `flags` as execveat takes them (AT_FDCWD and 0 for execve). Returns what
 * the string read returned (its length with the NUL, or < 0).
 */
static __always_inline long read_exec_name(char *buf, __u32 size, int dfd, const char *path,
					   int flags)
{
	long len = bpf_probe_read_user_str(buf, size, path);
	struct file *file;

	/* "" reads as 1 (its NUL), or as 0 on older kernels (5.10). */
	if (len < 0 || len > 1 || dfd == AT_FDCWD || !(flags & AT_EMPTY_PATH))
		return len;
	file = current_file(dfd);
	if (!file)
		return -1;
	return bpf_probe_read_kernel_str(buf, size, BPF_CORE_READ(file, f_path.dentry, d_name.name));
}

#endif /* __COMMON_BPF_H */
