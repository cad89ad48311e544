//! Whether a lock-less pidfile may steer the caller: the ownership and
//! permission rule that systemd's `PIDFile=` and `start-stop-daemon`
//! apply, stated once.
//!
//! A file nobody holds locked is only a claim: whoever could write it
//! could have written any pid. It is trusted for signalling only if
//!
//! 1. the file is owned by the caller's effective uid or by root, and is
//!    not writable by group or others; and
//! 2. its directory is owned by the caller or root, and either not
//!    writable by group or others, or sticky (`/tmp`), where others can add
//!    names but cannot remove or rename a file they do not own.
//!
//! ACLs are not consulted; the directories above the pidfile's are not
//! checked (a path through a directory another user controls can be
//! redirected: give root's pidfiles root's directories, such as `/run`).

use super::file::dir_and_name;
use crate::cstr::{CStrBuf, PATH_MAX};
use core::ffi::CStr;
use rustix::fs::{self, AtFlags, Stat};
use rustix::process;

/// Group- or world-writable.
const OTHERS_WRITE: u32 = 0o022;
/// The sticky bit.
const STICKY: u32 = 0o1000;

/// Whether `uid` is root or the caller's effective uid.
fn trusted_owner(uid: u32) -> bool {
    uid == 0 || uid == process::geteuid().as_raw()
}

/// Rule 1 and 2 for a file (`file`, already `fstat`ed) at `path`. A
/// directory that cannot be examined is not trusted.
pub(crate) fn trusted(path: &CStr, file: &Stat) -> bool {
    if !trusted_owner(file.st_uid) || file.st_mode & OTHERS_WRITE != 0 {
        return false;
    }
    let mut dir = CStrBuf::<PATH_MAX>::new();
    dir.push(dir_and_name(path.to_bytes()).0);
    let Ok(dir) = dir.as_cstr() else {
        return false;
    };
    match fs::statat(fs::CWD, dir, AtFlags::empty()) {
        // The owner of a sticky directory may still remove anything in it.
        Ok(d) => {
            trusted_owner(d.st_uid) && (d.st_mode & STICKY != 0 || d.st_mode & OTHERS_WRITE == 0)
        }
        Err(_) => false,
    }
}
