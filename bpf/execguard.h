/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __EXECGUARD_H
#define __EXECGUARD_H

#include "common.h"
#include "path.h"

/* The rules map's default size; execguard sizes it to the files given (--deny). */
#define MAX_RULES 1024

/* A file as the kernel knows it: its file system's device (s_dev) and its inode. */
struct file_id {
	__u64 dev;
	__u64 ino;
};

/*
 * One attempt to execute a file a rule names. The path is the file's own, walked up
 * its dentries (path.bpf.h): the name it was reached by (a hard link's, a symlink's
 * target), whatever the caller passed (a descriptor, a relative name).
 */
struct event {
	struct task_info task;	/* the caller's: its comm is still the old program's */
	__u32 rule;		/* which --deny FILE (its index) */
	__u32 denied;		/* 1: refused with EPERM; 0: --audit let it run */
	struct path_buf path;
};

#endif /* __EXECGUARD_H */
