//! sendrecv_count as an executable of its own (`cargo run --bin sendrecv_count`): src/tools/sendrecv_count.rs.

ebpf_tracers::tool_main!(sendrecv_count);
