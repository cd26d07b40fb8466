/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __KEY_PRESSED_H
#define __KEY_PRESSED_H

#include "common.h"

#define DEVICE_NAME_LEN 64

/* One key press (EV_KEY, value 1). */
struct event {
	__u64 ts;		/* stamped by submit_event() */
	__u32 code;
	char device[DEVICE_NAME_LEN];
};

#endif /* __KEY_PRESSED_H */
