/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Constants shared by the BPF programs and, through the skeletons, by user space. */
#ifndef __COMMON_H
#define __COMMON_H

#define TASK_COMM_LEN 16
#define INVALID_UID ((uid_t)-1)

#endif /* __COMMON_H */
