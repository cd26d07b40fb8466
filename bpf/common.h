/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Constants shared by the BPF programs and, through the skeletons, by user space. */
#ifndef __COMMON_H
#define __COMMON_H

#define TASK_COMM_LEN 16
#define INVALID_UID ((uid_t)-1)

/*
 * The task that caused an event: the first member of every event struct of a task
 * tool, filled by fill_task() (common.bpf.h) and decoded once in user space
 * (src/record.rs), so that a task field is added here and nowhere else. It starts with
 * the event's time, as every event record must (events.bpf.h).
 */
struct task_info {
	__u64 ts;	/* when: CLOCK_BOOTTIME ns, stamped by submit_event() (events.bpf.h) */
	__u32 tgid;	/* the process */
	__u32 tid;	/* the thread */
	__u32 ppid;	/* the parent's tgid; 0 unless the tool sets with_ppid */
	__u32 uid;
	char comm[TASK_COMM_LEN];
	__u64 cgroup_id;	/* the task's cgroup v2 (its directory's inode number) */
};

/*
 * A key counted per process name (zero it first: bytes after the NUL count), and per
 * cgroup with --by-cgroup (key_cgroup(), else 0).
 */
struct comm_key {
	__u64 cgroup_id;
	char comm[TASK_COMM_LEN];
};

#endif /* __COMMON_H */
