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

use crate::cli::ProbeMode;

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

pub const TRACEFS_MOUNT: &str = "/sys/kernel/tracing";
const TRACEFS_LEGACY: &str = "/sys/kernel/debug/tracing";
const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Everything a tool needs before it opens its skeleton (tracefs apart: only tools with
/// tracepoints or kprobes need it, `ensure_tracefs`).
pub fn prepare_loading() -> Result<()> {
    check_privileges()?;
    check_btf()?;
    raise_memlock_limit();
    Ok(())
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

/// Why an attach was refused (EACCES) although the checks passed, when this process
/// lacks CAP_SYS_ADMIN: the kernel makes uprobe perf events only for it, and Debian's
/// kernels at kernel.perf_event_paranoid 3 (their default) open no perf event without
/// it (5.10; newer ones take CAP_PERFMON). None with CAP_SYS_ADMIN.
pub fn perf_permission_hint(uprobe: bool) -> Option<String> {
    let caps = effective_capabilities().ok()?;
    if caps & (1u64 << CAP_SYS_ADMIN) != 0 {
        return None;
    }
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok());
    Some(match paranoid {
        Some(level) if level > 2 => format!(
            "kernel.perf_event_paranoid is {level}, at which this kernel may open perf events \
             only for CAP_SYS_ADMIN: set it to 2 (sysctl kernel.perf_event_paranoid=2) or give \
             the tool CAP_SYS_ADMIN"
        ),
        _ if uprobe => "the kernel makes uprobe perf events only for CAP_SYS_ADMIN".to_string(),
        _ => return None,
    })
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
    // Another tool starting at the same moment may mount it first (EBUSY here).
    if let Err(err) = mount_kernel_fs("tracefs", TRACEFS_MOUNT) {
        if !Path::new(TRACEFS_MOUNT).join("events").is_dir() {
            return Err(err);
        }
    }
    if !Path::new(TRACEFS_MOUNT).join("events").is_dir() {
        bail!("mounted tracefs at {TRACEFS_MOUNT} but it has no events/: kernel built without CONFIG_FTRACE?");
    }
    Ok(PathBuf::from(TRACEFS_MOUNT))
}

const SECURITYFS_MOUNT: &str = "/sys/kernel/security";

/// BPF LSM programs can run: the kernel has BPF LSM (5.7+, CONFIG_BPF_LSM) and it is
/// active, i.e. `bpf` is among the LSMs /sys/kernel/security/lsm lists (securityfs is
/// mounted there if nothing has). Otherwise one line on what to do.
pub fn check_bpf_lsm() -> Result<()> {
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let release = release.trim();
    if kernel_older_than(release, (5, 7)) {
        bail!("BPF LSM needs Linux 5.7 or newer; this kernel is {release}");
    }
    let list = Path::new(SECURITYFS_MOUNT).join("lsm");
    if !list.exists() {
        // Another tool starting at the same moment may mount it first (EBUSY here).
        if let Err(err) = mount_kernel_fs("securityfs", SECURITYFS_MOUNT) {
            if !list.exists() {
                return Err(err);
            }
        }
    }
    let active = fs::read_to_string(&list)
        .with_context(|| format!("cannot read the active LSMs from {}", list.display()))?;
    let active = active.trim();
    if active.split(',').any(|lsm| lsm == "bpf") {
        // Active, and yet a kernel may refuse the programs: BPF LSM programs attach
        // through BPF trampolines, as fentry does, which some kernels (hardened or
        // sandboxed builds) refuse to load with EPERM. libbpf's probe loads a minimal one.
        if libbpf_rs::ProgramType::Lsm.is_supported().unwrap_or(true) {
            return Ok(());
        }
        bail!(
            "BPF LSM is active ({active}) but this kernel ({release}) refuses to load BPF \
             LSM programs (libbpf's probe of program type lsm fails; BPF trampolines, as \
             fentry uses, are not allowed here): execguard cannot run on this kernel"
        );
    }
    if !kprobe_target_exists("bpf_lsm_bprm_check_security") {
        bail!(
            "this kernel ({release}) was built without BPF LSM (CONFIG_BPF_LSM): it cannot \
             enforce; a kernel with CONFIG_BPF_LSM=y is needed"
        );
    }
    bail!(
        "BPF LSM is built in but not active (active LSMs: {active}): boot with \
         lsm={active},bpf (the current list with bpf appended) on the kernel command line"
    )
}

/// Whether a kernel release ("5.4.0-150-generic", "6.1.0-27-amd64") is older than
/// (major, minor). An unreadable release is taken as new enough: load will tell.
pub fn kernel_older_than(release: &str, (major, minor): (u32, u32)) -> bool {
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|part| part.parse::<u32>().ok());
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(have_major), Some(have_minor)) => (have_major, have_minor) < (major, minor),
        _ => false,
    }
}

/// Mounts a kernel file system (tracefs, securityfs) where it belongs, as a tool that
/// needs it finds it unmounted; it stays mounted, as it would after any other mount.
fn mount_kernel_fs(fstype: &str, at: &str) -> Result<()> {
    use nix::mount::MsFlags;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    nix::mount::mount(Some(fstype), at, Some(fstype), flags, None::<&str>).map_err(|errno| {
        anyhow::anyhow!(
            "{fstype} is not mounted and mounting it at {at} failed ({errno}); mount it with \
             `mount -t {fstype} {fstype} {at}`"
        )
    })
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
    !text_symbols_among(&[function]).is_empty()
}

/// Which of `names` are text symbols in /proc/kallsyms (functions a kprobe can take),
/// in one pass over it.
fn text_symbols_among<'n>(names: &[&'n str]) -> Vec<&'n str> {
    use std::io::BufRead;
    let Ok(file) = fs::File::open("/proc/kallsyms") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    // Lines are "ADDRESS TYPE NAME[\t[MODULE]]"; text symbols have type t or T.
    for line in std::io::BufReader::with_capacity(1 << 16, file)
        .split(b'\n')
        .map_while(|line| line.ok())
    {
        let mut fields = line.split(|&b| b == b' ' || b == b'\t');
        let _address = fields.next();
        if !matches!(fields.next(), Some(b"t") | Some(b"T")) {
            continue;
        }
        let Some(name) = fields.next() else { continue };
        if let Some(&wanted) = names.iter().find(|wanted| wanted.as_bytes() == name) {
            if !found.contains(&wanted) {
                found.push(wanted);
            }
        }
    }
    found
}

/// A kernel function a kprobe program is written for. Kernel functions get renamed
/// (do_unlinkat is filename_unlinkat in Linux 7.2): `names` lists the names it has
/// had, the first being the one the program's section names, and `params` the types
/// of the leading parameters the program reads, as C spells them ("struct filename *").
#[derive(Debug, Clone, Copy)]
pub struct KernelFunction<'a> {
    pub names: &'a [&'a str],
    pub params: &'a [&'a str],
}

impl<'a> KernelFunction<'a> {
    pub const fn new(names: &'a [&'a str], params: &'a [&'a str]) -> Self {
        Self { names, params }
    }

    /// The name the program's section gives the function.
    pub fn section_name(&self) -> &'a str {
        self.names[0]
    }

    /// The name this function has in the running kernel: the first of `names` among
    /// the `present` text symbols whose parameters (in the kernel's `btf`, where it has
    /// any) begin with `params`. Otherwise why none will do, in a phrase.
    fn resolve(
        &self,
        present: &[&'a str],
        btf: Option<&libbpf_rs::btf::Btf<'_>>,
    ) -> std::result::Result<&'a str, String> {
        let mut mismatches = Vec::new();
        for &name in self.names.iter().filter(|name| present.contains(name)) {
            let Some(btf) = btf else { return Ok(name) };
            match function_params(btf, name) {
                // A symbol BTF does not describe (rare): the name is all there is to go by.
                None => return Ok(name),
                Some(params) if params_begin_with(&params, self.params) => return Ok(name),
                Some(params) => mismatches.push(format!("{name}({})", params.join(", "))),
            }
        }
        let wanted = format!("{}({})", self.names.join(" or "), self.params.join(", "));
        if mismatches.is_empty() {
            Err(format!(
                "kernel function {wanted} cannot be probed (inlined or renamed)"
            ))
        } else {
            Err(format!(
                "kernel function {wanted} has changed: this kernel has {}",
                mismatches.join(", ")
            ))
        }
    }
}

/// Where each of `functions` is found in this kernel (section name, actual name), from
/// one pass over /proc/kallsyms and one read of the kernel's BTF for them all.
pub fn resolve_functions<'a>(
    functions: &[KernelFunction<'a>],
) -> std::result::Result<Renames<'a>, String> {
    let names: Vec<&'a str> = functions
        .iter()
        .flat_map(|f| f.names.iter().copied())
        .collect();
    let present = text_symbols_among(&names);
    let btf = libbpf_rs::btf::Btf::from_vmlinux().ok();
    functions
        .iter()
        .map(|function| {
            Ok((
                function.section_name(),
                function.resolve(&present, btf.as_ref())?,
            ))
        })
        .collect()
}

/// As resolve_functions, for fexit: the functions are found by the kernel's BTF alone
/// (fexit attaches by BTF id; /proc/kallsyms is not read), and a trampoline must attach
/// to each (features::fexit_attaches).
pub fn resolve_fexit_functions<'a>(
    functions: &[KernelFunction<'a>],
) -> std::result::Result<Renames<'a>, String> {
    use libbpf_rs::btf::types::Func;
    // Before the kernel's BTF is read (milliseconds): a kernel that loads no fexit
    // program at all (sandboxed builds refuse the type) says so to libbpf's probe.
    if !libbpf_rs::ProgramType::Tracing
        .is_supported()
        .unwrap_or(true)
    {
        return Err(
            "this kernel loads no fexit programs (libbpf's probe of program type \
                    tracing fails: no BPF trampolines here)"
                .to_string(),
        );
    }
    let btf = libbpf_rs::btf::Btf::from_vmlinux()
        .map_err(|err| format!("cannot read the kernel's BTF ({err})"))?;
    let present: Vec<&'a str> = functions
        .iter()
        .flat_map(|f| f.names.iter().copied())
        .filter(|name| btf.type_by_name::<Func<'_>>(name).is_some())
        .collect();
    functions
        .iter()
        .map(|function| {
            let name = function.resolve(&present, Some(&btf))?;
            crate::kernel::features::fexit_attaches(&btf, name)?;
            Ok((function.section_name(), name))
        })
        .collect()
}

fn params_begin_with(have: &[String], want: &[&str]) -> bool {
    have.len() >= want.len() && have.iter().zip(want).all(|(have, want)| have == want)
}

/// The types of a function's parameters as the kernel's BTF declares them, in C.
fn function_params(btf: &libbpf_rs::btf::Btf<'_>, name: &str) -> Option<Vec<String>> {
    use libbpf_rs::btf::types::Func;
    use libbpf_rs::btf::types::FuncProto;
    use libbpf_rs::btf::BtfType;
    let func: Func<'_> = btf.type_by_name(name)?;
    let proto = FuncProto::try_from(func.next_type()?).ok()?;
    Some(
        proto
            .iter()
            .map(|param| {
                btf.type_by_id::<BtfType<'_>>(param.ty)
                    .map_or_else(|| "?".to_string(), c_type)
            })
            .collect(),
    )
}

/// A BTF type as C names it, qualifiers left out: "int", "struct file *", "size_t".
fn c_type(ty: libbpf_rs::btf::BtfType<'_>) -> String {
    use libbpf_rs::btf::BtfKind;
    let name = || ty.name().map_or("?".into(), |name| name.to_string_lossy());
    match ty.kind() {
        BtfKind::Ptr => match ty.next_type() {
            Some(to) => format!("{} *", c_type(to)),
            None => "void *".to_string(),
        },
        BtfKind::Const | BtfKind::Volatile | BtfKind::Restrict | BtfKind::TypeTag => {
            ty.next_type().map_or_else(|| "void".to_string(), c_type)
        }
        BtfKind::Struct => format!("struct {}", name()),
        BtfKind::Union => format!("union {}", name()),
        BtfKind::Enum | BtfKind::Enum64 => format!("enum {}", name()),
        _ => name().into_owned(),
    }
}

/// The kprobe targets a tool loads with: each function's section name and the name it
/// has in this kernel.
pub type Renames<'a> = Vec<(&'a str, &'a str)>;

/// Resolves `Auto` for a tool that would hook `functions` by `function_mode` (kprobes,
/// or fexit); refuses that mode on a kernel that cannot, and a mode the tool does not
/// have. The second value says why tracepoints were chosen, if they were; the third,
/// with the functions, where each is found in this kernel.
pub fn choose_probe_mode<'a>(
    requested: ProbeMode,
    function_mode: ProbeMode,
    features: KernelFeatures,
    functions: &[KernelFunction<'a>],
) -> Result<(ProbeMode, Option<String>, Renames<'a>)> {
    if requested == ProbeMode::Tracepoint {
        return Ok((ProbeMode::Tracepoint, None, Vec::new()));
    }
    if requested != ProbeMode::Auto && requested != function_mode {
        bail!(
            "--mode {}: this tool hooks its kernel functions by {}; use --mode {} or \
             --mode tracepoint",
            requested.name(),
            function_mode.name(),
            function_mode.name()
        );
    }
    let resolved = match function_mode {
        ProbeMode::Kprobe if !features.kprobes => {
            Err("kernel has no kprobes (CONFIG_KPROBES)".to_string())
        }
        ProbeMode::Fexit => resolve_fexit_functions(functions),
        _ => resolve_functions(functions),
    };
    match (requested, resolved) {
        (_, Ok(renames)) => Ok((function_mode, None, renames)),
        (ProbeMode::Auto, Err(why)) => Ok((ProbeMode::Tracepoint, Some(why), Vec::new())),
        (_, Err(why)) => bail!(
            "--mode {}: {why}; use --mode tracepoint",
            function_mode.name()
        ),
    }
}

/// Before load: keeps the programs of one mode (by section: kprobe/ and kretprobe/,
/// fexit/, or tracepoint/) and switches the others off, so they are never loaded or
/// attached.
pub fn keep_programs_of(object: &mut OpenObject, mode: ProbeMode) {
    for mut prog in object.progs_mut() {
        let section = prog.section().to_string_lossy();
        let is_kprobe = section.starts_with("kprobe/") || section.starts_with("kretprobe/");
        let is_tracepoint = section.starts_with("tracepoint/") || section.starts_with("tp/");
        let is_fexit = section.starts_with("fexit/");
        let keep = match mode {
            ProbeMode::Kprobe => is_kprobe,
            ProbeMode::Fexit => is_fexit,
            ProbeMode::Tracepoint => is_tracepoint,
            ProbeMode::Auto => is_kprobe || is_fexit || is_tracepoint,
        };
        if !keep {
            prog.set_autoload(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_releases_compare_by_major_and_minor() {
        assert!(kernel_older_than("5.4.0-150-generic", (5, 7)));
        assert!(!kernel_older_than("5.10.0-33-amd64", (5, 7)));
        assert!(!kernel_older_than("7.2.13+deb14-amd64", (5, 7)));
        assert!(!kernel_older_than("", (5, 7)));
    }

    #[test]
    fn parameter_lists_match_by_their_leading_types() {
        let have = ["int".to_string(), "struct filename *".to_string()];
        assert!(params_begin_with(&have, &["int", "struct filename *"]));
        assert!(params_begin_with(&have, &["int"]));
        assert!(params_begin_with(&have, &[]));
        assert!(!params_begin_with(&have, &["int", "const char *"]));
        assert!(!params_begin_with(
            &have[..1],
            &["int", "struct filename *"]
        ));
    }

    /// On any kernel with BTF: vfs_read is found under its own name, with its types.
    #[test]
    fn vfs_read_resolves_with_its_signature_and_a_wrong_one_is_refused() {
        if !Path::new(VMLINUX_BTF).exists() {
            eprintln!("SKIPPED preflight::vfs_read_resolves_...: this kernel has no BTF");
            return;
        }
        let right = KernelFunction::new(
            &["no_such_fn_x", "vfs_read"],
            &["struct file *", "char *", "size_t"],
        );
        let renames = resolve_functions(&[right]).unwrap();
        assert_eq!(renames, [("no_such_fn_x", "vfs_read")]);
        let wrong = KernelFunction::new(&["vfs_read"], &["int"]);
        let why = resolve_functions(&[wrong]).unwrap_err();
        assert!(
            why.contains("has changed") && why.contains("vfs_read(struct file *"),
            "{why}"
        );
        let missing = KernelFunction::new(&["no_such_fn_x"], &[]);
        let why = resolve_functions(&[missing]).unwrap_err();
        assert!(why.contains("cannot be probed"), "{why}");
    }
}
