//! workload: makes the events the tools trace, on demand, under a chosen process name.
//! The integration tests use it; it is handy by hand too (`workload --comm demo open /x`).

use std::ffi::CString;
use std::io::BufRead;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use anyhow::Result;
use clap::Parser;
use clap::Subcommand;

use ebpf_tracers::cli::parse_comm;

/// Make traceable events: opens, unlinks, execs, UDP traffic, kmalloc-heavy pipe churn.
#[derive(Debug, Parser)]
#[command(name = "workload", version)]
struct Args {
    /// Set this process's name (comm) before acting
    #[arg(long = "comm", value_name = "NAME", value_parser = parse_comm)]
    comm: Option<String>,
    /// Print "waiting", then wait for a line on stdin before acting (so a tracer can be
    /// started with -p PID once the process has started)
    #[arg(long = "wait-stdin")]
    wait_stdin: bool,
    /// Work in this directory (relative paths start there); entered one component at a
    /// time, so it may be longer than PATH_MAX
    #[arg(long = "cwd", value_name = "DIR")]
    cwd: Option<String>,
    /// Create the components of --cwd that do not exist (mode 0755)
    #[arg(long = "make-cwd", requires = "cwd")]
    make_cwd: bool,
    /// Become this user (and group) before acting; needs root
    #[arg(long = "uid", value_name = "UID", value_parser = ebpf_tracers::cli::parse_uid)]
    uid: Option<u32>,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// open(2) each path read-only and close it; prints "PATH fd|errno" per path
    Open { paths: Vec<String> },
    /// openat(2) NAME relative to the directory DIR (opened first) and close both
    Openat { dir: String, name: String },
    /// mkdir(2) each path with MODE (octal, e.g. 750); prints "PATH ok|errno" per path
    Mkdir { mode: String, paths: Vec<String> },
    /// unlink(2) each path; prints "PATH ok|errno" per path
    Unlink { paths: Vec<String> },
    /// send COUNT UDP datagrams between two loopback sockets with sendto(2) and receive
    /// them with recvfrom(2): exactly COUNT of each
    Udp { count: u32 },
    /// sendto(2) COUNT datagrams to ADDRESS (e.g. 127.0.0.2:9 or [::1]:9); nothing
    /// needs to listen there
    Sendto {
        address: std::net::SocketAddr,
        count: u32,
    },
    /// execute PATH COUNT times with ARGS, one after the other (a missing PATH fails
    /// each time)
    Exec {
        count: u32,
        path: String,
        args: Vec<String>,
    },
    /// become PATH: execv(2) from the main thread, so the exec is this process's own
    ExecInPlace { path: String },
    /// become PATH through fexecve(3): open it, then execveat(fd, "", ARGS,
    /// AT_EMPTY_PATH), as systemd and container runtimes start programs
    Fexecve { path: String, args: Vec<String> },
    /// become NAME, relative to the directory DIR (opened first): execveat(dirfd, NAME)
    Execveat {
        dir: String,
        name: String,
        args: Vec<String>,
    },
    /// fork COUNT children that each exec PATH with ARGS (argv[0] first) and wait for
    /// them, as `execl("/path", "name", ..., NULL)` with string literals does: the
    /// strings lie in a file-backed page that the child never touched, so it is not
    /// mapped in the child until the kernel itself reads it (a no-fault read at the
    /// syscall's entry fails). With --fexecve the file is opened before the forks and
    /// each child calls execveat(fd, "", argv, AT_EMPTY_PATH). Prints "PATH STATUS".
    ForkExecLiterals {
        #[arg(long)]
        fexecve: bool,
        count: u32,
        path: String,
        args: Vec<String>,
    },
    /// map PATH executable: mmap(2) it PROT_READ|PROT_EXEC, or with --mprotect map it
    /// PROT_READ and then mprotect(2) the map PROT_READ|PROT_EXEC; prints "mapped" or
    /// "errno N" (and a PROT_READ map alone first: "read-mapped" or "errno N")
    MapExec {
        #[arg(long)]
        mprotect: bool,
        path: String,
    },
    /// become a copy of PATH that has no name: its bytes in a memfd (memfd_create),
    /// executed by fexecve with ARGS
    MemfdExec { path: String, args: Vec<String> },
    /// execute PATH once from a thread other than the main one (the kernel gives the
    /// thread the process id on the way); the process becomes PATH
    ExecFromThread { path: String },
    /// write(2) KIB KiB to PATH (created or truncated), 4 KiB per call
    Write { path: String, kib: u32 },
    /// open(2)+close(2) PATH COUNT times as fast as possible and print
    /// "iterations COUNT ns_per_iter X" (the benchmark workload)
    OpenLoop { count: u32, path: String },
    /// execute PATH COUNT times, one after the other, and print
    /// "iterations COUNT ns_per_iter X" (the benchmark workload for execs)
    ExecLoop { count: u32, path: String },
    /// map a page of PATH PROT_READ|PROT_EXEC and unmap it, COUNT times (PATH opened
    /// once), and print "iterations COUNT ns_per_iter X" (the benchmark workload for
    /// executable mappings, as a loader makes them)
    MapLoop { count: u32, path: String },
    /// execute PATH one run after another: prints "running" after the first, goes on
    /// until a line on stdin (the mark), then runs it AFTER more times and prints
    /// "before OK DENIED after OK DENIED" (runs that succeeded, runs refused with EPERM,
    /// on each side of the mark; any other failure is an error)
    ExecStorm { after: u32, path: String },
    /// open(2)+close(2) PATH about PER_SECOND times a second until killed (a steady
    /// stream while a tracer starts); prints "opening" after the first
    OpenPaced { per_second: u32, path: String },
    /// open(2)+close(2) PATH once under each of NAMES process names (PREFIX0,
    /// PREFIX1, ...): NAMES distinct keys for the per-name counters (the metrics scrape
    /// benchmark, a neighbour flooding a counter's map)
    OpenNamed {
        names: u32,
        path: String,
        #[arg(long, default_value = "w")]
        prefix: String,
    },
    /// make COUNT cgroups PARENT/g0, g1, ... (PARENT: a cgroup2 directory), and in each
    /// in turn open(2)+close(2) PATH OPENS times from inside it; the process ends in
    /// the last one (empty once it exits, so that all can be removed)
    OpenInCgroups {
        parent: String,
        count: u32,
        opens: u32,
        path: String,
    },
    /// create and close COUNT pipes as fast as possible and print
    /// "iterations COUNT ns_per_iter X" (the benchmark workload for kmalloc)
    PipeLoop { count: u32 },
    /// create and close N pipes (each pipe kmallocs its buffer ring)
    Pipes { count: u32 },
    /// getpid(2) COUNT times (each a real system call: no libc cache), then open(2)
    /// each PATH as `open` does
    Getpid { count: u32, paths: Vec<String> },
}

fn main() -> ExitCode {
    // A test helper, not a tool of the registry: its command line is its own.
    ebpf_tracers::run::set_tool_name("workload");
    match ebpf_tracers::cli::usage_outcome(Args::try_parse()) {
        Ok(args) => ebpf_tracers::run::main_with("workload", || act(&args)),
        Err(code) => code,
    }
}

fn act(args: &Args) -> Result<()> {
    if let Some(comm) = &args.comm {
        nix::sys::prctl::set_name(&CString::new(comm.as_str()).context("NUL in --comm")?)
            .context("prctl(PR_SET_NAME) failed")?;
    }
    if let Some(uid) = args.uid {
        nix::unistd::setgid(nix::unistd::Gid::from_raw(uid)).context("setgid failed")?;
        nix::unistd::setuid(nix::unistd::Uid::from_raw(uid)).context("setuid failed")?;
    }
    if let Some(dir) = &args.cwd {
        enter(dir, args.make_cwd).with_context(|| format!("cannot work in {dir}"))?;
    }
    if args.wait_stdin {
        // Said first: whoever starts a tracer with -p PID starts it after this process's
        // own start (the loader's opens), not during it.
        println!("waiting");
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
    }
    match &args.action {
        Action::Open { paths } => open_each(paths)?,
        Action::Openat { dir, name } => {
            let dir = std::fs::File::open(dir).with_context(|| format!("open {dir}"))?;
            let c_name = CString::new(name.as_str()).context("NUL in name")?;
            // SAFETY: a directory fd we own and a valid C string; the fd is closed at once.
            let fd = unsafe { libc::openat(dir.as_raw_fd(), c_name.as_ptr(), libc::O_RDONLY) };
            if fd < 0 {
                return Err(std::io::Error::last_os_error())
                    .with_context(|| format!("openat {name}"));
            }
            // SAFETY: fd was just returned by openat.
            unsafe { libc::close(fd) };
        }
        Action::Mkdir { mode, paths } => {
            let mode = u32::from_str_radix(mode, 8)
                .with_context(|| format!("mode {mode} is not octal"))?;
            for path in paths {
                match nix::unistd::mkdir(
                    path.as_str(),
                    nix::sys::stat::Mode::from_bits_truncate(mode),
                ) {
                    Ok(()) => println!("{path} ok"),
                    Err(errno) => println!("{path} errno {}", errno as i32),
                }
            }
        }
        Action::Unlink { paths } => {
            for path in paths {
                match nix::unistd::unlink(path.as_str()) {
                    Ok(()) => println!("{path} ok"),
                    Err(errno) => println!("{path} errno {}", errno as i32),
                }
            }
        }
        Action::Udp { count } => {
            let receiver = UdpSocket::bind("127.0.0.1:0").context("bind failed")?;
            let sender = UdpSocket::bind("127.0.0.1:0").context("bind failed")?;
            let to = receiver.local_addr()?;
            let mut buf = [0u8; 64];
            for i in 0..*count {
                // One datagram in flight at a time: the receive buffer can never overflow.
                sender
                    .send_to(&i.to_ne_bytes(), to)
                    .context("sendto failed")?;
                receiver.recv_from(&mut buf).context("recvfrom failed")?;
            }
        }
        Action::Sendto { address, count } => {
            let local = if address.is_ipv4() {
                "0.0.0.0:0"
            } else {
                "[::]:0"
            };
            let socket = UdpSocket::bind(local).context("bind failed")?;
            for i in 0..*count {
                socket
                    .send_to(&i.to_ne_bytes(), address)
                    .context("sendto failed")?;
            }
        }
        Action::Exec { count, path, args } => {
            for _ in 0..*count {
                match std::process::Command::new(path).args(args).status() {
                    Ok(status) => println!("{path} {status}"),
                    Err(err) => println!("{path} failed: {err}"),
                }
            }
        }
        Action::ExecInPlace { path } => {
            let c_path = CString::new(path.as_str()).context("NUL in path")?;
            let errno = nix::unistd::execv(&c_path, &[&c_path]).unwrap_err();
            anyhow::bail!("execv {path} failed: {errno}")
        }
        Action::Fexecve { path, args } => {
            let file = std::fs::File::open(path).with_context(|| format!("open {path}"))?;
            let argv = c_strings(std::iter::once(path).chain(args))?;
            let errno = nix::unistd::fexecve(&file, &argv, &[] as &[CString]).unwrap_err();
            anyhow::bail!("fexecve {path} failed: {errno}")
        }
        Action::Execveat { dir, name, args } => {
            let dir_file = std::fs::File::open(dir).with_context(|| format!("open {dir}"))?;
            let argv = c_strings(std::iter::once(name).chain(args))?;
            let errno = nix::unistd::execveat(
                &dir_file,
                argv[0].as_c_str(),
                &argv,
                &[] as &[CString],
                nix::fcntl::AtFlags::empty(),
            )
            .unwrap_err();
            anyhow::bail!("execveat {dir} {name} failed: {errno}")
        }
        Action::ForkExecLiterals {
            fexecve,
            count,
            path,
            args,
        } => fork_exec_literals(*fexecve, *count, path, args)?,
        Action::MapExec { mprotect, path } => map_exec(path, *mprotect)?,
        Action::MemfdExec { path, args } => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {path}"))?;
            let name = CString::new("workload-copy").context("NUL")?;
            let memfd = nix::sys::memfd::memfd_create(
                name.as_c_str(),
                nix::sys::memfd::MFdFlags::MFD_CLOEXEC,
            )
            .context("memfd_create failed")?;
            let mut file = std::fs::File::from(memfd);
            std::io::Write::write_all(&mut file, &bytes).context("cannot fill the memfd")?;
            let argv = c_strings(std::iter::once(path).chain(args))?;
            let errno = nix::unistd::fexecve(&file, &argv, &[] as &[CString]).unwrap_err();
            anyhow::bail!("fexecve of a memfd copy of {path} failed: {errno}")
        }
        Action::ExecFromThread { path } => {
            let c_path = CString::new(path.as_str()).context("NUL in path")?;
            let thread = std::thread::spawn(move || {
                // Returns only on failure: on success this process is PATH now.
                nix::unistd::execv(&c_path, &[&c_path])
            });
            match thread.join() {
                Ok(Err(errno)) => anyhow::bail!("execv {path} from a thread failed: {errno}"),
                _ => anyhow::bail!("execv {path} from a thread returned"),
            }
        }
        Action::Write { path, kib } => {
            let file = std::fs::File::create(path).with_context(|| format!("create {path}"))?;
            let chunk = [b'x'; 4096];
            for _ in 0..kib.div_ceil(4) {
                // SAFETY: writes from a live buffer of its length to an fd we own.
                let written =
                    unsafe { libc::write(file.as_raw_fd(), chunk.as_ptr().cast(), chunk.len()) };
                if written != chunk.len() as isize {
                    return Err(std::io::Error::last_os_error())
                        .with_context(|| format!("write {path}"));
                }
            }
        }
        Action::OpenLoop { count, path } => {
            let c_path = CString::new(path.as_str()).context("NUL in path")?;
            let started = Instant::now();
            for _ in 0..*count {
                // SAFETY: a valid C string; the fd is closed right away.
                let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY) };
                if fd < 0 {
                    return Err(std::io::Error::last_os_error())
                        .with_context(|| format!("open {path}"));
                }
                // SAFETY: fd was just returned by open.
                unsafe { libc::close(fd) };
            }
            print_rate(*count, started);
        }
        Action::ExecLoop { count, path } => {
            let started = Instant::now();
            for _ in 0..*count {
                let status = std::process::Command::new(path)
                    .status()
                    .with_context(|| format!("cannot execute {path}"))?;
                anyhow::ensure!(status.success(), "{path}: {status}");
            }
            print_rate(*count, started);
        }
        Action::MapLoop { count, path } => map_loop(*count, path)?,
        Action::ExecStorm { after, path } => exec_storm(path, *after)?,
        Action::OpenPaced { per_second, path } => {
            let pause = std::time::Duration::from_secs(1) / (*per_second).max(1);
            for n in 0u64.. {
                drop(std::fs::File::open(path).with_context(|| format!("open {path}"))?);
                if n == 0 {
                    println!("opening");
                    std::io::Write::flush(&mut std::io::stdout())?;
                }
                std::thread::sleep(pause);
            }
        }
        Action::OpenNamed {
            names,
            path,
            prefix,
        } => {
            for i in 0..*names {
                let name = CString::new(format!("{prefix}{i}")).context("NUL in name")?;
                nix::sys::prctl::set_name(&name).context("cannot set the process name")?;
                drop(std::fs::File::open(path).with_context(|| format!("open {path}"))?);
            }
        }
        Action::OpenInCgroups {
            parent,
            count,
            opens,
            path,
        } => {
            for i in 0..*count {
                let dir = format!("{parent}/g{i}");
                std::fs::create_dir(&dir).with_context(|| format!("mkdir {dir}"))?;
                // "0" moves the process that writes it.
                std::fs::write(format!("{dir}/cgroup.procs"), "0")
                    .with_context(|| format!("cannot enter {dir}"))?;
                for _ in 0..*opens {
                    drop(std::fs::File::open(path).with_context(|| format!("open {path}"))?);
                }
            }
        }
        Action::Getpid { count, paths } => {
            for _ in 0..*count {
                // SAFETY: getpid takes no arguments and cannot fail.
                unsafe { libc::syscall(libc::SYS_getpid) };
            }
            open_each(paths)?;
        }
        Action::PipeLoop { count } => {
            let started = Instant::now();
            for _ in 0..*count {
                drop(nix::unistd::pipe().context("pipe failed")?);
            }
            print_rate(*count, started);
        }
        Action::Pipes { count } => {
            for _ in 0..*count {
                let (read, write) = nix::unistd::pipe().context("pipe failed")?;
                drop(read);
                drop(write);
            }
        }
    }
    Ok(())
}

/// `ExecStorm`: whether each run is before or after the mark is decided before its
/// fork, so a run counted after the mark began its exec after the line arrived.
fn exec_storm(path: &str, after: u32) -> Result<()> {
    use std::sync::atomic::AtomicBool;
    use std::sync::atomic::Ordering;
    static MARKED: AtomicBool = AtomicBool::new(false);
    std::thread::spawn(|| {
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        MARKED.store(true, Ordering::SeqCst);
    });
    // [before, after] x [succeeded, refused]
    let mut counts = [[0u32; 2]; 2];
    let mut runs_after = 0;
    while runs_after < after {
        let side = usize::from(MARKED.load(Ordering::SeqCst));
        runs_after += side as u32;
        let refused = match std::process::Command::new(path).status() {
            Ok(status) if status.success() => false,
            Ok(status) => anyhow::bail!("{path}: {status}"),
            Err(err) if err.raw_os_error() == Some(libc::EPERM) => true,
            Err(err) => anyhow::bail!("cannot execute {path}: {err}"),
        };
        counts[side][usize::from(refused)] += 1;
        if counts.iter().flatten().sum::<u32>() == 1 {
            println!("running");
        }
    }
    println!(
        "before {} {} after {} {}",
        counts[0][0], counts[0][1], counts[1][0], counts[1][1]
    );
    Ok(())
}

fn print_rate(count: u32, started: Instant) {
    let ns = started.elapsed().as_nanos() as f64 / f64::from(count.max(1));
    println!("iterations {count} ns_per_iter {ns:.1}");
}

/// chdir(2) to `dir` one component at a time (a path longer than PATH_MAX cannot be
/// entered at once), creating the missing ones if `create`.
fn enter(dir: &str, create: bool) -> Result<()> {
    if dir.starts_with('/') {
        std::env::set_current_dir("/")?;
    }
    for name in dir.split('/').filter(|name| !name.is_empty()) {
        if create {
            match std::fs::create_dir(name) {
                Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(err).with_context(|| format!("cannot create {name}"));
                }
                _ => {}
            }
        }
        std::env::set_current_dir(name).with_context(|| format!("cannot enter {name}"))?;
    }
    Ok(())
}

/// The strings of `strings`, each with its NUL, in a private read-only map of a file
/// that nothing has read through the map: its address, and each string's offset.
fn file_backed_strings(strings: &[&str]) -> Result<(*const libc::c_char, Vec<usize>)> {
    use std::io::Write;
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    for string in strings {
        anyhow::ensure!(!string.contains('\0'), "NUL in {string:?}");
        offsets.push(bytes.len());
        bytes.extend_from_slice(string.as_bytes());
        bytes.push(0);
    }
    let file_path = std::env::temp_dir().join(format!("workload-literals-{}", std::process::id()));
    let mut file = std::fs::File::create_new(&file_path)
        .with_context(|| format!("cannot create {}", file_path.display()))?;
    let _ = std::fs::remove_file(&file_path);
    file.write_all(&bytes)?;
    // SAFETY: a new read-only private mapping of a file we hold; nothing aliases it.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes.len(),
            libc::PROT_READ,
            libc::MAP_PRIVATE,
            file.as_raw_fd(),
            0,
        )
    };
    anyhow::ensure!(
        map != libc::MAP_FAILED,
        "mmap failed: {}",
        std::io::Error::last_os_error()
    );
    Ok((map.cast(), offsets))
}

fn fork_exec_literals(fexecve: bool, count: u32, path: &str, args: &[String]) -> Result<()> {
    let mut strings = vec![path, ""];
    strings.extend(args.iter().map(String::as_str));
    let (base, offsets) = file_backed_strings(&strings)?;
    // Pointers into the map, made without reading it: argv, then its NULL.
    // SAFETY: every offset lies inside the map.
    let at = |i: usize| unsafe { base.add(offsets[i]) };
    let mut argv: Vec<*const libc::c_char> = (2..strings.len()).map(at).collect();
    argv.push(std::ptr::null());
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    let file = if fexecve {
        Some(std::fs::File::open(path).with_context(|| format!("open {path}"))?)
    } else {
        None
    };
    for _ in 0..count {
        // SAFETY: this process has one thread; the child only execs or _exits.
        match unsafe { nix::unistd::fork() }.context("fork failed")? {
            nix::unistd::ForkResult::Child => {
                // SAFETY: NUL-terminated strings and NULL-terminated arrays.
                unsafe {
                    match &file {
                        Some(file) => libc::syscall(
                            libc::SYS_execveat,
                            file.as_raw_fd(),
                            at(1),
                            argv.as_ptr(),
                            envp.as_ptr(),
                            libc::AT_EMPTY_PATH,
                        ),
                        None => {
                            libc::syscall(libc::SYS_execve, at(0), argv.as_ptr(), envp.as_ptr())
                        }
                    };
                    libc::_exit(127)
                }
            }
            nix::unistd::ForkResult::Parent { child } => {
                let status = nix::sys::wait::waitpid(child, None).context("waitpid failed")?;
                println!("{path} {status:?}");
            }
        }
    }
    Ok(())
}

/// `MapLoop`: COUNT executable maps of PATH's first page, each unmapped at once.
fn map_loop(count: u32, path: &str) -> Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?;
    let len = 4096;
    let started = Instant::now();
    for _ in 0..count {
        // SAFETY: a new private map of a file we hold, unmapped before the next.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error()).with_context(|| format!("mmap {path}"));
        }
        // SAFETY: the map just made, of `len` bytes.
        unsafe { libc::munmap(map, len) };
    }
    print_rate(count, started);
    Ok(())
}

/// `MapExec`: a PROT_READ map first (always allowed), then the executable one.
fn map_exec(path: &str, mprotect: bool) -> Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?;
    let len = 4096;
    let map = |prot: libc::c_int| {
        // SAFETY: a new private map of a file we hold; nothing aliases it.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        (map != libc::MAP_FAILED)
            .then_some(map)
            .ok_or_else(std::io::Error::last_os_error)
    };
    let errno = |err: &std::io::Error| err.raw_os_error().unwrap_or(0);
    let readable = match map(libc::PROT_READ) {
        Ok(readable) => {
            println!("read-mapped");
            readable
        }
        Err(err) => {
            println!("errno {}", errno(&err));
            return Ok(());
        }
    };
    let result = if mprotect {
        // SAFETY: the map made above, of `len` bytes.
        let err = unsafe { libc::mprotect(readable, len, libc::PROT_READ | libc::PROT_EXEC) };
        (err == 0)
            .then_some(())
            .ok_or_else(std::io::Error::last_os_error)
    } else {
        map(libc::PROT_READ | libc::PROT_EXEC).map(|_| ())
    };
    match result {
        Ok(()) => println!("mapped"),
        Err(err) => println!("errno {}", errno(&err)),
    }
    Ok(())
}

fn c_strings<'a>(strings: impl Iterator<Item = &'a String>) -> Result<Vec<CString>> {
    strings
        .map(|s| CString::new(s.as_str()).context("NUL in an argument"))
        .collect()
}

/// open(2) each path read-only and close it; prints "PATH fd|errno" per path.
fn open_each(paths: &[String]) -> anyhow::Result<()> {
    for path in paths {
        let c_path = CString::new(path.as_str()).context("NUL in path")?;
        // SAFETY: a valid C string; the fd is closed right away.
        let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY) };
        if fd >= 0 {
            // SAFETY: fd was just returned by open.
            unsafe { libc::close(fd) };
            println!("{path} fd");
        } else {
            println!(
                "{path} errno {}",
                std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
            );
        }
    }
    Ok(())
}
