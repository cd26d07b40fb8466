//! What an exec ran, as the kernel side (bpf/exec.bpf.h) hands it over, decoded once for
//! every tool that reports or counts execs (execsnoop, execve_count, execs_by_user):
//! a name the kernel could not read is `None` (JSON null, "-" in a table), never an
//! empty string that looks like a real one; argv is split where the kernel laid out
//! its NULs and kept to --max-args, with a mark when more were there.

use crate::model::bytes::as_bytes;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;

/// A counting key's name or path (a C string), or None when the key says the kernel
/// could not read it.
pub fn name(raw: &[i8], unreadable: u32) -> Option<String> {
    (unreadable == 0).then(|| escape(c_bytes(raw)))
}

/// The arguments of an exec after argv[0]: `bytes` holds argv as the kernel laid it
/// out (each argument with its NUL; the last one may be cut short where the kernel side
/// stopped reading). At most `keep` are returned; the flag says there were more than
/// were returned, or that the kernel side stopped before the end (`cut`).
pub fn arguments(bytes: &[u8], cut: bool, keep: usize) -> (Vec<String>, bool) {
    let mut args = bytes
        .split_inclusive(|&b| b == 0)
        .skip(1)
        .map(|arg| escape(arg.strip_suffix(&[0]).unwrap_or(arg)));
    let kept: Vec<String> = args.by_ref().take(keep).collect();
    let more = args.next().is_some();
    (kept, cut || more)
}

/// `arguments` of a record's bytes after the path (a generated type's char array).
pub fn arguments_of(
    after_path: &[u8],
    more: &[i8],
    size: u32,
    cut: bool,
    keep: usize,
) -> (Vec<String>, bool) {
    let mut bytes = after_path.to_vec();
    bytes.extend_from_slice(as_bytes(more));
    bytes.truncate(size as usize);
    arguments(&bytes, cut, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_skip_argv0_and_keep_at_most_keep() {
        let argv = b"ls\0-l\0/tmp\0";
        assert_eq!(
            arguments(argv, false, 5),
            (vec!["-l".into(), "/tmp".into()], false)
        );
        assert_eq!(arguments(argv, false, 1), (vec!["-l".into()], true));
        assert_eq!(arguments(argv, false, 0), (vec![], true));
        assert_eq!(arguments(b"ls\0", false, 5), (vec![], false));
        assert_eq!(arguments(b"", false, 5), (vec![], false));
    }

    #[test]
    fn an_argument_cut_by_the_kernel_side_is_kept_and_marked() {
        assert_eq!(
            arguments(b"ls\0abc", true, 5),
            (vec!["abc".to_string()], true)
        );
    }

    #[test]
    fn an_empty_argument_is_an_argument() {
        assert_eq!(
            arguments(b"x\0\0y\0", false, 5),
            (vec![String::new(), "y".to_string()], false)
        );
    }

    #[test]
    fn an_unreadable_name_is_none_not_empty() {
        let raw = [b'l' as i8, b's' as i8, 0];
        assert_eq!(name(&raw, 0).as_deref(), Some("ls"));
        assert_eq!(name(&raw, 1), None);
        assert_eq!(name(&[0], 0).as_deref(), Some(""));
    }
}
