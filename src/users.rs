//! User names for the uids the kernel reports.

use std::collections::HashMap;

use nix::unistd::Uid;
use nix::unistd::User;

/// User names from the password database, looked up once per uid; "?" for a uid no
/// account has.
#[derive(Debug, Default)]
pub struct UserNames {
    known: HashMap<u32, String>,
}

impl UserNames {
    pub fn name(&mut self, uid: u32) -> String {
        self.known
            .entry(uid)
            .or_insert_with(|| match User::from_uid(Uid::from_raw(uid)) {
                Ok(Some(user)) => user.name,
                _ => "?".into(),
            })
            .clone()
    }
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
}
