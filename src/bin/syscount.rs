//! syscount as an executable of its own (`cargo run --bin syscount`): src/tools/syscount.rs.

ebpf_tracers::tool_main!(syscount);
