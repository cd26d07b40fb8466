//! Real cgroups for the container tests: a cgroup v2 directory named as a container
//! runtime names its cgroups, removed (with anything still in it) when dropped, whether
//! the test passed or not.

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::Instant;

use ebpf_tracers::model::cgroup::cgroup2_mount;

use super::harness::report_skip;
use super::workload::unique_name;

/// The cgroup v2 path of this process ("0::PATH" in /proc/self/cgroup).
pub fn own_cgroup() -> String {
    std::fs::read_to_string("/proc/self/cgroup")
        .expect("cannot read /proc/self/cgroup")
        .lines()
        .find_map(|line| line.strip_prefix("0::").map(str::to_string))
        .expect("no cgroup v2 line in /proc/self/cgroup")
}

/// `<mount>/<unique>.slice/docker-<64 random hex>.scope`, as Docker's systemd driver
/// names a container's cgroup.
pub struct DockerCgroup {
    slice: PathBuf,
    /// The directory (what --cgroup takes).
    pub dir: PathBuf,
    /// Its path below the mount, from "/" (what records carry as `cgroup`).
    pub path: String,
    /// The 64 hex digits.
    pub container_id: String,
}

impl DockerCgroup {
    /// None (after saying the test is skipped, and why) where no cgroup2 is mounted; in
    /// CI (EBPF_TRACERS_REQUIRE_ROOT=1) that fails the test instead.
    pub fn create(test: &str) -> Option<DockerCgroup> {
        let Some(mount) = cgroup2_mount() else {
            let why = "no cgroup2 file system is mounted";
            if std::env::var("EBPF_TRACERS_REQUIRE_ROOT").as_deref() == Ok("1") {
                panic!("{test}: {why}, and EBPF_TRACERS_REQUIRE_ROOT=1");
            }
            report_skip(test, why);
            return None;
        };
        let container_id = random_hex(32);
        let slice_name = format!("{}.slice", unique_name("ct"));
        let scope_name = format!("docker-{container_id}.scope");
        let slice = mount.join(&slice_name);
        let dir = slice.join(&scope_name);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|err| panic!("cannot make cgroup {}: {err}", dir.display()));
        Some(DockerCgroup {
            slice,
            dir,
            path: format!("/{slice_name}/{scope_name}"),
            container_id,
        })
    }

    pub fn dir_arg(&self) -> &str {
        self.dir.to_str().expect("cgroup path is not UTF-8")
    }

    /// Moves process `pid` (all its threads) into the cgroup.
    pub fn enter(&self, pid: u32) {
        std::fs::write(self.dir.join("cgroup.procs"), pid.to_string())
            .unwrap_or_else(|err| panic!("cannot move {pid} into {}: {err}", self.path));
    }
}

impl Drop for DockerCgroup {
    fn drop(&mut self) {
        for dir in [&self.dir, &self.slice] {
            remove_cgroup(dir);
        }
    }
}

/// Kills what is left in `dir` (a test that failed half-way), then removes it.
fn remove_cgroup(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        for pid in procs
            .lines()
            .filter_map(|line| line.trim().parse::<i32>().ok())
        {
            // SAFETY: signalling a process the test put into its own cgroup.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        match std::fs::remove_dir(dir) {
            Ok(()) => return,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
            Err(err) if Instant::now() > deadline => {
                eprintln!("cannot remove cgroup {}: {err}", dir.display());
                return;
            }
            // Busy while the killed processes exit.
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// `bytes` random bytes as lowercase hex.
fn random_hex(bytes: usize) -> String {
    use std::io::Read;
    let mut raw = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut raw))
        .expect("cannot read /dev/urandom");
    raw.iter().map(|b| format!("{b:02x}")).collect()
}
