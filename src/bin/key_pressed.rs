//! key_pressed as an executable of its own (`cargo run --bin key_pressed`): src/tools/key_pressed.rs.

ebpf_tracers::tool_main!(key_pressed);
