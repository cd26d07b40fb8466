//! sendto_by_ip as an executable of its own (`cargo run --bin sendto_by_ip`): src/tools/sendto_by_ip.rs.

ebpf_tracers::tool_main!(sendto_by_ip);
