/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading a path into a struct path_buf (path.h), shared by every tool that reports
 * one: the path as passed, from user or kernel memory, up to PATH_MAX; and the names of
 * the directories a relative path starts in (or a file sits in), walked up the dentry
 * tree to the root of the task's mount tree, crossing mount points.
 */
#ifndef __PATH_BPF_H
#define __PATH_BPF_H

#include "common.bpf.h"
#include "path.h"

/* Sets what a path read returned: its length with the NUL, and whether it was cut. */
static __always_inline __u32 path_passed(struct path_buf *p, long len, char next)
{
	p->dir_len = 0;
	p->dir_cut = 0;
	p->walked = 0;
	p->name_cut = 0;
	if (len <= 0) {
		p->names[0] = '\0';
		len = 1;
	}
	/*
	 * A full buffer is a path of exactly PATH_MAX - 1 bytes, or a longer one cut:
	 * the byte after what was read tells which.
	 */
	if (len >= PATH_MAX) {
		len = PATH_MAX;
		p->name_cut = next != '\0';
	}
	p->name_len = len;
	return len;
}

/* The path as passed in user memory (a syscall's argument). Returns name_len. */
static __always_inline __u32 path_from_user(struct path_buf *p, const char *path)
{
	long len = bpf_probe_read_user_str(p->names, PATH_MAX, path);
	char next = '\0';

	if (len >= PATH_MAX)
		bpf_probe_read_user(&next, 1, path + PATH_MAX - 1);
	return path_passed(p, len, next);
}

/* The path as the kernel copied it (a struct filename's name). Returns name_len. */
static __always_inline __u32 path_from_kernel(struct path_buf *p, const char *path)
{
	long len = bpf_probe_read_kernel_str(p->names, PATH_MAX, path);
	char next = '\0';

	if (len >= PATH_MAX)
		bpf_probe_read_kernel(&next, 1, path + PATH_MAX - 1);
	return path_passed(p, len, next);
}

/*
 * The names of the dentries from `from` up to the root of the task's mount tree, each
 * with its NUL, after the path as passed. Mount points are crossed by way of each
 * mount's parent. Sets dir_len and, if the walk stopped short, dir_cut.
 */
static __always_inline void path_walk(struct path_buf *p, struct dentry *dentry,
				      struct vfsmount *vfsmnt)
{
	__u64 mnt_offset = bpf_core_field_offset(struct mount, mnt);
	struct mount *mnt = (void *)vfsmnt - mnt_offset;
	struct dentry *parent;
	__u32 pos;
	long len;
	int i;

	/*
	 * The bytes used so far live in p->dir_len, not in a register: read back from
	 * memory they are an unknown the verifier need not track, so the two ways
	 * through an iteration (a mount crossed, a name read) end in the same state and
	 * it checks DIR_DEPTH iterations, not 2^DIR_DEPTH paths.
	 */
	p->walked = 1;
	p->dir_len = 0;
	for (i = 0; i < DIR_DEPTH; i++) {
		if (dentry == BPF_CORE_READ(mnt, mnt.mnt_root)) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

			/* The root of the tree: its own parent. */
			if (up == mnt)
				return;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			continue;
		}
		parent = BPF_CORE_READ(dentry, d_parent);
		pos = (__u32)p->name_len + p->dir_len;
		/* Bounds the offset for the verifier as well as for the buffer. */
		if (pos > PATH_MAX)
			break;
		len = bpf_probe_read_kernel_str(&p->names[pos], NAME_MAX + 1,
						BPF_CORE_READ(dentry, d_name.name));
		/* A name that would take the whole path past PATH_MAX is not kept. */
		if (len <= 0 || pos + len > PATH_MAX)
			break;
		p->dir_len += len;
		/*
		 * Its own parent, and not a mount's root: a dentry of no tree (a memfd's, a
		 * pipe's). Its name is all the path it has.
		 */
		if (parent == dentry)
			return;
		dentry = parent;
	}
	p->dir_cut = 1;
}

/*
 * A relative path's directories: where it starts, the working directory or the
 * directory open as `dfd`. Nothing for an absolute path.
 */
static __always_inline void path_walk_start(struct path_buf *p, int dfd)
{
	struct dentry *dentry;
	struct vfsmount *mnt;

	if (p->names[0] == '/')
		return;
	if (dfd == AT_FDCWD) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		dentry = BPF_CORE_READ(task, fs, pwd.dentry);
		mnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *file = current_file(dfd);

		if (!file)
			return;
		dentry = BPF_CORE_READ(file, f_path.dentry);
		mnt = BPF_CORE_READ(file, f_path.mnt);
	}
	if (dentry && mnt)
		path_walk(p, dentry, mnt);
}

/* A file's own path (its name first, then its directories), after an empty name. */
static __always_inline void path_of_file(struct path_buf *p, struct file *file)
{
	p->names[0] = '\0';
	path_passed(p, 1, '\0');
	path_walk(p, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
}

/* The bytes of names used: what to submit after offsetof(..., names). */
static __always_inline __u32 path_used(const struct path_buf *p)
{
	__u32 used = p->name_len + p->dir_len;

	return used > PATH_BYTES ? PATH_BYTES : used;
}

#endif /* __PATH_BPF_H */
