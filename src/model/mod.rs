//! What events are about: the kernel's byte strings as text (bytes.rs), the task
//! (task.rs), its cgroup and container (cgroup.rs), users (users.rs), paths as the
//! kernel hands them over (paths.rs), an exec's file and arguments (exec.rs), and ELF
//! files (elf.rs, for execguard's libraries).

pub mod bytes;
pub mod cgroup;
pub mod elf;
pub mod exec;
pub mod paths;
pub mod task;
pub mod users;
