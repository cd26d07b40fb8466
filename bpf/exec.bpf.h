/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What an execve(2) or execveat(2) ran, read where the kernel has it: the one path of
 * every tool that reports or counts execs (execsnoop, execve_count, execs_by_user).
 *
 * At the syscall's entry only the caller's pointers are kept (exec_enter): the
 * strings they point at may not be mapped yet. A forked child that execs string
 * literals has never touched their page, so its page tables do not map it, and a
 * no-fault read there fails (EFAULT) although the kernel, which may fault, reads it a
 * moment later. So nothing is read at entry:
 * - a success is read at sched:sched_process_exec, from the kernel's own copies: the
 *   name as the kernel took it (bprm->filename, in the tracepoint's record) or, where
 *   that only names a descriptor ("/dev/fd/N..."), the executed file itself
 *   (mm->exe_file); and argv from the new image's stack (mm->arg_start..arg_end), which
 *   the kernel has just written;
 * - a failure is read at sys_exit from the caller's memory: the kernel has copied the
 *   name by then (so its page is present), and the arguments as far as it got (they
 *   are copied after the name: an exec refused early can lose them, and says so).
 */
#ifndef __EXEC_BPF_H
#define __EXEC_BPF_H

#include "inflight.bpf.h"

/* What an exec call passed, kept per thread from its entry to its result. */
struct exec_call {
	const char *path;
	const char *const *argv;
	__s32 dfd;	/* AT_FDCWD for execve */
	__s32 flags;	/* execveat's flags; 0 for execve */
};

/*
 * Execs in flight, per calling thread (inflight.bpf.h): the hash takes 10240 threads
 * inside exec at once.
 */
#define EXEC_CALLS(name) INFLIGHT(name, struct exec_call, 10240)

/* "/dev/fd/": how the kernel names an exec of a descriptor (fexecve, execveat's dirfd). */
static __always_inline bool names_a_descriptor(const char *name)
{
	int i;

	for (i = 0; i < 8; i++)
		if (name[i] != "/dev/fd/"[i])
			return false;
	return true;
}

/* The executed file of the current (new) image. */
static __always_inline struct file *exec_file(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, mm, exe_file);
}

/* Where the tracepoint's record keeps the name (a __data_loc: offset in the low half). */
static __always_inline const char *
exec_filename(struct trace_event_raw_sched_process_exec *ctx)
{
	return (const char *)ctx + (ctx->__data_loc_filename & 0xFFFF);
}

/*
 * At sched_process_exec, into buf: the name the exec was called with, or for a
 * descriptor (fexecve, or a path relative to execveat's dirfd) the name of the file
 * that runs. Returns the length with the NUL, or < 0.
 */
static __always_inline long exec_name_at_exec(struct trace_event_raw_sched_process_exec *ctx,
					      char *buf, __u32 size)
{
	long len = bpf_probe_read_kernel_str(buf, size, exec_filename(ctx));
	struct file *file;

	if (len <= 0 || !names_a_descriptor(buf))
		return len;
	file = exec_file();
	if (!file)
		return -1;
	return bpf_probe_read_kernel_str(buf, size, BPF_CORE_READ(file, f_path.dentry, d_name.name));
}

/*
 * At sys_exit of a failed exec, into buf: the path as passed or, for fexecve
 * (AT_EMPTY_PATH and ""), the name of the file the descriptor holds. Returns what the
 * read returned (the length with the NUL, or < 0).
 */
static __always_inline long exec_name_at_exit(const struct exec_call *call, char *buf,
					      __u32 size)
{
	long len = bpf_probe_read_user_str(buf, size, call->path);
	struct file *file;

	/* "" reads as 1 (its NUL), or as 0 on older kernels (5.10). */
	if (len < 0 || len > 1 || call->dfd == AT_FDCWD || !(call->flags & AT_EMPTY_PATH))
		return len;
	file = current_file(call->dfd);
	if (!file)
		return -1;
	return bpf_probe_read_kernel_str(buf, size, BPF_CORE_READ(file, f_path.dentry, d_name.name));
}

/*
 * The new image's argv as the kernel laid it out (argv[0] first, each with its NUL),
 * into buf: at most `size` bytes. Returns the bytes read (0 when there are none), or
 * < 0 when they could not be read; *cut is set when there were more.
 */
static __always_inline long exec_argv_at_exec(char *buf, __u32 size, __u8 *cut)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	unsigned long len = end - start;
	long err;

	*cut = 0;
	if (end <= start)
		return 0;
	if (len > size) {
		len = size;
		*cut = 1;
	}
	err = bpf_probe_read_user(buf, len, (const void *)start);
	return err ? err : (long)len;
}

#endif /* __EXEC_BPF_H */
