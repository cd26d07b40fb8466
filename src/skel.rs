//! The generated skeletons, one module per tool (built by build.rs from bpf/<tool>.bpf.c).
//! `skeleton!` includes each one (the lint exceptions apply to the generated code only),
//! makes it loadable by `tool::load` (its rodata takes the shared filters), and gives
//! the types shared with the BPF side their `Plain` impl, so that records and map keys
//! are decoded through the generated types.

/// One tool's skeleton module:
/// `skeleton!(name, OpenSkelType, streaming | aggregating, plain [types...], task_event)`.
/// - `plain`: generated types decoded from bytes (events, map keys and values);
/// - `task_event`: its `types::event` starts with `struct task_info` (bpf/common.h).
macro_rules! skeleton {
    ($name:ident, $open:ident, $kind:ident $(, plain [$($plain:ident),*])? $(, task_event $($task:lifetime)?)?) => {
        pub mod $name {
            #[allow(
                clippy::all,
                clippy::pedantic,
                missing_docs,
                non_camel_case_types,
                non_snake_case,
                unused
            )]
            mod generated {
                include!(concat!(env!("OUT_DIR"), "/", stringify!($name), ".skel.rs"));
            }
            pub use generated::*;

            tool_skeleton!($open, $kind);
            $($(
                // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a
                // valid value.
                unsafe impl plain::Plain for types::$plain {}
            )*)?
            $(skeleton!(@task_event $($task)?);)?
        }
    };
    (@task_event) => {
        impl crate::events::TaskEvent for types::event {
            fn task_header(&self) -> crate::record::TaskHeader {
                let task = &self.task;
                crate::record::TaskHeader {
                    tgid: task.tgid,
                    tid: task.tid,
                    ppid: task.ppid,
                    uid: task.uid,
                    comm: task.comm.map(|c| c as u8),
                    cgroup_id: task.cgroup_id,
                }
            }
        }
    };
}

/// Implements `tool::ToolSkel` for a generated open skeleton and `tool::ToolRodata` for
/// its rodata: the filters of bpf/common.bpf.h, and for a `streaming` tool the event
/// switches of bpf/events.bpf.h. A macro because every skeleton has its own types.
macro_rules! tool_skeleton {
    ($open:ident, $kind:ident) => {
        impl<'obj> crate::tool::ToolSkel<'obj> for $open<'obj> {
            type Rodata = types::rodata;

            fn rodata(&mut self) -> Option<&mut types::rodata> {
                self.maps.rodata_data.as_deref_mut()
            }
        }

        impl crate::tool::ToolRodata for types::rodata {
            fn write_filters(&mut self, filters: &crate::cli::FilterArgs, failed_only: bool) {
                self.targ_tgid = filters.pid.unwrap_or(0) as i32;
                self.targ_pid = filters.tid.unwrap_or(0) as i32;
                self.targ_uid = filters.uid.unwrap_or(u32::MAX);
                self.targ_comm = filters.comm_c();
                self.filter_comm = filters.comm.is_some();
                self.targ_failed = failed_only;
                self.filter_cgroup = filters.cgroup.is_some();
            }

            fn write_task(&mut self, with_ppid: bool, by_cgroup: bool) {
                self.with_ppid = with_ppid;
                self.by_cgroup = by_cgroup;
            }

            fn write_event_source(&mut self, source: crate::events::EventSource) -> bool {
                tool_skeleton!(@events $kind, self, source)
            }
        }
    };
    (@events streaming, $rodata:ident, $source:ident) => {{
        $rodata.use_perf_buffer = $source.is_perf_buffer();
        $rodata.wakeup_data_size = crate::events::RINGBUF_WAKEUP_BYTES;
        true
    }};
    (@events aggregating, $rodata:ident, $source:ident) => {{
        let _ = $source;
        false
    }};
}

/// Decoding of `struct path_buf` (bpf/path.h) for the skeletons that have one.
macro_rules! path_buf {
    ($($name:ident),*) => {$(
        impl $name::types::path_buf {
            /// The path this record carries (src/paths.rs).
            pub fn decoded(&self) -> crate::paths::RawPath<'_> {
                crate::paths::RawPath {
                    name_len: self.name_len,
                    dir_len: self.dir_len,
                    name_cut: self.name_cut != 0,
                    dir_cut: self.dir_cut != 0,
                    walked: self.walked != 0,
                    names: crate::output::as_bytes(&self.names),
                }
            }
        }
    )*};
}

/// For the skeletons whose events end with a `struct path_buf` (as their `path`).
macro_rules! path_event {
    ($($name:ident),*) => {$(
        impl $name::types::event {
            /// The shortest record decoded: everything before the path's names (only the
            /// bytes of those used are submitted).
            pub const MIN_LEN: usize = std::mem::offset_of!($name::types::event, path)
                + std::mem::offset_of!($name::types::path_buf, names);
        }
    )*};
}

path_buf!(
    opensnoop,
    unlinksnoop,
    mkdirsnoop,
    execsnoop,
    filetop,
    execguard
);
path_event!(opensnoop, unlinksnoop, mkdirsnoop, execsnoop, execguard);

skeleton!(
    opensnoop,
    OpenOpensnoopSkel,
    streaming,
    plain[event],
    task_event
);
skeleton!(
    execsnoop,
    OpenExecsnoopSkel,
    streaming,
    plain[event],
    task_event
);
skeleton!(
    unlinksnoop,
    OpenUnlinksnoopSkel,
    streaming,
    plain[event],
    task_event
);
skeleton!(
    mkdirsnoop,
    OpenMkdirsnoopSkel,
    streaming,
    plain[event],
    task_event
);
skeleton!(
    bashreadline,
    OpenBashreadlineSkel,
    streaming,
    plain[event],
    task_event
);
skeleton!(
    execguard,
    OpenExecguardSkel,
    streaming,
    plain[event, file_id, file_rule, name_id],
    task_event
);
skeleton!(hello, OpenHelloSkel, aggregating);
skeleton!(netdev_trace, OpenNetdevTraceSkel, streaming, plain[event]);
skeleton!(arpsnoop, OpenArpsnoopSkel, streaming, plain[event]);
skeleton!(key_pressed, OpenKeyPressedSkel, streaming, plain[event]);
skeleton!(
    kmalloc_bytes,
    OpenKmallocBytesSkel,
    aggregating,
    plain[comm_key]
);
skeleton!(
    openat_count,
    OpenOpenatCountSkel,
    aggregating,
    plain[comm_key]
);
skeleton!(
    execve_count,
    OpenExecveCountSkel,
    aggregating,
    plain[name_key]
);
skeleton!(sendrecv_count, OpenSendrecvCountSkel, aggregating);
skeleton!(
    sendto_by_ip,
    OpenSendtoByIpSkel,
    aggregating,
    plain[dest_key]
);
skeleton!(
    execs_by_user,
    OpenExecsByUserSkel,
    aggregating,
    plain[exec_key]
);
skeleton!(netpkt_count, OpenNetpktCountSkel, aggregating);
skeleton!(
    filetop,
    OpenFiletopSkel,
    aggregating,
    plain[file_key, file_stat, file_id, path_buf]
);
skeleton!(xdp_drop_count, OpenXdpDropCountSkel, aggregating);

/// The per-key counting tools' DRAINED_COUNTS map `counts` (bpf/common.bpf.h) and
/// their `not_counted` slot, as report::count_per_key takes them: `tracing.counting()`.
macro_rules! drained_counts {
    ($($name:ident: $skel:ident),* $(,)?) => {
        $(
            impl<'obj> $name::$skel<'obj> {
                pub fn counting(&self) -> crate::report::Counting<'_> {
                    crate::report::Counting {
                        counts: crate::maps::Drained::new(
                            &self.maps.counts,
                            &self.maps.counts_0,
                            &self.maps.counts_1,
                        ),
                        not_counted: &self.maps.not_counted,
                    }
                }
            }
        )*
    };
}

drained_counts!(
    openat_count: OpenatCountSkel,
    execve_count: ExecveCountSkel,
    sendto_by_ip: SendtoByIpSkel,
    execs_by_user: ExecsByUserSkel,
);
