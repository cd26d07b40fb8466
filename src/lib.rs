//! ebpf-tracers: the tools (src/tools, one module each) and their shared runtime, in
//! layers, each using only those before it (but for the few calls noted where they are
//! made):
//!
//! - `model`: what events are about: the task, its cgroup and container, users, paths,
//!   executables;
//! - `cli`, `run`: the shared flag groups, and the process (its name, stop signals,
//!   start steps, errors as one line);
//! - `kernel`: the BPF side: skeletons, loading and attaching, preflight checks, event
//!   buffers, maps and counters, trace_pipe;
//! - `output`: records as tables or JSON, reports, clocks, Prometheus metrics;
//! - `app`: a tool's life once attached, the multi-call binary, man pages, JSON docs;
//! - `tools`: the tools, listed once (`tools!`).
//!
//! A tool is `parse -> preflight -> open skeleton -> write rodata -> load -> attach ->
//! header (readiness) -> poll or sample until stopped -> summary`; every step that two
//! tools share lives in one of these modules.

pub mod app;
pub mod cli;
pub mod kernel;
pub mod model;
pub mod output;
pub mod run;
pub mod tools;
