//! xdp_drop_count as an executable of its own (`cargo run --bin xdp_drop_count`): src/tools/xdp_drop_count.rs.

ebpf_tracers::tool_main!(xdp_drop_count);
