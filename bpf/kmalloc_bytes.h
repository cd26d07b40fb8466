/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __KMALLOC_BYTES_H
#define __KMALLOC_BYTES_H

#include "common.h"

/* log2 slots of the request size: slot 0 counts 0 bytes, slot i [2^(i-1), 2^i). */
#define SIZE_SLOTS 32

/* Only u64 counters: user space sums them CPU by CPU, field by field. */
struct kmalloc_totals {
	__u64 calls;
	__u64 bytes_req;
	__u64 bytes_alloc;
};

struct size_hist {
	__u64 slots[SIZE_SLOTS];
};

#endif /* __KMALLOC_BYTES_H */
