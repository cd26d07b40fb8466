/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a call's entry keeps for its return, one per thread ("in flight"): in BPF task
 * storage where this kernel lets tracing programs use it, else in a hash by thread id.
 *
 * Task storage hangs off the task itself: a get is a pointer chase and a small cache,
 * where the hash takes a lookup, a preallocated element and a bucket lock at entry and
 * a delete at exit. An entry is marked done instead of deleted, so a thread's slot is
 * made once and freed with the thread. Task storage came to tracing programs after
 * 5.10: user space probes for it, sets use_task_storage before load and does not create
 * the map it leaves unused (the verifier drops the branch that would reach it).
 *
 * INFLIGHT(name, type, entries) declares both: name_by_tid (the hash, `entries` threads
 * at once) and name_in_task. The skeleton's `inflight[(name_by_tid, name_in_task)]`
 * tells the runtime (src/kernel/skel.rs).
 */
#ifndef __INFLIGHT_BPF_H
#define __INFLIGHT_BPF_H

#include "common.bpf.h"

const volatile bool use_task_storage = false;

/* BPF_LOCAL_STORAGE_GET_F_CREATE of bpf.h: vmlinux.h has no #defines. */
#define INFLIGHT_CREATE 1ULL

/* Before the value in task storage: whether it is in flight (1) or done (0). */
struct inflight_head {
	__u64 live;
};

#define INFLIGHT(name, value_type, entries)					\
	struct {								\
		__uint(type, BPF_MAP_TYPE_HASH);				\
		__uint(max_entries, entries);					\
		__type(key, __u32);						\
		__type(value, value_type);					\
	} name##_by_tid SEC(".maps");						\
	struct name##_slot {							\
		struct inflight_head head;					\
		value_type value;						\
	};									\
	struct {								\
		__uint(type, BPF_MAP_TYPE_TASK_STORAGE);			\
		__uint(map_flags, BPF_F_NO_PREALLOC);				\
		__type(key, int);						\
		__type(value, struct name##_slot);				\
	} name##_in_task SEC(".maps")

/* The current task's slot; `flags` INFLIGHT_CREATE makes it if it is not there. */
#define inflight_task_slot(name, flags)						\
	((struct name##_slot *)bpf_task_storage_get(&name##_in_task,		\
						    bpf_get_current_task_btf(),	\
						    0, (flags)))

/* The slot a value pointer (from inflight_get or inflight_slot) lies in. */
#define inflight_slot_of(name, ptr)						\
	((struct name##_slot *)((void *)(ptr) -					\
				__builtin_offsetof(struct name##_slot, value)))

/*
 * Keeps *kept (a value_type on the stack) for the current thread until its return;
 * false when there is no room (the hash is full, or no memory for the task's slot).
 */
#define inflight_put(name, kept)						\
	({									\
		bool kept_;							\
		if (use_task_storage) {						\
			struct name##_slot *slot_ =				\
				inflight_task_slot(name, INFLIGHT_CREATE);	\
			if (slot_) {						\
				slot_->value = *(kept);			\
				slot_->head.live = 1;				\
			}							\
			kept_ = slot_ != NULL;					\
		} else {							\
			__u32 tid_ = (__u32)bpf_get_current_pid_tgid();		\
			kept_ = !bpf_map_update_elem(&name##_by_tid, &tid_,	\
						     (kept), BPF_ANY);		\
		}								\
		kept_;								\
	})

/*
 * For a value too big to copy (a 4.4 KB event): where to build it. In task storage the
 * current task's slot itself (made if need be; in flight once inflight_keep says so);
 * for the hash `heap`, a per-CPU buffer of one value_type, which inflight_keep copies.
 * NULL when there is no memory for the slot.
 */
#define inflight_slot(name, heap)						\
	({									\
		typeof(((struct name##_slot *)0)->value) *built_ = NULL;	\
		__u32 zero_ = 0;						\
		if (use_task_storage) {						\
			struct name##_slot *slot_ =				\
				inflight_task_slot(name, INFLIGHT_CREATE);	\
			if (slot_)						\
				built_ = &slot_->value;				\
		} else {							\
			built_ = bpf_map_lookup_elem((heap), &zero_);		\
		}								\
		built_;								\
	})

/* The value built at inflight_slot is in flight; false when there is no room. */
#define inflight_keep(name, built)						\
	({									\
		bool kept_ = true;						\
		if (use_task_storage) {						\
			inflight_slot_of(name, built)->head.live = 1;		\
		} else {							\
			__u32 tid_ = (__u32)bpf_get_current_pid_tgid();		\
			kept_ = !bpf_map_update_elem(&name##_by_tid, &tid_,	\
						     (built), BPF_ANY);		\
		}								\
		kept_;								\
	})

/*
 * What the current thread's entry kept, or NULL: a value_type pointer. `tid`: the
 * thread's id when the entry was made, for the hash (an exec from a thread other than
 * the leader takes the leader's id; task storage follows the task itself).
 */
#define inflight_get_of(name, tid)						\
	({									\
		typeof(((struct name##_slot *)0)->value) *value_ = NULL;	\
		if (use_task_storage) {						\
			struct name##_slot *slot_ =				\
				inflight_task_slot(name, 0);			\
			if (slot_ && slot_->head.live)				\
				value_ = &slot_->value;				\
		} else {							\
			__u32 tid_ = (tid);					\
			value_ = bpf_map_lookup_elem(&name##_by_tid, &tid_);	\
		}								\
		value_;								\
	})

#define inflight_get(name) inflight_get_of(name, (__u32)bpf_get_current_pid_tgid())

/* The call returned: `got` (from inflight_get_of with `tid`) is no longer in flight. */
#define inflight_done_of(name, got, tid)					\
	do {									\
		if (use_task_storage) {						\
			inflight_slot_of(name, got)->head.live = 0;		\
		} else {							\
			__u32 tid_ = (tid);					\
			bpf_map_delete_elem(&name##_by_tid, &tid_);		\
		}								\
	} while (0)

#define inflight_done(name, got)						\
	inflight_done_of(name, got, (__u32)bpf_get_current_pid_tgid())

#endif /* __INFLIGHT_BPF_H */
