/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __EXECS_BY_USER_H
#define __EXECS_BY_USER_H

#define PATH_LEN 256

/* Who executed what: the counting key, built when the exec's result is known. */
struct exec_key {
	__u64 cgroup_id;	/* key_cgroup() */
	__u32 uid;
	__u32 unreadable;	/* 1: the kernel could not read the path (path is empty) */
	char path[PATH_LEN];
};

#endif /* __EXECS_BY_USER_H */
