//! Paths from the kernel, as every tool that reports one shows them (opensnoop,
//! unlinksnoop, mkdirsnoop, execsnoop, filetop -F): the `struct path_buf` of
//! bpf/path.h, filled by bpf/path.bpf.h, becomes the path as passed or, where the
//! kernel walked the directories a relative path starts in, the full path. A path
//! longer than the kernel side could read is marked: "..." where it was cut, and
//! `path_cut` in JSON. Never cut silently.

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::bytes::escape;
use crate::model::bytes::until_nul;

/// A `struct path_buf` as decoded from a generated skeleton type (skel.rs).
#[derive(Debug, Clone, Copy)]
pub struct RawPath<'a> {
    pub name_len: u16,
    pub dir_len: u16,
    pub name_cut: bool,
    pub dir_cut: bool,
    pub walked: bool,
    pub names: &'a [u8],
}

/// The marker of a cut: where bytes are missing.
const CUT: &[u8] = b"...";

impl RawPath<'_> {
    /// The path to show, and whether it was cut: the path as passed; with directories
    /// walked, those (nearest first in the record) joined root first in front of it.
    pub fn path(&self) -> (Vec<u8>, bool) {
        let name_end = usize::from(self.name_len).min(self.names.len());
        let name = until_nul(&self.names[..name_end]);
        let mut path = Vec::new();
        if self.walked && !name.starts_with(b"/") {
            if self.dir_cut {
                path.extend_from_slice(CUT);
            }
            let dir_end = (name_end + usize::from(self.dir_len)).min(self.names.len());
            for dir in self.names[name_end..dir_end]
                .split(|&b| b == 0)
                .filter(|dir| !dir.is_empty())
                .rev()
            {
                path.push(b'/');
                path.extend_from_slice(dir);
            }
            // A file named by its descriptor alone (fexecve): no name after its path.
            if !name.is_empty() || path.is_empty() {
                path.push(b'/');
            }
        }
        path.extend_from_slice(name);
        if self.name_cut {
            path.extend_from_slice(CUT);
        }
        (path, self.name_cut || (self.walked && self.dir_cut))
    }

    /// The bytes of `names` the path takes (as path_used() in bpf/path.bpf.h).
    pub fn used(&self) -> usize {
        (usize::from(self.name_len) + usize::from(self.dir_len)).min(self.names.len())
    }

    /// The record's part for this path.
    pub fn shown(&self) -> ShownPath {
        let (path, cut) = self.path();
        ShownPath {
            path: escape(&path),
            path_cut: cut,
        }
    }
}

/// The path of a record: flattened into it, so that every tool says it the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ShownPath {
    /// The path (as passed; with -F, a relative one in full); "..." stands where it
    /// was cut
    pub path: String,
    /// True when the path is longer than the kernel side reads: 4096 bytes (PATH_MAX,
    /// as passed or in full with -F) or, with -F, 64 directories deep; absent otherwise
    // `default` tells the schema it may be absent (serde itself only serializes).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub path_cut: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(names: &[u8], name_len: u16, dir_len: u16) -> RawPath<'_> {
        RawPath {
            name_len,
            dir_len,
            name_cut: false,
            dir_cut: false,
            walked: dir_len > 0,
            names,
        }
    }

    #[test]
    fn walked_directories_are_joined_root_first() {
        let names = b"notes.txt\0work\0home\0";
        assert_eq!(
            buf(names, 10, 11).path(),
            (b"/home/work/notes.txt".to_vec(), false)
        );
        assert_eq!(buf(names, 10, 0).path(), (b"notes.txt".to_vec(), false));
        let cut = RawPath {
            dir_cut: true,
            ..buf(names, 10, 11)
        };
        assert_eq!(cut.path(), (b".../home/work/notes.txt".to_vec(), true));
        // Walked from the root: nothing to join.
        let at_root = RawPath {
            walked: true,
            ..buf(names, 10, 0)
        };
        assert_eq!(at_root.path(), (b"/notes.txt".to_vec(), false));
        // An absolute path is never joined.
        assert_eq!(buf(b"/etc\0x\0", 5, 2).path().0, b"/etc");
    }

    #[test]
    fn a_file_named_by_its_descriptor_is_its_walk() {
        assert_eq!(buf(b"\0bin\0usr\0", 1, 8).path().0, b"/usr/bin");
    }

    #[test]
    fn a_path_longer_than_read_is_marked() {
        let cut = RawPath {
            name_cut: true,
            ..buf(b"/very/long\0", 11, 0)
        };
        let shown = cut.shown();
        assert_eq!(shown.path, "/very/long...");
        assert!(shown.path_cut);
        let json = serde_json::to_value(buf(b"/a\0", 3, 0).shown()).unwrap();
        assert_eq!(json, serde_json::json!({"path": "/a"}));
    }
}
