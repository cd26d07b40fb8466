//! What an ELF program needs mapped executable to start: its dynamic loader
//! (PT_INTERP) and its libraries (DT_NEEDED, transitively), found as the loader finds
//! them. Parsing is goblin's; the search follows ld.so(8):
//! 1. a name with a slash is that path;
//! 2. DT_RPATH of the object, then of the program (unless the program has DT_RUNPATH),
//!    when the object has no DT_RUNPATH;
//! 3. DT_RUNPATH of the object;
//! 4. the directories /etc/ld.so.conf lists (with its `include`s): what ldconfig puts
//!    in the cache the loader reads;
//! 5. the default directories (/lib64, /usr/lib64 for 64-bit objects; /lib, /usr/lib:
//!    more than some loaders search, which can only allow a file, never hide one).
//!
//! Not followed: `$LIB`, `$PLATFORM`, glibc-hwcaps subdirectories, and `$ORIGIN` of the
//! program is the directory of the path it was given by, not of the file a symlink
//! leads to. Whatever is missed fails closed: the loader's map is refused.
//!
//! `$ORIGIN` (and `${ORIGIN}`) in a path is the object's directory; a candidate is
//! taken only when it is an ELF object of the program's class and machine, as the
//! loader skips others. LD_LIBRARY_PATH (a process's own environment) and dlopen(3)
//! are not followed: what they load must be named by the caller.
//!
//! Files are read through the caller's `Files` (execguard reads them inside a
//! container's root).

use std::collections::BTreeSet;

/// The largest ELF object read (a library is a few MB; the largest, tens).
const MOST_ELF: u64 = 256 << 20;
/// The largest ld.so.conf file read.
const MOST_CONF: u64 = 1 << 20;
use std::path::Path;
use std::path::PathBuf;

/// Where the files are read: the host's root, or a container's.
pub trait Files {
    /// The whole file at `path` (absolute), or None when it cannot be read or is a
    /// regular file longer than `limit` bytes.
    fn read(&self, path: &Path, limit: u64) -> Option<Vec<u8>>;
    /// The names in the directory `dir` (absolute); none when it cannot be read.
    fn list(&self, dir: &Path) -> Vec<String>;
}

/// An ELF object as the loader tells objects apart: class and machine.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Kind {
    is_64: bool,
    machine: u16,
}

/// What one object says of what it needs.
struct Object {
    kind: Kind,
    interpreter: Option<String>,
    needed: Vec<String>,
    rpath: Vec<String>,
    runpath: Vec<String>,
}

fn parse(bytes: &[u8]) -> Option<Object> {
    let elf = goblin::elf::Elf::parse(bytes).ok()?;
    let split = |lists: &[&str]| -> Vec<String> {
        lists
            .iter()
            .flat_map(|list| list.split(':'))
            .filter(|dir| !dir.is_empty())
            .map(str::to_string)
            .collect()
    };
    Some(Object {
        kind: Kind {
            is_64: elf.is_64,
            machine: elf.header.e_machine,
        },
        interpreter: elf.interpreter.map(str::to_string),
        needed: elf.libraries.iter().map(|name| name.to_string()).collect(),
        rpath: split(&elf.rpaths),
        runpath: split(&elf.runpaths),
    })
}

/// The loader and the libraries `program` needs, each by the path it is found at (a
/// symlink, often: the caller resolves it). Nothing for a file that is not a dynamic
/// ELF program (a static one, a script). A library found nowhere is an error that
/// names it and who needs it.
pub fn needed_files(files: &dyn Files, program: &Path) -> Result<Vec<PathBuf>, String> {
    let bytes = files
        .read(program, MOST_ELF)
        .ok_or_else(|| format!("cannot read {}", program.display()))?;
    let Some(main) = parse(&bytes) else {
        return Ok(Vec::new());
    };
    let mut found: Vec<PathBuf> = Vec::new();
    if let Some(interpreter) = &main.interpreter {
        found.push(PathBuf::from(interpreter));
    }
    let conf_dirs = ld_so_conf_dirs(files);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    // (the object that needs it, its path, the name needed)
    let mut pending: Vec<(PathBuf, usize, String)> = Vec::new();
    let mut objects: Vec<Object> = Vec::new();
    let queue = |pending: &mut Vec<(PathBuf, usize, String)>,
                 seen: &mut BTreeSet<String>,
                 at: &Path,
                 index: usize,
                 needed: &[String]| {
        for name in needed {
            if seen.insert(name.clone()) {
                pending.push((at.to_path_buf(), index, name.clone()));
            }
        }
    };
    queue(&mut pending, &mut seen, program, 0, &main.needed);
    objects.push(main);
    let mut next = 0;
    while next < pending.len() {
        let (at, index, name) = pending[next].clone();
        next += 1;
        let object = &objects[index];
        let origin = at.parent().unwrap_or(Path::new("/"));
        let expand = |dir: &String| -> PathBuf {
            let origin = origin.to_string_lossy();
            PathBuf::from(
                dir.replace("${ORIGIN}", &origin)
                    .replace("$ORIGIN", &origin),
            )
        };
        let mut candidates: Vec<PathBuf> = Vec::new();
        if name.contains('/') {
            candidates.push(expand(&name));
        } else {
            let mut dirs: Vec<PathBuf> = Vec::new();
            if object.runpath.is_empty() {
                dirs.extend(object.rpath.iter().map(expand));
                if index != 0 && objects[0].runpath.is_empty() {
                    dirs.extend(objects[0].rpath.iter().map(expand));
                }
            }
            dirs.extend(object.runpath.iter().map(expand));
            dirs.extend(conf_dirs.iter().cloned());
            if objects[0].kind.is_64 {
                dirs.extend(["/lib64", "/usr/lib64"].map(PathBuf::from));
            }
            dirs.extend(["/lib", "/usr/lib"].map(PathBuf::from));
            candidates.extend(dirs.iter().map(|dir| dir.join(&name)));
        }
        let kind = objects[0].kind;
        let hit = candidates.into_iter().find_map(|candidate| {
            let library = parse(&files.read(&candidate, MOST_ELF)?)?;
            (library.kind == kind).then_some((candidate, library))
        });
        let Some((path, library)) = hit else {
            return Err(format!(
                "{name}, which {} needs, is in none of the loader's directories",
                at.display()
            ));
        };
        let needed = library.needed.clone();
        objects.push(library);
        queue(&mut pending, &mut seen, &path, objects.len() - 1, &needed);
        found.push(path);
    }
    Ok(found)
}

/// The directories /etc/ld.so.conf lists, its `include`d files' too (one `*` in the
/// last part of a pattern), in order, each once.
fn ld_so_conf_dirs(files: &dyn Files) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    read_conf(files, Path::new("/etc/ld.so.conf"), &mut dirs, 0);
    let mut seen = BTreeSet::new();
    dirs.retain(|dir| seen.insert(dir.clone()));
    dirs
}

fn read_conf(files: &dyn Files, conf: &Path, dirs: &mut Vec<PathBuf>, depth: usize) {
    if depth > 8 {
        return;
    }
    let Some(text) = files.read(conf, MOST_CONF) else {
        return;
    };
    // A relative `include` starts in the including file's directory, as ldconfig's.
    let here = conf.parent().unwrap_or(Path::new("/etc"));
    for line in String::from_utf8_lossy(&text).lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(pattern) = line.strip_prefix("include") {
            if !pattern.starts_with(char::is_whitespace) {
                continue;
            }
            for pattern in pattern.split_whitespace() {
                for included in expand_glob(files, &here.join(pattern)) {
                    read_conf(files, &included, dirs, depth + 1);
                }
            }
        } else if !line.is_empty() && !line.starts_with("hwcap") {
            dirs.extend(
                line.split([':', ',', ' ', '\t'])
                    .filter(|dir| dir.starts_with('/'))
                    .map(PathBuf::from),
            );
        }
    }
}

/// The files `pattern` names: itself, or with a `*` in its last part the names of its
/// directory that match, sorted (as glob(3) returns them).
fn expand_glob(files: &dyn Files, pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(last)) = (pattern.parent(), pattern.file_name()) else {
        return Vec::new();
    };
    let last = last.to_string_lossy();
    let Some((prefix, suffix)) = last.split_once('*') else {
        return vec![pattern.to_path_buf()];
    };
    let mut names: Vec<String> = files
        .list(dir)
        .into_iter()
        .filter(|name| {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
                && !name.starts_with('.')
        })
        .collect();
    names.sort();
    names.into_iter().map(|name| dir.join(name)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host's own files.
    struct Host;

    impl Files for Host {
        fn read(&self, path: &Path, limit: u64) -> Option<Vec<u8>> {
            let bytes = std::fs::read(path).ok()?;
            (bytes.len() as u64 <= limit).then_some(bytes)
        }
        fn list(&self, dir: &Path) -> Vec<String> {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|entry| entry.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default()
        }
    }

    /// /bin/true (dynamic on every Debian): its loader, and libc among its libraries,
    /// each a file that is there.
    #[test]
    fn bin_true_needs_the_loader_and_libc() {
        let needed = needed_files(&Host, Path::new("/bin/true")).unwrap();
        let interpreter = parse(&std::fs::read("/bin/true").unwrap())
            .unwrap()
            .interpreter
            .unwrap();
        assert_eq!(needed[0], PathBuf::from(&interpreter), "{needed:?}");
        assert!(
            needed
                .iter()
                .any(|path| path.file_name().is_some_and(|name| name == "libc.so.6")),
            "{needed:?}"
        );
        assert!(needed.iter().all(|path| path.exists()), "{needed:?}");
    }

    /// Not an ELF object (a script): nothing to add. Unreadable: said.
    #[test]
    fn a_script_needs_nothing_and_a_missing_file_is_said() {
        let script = std::env::temp_dir().join(format!("elf-test-{}", std::process::id()));
        std::fs::write(&script, "#!/bin/sh\ntrue\n").unwrap();
        assert_eq!(needed_files(&Host, &script), Ok(Vec::new()));
        std::fs::remove_file(&script).unwrap();
        assert!(needed_files(&Host, &script).is_err());
    }
}
