//! User names for the uids the kernel reports.
//!
//! The ordinary build asks the C library (getpwuid: /etc/passwd, and LDAP or sssd where
//! NSS is set up for them). A static build (`make static`) cannot: static glibc loads
//! NSS modules only from the exact glibc it was linked with, which a host it is copied to
//! need not have. It reads /etc/passwd itself; with no passwd file every name is "?".

use std::collections::HashMap;

/// User names looked up once per uid; "?" for a uid no account has.
#[derive(Debug, Default)]
pub struct UserNames {
    known: HashMap<u32, String>,
}

impl UserNames {
    pub fn name(&mut self, uid: u32) -> String {
        self.known
            .entry(uid)
            .or_insert_with(|| lookup(uid).unwrap_or_else(|| "?".into()))
            .clone()
    }
}

#[cfg(not(target_feature = "crt-static"))]
fn lookup(uid: u32) -> Option<String> {
    use nix::unistd::Uid;
    use nix::unistd::User;
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|user| user.name)
}

#[cfg(target_feature = "crt-static")]
fn lookup(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    name_in_passwd(&passwd, uid)
}

/// The name of `uid` in the text of a passwd file (`name:password:uid:gid:...`).
#[cfg_attr(not(target_feature = "crt-static"), allow(dead_code))]
fn name_in_passwd(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_has_a_name_and_an_unknown_uid_a_question_mark() {
        let mut users = UserNames::default();
        assert_eq!(users.name(0), "root");
        assert_eq!(users.name(4_000_000_000), "?");
    }

    #[test]
    fn passwd_lines_give_names_by_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# note\nbad line\n\
                      daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n:x:7:7::/:/bin/sh\n";
        assert_eq!(name_in_passwd(passwd, 0).as_deref(), Some("root"));
        assert_eq!(name_in_passwd(passwd, 1).as_deref(), Some("daemon"));
        assert_eq!(name_in_passwd(passwd, 7), None);
        assert_eq!(name_in_passwd(passwd, 2), None);
    }
}
