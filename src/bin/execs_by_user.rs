//! execs_by_user as an executable of its own (`cargo run --bin execs_by_user`): src/tools/execs_by_user.rs.

ebpf_tracers::tool_main!(execs_by_user);
