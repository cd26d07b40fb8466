//! The task behind an event: the record's task part (`Task`) and the raw header every
//! BPF event starts with (`TaskHeader`, bpf/common.h's `struct task_info`). Its table
//! columns are the output's (record.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::bytes::escape;
use crate::model::cgroup::Cgroup;

/// The task part of every event record: which process and thread, whose, named what.
/// It mirrors `struct task_info` of bpf/common.h, which starts every BPF event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Task {
    /// Process id (the kernel's tgid)
    pub pid: u32,
    /// Thread id (the kernel's pid)
    pub tid: u32,
    /// The parent's process id, in the tools that record it (opensnoop -P, execsnoop)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppid: Option<u32>,
    /// User id
    pub uid: u32,
    /// Process name (the kernel's comm, at most 15 bytes; control bytes escaped)
    pub comm: String,
    /// The task's cgroup, and the container it names (looked up for JSON and -G only)
    #[serde(flatten)]
    pub cgroup: Cgroup,
}

/// The raw task header of a BPF event, as decoded from the generated `task_info`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaskHeader {
    pub tgid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub comm: [u8; 16],
    pub cgroup_id: u64,
}

impl TaskHeader {
    /// The record's task part; `ppid` only where the tool recorded it (with_ppid), the
    /// cgroup only where it is shown (`with_cgroup`: JSON, -G).
    pub fn task(&self, with_ppid: bool, with_cgroup: bool) -> Task {
        Task {
            pid: self.tgid,
            tid: self.tid,
            ppid: with_ppid.then_some(self.ppid),
            uid: self.uid,
            comm: escape(self.comm_bytes()),
            cgroup: match with_cgroup {
                true => Cgroup::of(self.cgroup_id),
                false => Cgroup::default(),
            },
        }
    }

    /// The comm up to its NUL.
    pub fn comm_bytes(&self) -> &[u8] {
        crate::model::bytes::until_nul(&self.comm)
    }
}
