//! mkdirsnoop as an executable of its own (`cargo run --bin mkdirsnoop`): src/tools/mkdirsnoop.rs.

ebpf_tracers::tool_main!(mkdirsnoop);
