//! `--notify`: a private socket for the service's `READY=1`, and the
//! wait for it.
//!
//! The socket is a path in a fresh 0700 directory (owned by the service's
//! user when it drops privileges, so it can reach it, and nobody else
//! can), never an abstract name: abstract sockets are reachable by every
//! process in the network namespace. With `--chroot` the directory is made
//! inside the new root, where the service can see it. Only `READY=1` sent
//! by the daemon's pid or a descendant counts, as the kernel attests it
//! (`SO_PASSCRED`).

use super::holders::{self, Target};
use super::plan::{Plan, Resolved};
use super::{Failure, Out, code, errno_text};
use daemonry::notify::{NotifySocket, is_descendant};
use daemonry::{Pid, Pidfile, Signal};
use rustix::fd::AsFd;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The private directory and the socket in it; both removed on drop.
#[derive(Debug)]
pub struct NotifyDir {
    sock: NotifySocket,
    dir: PathBuf,
    value: OsString,
}

impl NotifyDir {
    /// Makes the directory and binds the socket.
    ///
    /// # Errors
    ///
    /// When neither can be made (status 1).
    pub fn new(plan: &Plan) -> Result<NotifyDir, Failure> {
        use std::os::unix::fs::DirBuilderExt;
        let fail = |what: &str, p: &Path, e: rustix::io::Errno| {
            Failure::new(
                code::FAILURE,
                format!("--notify: {what} {}: {}", p.display(), errno_text(e)),
            )
        };
        let base = match &plan.chroot {
            Some(root) => ["run", "tmp"]
                .iter()
                .map(|d| root.path().join(d))
                .find(|p| p.is_dir())
                .unwrap_or_else(|| root.path().to_path_buf()),
            None if rustix::process::geteuid().is_root() && Path::new("/run").is_dir() => {
                PathBuf::from("/run")
            }
            None => std::env::temp_dir(),
        };
        let mut dir = PathBuf::new();
        for n in 0u32.. {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            dir = base.join(format!(
                "daemonry-notify.{}.{nanos:x}{n}",
                std::process::id()
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => continue,
                Err(e) => return Err(fail("mkdir", &dir, super::plan::io_errno(&e))),
            }
        }
        let path = dir.join("notify");
        let sock = match NotifySocket::bind(path.as_path()) {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                return Err(fail(
                    "bind",
                    &path,
                    e.errno().unwrap_or(rustix::io::Errno::INVAL),
                ));
            }
        };
        let inside = match &plan.chroot {
            Some(root) => Path::new("/").join(path.strip_prefix(root.path()).unwrap_or(&path)),
            None => path.clone(),
        };
        let made = NotifyDir {
            sock,
            dir,
            value: inside.into_os_string(),
        };
        // The service's user must reach the socket after its drop.
        if plan.uid.is_some() || plan.gid.is_some() {
            let uid = plan.uid.map(|u| rustix::fs::Uid::from_raw(u.as_raw()));
            let gid = plan.gid.map(|g| rustix::fs::Gid::from_raw(g.as_raw()));
            for p in [&made.dir, &path] {
                rustix::fs::chown(p.as_path(), uid, gid).map_err(|e| fail("chown", p, e))?;
            }
        }
        Ok(made)
    }

    /// `NOTIFY_SOCKET`'s value for the service.
    pub fn value(&self) -> &OsStr {
        &self.value
    }

    /// Waits up to `timeout` for `READY=1` from `daemon` or a descendant.
    ///
    /// # Errors
    ///
    /// 69 on timeout, 1 when the daemon exited first; the caller then
    /// stops whatever is left ([`stop_all`]).
    pub fn wait(&self, daemon: Pid, timeout: Duration, cmd: &str, out: Out) -> Result<(), Failure> {
        let deadline = Instant::now() + timeout;
        let target = Target::pin(daemon)?;
        let mut buf = [0u8; 4096];
        loop {
            // Drain what is queued: READY=1 may have come before we looked.
            loop {
                match self.sock.recv(&mut buf) {
                    Ok(Some(n)) => {
                        let Some(sender) = n.pid() else { continue };
                        let ours = is_descendant(sender, daemon).unwrap_or(false);
                        let ready = n.fields().is_ok_and(|f| f.is_ready());
                        if ready && ours {
                            out.step(format!("READY=1 from pid {}", sender.as_raw_nonzero()));
                            return Ok(());
                        }
                        if ready {
                            out.step(format!(
                                "ignored READY=1 from pid {}: not the daemon or a descendant",
                                sender.as_raw_nonzero()
                            ));
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Err(Failure::new(code::FAILURE, format!("--notify: {e}")));
                    }
                }
            }
            let exited = target.as_ref().is_none_or(Target::exited);
            if exited {
                return Err(Failure::new(
                    code::FAILURE,
                    format!(
                        "{cmd} (pid {}) exited before it reported READY=1",
                        daemon.as_raw_nonzero()
                    ),
                ));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Failure::new(
                    code::UNAVAILABLE,
                    format!(
                        "{cmd} (pid {}) did not report READY=1 within {timeout:?}; stopped it",
                        daemon.as_raw_nonzero()
                    ),
                ));
            }
            let mut fds = vec![self.sock.as_fd()];
            if let Some(t) = &target
                && let Some(fd) = t.pidfd()
            {
                fds.push(fd);
            }
            holders::poll_in(&mut fds, left);
        }
    }
}

impl Drop for NotifyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join("notify"));
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Stops a daemon that was not ready: TERM to its process group (it leads
/// none, but its group is the new session's, which it and its children
/// share), then KILL, and the pidfile's verified holders likewise; then
/// removes the pidfile it could not remove after dropping privileges.
pub fn stop_all(daemon: Pid, pidfile: &Resolved, out: Out) {
    let mut targets: Vec<Target> = Vec::new();
    if let Ok(Some(t)) = Target::pin(daemon) {
        targets.push(t);
    }
    if let Ok(holders::Found::Running { holders, .. }) = holders::find(pidfile) {
        targets.extend(holders.into_iter().filter(|h| h.pid != daemon));
    }
    let group = targets
        .first()
        .filter(|t| t.pid == daemon && !t.exited())
        .and_then(|_| super::control::pgid(daemon));
    for (sig, wait) in [
        (Signal::TERM, Duration::from_secs(2)),
        (Signal::KILL, Duration::from_secs(5)),
    ] {
        if let Some(g) = group
            && targets.first().is_some_and(|t| !t.exited())
        {
            let _ = daemonry::signal::kill_group(g, sig);
        }
        for t in &targets {
            let _ = t.signal(sig);
        }
        if holders::wait_all(&targets, wait) {
            break;
        }
    }
    // Members of the group that held no lock.
    if let Some(g) = group {
        let _ = daemonry::signal::kill_group(g, Signal::KILL);
    }
    if let Err(e) = Pidfile::new(pidfile.c.as_c_str()).and_then(|p| p.remove_if_stale()) {
        out.note(format!("pidfile {}: not removed: {e}", pidfile.typed));
    }
}
