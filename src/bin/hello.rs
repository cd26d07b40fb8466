//! hello as an executable of its own (`cargo run --bin hello`): src/tools/hello.rs.

ebpf_tracers::tool_main!(hello);
