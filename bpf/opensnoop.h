/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __OPENSNOOP_H
#define __OPENSNOOP_H

#include "common.h"
#include "path.h"

/* What sys_enter_* saw, kept until sys_exit_* of the same thread. */
struct open_args {
	const char *fname;
	__s32 flags;
	__u32 mode;
	__s32 dfd;	/* AT_FDCWD for open(2) */
};

/*
 * One open. The path is last, so that only the bytes used are submitted: user space
 * decodes any record at least offsetof(struct event, path.names) long. With -F, a
 * relative path's directories follow it (path.h).
 */
struct event {
	struct task_info task;	/* ppid only with -P */
	__s32 ret;
	__s32 flags;
	__u32 mode;
	struct path_buf path;
};

#endif /* __OPENSNOOP_H */
