//! ebpf-tracers: every tool in one executable, run as the tool it is named as
//! (`opensnoop-rs`, `opensnoop`) or as `ebpf-tracers TOOL [ARGS]`. What `make install`,
//! `make deb` and `make static` ship, with a link per tool: one copy of the runtime for
//! all of them (src/tools/multicall.rs). Each tool's code is its own binary's source,
//! src/bin/<tool>.rs, compiled in here as a module.

use std::process::ExitCode;

use ebpf_tracers::tools;
use ebpf_tracers::tools::multicall;

#[path = "arpsnoop.rs"]
mod arpsnoop;
#[path = "bashreadline.rs"]
mod bashreadline;
#[path = "execguard.rs"]
mod execguard;
#[path = "execs_by_user.rs"]
mod execs_by_user;
#[path = "execsnoop.rs"]
mod execsnoop;
#[path = "execve_count.rs"]
mod execve_count;
#[path = "filetop.rs"]
mod filetop;
#[path = "hello.rs"]
mod hello;
#[path = "icmp_sender.rs"]
mod icmp_sender;
#[path = "key_pressed.rs"]
mod key_pressed;
#[path = "kmalloc_bytes.rs"]
mod kmalloc_bytes;
#[path = "mkdirsnoop.rs"]
mod mkdirsnoop;
#[path = "netdev_trace.rs"]
mod netdev_trace;
#[path = "netpkt_count.rs"]
mod netpkt_count;
#[path = "openat_count.rs"]
mod openat_count;
#[path = "opensnoop.rs"]
mod opensnoop;
#[path = "sendrecv_count.rs"]
mod sendrecv_count;
#[path = "sendto_by_ip.rs"]
mod sendto_by_ip;
#[path = "unlinksnoop.rs"]
mod unlinksnoop;
#[path = "xdp_drop_count.rs"]
mod xdp_drop_count;

/// Every tool of the registry, in its order, with its `main`.
const ENTRIES: [multicall::Entry; 20] = [
    (&tools::opensnoop::TOOL, opensnoop::main),
    (&tools::execsnoop::TOOL, execsnoop::main),
    (&tools::unlinksnoop::TOOL, unlinksnoop::main),
    (&tools::mkdirsnoop::TOOL, mkdirsnoop::main),
    (&tools::bashreadline::TOOL, bashreadline::main),
    (&tools::hello::TOOL, hello::main),
    (&tools::netdev_trace::TOOL, netdev_trace::main),
    (&tools::arpsnoop::TOOL, arpsnoop::main),
    (&tools::key_pressed::TOOL, key_pressed::main),
    (&tools::execguard::TOOL, execguard::main),
    (&tools::kmalloc_bytes::TOOL, kmalloc_bytes::main),
    (&tools::openat_count::TOOL, openat_count::main),
    (&tools::execve_count::TOOL, execve_count::main),
    (&tools::sendrecv_count::TOOL, sendrecv_count::main),
    (&tools::sendto_by_ip::TOOL, sendto_by_ip::main),
    (&tools::execs_by_user::TOOL, execs_by_user::main),
    (&tools::netpkt_count::TOOL, netpkt_count::main),
    (&tools::filetop::TOOL, filetop::main),
    (&tools::xdp_drop_count::TOOL, xdp_drop_count::main),
    (&tools::icmp_sender::TOOL, icmp_sender::main),
];

fn main() -> ExitCode {
    multicall::main(&ENTRIES)
}
