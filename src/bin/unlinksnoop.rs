//! unlinksnoop as an executable of its own (`cargo run --bin unlinksnoop`): src/tools/unlinksnoop.rs.

ebpf_tracers::tool_main!(unlinksnoop);
