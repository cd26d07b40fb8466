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
    /// BPF ring buffer maps (5.8+); without them events go through perf buffers.
    pub ring_buffer: bool,
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
            ring_buffer: ring_buffer_supported(),
        }
    }
}

/// Whether the kernel can create a BPF ring buffer map (5.8+). If the probe itself
/// fails, assume yes and let load say what is wrong.
/// Probed once per process (it creates a map): tools ask twice, via KernelFeatures
/// and EventSource.
pub fn ring_buffer_supported() -> bool {
    static SUPPORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SUPPORTED.get_or_init(|| libbpf_rs::MapType::RingBuf.is_supported().unwrap_or(true))
}

/// Whether a kernel function can take a kprobe: kprobes are built in and the function
/// is a real symbol (not inlined away). Reads /proc/kallsyms, so only call it when
/// `KernelFeatures::kprobes` is true.
pub fn kprobe_target_exists(function: &str) -> bool {
    use std::io::BufRead;
    let Ok(file) = fs::File::open("/proc/kallsyms") else {
        return false;
    };
    // Lines are "ADDRESS TYPE NAME[\t[MODULE]]"; text symbols have type t or T.
    std::io::BufReader::with_capacity(1 << 16, file)
        .split(b'\n')
        .map_while(|line| line.ok())
        .any(|line| {
            let mut fields = line.split(|&b| b == b' ' || b == b'\t');
            let _address = fields.next();
            let kind = fields.next();
            let name = fields.next();
            matches!(kind, Some(b"t") | Some(b"T")) && name == Some(function.as_bytes())
        })
}

/// How a tool that can use either hooks into the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeMode {
    /// kprobes where the kernel has them, else tracepoints
    Auto,
    /// kprobe/kretprobe on a kernel function (fails without CONFIG_KPROBES)
    Kprobe,
    /// syscall tracepoints
    Tracepoint,
}

/// Resolves `Auto` for a tool that would kprobe `function`; refuses `Kprobe` on a
/// kernel that cannot. The second value says why tracepoints were chosen, if they were.
pub fn choose_probe_mode(
    requested: ProbeMode,
    features: KernelFeatures,
    function: &str,
) -> Result<(ProbeMode, Option<String>)> {
    let why_not = if !features.kprobes {
        Some("kernel has no kprobes (CONFIG_KPROBES)".to_string())
    } else if !kprobe_target_exists(function) {
        Some(format!(
            "kernel function {function} cannot be probed (inlined or renamed)"
        ))
    } else {
        None
    };
    match (requested, why_not) {
        (ProbeMode::Tracepoint, _) => Ok((ProbeMode::Tracepoint, None)),
        (_, None) => Ok((ProbeMode::Kprobe, None)),
        (ProbeMode::Kprobe, Some(why)) => bail!("--mode kprobe: {why}; use --mode tracepoint"),
        (ProbeMode::Auto, Some(why)) => Ok((ProbeMode::Tracepoint, Some(why))),
    }
}

/// Before load: keeps the programs of one mode (by section: kprobe/ and kretprobe/, or
/// tracepoint/) and switches the others off, so they are never loaded or attached.
pub fn keep_programs_of(object: &mut OpenObject, mode: ProbeMode) {
    for mut prog in object.progs_mut() {
        let section = prog.section().to_string_lossy();
        let is_kprobe = section.starts_with("kprobe/") || section.starts_with("kretprobe/");
        let is_tracepoint = section.starts_with("tracepoint/") || section.starts_with("tp/");
        let keep = match mode {
            ProbeMode::Kprobe => is_kprobe,
            ProbeMode::Tracepoint => is_tracepoint,
            ProbeMode::Auto => is_kprobe || is_tracepoint,
        };
        if !keep {
            prog.set_autoload(false);
        }
    }
}
