//! The generated skeletons, one module per tool (built by build.rs from bpf/<tool>.bpf.c).
//! Each is made loadable by `tool::load` here (its rodata takes the shared filters), and
//! types shared with the BPF side (`types::event`, ...) get their `Plain` impl here, so
//! that records can be decoded without copying code between binaries.
#![allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    unused
)]

/// Implements `events::TaskEvent` for a tool's `types::event` that carries `uid`, `tgid`,
/// `pid` (the thread) and `comm`.
macro_rules! task_event {
    () => {
        impl crate::events::TaskEvent for types::event {
            fn uid(&self) -> u32 {
                self.uid
            }

            fn tgid(&self) -> u32 {
                self.tgid
            }

            fn tid(&self) -> u32 {
                self.pid
            }

            fn comm(&self) -> &[i8] {
                &self.comm
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
            fn write_filters(&mut self, filters: &crate::cli::FilterArgs) {
                self.targ_tgid = filters.pid.unwrap_or(0) as i32;
                self.targ_pid = filters.tid.unwrap_or(0) as i32;
                self.targ_uid = filters.uid.unwrap_or(u32::MAX);
                self.targ_comm = filters.comm_c();
                self.filter_comm = filters.comm.is_some();
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

pub mod opensnoop {
    include!(concat!(env!("OUT_DIR"), "/opensnoop.skel.rs"));
    tool_skeleton!(OpenOpensnoopSkel, streaming);
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
    task_event!();
}

pub mod kmalloc_bytes {
    include!(concat!(env!("OUT_DIR"), "/kmalloc_bytes.skel.rs"));
    tool_skeleton!(OpenKmallocBytesSkel, aggregating);
}

pub mod unlinksnoop {
    include!(concat!(env!("OUT_DIR"), "/unlinksnoop.skel.rs"));
    tool_skeleton!(OpenUnlinksnoopSkel, streaming);
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
    task_event!();
}

pub mod openat_count {
    include!(concat!(env!("OUT_DIR"), "/openat_count.skel.rs"));
    tool_skeleton!(OpenOpenatCountSkel, aggregating);
}

pub mod execve_count {
    include!(concat!(env!("OUT_DIR"), "/execve_count.skel.rs"));
    tool_skeleton!(OpenExecveCountSkel, aggregating);
}

pub mod sendrecv_count {
    include!(concat!(env!("OUT_DIR"), "/sendrecv_count.skel.rs"));
    tool_skeleton!(OpenSendrecvCountSkel, aggregating);
}

pub mod sendto_by_ip {
    include!(concat!(env!("OUT_DIR"), "/sendto_by_ip.skel.rs"));
    tool_skeleton!(OpenSendtoByIpSkel, aggregating);
}

pub mod execs_by_user {
    include!(concat!(env!("OUT_DIR"), "/execs_by_user.skel.rs"));
    tool_skeleton!(OpenExecsByUserSkel, aggregating);
}

pub mod netpkt_count {
    include!(concat!(env!("OUT_DIR"), "/netpkt_count.skel.rs"));
    tool_skeleton!(OpenNetpktCountSkel, aggregating);
}

pub mod netdev_trace {
    include!(concat!(env!("OUT_DIR"), "/netdev_trace.skel.rs"));
    tool_skeleton!(OpenNetdevTraceSkel, streaming);
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
}

pub mod execsnoop {
    include!(concat!(env!("OUT_DIR"), "/execsnoop.skel.rs"));
    tool_skeleton!(OpenExecsnoopSkel, streaming);
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
    task_event!();
}

pub mod mkdirsnoop {
    include!(concat!(env!("OUT_DIR"), "/mkdirsnoop.skel.rs"));
    tool_skeleton!(OpenMkdirsnoopSkel, streaming);
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
    task_event!();
}

pub mod hello {
    include!(concat!(env!("OUT_DIR"), "/hello.skel.rs"));
    tool_skeleton!(OpenHelloSkel, aggregating);
}

pub mod bashreadline {
    include!(concat!(env!("OUT_DIR"), "/bashreadline.skel.rs"));
    tool_skeleton!(OpenBashreadlineSkel, streaming);
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
    task_event!();
}

pub mod xdp_drop_count {
    include!(concat!(env!("OUT_DIR"), "/xdp_drop_count.skel.rs"));
    tool_skeleton!(OpenXdpDropCountSkel, aggregating);
}

pub mod filetop {
    include!(concat!(env!("OUT_DIR"), "/filetop.skel.rs"));
    tool_skeleton!(OpenFiletopSkel, aggregating);
    // SAFETY: repr(C) structs of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::file_key {}
    unsafe impl plain::Plain for types::file_stat {}
}

pub mod arpsnoop {
    include!(concat!(env!("OUT_DIR"), "/arpsnoop.skel.rs"));
    tool_skeleton!(OpenArpsnoopSkel, streaming);
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
}

pub mod key_pressed {
    include!(concat!(env!("OUT_DIR"), "/key_pressed.skel.rs"));
    tool_skeleton!(OpenKeyPressedSkel, streaming);
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
}
