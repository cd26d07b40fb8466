// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * kmalloc_bytes: what the kernel's kmalloc hands out, from the kmem/kmalloc tracepoint.
 *
 * Everything is counted in per-CPU maps: kmalloc runs hundreds of thousands of times a
 * second on a busy machine, and per-CPU slots need no atomic operations. User space
 * sums the CPUs when it reads.
 */
#include "common.bpf.h"
#include "kmalloc_bytes.h"

/* --by-comm: also count per process name (and with --by-cgroup, per cgroup) */
const volatile bool by_comm = false;
/* --hist: also keep a log2 histogram of request sizes */
const volatile bool size_hist = false;

PERCPU_SLOT(totals, struct kmalloc_totals);

/*
 * Per process name, drained at every read: 10240 names per read (a second); calls
 * beyond that still count in `totals`, and in not_counted.
 */
DRAINED_COUNTS(comm_totals, struct comm_key, struct kmalloc_totals, 10240);

PERCPU_SLOT(hist, struct size_hist);

/* Before 6.1 the tracepoint used the kmem_alloc event class. */
struct trace_event_raw_kmem_alloc___old {
	size_t bytes_req;
	size_t bytes_alloc;
} __attribute__((preserve_access_index));

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 slot = 0;

	/* Unrolled binary search: the verifier prefers it to a loop. */
	if (v >> 32) { v >>= 32; slot += 32; }
	if (v >> 16) { v >>= 16; slot += 16; }
	if (v >> 8) { v >>= 8; slot += 8; }
	if (v >> 4) { v >>= 4; slot += 4; }
	if (v >> 2) { v >>= 2; slot += 2; }
	if (v >> 1) { slot += 1; }
	return v ? slot + 1 : 0;
}

static __always_inline void add(struct kmalloc_totals *t, __u64 req, __u64 alloc)
{
	t->calls += 1;
	t->bytes_req += req;
	t->bytes_alloc += alloc;
}

SEC("tracepoint/kmem/kmalloc")
int tracepoint__kmem__kmalloc(void *ctx)
{
	struct kmalloc_totals *t, zeroes = {};
	/*
	 * Zeroed: before 6.x bpf_get_current_comm() leaves the bytes after the NUL as they
	 * were, and stack garbage there would split one name into many hash keys.
	 */
	struct comm_key key = {};
	struct size_hist *h;
	__u64 req, alloc;
	__u32 zero = 0, slot;

	if (!trace_allowed())
		return 0;

	/*
	 * The current layout is read directly from the context (no helper call); the old
	 * one through BPF_CORE_READ. Were both direct loads, clang would merge the branches
	 * into arithmetic on the ctx pointer, which the verifier refuses. The verifier
	 * drops whichever branch this kernel does not take.
	 */
	if (bpf_core_type_exists(struct trace_event_raw_kmalloc)) {
		struct trace_event_raw_kmalloc *tp = ctx;

		req = tp->bytes_req;
		alloc = tp->bytes_alloc;
	} else {
		struct trace_event_raw_kmem_alloc___old *tp = ctx;

		req = BPF_CORE_READ(tp, bytes_req);
		alloc = BPF_CORE_READ(tp, bytes_alloc);
	}

	t = bpf_map_lookup_elem(&totals, &zero);
	if (t)
		add(t, req, alloc);

	if (by_comm || by_cgroup) {
		if (by_comm)
			bpf_get_current_comm(key.comm, sizeof(key.comm));
		key.cgroup_id = key_cgroup();
		t = drained_value(&comm_totals, &key, &zeroes);
		if (t)
			add(t, req, alloc);
		else
			note_not_counted(1);
	}

	if (size_hist) {
		h = bpf_map_lookup_elem(&hist, &zero);
		slot = log2_slot(req);
		if (h && slot < SIZE_SLOTS)
			h->slots[slot] += 1;
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
