//! filetop as an executable of its own (`cargo run --bin filetop`): src/tools/filetop.rs.

ebpf_tracers::tool_main!(filetop);
