//! The generated skeletons (built by build.rs from bpf/<tool>.bpf.c): each tool's module
//! declares its own with `skeleton!`, which includes it as the module `skel` (the lint
//! exceptions apply to the generated code only),
//! makes it loadable by `kernel::load` (its rodata takes the shared filters), and gives
//! the types shared with the BPF side their `Plain` impl, so that records and map keys
//! are decoded through the generated types.

/// A tool's skeleton, as the module `skel` of the tool's module:
/// `skeleton!(name, OpenSkelType => SkelType, streaming | aggregating, plain [types...],
/// task_event, path_event | path_buf, counting, inflight [(x_by_tid, x_in_task)...])`,
/// every part after the kind optional.
/// - `plain`: generated types decoded from bytes (events, map keys and values);
/// - `task_event`: its `types::event` starts with `struct task_info` (bpf/common.h);
/// - `path_buf`: it has a `struct path_buf` (bpf/path.h), decoded by `decoded()`;
///   `path_event`: and its event ends with one, as `path` (`event::MIN_LEN`);
/// - `counting`: it has the DRAINED_COUNTS maps of bpf/common.bpf.h (`counting()`).
/// - `inflight`: the map pairs of its INFLIGHT()s (bpf/inflight.bpf.h), which the
///   runtime chooses between at load (kernel/inflight.rs).
///
/// Programs and maps are reached through the skeleton's typed fields (`open.progs.X`,
/// `skel.maps.X`), the runtime's too (`ToolSkel`, `ToolMaps`): no name as a string.
macro_rules! skeleton {
    ($name:ident, $open:ident => $loaded:ident, $kind:ident $(, plain [$($plain:ident),*])?
        $(, task_event $($task:lifetime)?)? $(, path_event $($event:lifetime)?)?
        $(, path_buf $($buf:lifetime)?)? $(, counting $($counting:lifetime)?)?
        $(, inflight [$(($by_tid:ident, $in_task:ident)),+])?) => {
        pub mod skel {
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

            $crate::kernel::skel::tool_skeleton!(
                $open, $loaded, $kind, [$($(($by_tid, $in_task)),+)?]
            );
            $($(
                // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a
                // valid value.
                unsafe impl plain::Plain for types::$plain {}
            )*)?
            $($crate::kernel::skel::skeleton!(@task_event $($task)?);)?
            $($crate::kernel::skel::skeleton!(@path_buf $($event)?);)?
            $($crate::kernel::skel::skeleton!(@path_event $($event)?);)?
            $($crate::kernel::skel::skeleton!(@path_buf $($buf)?);)?
            $($crate::kernel::skel::skeleton!(@counting $loaded $($counting)?);)?
        }
    };
    (@path_buf) => {
        impl types::path_buf {
            /// The path this record carries (src/model/paths.rs).
            pub fn decoded(&self) -> $crate::model::paths::RawPath<'_> {
                $crate::model::paths::RawPath {
                    name_len: self.name_len,
                    dir_len: self.dir_len,
                    name_cut: self.name_cut != 0,
                    dir_cut: self.dir_cut != 0,
                    walked: self.walked != 0,
                    names: $crate::model::bytes::as_bytes(&self.names),
                }
            }
        }
    };
    (@path_event) => {
        impl types::event {
            /// The shortest record decoded: everything before the path's names (only the
            /// bytes of those used are submitted).
            pub const MIN_LEN: usize = std::mem::offset_of!(types::event, path)
                + std::mem::offset_of!(types::path_buf, names);
        }
    };
    (@counting $skel:ident) => {
        impl<'obj> $skel<'obj> {
            /// The DRAINED_COUNTS map `counts` (bpf/common.bpf.h) and its `not_counted`
            /// slot, as report::count_per_key takes them.
            pub fn counting(&self) -> $crate::kernel::counters::Counting<'_> {
                $crate::kernel::counters::Counting {
                    counts: $crate::kernel::counters::Drained::new(
                        &self.maps.counts,
                        &self.maps.counts_0,
                        &self.maps.counts_1,
                    ),
                    not_counted: &self.maps.not_counted,
                }
            }
        }
    };
    (@task_event) => {
        impl $crate::kernel::events::TaskEvent for types::event {
            fn task_header(&self) -> $crate::model::task::TaskHeader {
                let task = &self.task;
                $crate::model::task::TaskHeader {
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
    ($open:ident, $loaded:ident, $kind:ident, [$(($by_tid:ident, $in_task:ident)),*]) => {
        impl<'obj> $open<'obj> {
            /// The rodata to write before load: the shared filters (written by
            /// `kernel::load` before the tool's setup) and the tool's own switches.
            pub fn rodata(&mut self) -> anyhow::Result<&mut types::rodata> {
                use anyhow::Context;
                self.maps
                    .rodata_data
                    .as_deref_mut()
                    .context("BPF object has no rodata")
            }
        }

        impl<'obj> $crate::kernel::load::ToolSkel<'obj> for $open<'obj> {
            type Rodata = types::rodata;

            fn tool_rodata(&mut self) -> anyhow::Result<&mut types::rodata> {
                self.rodata()
            }

            fn event_buffers(
                &mut self,
            ) -> Option<(&mut libbpf_rs::OpenMapMut<'obj>, &mut libbpf_rs::OpenMapMut<'obj>)> {
                $crate::kernel::skel::tool_skeleton!(@open_events $kind, self)
            }

            fn inflight_maps(
                &mut self,
            ) -> Vec<(&mut libbpf_rs::OpenMapMut<'obj>, &mut libbpf_rs::OpenMapMut<'obj>)> {
                let maps = &mut self.maps;
                let _ = &maps;
                vec![$((&mut maps.$by_tid, &mut maps.$in_task)),*]
            }
        }

        impl<'obj> $crate::kernel::load::ToolMaps<'obj> for $loaded<'obj> {
            fn cgroup_filter(&self) -> &libbpf_rs::MapMut<'obj> {
                &self.maps.cgroup_filter
            }

            fn event_maps(&self) -> Option<$crate::kernel::events::EventMaps<'_, 'obj>> {
                $crate::kernel::skel::tool_skeleton!(@events_maps $kind, self)
            }
        }

        impl $crate::kernel::load::ToolRodata for types::rodata {
            fn write_filters(&mut self, filters: &$crate::cli::FilterArgs, failed_only: bool) {
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

            fn write_event_source(&mut self, source: $crate::kernel::events::EventSource) -> bool {
                $crate::kernel::skel::tool_skeleton!(@events $kind, self, source)
            }

            fn write_task_btf(&mut self, usable: bool) {
                self.use_task_btf = usable;
            }

            fn write_inflight(&mut self, task_storage: bool) {
                $crate::kernel::skel::tool_skeleton!(@inflight self, task_storage, $($by_tid)*);
            }
        }
    };
    (@events streaming, $rodata:ident, $source:ident) => {{
        $rodata.use_perf_buffer = $source.is_perf_buffer();
        $rodata.wakeup_share = $crate::kernel::events::ringbuf_wakeup_share();
        true
    }};
    (@inflight $rodata:ident, $task_storage:ident,) => {{
        let _ = ($rodata, $task_storage);
    }};
    (@inflight $rodata:ident, $task_storage:ident, $($by_tid:ident)+) => {{
        $rodata.use_task_storage = $task_storage;
    }};
    (@events aggregating, $rodata:ident, $source:ident) => {{
        let _ = $source;
        false
    }};
    (@open_events streaming, $skel:ident) => {
        Some((&mut $skel.maps.events_rb, &mut $skel.maps.events_pb))
    };
    (@open_events aggregating, $skel:ident) => {
        None
    };
    (@events_maps streaming, $skel:ident) => {
        Some($crate::kernel::events::EventMaps {
            ring: &$skel.maps.events_rb,
            perf: &$skel.maps.events_pb,
            dropped: &$skel.maps.dropped_events,
        })
    };
    (@events_maps aggregating, $skel:ident) => {
        None
    };
}

pub(crate) use skeleton;
pub(crate) use tool_skeleton;
