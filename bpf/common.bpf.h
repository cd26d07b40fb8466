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

/*
 * fill_task() reads the ids and the name through bpf_get_current_task_btf() (5.11+ for
 * these programs; user space probes it), where the helpers take a call each: on a
 * machine that guards every return (SRSO, retpolines) a helper call costs tens of ns,
 * and bpf_get_current_comm() ~45 ns. uid and cgroup id stay helpers: reading them
 * directly would relocate four more kernel types (cred, css_set, cgroup, kernfs_node),
 * ~1 ms each at every start, for a few ns per event.
 */
const volatile bool use_task_btf = false;

/* The current task, for the header of an event. */
static __always_inline void fill_task(struct task_info *task)
{
	if (use_task_btf) {
		struct task_struct *t = bpf_get_current_task_btf();

		task->tgid = t->tgid;
		task->tid = t->pid;
		task->uid = (__u32)bpf_get_current_uid_gid();
		task->ppid = with_ppid ? t->real_parent->tgid : 0;
		/* set_task_comm() keeps the last byte NUL, so a racing rename cannot unterminate it. */
		__builtin_memcpy(task->comm, t->comm, sizeof(task->comm));
		task->cgroup_id = bpf_get_current_cgroup_id();
		return;
	}
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
 * Events a counting program could not count (its map full, say), per CPU: user space
 * reports them (report.rs), so a full map is never silent.
 */
PERCPU_SLOT(not_counted, __u64);

static __always_inline void note_not_counted(__u64 n)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&not_counted, &zero);

	if (lost)
		*lost += n;
}

/*
 * Adds n to the u64 counter of `key` in a per-CPU hash map, creating it at zero
 * first. Each CPU has its own slot, so a plain add is safe and costs no locked
 * instruction; user space sums the CPUs when it reads. What cannot be counted (the
 * map is full) is counted in not_counted.
 */
static __always_inline void count_key(void *map, const void *key, __u64 n)
{
	__u64 zero = 0;
	__u64 *count;

	count = bpf_map_lookup_elem(map, key);
	if (!count) {
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		count = bpf_map_lookup_elem(map, key);
		if (!count) {
			note_not_counted(n);
			return;
		}
	}
	*count += n;
}

/*
 * Counters user space drains as it reads (maps.rs `Drained`): two per-CPU hashes,
 * name_0 and name_1, and `name`, an array of one map that holds the one being counted
 * into. To read, user space puts the other one in its place; that update returns once
 * every program that could still hold the old one has ended (the kernel waits for them
 * on map-in-map updates), so the old one is read and emptied with no program writing
 * to it: nothing is lost, and the kernel only ever holds what arrived since the last
 * read.
 */
#define DRAINED_COUNTS(name, key_type, value_type, entries)			\
	struct name##_inner {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);				\
		__uint(max_entries, entries);					\
		__type(key, key_type);						\
		__type(value, value_type);					\
	} name##_0 SEC(".maps"), name##_1 SEC(".maps");				\
	struct {								\
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);			\
		__uint(max_entries, 1);						\
		__type(key, __u32);						\
		__array(values, struct name##_inner);				\
	} name SEC(".maps") = { .values = { &name##_0 } }

/*
 * The value of `key` in the map a DRAINED_COUNTS array holds now, created as `initial`
 * first; NULL when there is no room (the caller notes it not counted).
 */
static __always_inline void *drained_value(void *counts, const void *key, const void *initial)
{
	__u32 zero = 0;
	void *map = bpf_map_lookup_elem(counts, &zero);
	void *value;

	if (!map)
		return NULL;
	value = bpf_map_lookup_elem(map, key);
	if (!value) {
		bpf_map_update_elem(map, key, initial, BPF_NOEXIST);
		value = bpf_map_lookup_elem(map, key);
	}
	return value;
}

/* count_key() for a DRAINED_COUNTS map of u64 counters. */
static __always_inline void count_drained(void *counts, const void *key, __u64 n)
{
	__u64 zero = 0;
	__u64 *count = drained_value(counts, key, &zero);

	if (!count) {
		note_not_counted(n);
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

#endif /* __COMMON_BPF_H */
