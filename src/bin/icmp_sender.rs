//! icmp_sender as an executable of its own (`cargo run --bin icmp_sender`): src/tools/icmp_sender.rs.

ebpf_tracers::tool_main!(icmp_sender);
