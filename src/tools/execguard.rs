//! execguard: refuse the execution of the files named with --deny (or, with --allow,
//! of every file but those), from BPF LSM hooks, and report every attempt. The kernel
//! side is bpf/execguard.bpf.c.

use std::os::fd::AsFd;
use std::os::fd::AsRawFd;
use std::os::fd::BorrowedFd;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;
use nix::fcntl::OFlag;
use nix::fcntl::OpenHow;
use nix::fcntl::ResolveFlag;
use schemars::JsonSchema;
use serde::Serialize;

use crate::model::cgroup;
use crate::cli::FilterArgs;
use crate::cli::StreamArgs;
use crate::cli::TaskArgs;
use crate::model::elf;
use crate::kernel::maps;
use crate::model::paths::ShownPath;
use crate::kernel::preflight;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::model::task::Task;
use crate::run::bad_input;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::output::stream::StreamSpec;
use crate::tools::Tool;

use skel::ExecguardSkel;
use skel::ExecguardSkelBuilder;
use skel::types::event;
use skel::types::file_id;
use skel::types::file_rule;
use skel::types::name_id;

// The generated skeleton of bpf/execguard.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    execguard, OpenExecguardSkel => ExecguardSkel,
    streaming,
    plain[event, file_id, file_rule, name_id],
    task_event,
    path_event
);

pub const TOOL: Tool = Tool::events::<Args, Attempt>(
    "execguard",
    "Refuse the execution of chosen files (BPF LSM), and report every attempt.",
    EXAMPLES,
);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Refuse (EPERM) running these files: executing them, and mapping them
    /// executable (the dynamic loader, mmap/mprotect with PROT_EXEC). A rule matches
    /// the file it names when execguard starts, by device, inode and generation (a hard
    /// link, a rename, a symlink or a descriptor reaches the same file), and whatever
    /// file is later at its path (a new file renamed over it)
    #[arg(long = "deny", value_name = "FILE", num_args = 1..,
          required_unless_present_any = ["deny_fileless", "allow"])]
    pub deny: Vec<PathBuf>,
    /// Allow only these files (an allowlist): in the --cgroup given, running or mapping
    /// executable any other file is refused (EPERM) and reported: copies, downloads
    /// and memfds included. A FILE is matched by device, inode and generation, not by
    /// path (a file renamed over an allowed path is another file). A dynamic program
    /// needs its loader and libraries allowed too: list them, or --allow-libraries.
    /// Not with -p/-t/-u/-c: a fork, a setuid or a new name would step outside
    #[arg(long = "allow", value_name = "FILE", num_args = 1..,
          conflicts_with_all = ["deny", "deny_fileless", "pid", "tid", "uid", "comm"])]
    pub allow: Vec<PathBuf>,
    /// With --allow: allow as well the dynamic loader (PT_INTERP) and the libraries
    /// (DT_NEEDED, transitively) of each FILE, found as the loader finds them: the
    /// file's RPATH/RUNPATH ($ORIGIN too), the directories of /etc/ld.so.conf and the
    /// default /lib, /usr/lib (and lib64), in the rules' root. Libraries opened with
    /// dlopen or found through LD_LIBRARY_PATH are not: list them
    #[arg(long = "allow-libraries", requires = "allow")]
    pub allow_libraries: bool,
    /// Refuse running files that have no name left: a memfd, an O_TMPFILE file, a
    /// deleted file (bytes copied where no rule's path can name them)
    #[arg(long = "deny-fileless")]
    pub deny_fileless: bool,
    /// Report every attempt but refuse none (to try a policy out)
    #[arg(long = "audit")]
    pub audit: bool,
    /// Deny even a file whose denial can lock the system out: this tool's own
    /// binary, PID 1's executable, or that of a process this tool runs under (the
    /// shell it was started from, say), or the login shell ($SHELL); with --allow, an
    /// allowlist without --cgroup or for a cgroup that holds this tool or PID 1
    #[arg(long = "allow-lockout")]
    pub allow_lockout: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    execguard --deny /usr/bin/nc              # nobody runs nc while execguard runs
    execguard --deny /usr/bin/nc /usr/bin/socat
    execguard --audit --deny /usr/bin/curl    # report who runs curl, refuse nothing
    execguard -u 1000 --deny /usr/bin/gdb     # only user 1000 is refused
    execguard --cgroup /sys/fs/cgroup/system.slice/docker-ab12.scope --deny /bin/sh
                                              # only that container is refused
    execguard --json --deny /usr/bin/nc       # one JSON object per attempt
    execguard --deny-fileless                 # no memfd_create + fexecve
    execguard --cgroup /sys/fs/cgroup/system.slice/docker-ab12.scope \
        --allow /usr/local/bin/app --allow-libraries
                                              # that container runs its app, nothing else

The policy lives as long as execguard: when it stops (Ctrl-C, SIGTERM, --duration,
even SIGKILL) nothing of it is left in the kernel. Needs BPF LSM active: `bpf` in
/sys/kernel/security/lsm (boot with lsm=...,bpf). A FILE that does not exist or is not
a regular file, or whose denial could lock you out, is refused with exit status 2.
COMM is the caller's (the program that tried to exec); ROUTE how it tried (exec,
mmap: mapped executable, mprotect: made executable); PATH is the file's own path.";

/// One attempt to execute a file a rule names.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Attempt {
    #[serde(flatten)]
    pub task: Task,
    /// "deny": refused with EPERM; "audit": reported only (--audit), the exec went on
    pub action: &'static str,
    /// The --deny FILE that matched, as given ("--deny-fileless" for a file with no
    /// name left, "--allow" for a file no allowlist rule names)
    pub rule: Arc<str>,
    /// How the file was to run: "exec" (execve, execveat, fexecve, a script's
    /// interpreter), "mmap" (mapped executable: the dynamic loader, say) or "mprotect"
    /// (a map of it made executable)
    pub route: &'static str,
    /// What the rule matched: "file" (the file it named at start, by any name),
    /// "path" (the file now at its path), "fileless" (--deny-fileless) or "unlisted"
    /// (--allow: a file none of the rules names)
    pub matched: &'static str,
    #[serde(flatten)]
    pub path: ShownPath,
}

impl Attempt {
    /// `TIME PID PPID UID COMM ACTION ROUTE PATH` (TIME always).
    pub fn table() -> Table {
        Table::new()
            .column(Task::pid_column())
            .column(Task::ppid_column())
            .column(Task::uid_column())
            .column(Task::comm_column())
            .column(Column::left("action", "ACTION", 6))
            .column(Column::left("route", "ROUTE", 8))
            .column(Column::last("path", "PATH"))
    }
}

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let cgroup = args.filters.cgroup.as_deref();
        let allowlist = !args.allow.is_empty();
        // (clap's `requires` lets it through beside --deny-fileless)
        if args.allow_libraries && !allowlist {
            return Err(bad_input(
                "--allow-libraries adds to --allow FILE...: give that",
            ));
        }
        if allowlist && !args.allow_lockout {
            refuse_allowlist_lockout(cgroup)?;
        }
        let root = RulesRoot::of(cgroup)?;
        let rules = match allowlist {
            true => resolve_allowlist(&root, &args.allow, args.allow_libraries)?,
            false => resolve_rules(&root, "--deny", &args.deny)?,
        };
        let undecided = match args.allow_lockout || allowlist {
            true => None,
            false => refuse_lockout(&rules)?,
        };
        // Privileges first: without them the LSM checks could only mislead (and the
        // lockout guard could not read what it must).
        kernel::prepare(args.stream.run.verbose)?;
        if let Some(why) = undecided {
            return Err(bad_input(why));
        }
        preflight::check_bpf_lsm()?;
        // Room for exactly the rules given, however many (at least one entry).
        let entries = rules.len().max(1) as u32;
        let loading = Loading::stream(&args.filters, &args.stream).with_ppid(true);
        let fill = |skel: &ExecguardSkel<'_>| -> Result<()> {
            for (index, rule) in rules.iter().enumerate() {
                let index = index as u32;
                let by_file = file_rule {
                    rule: index,
                    generation: rule.generation.unwrap_or(0),
                    generation_known: u32::from(rule.generation.is_some()),
                    pad: 0,
                };
                let key = file_id {
                    dev: rule.dev,
                    ino: rule.ino,
                };
                skel.maps
                    .rules
                    .update(
                        maps::bytes_of(&key),
                        maps::bytes_of(&by_file),
                        MapFlags::ANY,
                    )
                    .context("cannot fill the rules map")?;
                // An allowlist holds files, not what is later at their paths.
                if let Some(at) = rule.at.as_ref().filter(|_| !allowlist) {
                    skel.maps
                        .rule_paths
                        .update(maps::bytes_of(at), &index.to_ne_bytes(), MapFlags::ANY)
                        .context("cannot fill the rule_paths map")?;
                }
            }
            Ok(())
        };
        // The rules are in their maps before any program attaches: no exec finds the
        // policy empty.
        let tracing = kernel::load_then::<ExecguardSkelBuilder>(
            loading,
            |open| {
                let rodata = open.rodata()?;
                rodata.audit_only = args.audit;
                rodata.deny_fileless = args.deny_fileless;
                rodata.allow_only = allowlist;
                let maps = &mut open.maps;
                maps.rules
                    .set_max_entries(entries)
                    .context("cannot size the rules map")?;
                maps.rule_paths
                    .set_max_entries(entries)
                    .context("cannot size the rule_paths map")?;
                Ok(())
            },
            fill,
        )?;
        let files = |n: usize| match n {
            1 => "1 file".to_string(),
            n => format!("{n} files"),
        };
        let mut denied = match rules.len() {
            0 => Vec::new(),
            n => vec![files(n)],
        };
        if args.deny_fileless {
            denied.push("files with no name".to_string());
        }
        if allowlist {
            denied = vec![format!("any file but {} allowed", files(rules.len()))];
        }
        let what = format!(
            "runs of {} via BPF LSM bprm_check_security, mmap_file and file_mprotect ({})",
            denied.join(" and "),
            if args.audit {
                "audit: refusing none"
            } else {
                "refusing them"
            }
        );
        let fileless: Arc<str> = Arc::from("--deny-fileless");
        let unlisted: Arc<str> = Arc::from("--allow");
        let spec = StreamSpec::new(&what, Attempt::table(), &args.stream).always_timed();
        tracing.stream_tasks(
            spec,
            event::MIN_LEN,
            &TaskArgs::default(),
            |event: &event, task| {
                let matched = match event.matched {
                    1 => "path",
                    2 => "fileless",
                    3 => "unlisted",
                    _ => "file",
                };
                Some(Attempt {
                    task,
                    action: if event.denied != 0 { "deny" } else { "audit" },
                    rule: match matched {
                        "fileless" => Arc::clone(&fileless),
                        "unlisted" => Arc::clone(&unlisted),
                        _ => rules
                            .get(event.rule as usize)
                            .map_or_else(|| Arc::from(""), |rule| Arc::clone(&rule.given)),
                    },
                    route: match event.route {
                        1 => "mmap",
                        2 => "mprotect",
                        _ => "exec",
                    },
                    matched,
                    path: event.path.decoded().shown(),
                })
            },
        )
    })
}

/// A --deny (or --allow) FILE: as given (as the records show it, shared with each of them), the
/// file it names as the kernel knows it, and its path as the kernel finds it.
struct Rule {
    given: Arc<str>,
    /// The file system's device as the kernel encodes it (super_block.s_dev).
    dev: u64,
    ino: u64,
    /// The inode's generation, where the file system tells it (FS_IOC_GETVERSION).
    generation: Option<u32>,
    /// The directory the file sits in (symlinks resolved) and its name there; none
    /// for a file mounted over its name.
    at: Option<name_id>,
    /// An allowed file, held open while the tool runs: its inode cannot be freed, so
    /// its number cannot go to another file (tmpfs and overlayfs give no generation).
    _held: Option<std::fs::File>,
}

/// Where the rules' paths are resolved: this tool's root, or with --cgroup the root of
/// a process in that cgroup, in its mount namespace (a container's own /bin/sh, not the
/// host's).
struct RulesRoot {
    dir: OwnedFd,
    /// The process whose root it is (with --cgroup), for messages.
    of: Option<u32>,
}

impl RulesRoot {
    fn of(cgroup: Option<&Path>) -> Result<RulesRoot> {
        let open = |path: &Path| -> std::io::Result<OwnedFd> {
            let how = OpenHow::new().flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC);
            Ok(nix::fcntl::openat2(nix::fcntl::AT_FDCWD, path, how)?)
        };
        let Some(cgroup) = cgroup else {
            let dir = open(Path::new("/")).context("cannot open /")?;
            return Ok(RulesRoot { dir, of: None });
        };
        let members = cgroup::members(cgroup, 100_000);
        let Some(&pid) = members.first() else {
            return Err(bad_input(format!(
                "--cgroup {}: no process in it: the rules' paths are resolved where its \
                 processes see files (their mount namespace), so one must run there",
                cgroup.display()
            )));
        };
        // One member in a mount namespace of its own (unshare -m) must not choose the
        // files the rules name for all the others.
        let namespace = |pid: u32| std::fs::read_link(format!("/proc/{pid}/ns/mnt")).ok();
        let first = namespace(pid);
        if let Some(other) = members
            .iter()
            .find(|&&other| namespace(other).is_some_and(|ns| Some(ns) != first))
        {
            return Err(bad_input(format!(
                "--cgroup {}: its processes see different files (PID {pid} and PID {other} \
                 are in different mount namespaces): give the cgroup of one container",
                cgroup.display()
            )));
        }
        let root = PathBuf::from(format!("/proc/{pid}/root"));
        let dir = open(&root).with_context(|| format!("cannot open {}", root.display()))?;
        Ok(RulesRoot { dir, of: Some(pid) })
    }

    /// A rule's FILE as the root resolves it: on the host a relative FILE starts where
    /// the tool was started (in a container's root, at its top).
    fn absolute(&self, given: &Path) -> std::io::Result<PathBuf> {
        match (self.of, given.is_relative()) {
            (None, true) => Ok(std::env::current_dir()?.join(given)),
            _ => Ok(given.to_path_buf()),
        }
    }

    /// Where the rules' paths are, for messages: "" on the host.
    fn place(&self) -> String {
        match self.of {
            Some(pid) => format!(" (in the mount namespace of PID {pid})"),
            None => String::new(),
        }
    }

    /// The file `path` names (symlinks followed inside the root), opened for reading,
    /// with the directory it is in and its name there.
    fn open(&self, path: &Path) -> std::io::Result<(OwnedFd, Vec<u8>, std::fs::File)> {
        let (dir, name) = self.locate(path)?;
        // Non-blocking: a FIFO named by mistake must not hang the start.
        let how = || {
            OpenHow::new()
                .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK)
        };
        let file = openat2_retrying(&dir, &name, how).map(std::fs::File::from)?;
        Ok((dir, name, file))
    }

    /// The directory `path` names its file in, and the file's name there: symlinks
    /// followed (the last one too, at most 40 in all), every one inside the root.
    fn locate(&self, path: &Path) -> std::io::Result<(OwnedFd, Vec<u8>)> {
        let mut path = path.as_os_str().as_bytes().to_vec();
        for _ in 0..40 {
            while path.len() > 1 && path.ends_with(b"/") {
                path.pop();
            }
            let (parent, name) = match path.iter().rposition(|&b| b == b'/') {
                Some(0) => (b"/".to_vec(), path[1..].to_vec()),
                Some(at) => (path[..at].to_vec(), path[at + 1..].to_vec()),
                None => (b".".to_vec(), path.clone()),
            };
            if name.is_empty() || name == b"." || name == b".." {
                return Err(std::io::Error::from_raw_os_error(libc::EISDIR));
            }
            let how = || {
                OpenHow::new()
                    .flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
                    .resolve(ResolveFlag::RESOLVE_IN_ROOT)
            };
            let dir = openat2_retrying(&self.dir, &parent, how)?;
            match nix::fcntl::readlinkat(&dir, name.as_slice()) {
                Ok(target) => {
                    let target = target.as_bytes();
                    path = match target.starts_with(b"/") {
                        true => target.to_vec(),
                        false => [parent.as_slice(), b"/", target].concat(),
                    };
                }
                // Not a symlink: this is the file.
                Err(nix::errno::Errno::EINVAL) => return Ok((dir, name)),
                Err(errno) => return Err(errno.into()),
            }
        }
        Err(std::io::Error::from_raw_os_error(libc::ELOOP))
    }
}

/// The loader's search (--allow-libraries) reads inside the rules' root.
impl elf::Files for RulesRoot {
    fn read(&self, path: &Path, limit: u64) -> Option<Vec<u8>> {
        use std::io::Read;
        let (_, _, file) = self.open(path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > limit {
            return None;
        }
        let mut bytes = Vec::new();
        // A file that grew meanwhile (or /proc's, which say 0) is cut, not read on.
        file.take(limit).read_to_end(&mut bytes).ok()?;
        Some(bytes)
    }

    fn list(&self, dir: &Path) -> Vec<String> {
        let how = || {
            OpenHow::new()
                .flags(OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
                .resolve(ResolveFlag::RESOLVE_IN_ROOT)
        };
        let Ok(fd) = openat2_retrying(&self.dir, dir.as_os_str().as_bytes(), how) else {
            return Vec::new();
        };
        let Ok(mut entries) = nix::dir::Dir::from_fd(fd) else {
            return Vec::new();
        };
        entries
            .iter()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name != "." && name != "..")
            .collect()
    }
}

/// openat2, again while it says EAGAIN: resolving ".." inside a root, the kernel gives
/// up when a rename or a mount happened meanwhile anywhere, rather than risk an escape.
fn openat2_retrying(dir: &OwnedFd, path: &[u8], how: impl Fn() -> OpenHow) -> nix::Result<OwnedFd> {
    let mut tries = 0;
    loop {
        match nix::fcntl::openat2(dir, path, how()) {
            Err(nix::errno::Errno::EAGAIN) if tries < 1000 => tries += 1,
            result => return result,
        }
    }
}

/// An allowlist refused for the lockout it would be (exit 2): without --cgroup it
/// refuses every other file of the host; a cgroup that holds this tool or PID 1 too.
fn refuse_allowlist_lockout(cgroup: Option<&Path>) -> Result<()> {
    let Some(dir) = cgroup else {
        return Err(bad_input(
            "--allow without --cgroup: every other file of the host would be refused, \
             which locks the system out (give the container's --cgroup, or \
             --allow-lockout)",
        ));
    };
    for (pid, what) in [("self", "this tool"), ("1", "PID 1 (init)")] {
        match cgroup::holds_process(dir, pid) {
            Some(false) => {}
            held => {
                let why = match held {
                    Some(_) => format!("it holds {what}"),
                    None => format!("cannot tell whether it holds {what}"),
                };
                return Err(bad_input(format!(
                    "--allow with --cgroup {}: {why}, which the allowlist could lock out \
                     (--allow-lockout to allow only these files anyway)",
                    dir.display()
                )));
            }
        }
    }
    Ok(())
}

/// The --allow FILEs as rules and, with --allow-libraries, what each needs to start
/// (its loader and libraries, found in the rules' root as the loader finds them),
/// each file once.
fn resolve_allowlist(root: &RulesRoot, given: &[PathBuf], libraries: bool) -> Result<Vec<Rule>> {
    let mut files = given.to_vec();
    if libraries {
        for program in given {
            let at = root.absolute(program)?;
            let needed = elf::needed_files(root, &at)
                .map_err(|why| bad_input(format!("--allow-libraries: {why}{}", root.place())))?;
            files.extend(needed);
        }
    }
    let mut rules = resolve_rules(root, "--allow", &files)?;
    let mut seen = std::collections::HashSet::new();
    rules.retain(|rule| seen.insert((rule.dev, rule.ino)));
    Ok(rules)
}

/// Each FILE (symlinks followed, in the rules' root) must exist and be a regular
/// file: else exit 2, the message naming the FILE as given with its `flag`.
fn resolve_rules(root: &RulesRoot, flag: &str, files: &[PathBuf]) -> Result<Vec<Rule>> {
    files
        .iter()
        .map(|given| {
            let refused = |why: String| {
                bad_input(format!("{flag} {}{}: {why}", given.display(), root.place()))
            };
            let absolute = root
                .absolute(given)
                .map_err(|err| refused(err.to_string()))?;
            let (dir, name, file) = root
                .open(&absolute)
                .map_err(|err| refused(err.to_string()))?;
            let meta = file.metadata().map_err(|err| refused(err.to_string()))?;
            if !meta.is_file() {
                return Err(refused("not a regular file".to_string()));
            }
            let dir_meta = nix::sys::stat::fstat(&dir)
                .map_err(|errno| refused(std::io::Error::from(errno).to_string()))?;
            let mut path = name_id {
                dir_dev: kernel_dev(dir_meta.st_dev),
                dir_ino: dir_meta.st_ino,
                ..Default::default()
            };
            if name.len() >= path.name.len() {
                return Err(refused("its name is longer than NAME_MAX".to_string()));
            }
            for (slot, byte) in path.name.iter_mut().zip(&name) {
                *slot = *byte as i8;
            }
            // A file mounted over the name (a bind mount) is not the directory's entry:
            // nothing can be renamed over it, and the entry under it is another file.
            let mounted_over = mount_id(file.as_fd()) != mount_id(dir.as_fd());
            Ok(Rule {
                given: Arc::from(given.display().to_string()),
                dev: kernel_dev(meta.dev()),
                ino: meta.ino(),
                generation: generation_of(&file),
                at: (!mounted_over).then_some(path),
                _held: (flag == "--allow").then_some(file),
            })
        })
        .collect()
}

/// The id of the mount `fd` is on (statx STATX_MNT_ID, 5.8 on); None where unknown.
fn mount_id(fd: BorrowedFd<'_>) -> Option<u64> {
    // SAFETY: statx fills the zeroed struct it is given; "" with AT_EMPTY_PATH is `fd`.
    let mut stat: libc::statx = unsafe { std::mem::zeroed() };
    let err = unsafe {
        libc::statx(
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_MNT_ID,
            &mut stat,
        )
    };
    (err == 0 && stat.stx_mask & libc::STATX_MNT_ID != 0).then_some(stat.stx_mnt_id)
}

/// The inode's generation (FS_IOC_GETVERSION: ext4, btrfs, xfs...); None where the file
/// system keeps none for user space (tmpfs, which never reuses an inode number).
fn generation_of(file: &std::fs::File) -> Option<u32> {
    const FS_IOC_GETVERSION: libc::c_ulong = 0x8008_7601;
    let mut generation: libc::c_long = 0;
    // SAFETY: the ioctl writes one long into `generation`; our own open file.
    let err = unsafe { libc::ioctl(file.as_raw_fd(), FS_IOC_GETVERSION, &mut generation) };
    (err == 0).then_some(generation as u32)
}

/// A device number as stat(2) gives it, in the kernel's own encoding (MKDEV:
/// major << 20 | minor), which is what the hook reads from the inode's super block.
fn kernel_dev(dev: u64) -> u64 {
    let major = nix::sys::stat::major(dev);
    let minor = nix::sys::stat::minor(dev);
    (major << 20) | minor
}

/// Refuses (exit 2) a rule that would deny this tool's own binary, PID 1's executable,
/// that of any process this tool runs under (the shell it was started from, its
/// terminal's, sudo...), or the login shell: denying one can leave nobody able to
/// run anything, or to stop the tool.
/// Returns, where it cannot tell (a critical file it may not stat), why: the caller
/// refuses that too, once it knows the tool has the privileges to tell.
fn refuse_lockout(rules: &[Rule]) -> Result<Option<String>> {
    let mut undecided = None;
    if rules.is_empty() {
        return Ok(undecided);
    }
    for (what, exe) in critical_executables() {
        // /proc/PID/exe needs ptrace access (a sandboxed unit has none): then the
        // program the process was started as (its argv[0], when a full path) stands in.
        let meta = std::fs::metadata(&exe).or_else(|err| match started_as(&exe) {
            Some(program) => std::fs::metadata(program),
            None => Err(err),
        });
        let meta = match meta {
            Ok(meta) => meta,
            // A process that has ended meanwhile is nobody's lockout.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => {
                undecided.get_or_insert_with(|| {
                    format!(
                        "cannot tell whether the rules would lock the system out: {} \
                         ({what}): {err} (--allow-lockout to deny anyway)",
                        exe.display()
                    )
                });
                continue;
            }
        };
        let (dev, ino) = (kernel_dev(meta.dev()), meta.ino());
        if let Some(rule) = rules.iter().find(|rule| rule.dev == dev && rule.ino == ino) {
            return Err(bad_input(format!(
                "--deny {}: refused, it is {what}: denying it could lock the system out \
                 (--allow-lockout to deny it anyway)",
                rule.given
            )));
        }
    }
    Ok(undecided)
}

/// For /proc/PID/exe: the program PID was started as, from its command line (readable
/// without ptrace access), when that is a full path.
fn started_as(exe: &Path) -> Option<PathBuf> {
    if exe.file_name()? != "exe" {
        return None;
    }
    let cmdline = std::fs::read(exe.parent()?.join("cmdline")).ok()?;
    let program = cmdline.split(|&b| b == 0).next()?;
    program
        .starts_with(b"/")
        .then(|| PathBuf::from(std::ffi::OsStr::from_bytes(program)))
}

/// The executables whose denial could lock the system out, each with what it is, and
/// the files those processes have mapped executable (the dynamic loader, libc...):
/// denying a library refuses every program that maps it.
fn critical_executables() -> Vec<(String, PathBuf)> {
    let mut critical = critical_processes();
    let mut mapped = Vec::new();
    for (what, exe) in &critical {
        let Some(proc_dir) = exe.parent() else {
            continue;
        };
        for library in executable_maps(proc_dir) {
            if !mapped.iter().any(|(_, known)| known == &library) {
                mapped.push((format!("mapped executable by {what}"), library));
            }
        }
    }
    critical.extend(mapped);
    critical
}

/// The files a process (its /proc directory) has mapped executable, from its maps.
fn executable_maps(proc_dir: &Path) -> Vec<PathBuf> {
    let maps = std::fs::read_to_string(proc_dir.join("maps")).unwrap_or_default();
    let mut files: Vec<PathBuf> = maps
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let perms = fields.nth(1)?;
            let path = fields.nth(3)?;
            (perms.contains('x') && path.starts_with('/')).then(|| PathBuf::from(path))
        })
        .collect();
    files.dedup();
    files
}

/// The executables of the processes whose denial could lock the system out.
fn critical_processes() -> Vec<(String, PathBuf)> {
    let mut critical = vec![
        (
            "this tool's own binary".to_string(),
            PathBuf::from("/proc/self/exe"),
        ),
        (
            "the executable of PID 1 (init)".to_string(),
            PathBuf::from("/proc/1/exe"),
        ),
    ];
    let mut pid = std::os::unix::process::parent_id();
    // Up the chain of parents to init (bounded, in case /proc is odd).
    for _ in 0..64 {
        if pid <= 1 {
            break;
        }
        let proc_dir = Path::new("/proc").join(pid.to_string());
        let comm = std::fs::read_to_string(proc_dir.join("comm")).unwrap_or_default();
        critical.push((
            format!(
                "the executable of PID {pid} ({}), which this tool runs under",
                comm.trim()
            ),
            proc_dir.join("exe"),
        ));
        match parent_of(&proc_dir) {
            Some(parent) => pid = parent,
            None => break,
        }
    }
    if let Some(shell) = std::env::var_os("SHELL") {
        critical.push(("the login shell ($SHELL)".to_string(), PathBuf::from(shell)));
    }
    critical
}

/// The parent's pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold
/// spaces and parentheses, so read after the last ')').
fn parent_of(proc_dir: &Path) -> Option<u32> {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}
