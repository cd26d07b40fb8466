//! ebpf-tracers: every tool in one executable, run as the tool it is named as
//! (`opensnoop-rs`, `opensnoop`) or as `ebpf-tracers TOOL [ARGS]`. What `make install`,
//! `make deb` and `make static` ship, with a link per tool: one copy of the runtime for
//! all of them (src/app/multicall.rs).

fn main() -> std::process::ExitCode {
    ebpf_tracers::app::multicall::main(&ebpf_tracers::tools::ENTRIES)
}
