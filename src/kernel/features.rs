//! What this kernel lets the object's programs do, probed at load for each program type
//! the object will load (after the tool has switched its programs on and off): the
//! helpers a choice in the BPF code depends on (task storage for in-flight calls, the
//! task header read through the task's BTF pointer).

use libbpf_rs::OpenObject;
use libbpf_rs::ProgramType;

/// The program types of the programs that will load, each once.
fn loading_types(object: &OpenObject) -> Vec<ProgramType> {
    let mut types: Vec<ProgramType> = object
        .progs()
        .filter(|prog| prog.autoload())
        .map(|prog| prog.prog_type())
        .collect();
    types.sort_by_key(|prog_type| *prog_type as u32);
    types.dedup();
    types
}

/// Whether every program that will load may call each of `helpers` here. libbpf cannot
/// probe a helper for fexit or LSM programs (they need an attach target; it answers
/// EOPNOTSUPP without asking): kprobes stand in for them, whose helpers they share.
pub fn helpers_usable(object: &OpenObject, helpers: &[libbpf_sys::bpf_func_id]) -> bool {
    let null = std::ptr::null();
    loading_types(object).into_iter().all(|prog_type| {
        let prog_type = match prog_type {
            ProgramType::Tracing | ProgramType::Lsm => ProgramType::Kprobe,
            other => other,
        };
        helpers.iter().all(|&helper| {
            // SAFETY: the probe loads and unloads a program of its own; opts may be NULL.
            unsafe {
                libbpf_sys::libbpf_probe_bpf_helper(
                    prog_type as libbpf_sys::bpf_prog_type,
                    helper,
                    null,
                ) == 1
            }
        })
    })
}

/// Whether this kernel has maps of `map_type`.
pub fn map_type_usable(map_type: libbpf_sys::bpf_map_type) -> bool {
    // SAFETY: the probe creates and closes a map of its own; opts may be NULL.
    unsafe { libbpf_sys::libbpf_probe_bpf_map_type(map_type, std::ptr::null()) == 1 }
}

/// fill_task() (bpf/common.bpf.h) reads the task's fields through
/// bpf_get_current_task_btf() where every program may call it (5.11+), else through a
/// helper per field (5.10), and says which with -v.
pub fn task_btf_usable(object: &OpenObject) -> bool {
    let usable = helpers_usable(object, &[libbpf_sys::BPF_FUNC_get_current_task_btf]);
    crate::run::verbose_notice(if usable {
        "task header read through the task's BTF pointer"
    } else {
        "task header read by a helper per field (no bpf_get_current_task_btf here)"
    });
    usable
}

/// Whether a BPF trampoline attaches to the kernel function `function` (in the kernel's
/// `btf`) here (fexit): a program of two instructions (return 0) is loaded as fexit on
/// it and attached, as bpftrace probes kfunc support, then both are closed. Some
/// kernels load the program but cannot attach it (no ftrace direct calls; arm64 before
/// 6.0), or refuse the load (sandboxed builds). Otherwise which step failed, and how.
pub fn fexit_attaches(btf: &libbpf_rs::btf::Btf<'_>, function: &str) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    use std::os::fd::FromRawFd;
    use std::os::fd::OwnedFd;

    use libbpf_rs::btf::types::Func;

    let Some(func) = btf.type_by_name::<Func<'_>>(function) else {
        return Err(format!("the kernel's BTF has no function {function}"));
    };
    // r0 = 0 (BPF_ALU64 | BPF_MOV | BPF_K), then exit (BPF_JMP | BPF_EXIT); every other
    // field of both is zero.
    let insn = |code: u8| libbpf_sys::bpf_insn {
        code,
        ..Default::default()
    };
    let insns = [insn(0xb7), insn(0x95)];
    let mut opts = libbpf_sys::bpf_prog_load_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_prog_load_opts>() as _,
        expected_attach_type: libbpf_sys::BPF_TRACE_FEXIT,
        attach_btf_id: func.type_id().into(),
        ..Default::default()
    };
    // libbpf returns -errno.
    let failed = |step: &str, ret: i32, why: &str| {
        let err = std::io::Error::from_raw_os_error(-ret);
        Err(format!("fexit on {function}: {step} refused ({err}){why}"))
    };
    // SAFETY: the names are NUL-terminated, insns and opts outlive the call, and the
    // fds returned are owned (and closed) here.
    unsafe {
        let prog = libbpf_sys::bpf_prog_load(
            libbpf_sys::BPF_PROG_TYPE_TRACING,
            c"probe_fexit".as_ptr(),
            c"GPL".as_ptr(),
            insns.as_ptr(),
            insns.len() as _,
            &mut opts,
        );
        if prog < 0 {
            return failed("load", prog, "");
        }
        let prog = OwnedFd::from_raw_fd(prog);
        let link = libbpf_sys::bpf_raw_tracepoint_open(std::ptr::null(), prog.as_raw_fd());
        if link < 0 {
            return failed("attach", link, ": no BPF trampolines on this kernel");
        }
        drop(OwnedFd::from_raw_fd(link));
    }
    Ok(())
}
