//! Checks made before anything is loaded, each failing with one line that says what is
//! missing and what to do, instead of an errno from deep inside libbpf.

use std::fs;
use std::io;
use std::path::Path;
use std::path::PathBuf;

use anyhow::bail;
use anyhow::Context;
use anyhow::Result;
use libbpf_rs::OpenObject;

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

pub const TRACEFS_MOUNT: &str = "/sys/kernel/tracing";
const TRACEFS_LEGACY: &str = "/sys/kernel/debug/tracing";
const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Everything a tracing tool needs before it opens its skeleton. Returns the tracefs
/// root, mounting tracefs when nothing has.
pub fn prepare_tracing() -> Result<PathBuf> {
    check_privileges()?;
    check_btf()?;
    raise_memlock_limit();
    ensure_tracefs()
}

/// Root, or CAP_BPF + CAP_PERFMON (kernel >= 5.8), or CAP_SYS_ADMIN.
pub fn check_privileges() -> Result<()> {
    let caps = effective_capabilities().context("cannot read this process's capabilities")?;
    let has = |cap: u32| caps & (1u64 << cap) != 0;
    if has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)) {
        return Ok(());
    }
    bail!(
        "needs root or CAP_BPF+CAP_PERFMON to load BPF programs (run with sudo); \
         this process has {}",
        describe_caps(has(CAP_BPF), has(CAP_PERFMON))
    )
}

fn describe_caps(bpf: bool, perfmon: bool) -> &'static str {
    match (bpf, perfmon) {
        (true, false) => "CAP_BPF but not CAP_PERFMON",
        (false, true) => "CAP_PERFMON but not CAP_BPF",
        _ => "neither",
    }
}

fn effective_capabilities() -> io::Result<u64> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Default, Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    let mut header = Header {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget writes at most two Data for version 3 into the buffer we own.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut Header,
            data.as_mut_ptr(),
        )
    };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(u64::from(data[0].effective) | (u64::from(data[1].effective) << 32))
}

/// CO-RE needs the running kernel's BTF to relocate field offsets.
pub fn check_btf() -> Result<()> {
    if Path::new(VMLINUX_BTF).exists() {
        return Ok(());
    }
    bail!(
        "this kernel exposes no BTF ({VMLINUX_BTF} is missing): CO-RE programs need a kernel \
         built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 5.4)"
    )
}

/// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; later ones use memory
/// cgroups. Raising it needs CAP_SYS_RESOURCE, which many sandboxes lack, so failing
/// is not an error: on a modern kernel it is not needed, on an old one load will say so.
pub fn raise_memlock_limit() {
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads the struct we pass.
    let _ = unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) };
}

/// libbpf resolves tracepoint ids through tracefs. Use it where it is mounted, else
/// mount it at /sys/kernel/tracing.
pub fn ensure_tracefs() -> Result<PathBuf> {
    for root in [TRACEFS_MOUNT, TRACEFS_LEGACY] {
        if Path::new(root).join("events").is_dir() {
            return Ok(PathBuf::from(root));
        }
    }
    nix::mount::mount(
        Some("tracefs"),
        TRACEFS_MOUNT,
        Some("tracefs"),
        nix::mount::MsFlags::MS_NOSUID
            | nix::mount::MsFlags::MS_NODEV
            | nix::mount::MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(|errno| {
        anyhow::anyhow!(
            "tracefs is not mounted and mounting it at {TRACEFS_MOUNT} failed ({errno}); \
             mount it with `mount -t tracefs nodev {TRACEFS_MOUNT}`"
        )
    })?;
    if !Path::new(TRACEFS_MOUNT).join("events").is_dir() {
        bail!("mounted tracefs at {TRACEFS_MOUNT} but it has no events/: kernel built without CONFIG_FTRACE?");
    }
    Ok(PathBuf::from(TRACEFS_MOUNT))
}

/// Whether tracepoint `category/name` exists on this kernel.
pub fn tracepoint_exists(tracefs: &Path, category: &str, name: &str) -> bool {
    tracefs
        .join("events")
        .join(category)
        .join(name)
        .join("id")
        .exists()
}

/// Switches off, before load, every tracepoint program whose tracepoint this kernel
/// lacks (e.g. sys_enter_open on arm64, sys_enter_openat2 before 5.6), so one binary
/// runs on kernels old and new. Returns the tracepoints skipped.
pub fn skip_missing_tracepoints(object: &mut OpenObject, tracefs: &Path) -> Vec<String> {
    let mut skipped = Vec::new();
    for mut prog in object.progs_mut() {
        let section = prog.section().to_string_lossy().into_owned();
        let Some(target) = section
            .strip_prefix("tracepoint/")
            .or_else(|| section.strip_prefix("tp/"))
        else {
            continue;
        };
        let Some((category, name)) = target.split_once('/') else {
            continue;
        };
        if !tracepoint_exists(tracefs, category, name) {
            prog.set_autoload(false);
            skipped.push(target.to_string());
        }
    }
    skipped
}

/// What the running kernel offers to attach to; tools that can choose use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelFeatures {
    pub kprobes: bool,
    pub uprobes: bool,
    pub tracepoints: bool,
}

impl KernelFeatures {
    pub fn probe(tracefs: &Path) -> Self {
        let pmu = |name: &str| {
            Path::new("/sys/bus/event_source/devices")
                .join(name)
                .exists()
        };
        Self {
            kprobes: pmu("kprobe") || tracefs.join("kprobe_events").exists(),
            uprobes: pmu("uprobe") || tracefs.join("uprobe_events").exists(),
            tracepoints: tracefs.join("events").is_dir(),
        }
    }
}

/// Kernel release, for messages.
pub fn kernel_release() -> String {
    fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
