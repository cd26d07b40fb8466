//! bashreadline as an executable of its own (`cargo run --bin bashreadline`): src/tools/bashreadline.rs.

ebpf_tracers::tool_main!(bashreadline);
