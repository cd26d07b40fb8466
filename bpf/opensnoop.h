/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __OPENSNOOP_H
#define __OPENSNOOP_H

#include "common.h"

#define NAME_MAX 255

/* What sys_enter_* saw, kept until sys_exit_* of the same thread. */
struct open_args {
	const char *fname;
	__s32 flags;
	__u32 mode;
};

/*
 * One open. The path is last so that only the bytes of the path actually read are
 * submitted: user space decodes any record at least offsetof(struct event, fname) long.
 */
struct event {
	__u32 tgid;
	__u32 pid;
	__u32 uid;
	__u32 ppid;	/* 0 unless -P */
	__s32 ret;
	__s32 flags;
	__u32 mode;
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX + 1];
};

#endif /* __OPENSNOOP_H */
