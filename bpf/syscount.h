/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __SYSCOUNT_H
#define __SYSCOUNT_H

#include "common.h"

/* What syscount counts under: a system call, or with -P a process (nr is then -1). */
struct syscount_key {
	__u64 cgroup_id;		/* --by-cgroup, else 0 */
	__u32 tgid;			/* -P, else 0 */
	__s32 nr;			/* the call's number on this architecture; -P: -1 */
	char comm[TASK_COMM_LEN];	/* -P: the process's name (its leader's), else empty */
};

/* Only u64 counters: user space sums them CPU by CPU, field by field. */
struct syscount_value {
	__u64 count;
	__u64 total_ns;			/* -L: time from entry to return, summed */
};

#endif /* __SYSCOUNT_H */
