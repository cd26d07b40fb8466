/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __EXECGUARD_H
#define __EXECGUARD_H

#include "common.h"
#include "path.h"

/* The rules maps' default size; execguard sizes them to the files given (--deny). */
#define MAX_RULES 1024

/* A file as the kernel knows it: its file system's device (s_dev) and its inode. */
struct file_id {
	__u64 dev;
	__u64 ino;
};

/*
 * What a rule holds for the file it named at start: its index, and the inode's
 * generation where the file system gives one to user space (ext4, btrfs, xfs: a
 * reused inode number has another generation, so it is not the same file).
 */
struct file_rule {
	__u32 rule;
	__u32 generation;
	__u32 generation_known;
	__u32 pad;
};

/*
 * A rule's path: the directory its file sits in (as the kernel knows it) and the
 * file's name there. Whatever file is later at that name (renamed over it, as dpkg
 * does, or moved there) matches too.
 */
struct name_id {
	__u64 dir_dev;
	__u64 dir_ino;
	char name[NAME_MAX + 1];
};

/* How the file was to run. */
enum route {
	ROUTE_EXEC = 0,		/* execve(2), execveat(2), fexecve, a script's interpreter */
	ROUTE_MMAP = 1,		/* mmap(2) with PROT_EXEC: the dynamic loader, say */
	ROUTE_MPROTECT = 2,	/* mprotect(2) adding PROT_EXEC to a map of the file */
};

/* Why it was refused (or, with --audit, would have been). */
enum matched {
	MATCHED_FILE = 0,	/* the file a rule named at start (any of its names) */
	MATCHED_PATH = 1,	/* the file now at a rule's path */
	MATCHED_FILELESS = 2,	/* --deny-fileless: a file with no name left (memfd...) */
	MATCHED_UNLISTED = 3,	/* --allow: a file none of the rules names */
};

/* The event's rule when no rule named the file (fileless, unlisted). */
#define RULE_NONE 0xffffffffU

/*
 * One attempt to run a file a rule names (--allow: one no rule names). The path is the file's own, walked up its
 * dentries (path.bpf.h): the name it was reached by (a hard link's, a symlink's
 * target), whatever the caller passed (a descriptor, a relative name).
 */
struct event {
	struct task_info task;	/* the caller's: its comm is still the old program's */
	__u32 rule;		/* which --deny FILE (its index); else RULE_NONE */
	__u8 denied;		/* 1: refused with EPERM; 0: --audit let it run */
	__u8 route;		/* enum route */
	__u8 matched;		/* enum matched */
	__u8 pad;
	struct path_buf path;
};

#endif /* __EXECGUARD_H */
