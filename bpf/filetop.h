/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __FILETOP_H
#define __FILETOP_H

#include "common.h"

#define FILE_NAME_LEN 64

/* The kind of file, from its inode's mode: what -a lets through besides 'R'. */
#define FILE_REGULAR 'R'
#define FILE_SOCKET 'S'
#define FILE_OTHER 'O'

/* Who did I/O on which file. */
struct file_key {
	__u32 tgid;
	__u32 tid;
	__u32 dev;
	__u32 pad;
	__u64 ino;
	__u64 cgroup_id;	/* key_cgroup() */
};

/* A file, whichever thread uses it: the key of the paths filetop -F keeps. */
struct file_id {
	__u32 dev;
	__u32 pad;
	__u64 ino;
};

struct file_stat {
	__u64 reads;
	__u64 writes;
	__u64 read_bytes;
	__u64 write_bytes;
	__u32 kind;	/* FILE_REGULAR, FILE_SOCKET or FILE_OTHER */
	char comm[TASK_COMM_LEN];
	char name[FILE_NAME_LEN];	/* the file's own name (its dentry), not a path */
};

#endif /* __FILETOP_H */
