//! netdev_trace as an executable of its own (`cargo run --bin netdev_trace`): src/tools/netdev_trace.rs.

ebpf_tracers::tool_main!(netdev_trace);
