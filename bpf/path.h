/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A path in an event record, as the tools that report one (opensnoop, unlinksnoop,
 * mkdirsnoop, execsnoop, filetop -F) carry it: always last in the record, so that only
 * the bytes used are submitted. Filled by bpf/path.bpf.h, decoded by src/paths.rs.
 */
#ifndef __PATH_H
#define __PATH_H

#define PATH_MAX 4096
#define NAME_MAX 255
/* Directories walked up from where a path starts (-F), at most. */
#define DIR_DEPTH 64
/*
 * A full path is at most PATH_MAX bytes, as getcwd(2) and d_path() have it: the path as
 * passed and the directories' names together. The slack is room for the last read.
 */
#define PATH_BYTES (PATH_MAX + NAME_MAX + 1)

/*
 * names holds the path as passed (name_len bytes with its NUL) and, for a relative
 * path with -F (or a file named by a descriptor), the names of the directories it
 * starts in, from the nearest up to the root, each with its NUL (dir_len bytes).
 */
struct path_buf {
	__u16 name_len;
	__u16 dir_len;
	__u8 name_cut;	/* 1: the path as passed was longer than PATH_MAX - 1 bytes */
	__u8 dir_cut;	/* 1: the walk stopped before the root (depth, or PATH_MAX in all) */
	__u8 walked;	/* 1: directories were walked (dir_len may still be 0: the root) */
	__u8 pad;
	char names[PATH_BYTES];
};

#endif /* __PATH_H */
