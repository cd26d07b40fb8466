// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * filetop: reads and writes per process and file, counted in the kernel.
 *
 * Two ways in, chosen by user space before load:
 * - kprobes on vfs_read and vfs_write, which receive the struct file;
 * - where the kernel has no kprobes, the read/write/pread64/pwrite64 syscall
 *   tracepoints, which receive a file descriptor: the file is looked up in the
 *   task's descriptor table.
 * Either way the size counted is the one asked for, as bcc's filetop counts it;
 * readv/writev (vfs_readv) are not counted.
 *
 * -F: the first time a regular file is counted in a report's interval, its path is
 * walked up its dentries (path.bpf.h) and kept by (device, inode) in `paths`, where
 * user space takes it with the counts.
 */
#include "common.bpf.h"
#include "path.bpf.h"
#include "filetop.h"

#define S_IFMT 00170000
#define S_IFREG 0100000
#define S_IFSOCK 0140000

/* -a: count sockets, pipes and devices too, not only regular files */
const volatile bool all_files = false;

/* Files per process and thread. User space reads and removes entries each report. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct file_key);
	__type(value, struct file_stat);
} files SEC(".maps");

/* Where a new entry is built: it is too big for the stack next to the rest. */
PERCPU_SLOT(heap, struct file_stat);

/* -F: keep each regular file's path */
const volatile bool full_path = false;

/*
 * The paths of the files counted since the last report (-F). Sized by user space
 * (one entry without -F); preallocated, as a map updated from kprobes must be.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct file_id);
	__type(value, struct path_buf);
} paths SEC(".maps");

PERCPU_SLOT(path_heap, struct path_buf);

/* Walks the file's path unless this interval already has it. */
static __always_inline void keep_path(struct file *file, const struct file_key *key)
{
	struct file_id id = { .dev = key->dev, .ino = key->ino };
	struct path_buf *p;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(&paths, &id))
		return;
	p = bpf_map_lookup_elem(&path_heap, &zero);
	if (!p)
		return;
	path_of_file(p, file);
	bpf_map_update_elem(&paths, &id, p, BPF_NOEXIST);
}

static __always_inline void count(struct file *file, __u64 bytes, bool is_write)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct file_key key = {};
	struct file_stat *stat;
	struct dentry *dentry;
	__u32 zero = 0, type;
	umode_t mode;

	if (!file || !trace_allowed())
		return;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) == S_IFREG)
		type = FILE_REGULAR;
	else if ((mode & S_IFMT) == S_IFSOCK)
		type = FILE_SOCKET;
	else
		type = FILE_OTHER;
	if (type != FILE_REGULAR && !all_files)
		return;

	key.tgid = pid_tgid >> 32;
	key.tid = (__u32)pid_tgid;
	key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(file, f_inode, i_ino);
	key.cgroup_id = key_cgroup();
	stat = bpf_map_lookup_elem(&files, &key);
	if (!stat) {
		stat = bpf_map_lookup_elem(&heap, &zero);
		if (!stat)
			return;
		__builtin_memset(stat, 0, sizeof(*stat));
		stat->kind = type;
		bpf_get_current_comm(stat->comm, sizeof(stat->comm));
		dentry = BPF_CORE_READ(file, f_path.dentry);
		bpf_probe_read_kernel_str(stat->name, sizeof(stat->name),
					  BPF_CORE_READ(dentry, d_name.name));
		/* Only the thread that made the entry walks (and a map full walks not). */
		if (!bpf_map_update_elem(&files, &key, stat, BPF_NOEXIST) && full_path &&
		    type == FILE_REGULAR)
			keep_path(file, &key);
		stat = bpf_map_lookup_elem(&files, &key);
		if (!stat) {
			note_not_counted(1);
			return;
		}
	}
	/* Threads of a process share no entry (the key has the tid), CPUs may. */
	if (is_write) {
		__sync_fetch_and_add(&stat->writes, 1);
		__sync_fetch_and_add(&stat->write_bytes, bytes);
	} else {
		__sync_fetch_and_add(&stat->reads, 1);
		__sync_fetch_and_add(&stat->read_bytes, bytes);
	}
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(kprobe__vfs_read, struct file *file, char *buf, size_t count_bytes)
{
	count(file, count_bytes, false);
	return 0;
}

SEC("kprobe/vfs_write")
int BPF_KPROBE(kprobe__vfs_write, struct file *file, const char *buf, size_t count_bytes)
{
	count(file, count_bytes, true);
	return 0;
}

static __always_inline int syscall_io(struct trace_event_raw_sys_enter *ctx, bool is_write)
{
	/* read/write/pread64/pwrite64(fd, buf, count, ...) */
	count(current_file(ctx->args[0]), ctx->args[2], is_write);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_read")
int tracepoint__syscalls__sys_enter_read(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_io(ctx, false);
}

SEC("tracepoint/syscalls/sys_enter_pread64")
int tracepoint__syscalls__sys_enter_pread64(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_io(ctx, false);
}

SEC("tracepoint/syscalls/sys_enter_write")
int tracepoint__syscalls__sys_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_io(ctx, true);
}

SEC("tracepoint/syscalls/sys_enter_pwrite64")
int tracepoint__syscalls__sys_enter_pwrite64(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_io(ctx, true);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
