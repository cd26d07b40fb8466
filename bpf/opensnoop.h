/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __OPENSNOOP_H
#define __OPENSNOOP_H

#include "common.h"

#define NAME_MAX 255
/* -F: directories walked up from the one a relative path starts in, at most */
#define DIR_DEPTH 16
/* -F: bytes for those directories' names */
#define DIR_BYTES 512

/* What sys_enter_* saw, kept until sys_exit_* of the same thread. */
struct open_args {
	const char *fname;
	__s32 flags;
	__u32 mode;
	__s32 dfd;	/* AT_FDCWD for open(2) */
};

/*
 * One open. The path is last, in `names`, so that only the bytes used are submitted:
 * user space decodes any record at least offsetof(struct event, names) long.
 * names holds the path as passed (fname_len bytes with its NUL) and, with -F for a
 * relative path, the names of the directories it starts in, from the nearest up to
 * the root, each with its NUL (dir_len bytes).
 */
struct event {
	struct task_info task;	/* ppid only with -P */
	__s32 ret;
	__s32 flags;
	__u32 mode;
	__u16 fname_len;
	__u16 dir_len;
	__u32 dir_cut;	/* 1: the walk stopped before the root */
	char names[NAME_MAX + 1 + DIR_BYTES];
};

#endif /* __OPENSNOOP_H */
