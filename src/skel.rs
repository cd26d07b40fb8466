//! The generated skeletons, one module per tool (built by build.rs from bpf/<tool>.bpf.c).
//! Types shared with the BPF side (`types::event`, ...) get their `Plain` impl here, so
//! that records can be decoded without copying code between binaries.
#![allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    unused
)]

pub mod opensnoop {
    include!(concat!(env!("OUT_DIR"), "/opensnoop.skel.rs"));
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
}

pub mod kmalloc_bytes {
    include!(concat!(env!("OUT_DIR"), "/kmalloc_bytes.skel.rs"));
}

pub mod unlinksnoop {
    include!(concat!(env!("OUT_DIR"), "/unlinksnoop.skel.rs"));
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
}

pub mod openat_count {
    include!(concat!(env!("OUT_DIR"), "/openat_count.skel.rs"));
}

pub mod execve_count {
    include!(concat!(env!("OUT_DIR"), "/execve_count.skel.rs"));
}

pub mod sendrecv_count {
    include!(concat!(env!("OUT_DIR"), "/sendrecv_count.skel.rs"));
}

pub mod sendto_by_ip {
    include!(concat!(env!("OUT_DIR"), "/sendto_by_ip.skel.rs"));
}

pub mod execs_by_user {
    include!(concat!(env!("OUT_DIR"), "/execs_by_user.skel.rs"));
}

pub mod netpkt_count {
    include!(concat!(env!("OUT_DIR"), "/netpkt_count.skel.rs"));
}

pub mod netdev_trace {
    include!(concat!(env!("OUT_DIR"), "/netdev_trace.skel.rs"));
    // SAFETY: a repr(C) struct of integers and byte arrays: any bytes are a valid value.
    unsafe impl plain::Plain for types::event {}
}
