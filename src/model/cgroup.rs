//! Cgroups and containers: the cgroup v2 hierarchy wherever it is mounted, `--cgroup`'s
//! directory (checked when parsed, put into the BPF filter map before attach), and the
//! names of the cgroup ids events and counting keys carry: the cgroup's path below the
//! mount and, where the path follows a container runtime's naming, the container id and
//! the Kubernetes pod UID.
//!
//! On cgroup v2 a cgroup's id (`bpf_get_current_cgroup_id()`) is its directory's inode
//! number, and the kernel opens the directory from it as a file handle
//! (open_by_handle_at); where that is refused, the hierarchy is searched for the inode.
//! Ids are never reused, so what an id names is remembered (a bounded cache): a cgroup
//! made after the tool started is looked up the first time one of its ids arrives; one
//! already removed by then keeps only its id.

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;
use libbpf_rs::MapMut;
use schemars::JsonSchema;
use serde::Serialize;

/// Where a task runs, as records show it: flattened into the task part of every event
/// record, and into counting keys with --by-cgroup. Every field is absent when the tool
/// does not know it (counting without --by-cgroup).
///
/// A cgroup is its id: two values of one id are equal (and order and hash alike)
/// whatever their names say, so a counting key stays one key (one series) when its
/// cgroup is removed and its name can no longer be read: the name it was first given
/// stays with the key.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Cgroup {
    /// The task's cgroup v2 id (its directory's inode number)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup_id: Option<u64>,
    /// The cgroup's path below the cgroup2 mount, from "/" (absent only when the cgroup
    /// was removed before the tool could look its id up)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<Arc<str>>,
    /// The full container id, when the path names a container (Docker, containerd,
    /// CRI-O, podman)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_id: Option<Arc<str>>,
    /// The Kubernetes pod's UID, when the path names a pod
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_uid: Option<Arc<str>>,
}

impl PartialEq for Cgroup {
    fn eq(&self, other: &Self) -> bool {
        self.cgroup_id == other.cgroup_id
    }
}

impl Eq for Cgroup {}

impl PartialOrd for Cgroup {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cgroup {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.cgroup_id.cmp(&other.cgroup_id)
    }
}

impl std::hash::Hash for Cgroup {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.cgroup_id.hash(state);
    }
}

/// How many cgroup ids the cache remembers: twice the keys a report keeps
/// (counters.rs MAX_KEYS, whose test checks this), so that every
/// cgroup a tool counts is resolved once, not again at every read (a FIFO of 4,096
/// missed on every id with 4,300 cgroups alive). Past it, the half used longest ago is
/// forgotten. A cgroup that could not be named (removed before its first event was
/// read) is remembered as such: it is not looked up again.
pub const CACHE_ENTRIES: usize = 20_000;

impl Cgroup {
    /// What the cgroup id `id` names (`id` 0: a key without a cgroup, nothing).
    pub fn of(id: u64) -> Cgroup {
        if id == 0 {
            return Cgroup::default();
        }
        let mut names = NAMES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        names.get_or_insert_with(Names::new).lookup(id)
    }
}

static NAMES: Mutex<Option<Names>> = Mutex::new(None);

/// The cache of what cgroup ids name.
struct Names {
    /// The cgroup2 mount and its directory, opened (None: no cgroup2 mounted).
    root: Option<(PathBuf, File)>,
    /// What each id names, and when it was last asked for (a count of lookups).
    known: HashMap<u64, (Cgroup, u64)>,
    lookups: u64,
    /// Ids looked up in the kernel (open_by_handle_at or a search), for the tests.
    resolved: u64,
    /// Whether the kernel opens cgroups by handle (else the tree is searched).
    by_handle: bool,
    /// Without handles: every cgroup directory by inode, as the last search of the
    /// whole tree found them, and when that was.
    scanned: HashMap<u64, PathBuf>,
    last_scan: Option<std::time::Instant>,
}

impl Names {
    fn new() -> Self {
        let root = cgroup2_mount().and_then(|mount| {
            let dir = open_dir(&mount).ok()?;
            Some((mount, dir))
        });
        Self {
            root,
            ..Self::unmounted()
        }
    }

    /// A cache with no cgroup2 hierarchy to look in (every id unnamed).
    fn unmounted() -> Self {
        Self {
            root: None,
            known: HashMap::new(),
            lookups: 0,
            resolved: 0,
            by_handle: true,
            scanned: HashMap::new(),
            last_scan: None,
        }
    }

    fn lookup(&mut self, id: u64) -> Cgroup {
        self.lookups += 1;
        if let Some((known, used)) = self.known.get_mut(&id) {
            *used = self.lookups;
            return known.clone();
        }
        self.resolved += 1;
        let path = self.path_of(id);
        let mut cgroup = Cgroup {
            cgroup_id: Some(id),
            ..Cgroup::default()
        };
        if let Some(path) = path {
            let place = place_of(&path);
            cgroup.container_id = place.container_id.map(Arc::from);
            cgroup.pod_uid = place.pod_uid.map(Arc::from);
            cgroup.cgroup = Some(Arc::from(path));
        }
        if self.known.len() >= CACHE_ENTRIES {
            self.forget_the_least_recent_half();
        }
        self.known.insert(id, (cgroup.clone(), self.lookups));
        cgroup
    }

    fn forget_the_least_recent_half(&mut self) {
        let mut used: Vec<u64> = self.known.values().map(|(_, used)| *used).collect();
        let middle = used.len() / 2;
        let (_, median, _) = used.select_nth_unstable(middle);
        let median = *median;
        self.known.retain(|_, (_, used)| *used > median);
    }

    /// The path of cgroup `id` below the mount ("/..."), None if it no longer exists.
    fn path_of(&mut self, id: u64) -> Option<String> {
        let (mount, dir) = self.root.as_ref()?;
        if self.by_handle {
            match open_by_id(dir, id) {
                Ok(found) => {
                    let path = std::fs::read_link(format!("/proc/self/fd/{}", found.as_raw_fd()));
                    return path.ok().and_then(|path| below(mount, &path));
                }
                // Removed: ids are never reused, so it is gone for good.
                Err(err) if err.raw_os_error() == Some(libc::ESTALE) => return None,
                Err(_) => self.by_handle = false,
            }
        }
        // One search of the whole tree names every cgroup in it: a read that brings a
        // thousand new ids searches once, not a thousand times. A miss searches again,
        // at most ten times a second (a cgroup made since the last search).
        let mount = mount.clone();
        let stale = self
            .last_scan
            .is_none_or(|at| at.elapsed() > std::time::Duration::from_millis(100));
        if !self.scanned.contains_key(&id) && stale {
            self.scanned.clear();
            scan_tree(&mount, 0, &mut self.scanned);
            self.last_scan = Some(std::time::Instant::now());
        }
        self.scanned.get(&id).and_then(|path| below(&mount, path))
    }
}

/// Every directory below `dir` by inode number (cgroup trees are shallow).
fn scan_tree(dir: &Path, depth: usize, found: &mut HashMap<u64, PathBuf>) {
    let Ok(meta) = std::fs::metadata(dir) else {
        return;
    };
    found.insert(meta.ino(), dir.to_path_buf());
    if depth >= 32 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            scan_tree(&entry.path(), depth + 1, found);
        }
    }
}

/// `path` relative to the mount, from "/", escaped as every name from the kernel is
/// (a delegated cgroup's name is anyone's choice: control bytes become `\xNN`).
fn below(mount: &Path, path: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let rest = path.strip_prefix(mount).ok()?;
    Some(format!(
        "/{}",
        crate::model::bytes::escape(rest.as_os_str().as_bytes())
    ))
}

/// The kernel's handle for a kernfs node (include/linux/exportfs.h: FILEID_KERNFS): the
/// node's 64-bit id.
const FILEID_KERNFS: i32 = 0xfe;

#[repr(C)]
struct KernfsHandle {
    handle_bytes: u32,
    handle_type: i32,
    id: u64,
}

/// Opens the cgroup directory whose id is `id` (needs CAP_DAC_READ_SEARCH).
fn open_by_id(mount_dir: &File, id: u64) -> std::io::Result<File> {
    use std::os::fd::FromRawFd;
    let mut handle = KernfsHandle {
        handle_bytes: 8,
        handle_type: FILEID_KERNFS,
        id,
    };
    // SAFETY: a valid directory fd and a file_handle of handle_bytes bytes after its
    // header; the returned fd (if any) is ours.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_by_handle_at,
            mount_dir.as_raw_fd(),
            &mut handle as *mut KernfsHandle,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new fd the kernel just gave us.
    Ok(unsafe { File::from_raw_fd(fd as i32) })
}

fn open_dir(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(path)
}

/// Where the cgroup2 hierarchy is mounted (/sys/fs/cgroup on unified hosts,
/// /sys/fs/cgroup/unified on hybrid ones), from /proc/self/mounts.
pub fn cgroup2_mount() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let mount_point = fields.nth(1)?;
        (fields.next()? == "cgroup2").then(|| PathBuf::from(unescape_mount(mount_point)))
    })
}

/// /proc/mounts writes a space, tab, newline or backslash as \ and three octal digits.
fn unescape_mount(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        match octal {
            Some(digits) => {
                let value = digits.iter().fold(0u32, |n, d| n * 8 + u32::from(d - b'0'));
                out.push(value as u8);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// --cgroup's value: a directory of the cgroup2 hierarchy (clap's value parser; the
/// error is the rest of clap's one line).
pub fn parse_cgroup_dir(text: &str) -> Result<PathBuf, String> {
    let Some(mount) = cgroup2_mount() else {
        return Err(
            "no cgroup2 file system is mounted (see /proc/mounts): mount one, \
                    e.g. `mount -t cgroup2 none /sys/fs/cgroup`, and give a directory of it"
                .to_string(),
        );
    };
    let hint = format!(
        "give a directory of the cgroup2 hierarchy mounted at {}",
        mount.display()
    );
    let path = Path::new(text);
    match std::fs::metadata(path) {
        Err(err) => return Err(format!("{err}: {hint}")),
        Ok(meta) if !meta.is_dir() => return Err(format!("not a directory: {hint}")),
        Ok(_) => {}
    }
    match nix::sys::statfs::statfs(path) {
        Ok(fs) if fs.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC => {
            Ok(path.to_path_buf())
        }
        Ok(_) => Err(format!("not in the cgroup2 hierarchy: {hint}")),
        Err(err) => Err(format!("{err}: {hint}")),
    }
}

/// The processes of the cgroup DIR and of the cgroups below it (at most `most`).
pub fn members(dir: &Path, most: usize) -> Vec<u32> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        found.extend(
            procs
                .lines()
                .filter_map(|line| line.trim().parse::<u32>().ok()),
        );
        if found.len() >= most {
            found.truncate(most);
            break;
        }
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let below = entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()));
            dirs.extend(below.map(|entry| entry.path()));
        }
    }
    found
}

/// Whether process PID ("self" too) is in the cgroup DIR or below it (as --cgroup's
/// filter sees it): its cgroup2 path (/proc/PID/cgroup, "0::") under DIR. None when
/// that cannot be read.
pub fn holds_process(dir: &Path, pid: &str) -> Option<bool> {
    let mount = cgroup2_mount()?;
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let own = text.lines().find_map(|line| line.strip_prefix("0::"))?;
    let own = mount.join(own.trim().trim_start_matches('/'));
    let dir = std::fs::canonicalize(dir).ok()?;
    Some(own.starts_with(dir))
}

/// Puts --cgroup's directory into slot 0 of the object's `cgroup_filter` map
/// (bpf/common.bpf.h), between load and attach: the map keeps the cgroup itself, so
/// the directory's fd is closed again here.
pub fn fill_filter(map: &MapMut<'_>, dir: &Path) -> Result<()> {
    let cgroup = open_dir(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    let fd = cgroup.as_raw_fd() as u32;
    map.update(&0u32.to_ne_bytes(), &fd.to_ne_bytes(), MapFlags::ANY)
        .with_context(|| format!("cannot filter on cgroup {}", dir.display()))
}

/// What a cgroup path says of containers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub container_id: Option<String>,
    pub pod_uid: Option<String>,
}

/// Reads a container id and a Kubernetes pod UID from a cgroup path, as the runtimes
/// name their cgroups:
/// - Docker: `docker-<id>.scope` (systemd driver) or `/docker/<id>` (cgroupfs);
/// - containerd: `cri-containerd-<id>.scope`; CRI-O: `crio-<id>.scope`;
/// - podman: `libpod-<id>.scope` (or `libpod-<id>` with cgroupfs);
/// - Kubernetes, under `kubepods…`: `pod<uid>` (cgroupfs) or `…-pod<uid_with_underscores>.slice`
///   (systemd), with the pod's containers below it, by their runtime's name or as a bare
///   id (cgroupfs).
///
/// Ids are 64 lowercase hex digits; conmon's scopes (`crio-conmon-`, `libpod-conmon-`)
/// are not containers. Nested containers name the innermost.
pub fn place_of(path: &str) -> Place {
    let mut place = Place::default();
    let mut in_kubepods = false;
    let mut parent = "";
    for part in path.split('/').filter(|part| !part.is_empty()) {
        if part.starts_with("kubepods") {
            in_kubepods = true;
        }
        let pod = in_kubepods.then(|| pod_uid_in(part)).flatten();
        let bare_id_allowed = parent == "docker" || (in_kubepods && place.pod_uid.is_some());
        if let Some(id) = container_id_in(part, bare_id_allowed) {
            place.container_id = Some(id.to_string());
        }
        if let Some(uid) = pod {
            place.pod_uid = Some(uid);
        }
        parent = part;
    }
    place
}

/// The container id a path component names, if it does.
fn container_id_in(part: &str, bare_id_allowed: bool) -> Option<&str> {
    const PREFIXES: [&str; 4] = ["docker-", "cri-containerd-", "crio-", "libpod-"];
    if bare_id_allowed && is_container_id(part) {
        return Some(part);
    }
    let name = part.strip_suffix(".scope").unwrap_or(part);
    PREFIXES
        .iter()
        .filter_map(|prefix| name.strip_prefix(prefix))
        .find(|id| is_container_id(id))
}

fn is_container_id(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The pod UID in `pod<uid>` or `kubepods-<class>-pod<uid>.slice` (with '_' for '-'),
/// written with '-'.
fn pod_uid_in(part: &str) -> Option<String> {
    let name = part.strip_suffix(".slice").unwrap_or(part);
    let (before, uid) = name.rsplit_once("pod")?;
    if !(before.is_empty() || before.ends_with('-')) {
        return None;
    }
    let uid = uid.replace('_', "-");
    is_uuid(&uid).then_some(uid)
}

/// 8-4-4-4-12 hex digits.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";
    const UID: &str = "0b5c2a7e-1d3f-4e5a-9b8c-7d6e5f4a3b2c";

    fn container(path: &str) -> Option<String> {
        place_of(path).container_id
    }

    #[test]
    fn a_cgroup_is_its_id_whatever_its_name_says() {
        let named = Cgroup {
            cgroup_id: Some(7),
            cgroup: Some(Arc::from("/a/b")),
            ..Cgroup::default()
        };
        let gone = Cgroup {
            cgroup_id: Some(7),
            ..Cgroup::default()
        };
        assert_eq!(named, gone);
        let mut keys = std::collections::BTreeMap::new();
        keys.insert(named, 1);
        *keys.entry(gone).or_insert(0) += 1;
        assert_eq!(keys.len(), 1);
        // The key keeps the name it came with.
        assert_eq!(keys.keys().next().unwrap().cgroup.as_deref(), Some("/a/b"));
    }

    #[test]
    fn the_cache_names_each_id_once_and_forgets_the_least_recently_used() {
        let mut names = Names::unmounted();
        // Every id of more than 4,096 alive, read again and again: resolved once each.
        for _ in 0..3 {
            for id in 1..=4_300 {
                names.lookup(id);
            }
        }
        assert_eq!(names.resolved, 4_300);
        // Past the cache's size the least recently used half goes.
        for id in 10_000..10_000 + CACHE_ENTRIES as u64 {
            names.lookup(id);
        }
        assert!(names.known.len() <= CACHE_ENTRIES);
        assert!(names
            .known
            .contains_key(&(10_000 + CACHE_ENTRIES as u64 - 1)));
        assert!(!names.known.contains_key(&1));
    }

    #[test]
    fn each_runtime_naming_gives_the_container_id() {
        for path in [
            format!("/system.slice/docker-{ID}.scope"),
            format!("/docker/{ID}"),
            format!("/system.slice/containerd.service/cri-containerd-{ID}.scope"),
            format!("/machine.slice/crio-{ID}.scope"),
            format!("/machine.slice/libpod-{ID}.scope"),
            format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope/container"),
            format!("/libpod_parent/libpod-{ID}"),
        ] {
            assert_eq!(container(&path).as_deref(), Some(ID), "{path}");
            assert_eq!(place_of(&path).pod_uid, None, "{path}");
        }
    }

    #[test]
    fn kubernetes_paths_give_the_pod_uid_and_the_container() {
        let underscored = UID.replace('-', "_");
        let systemd = format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{underscored}.slice/cri-containerd-{ID}.scope"
        );
        let cgroupfs = format!("/kubepods/besteffort/pod{UID}/{ID}");
        let guaranteed = format!("/kubepods.slice/kubepods-pod{underscored}.slice/crio-{ID}.scope");
        for path in [systemd, cgroupfs, guaranteed] {
            let place = place_of(&path);
            assert_eq!(place.pod_uid.as_deref(), Some(UID), "{path}");
            assert_eq!(place.container_id.as_deref(), Some(ID), "{path}");
        }
        // The pod's own cgroup: a pod, no container yet.
        let pod_only = format!("/kubepods/burstable/pod{UID}");
        assert_eq!(
            place_of(&pod_only),
            Place {
                container_id: None,
                pod_uid: Some(UID.to_string())
            }
        );
    }

    #[test]
    fn nested_containers_name_the_innermost() {
        let inner = ID.replace('3', "4");
        assert_eq!(
            container(&format!("/docker/{ID}/docker/{inner}")),
            Some(inner)
        );
    }

    #[test]
    fn paths_that_look_close_are_not_containers() {
        let short = &ID[..63];
        let upper = ID.to_uppercase();
        for path in [
            "/".to_string(),
            "/system.slice/docker.service".to_string(),
            "/system.slice/containerd.service".to_string(),
            "/user.slice/user-1000.slice/session-2.scope".to_string(),
            format!("/system.slice/docker-{short}.scope"),
            format!("/system.slice/docker-{ID}0.scope"),
            format!("/docker/{upper}"),
            format!("/machine.slice/crio-conmon-{ID}.scope"),
            format!("/machine.slice/libpod-conmon-{ID}.scope"),
            format!("/system.slice/podman-{ID}.scope"),
            // A bare id only counts below docker/ or a pod.
            format!("/system.slice/{ID}"),
            format!("/kubepods/burstable/{ID}"),
        ] {
            assert_eq!(place_of(&path), Place::default(), "{path}");
        }
    }

    #[test]
    fn pods_are_only_read_below_kubepods_and_as_whole_uids() {
        let underscored = UID.replace('-', "_");
        for path in [
            format!("/system.slice/pod{UID}"),
            "/kubepods.slice/kubepods-burstable.slice".to_string(),
            format!("/kubepods/burstable/pod{}", &UID[..35]),
            format!("/kubepods.slice/kubepods-burstable-pod{underscored}x.slice"),
            format!("/kubepods.slice/kubepods-burstable-notapod{underscored}.slice"),
        ] {
            assert_eq!(place_of(&path).pod_uid, None, "{path}");
        }
    }

    #[test]
    fn mount_points_are_unescaped() {
        assert_eq!(unescape_mount("/sys/fs/cgroup"), "/sys/fs/cgroup");
        assert_eq!(unescape_mount("/mnt/my\\040cgroups"), "/mnt/my cgroups");
        assert_eq!(unescape_mount("/a\\\\b\\01"), "/a\\\\b\\01");
    }
}
