//! Credential changes, as root, each in a forked child, judged from outside
//! through the `Uid:`, `Gid:` and `Groups:` lines of /proc/<pid>/status
//! (all four id fields: real, effective, saved, filesystem) and its
//! capability lines (`CapPrm`, `CapEff`, `CapInh`, `CapAmb`, `NoNewPrivs`).
#![allow(unsafe_code)] // libc setup calls in the children (setgroups, unshare, mount, prctl).

mod common;

use common::{ChildCtl, TempDir, fixture_db, proc_status, spawn, status_ids, status_mask};
use daemonry::account::{AccountDb, GroupRef, UserRef};
use daemonry::privilege::{self, Capabilities, CapabilitySets, PrivilegeDrop, SecureBits};
use daemonry::process::SingleThreaded;
use daemonry::{Errno, ErrorKind, Gid, Op, Uid};
use rustix::thread::{CapabilitySet, CapabilitySets as RawSets};
use std::collections::BTreeSet;
use std::ffi::CString;

/// The fixture user's groups (tests/account.rs checks the list itself).
const DKUSER_GROUPS: [u64; 7] = [4242, 4300, 4301, 4306, 4307, 4311, 4309];

/// What /proc/<pid>/status said about a paused child.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    uid: Vec<u64>,
    gid: Vec<u64>,
    groups: Vec<u64>,
    /// `CapPrm`, `CapEff`, `CapInh`, `CapAmb`.
    caps: [u64; 4],
    no_new_privs: String,
}

impl Seen {
    fn of(pid: i32) -> Seen {
        Seen {
            uid: status_ids(pid, "Uid"),
            gid: status_ids(pid, "Gid"),
            groups: status_ids(pid, "Groups"),
            caps: ["CapPrm", "CapEff", "CapInh", "CapAmb"].map(|f| status_mask(pid, f)),
            no_new_privs: proc_status(pid)
                .get("NoNewPrivs")
                .cloned()
                .unwrap_or_default(),
        }
    }
}

impl Seen {
    fn group_set(&self) -> BTreeSet<u64> {
        self.groups.iter().copied().collect()
    }
}

/// Runs `f` in a forked child, then inspects the paused child from outside.
fn inspect(f: impl FnOnce(&ChildCtl) -> Result<(), String>) -> Seen {
    let mut child = spawn(|ctl| {
        f(ctl)?;
        ctl.pause();
        Ok(())
    });
    child.wait_paused();
    let seen = Seen::of(child.pid);
    child.resume();
    if let Err(e) = child.finish() {
        panic!("child failed after the inspection: {e}");
    }
    seen
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Sets the child's supplementary groups with glibc (the "root's groups"
/// that must not survive a drop).
fn libc_setgroups(groups: &[u32]) -> Result<(), String> {
    // SAFETY: `groups` is readable for its length; the child has one thread.
    let r = unsafe { libc::setgroups(groups.len(), groups.as_ptr()) };
    ensure!(
        r == 0,
        "libc setgroups: {}",
        std::io::Error::last_os_error()
    );
    Ok(())
}

/// `setresuid(0, 0, 0)` on the calling thread: must fail after a drop.
fn regain_root() -> Result<(), Errno> {
    rustix::thread::set_thread_res_uid(Uid::ROOT, Uid::ROOT, Uid::ROOT)
}

fn expect_kind<T: std::fmt::Debug>(
    r: daemonry::Result<T>,
    kind: ErrorKind,
    what: &str,
) -> Result<(), String> {
    match r {
        Err(e) if e.kind() == kind => Ok(()),
        other => Err(format!("{what}: expected {kind:?}, got {other:?}")),
    }
}

/// `id -G NAME` as a set.
fn id_groups(name: &str) -> BTreeSet<u64> {
    let out = std::process::Command::new("id")
        .arg("-G")
        .arg(name)
        .output()
        .expect("run id");
    assert!(out.status.success(), "id -G {name}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect()
}

const ROOT_EXTRA_GROUPS: [u32; 4] = [0, 4, 27, 9876];

#[test]
fn drop_to_nobody_by_uid_only() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let want_groups = id_groups("nobody");
    let seen = inspect(|_| {
        libc_setgroups(&ROOT_EXTRA_GROUPS)?;
        daemonry::drop_privileges(Some("nobody".into()), None).map_err(|e| e.to_string())?;
        ensure!(
            regain_root() == Err(Errno::PERM),
            "setuid(0) after the drop: {:?}",
            regain_root()
        );
        Ok(())
    });
    assert_eq!(seen.uid, [65534; 4]);
    assert_eq!(seen.gid, [65534; 4]);
    assert_eq!(seen.group_set(), want_groups);
    assert_eq!(seen.groups, [65534]);
}

#[test]
fn drop_to_system_user_with_supplementary_groups() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    // Any local user other than root that `id -G` gives more than one
    // group (postgres on the development machine), else the first non-root.
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let users: Vec<(String, u64, u64)> = passwd
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((
                f.first()?.to_string(),
                f.get(2)?.parse().ok()?,
                f.get(3)?.parse().ok()?,
            ))
        })
        .filter(|(_, uid, _)| *uid != 0)
        .collect();
    let (name, uid, gid) = users
        .iter()
        .find(|(n, _, _)| id_groups(n).len() > 1)
        .or(users.first())
        .cloned()
        .expect("a non-root user");
    let want = id_groups(&name);
    let n = name.clone();
    let seen = inspect(move |_| {
        libc_setgroups(&ROOT_EXTRA_GROUPS)?;
        daemonry::drop_privileges(Some(n.as_str().into()), None).map_err(|e| e.to_string())?;
        ensure!(regain_root() == Err(Errno::PERM), "setuid(0) regained");
        Ok(())
    });
    assert_eq!(seen.uid, [uid; 4], "{name}");
    assert_eq!(seen.gid, [gid; 4], "{name}");
    assert_eq!(seen.group_set(), want, "{name}");
}

#[test]
fn fixture_user_gets_exactly_its_groups() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let db = fixture_db();
    // By name, uid only: primary gid from passwd, groups from the fixture.
    let seen = inspect(|_| {
        libc_setgroups(&ROOT_EXTRA_GROUPS)?;
        PrivilegeDrop::new()
            .user("dkuser")
            .accounts(&db)
            .apply()
            .map_err(|e| e.to_string())?;
        ensure!(regain_root() == Err(Errno::PERM), "setuid(0) regained");
        Ok(())
    });
    assert_eq!(seen.uid, [4242; 4]);
    assert_eq!(seen.gid, [4242; 4]);
    // The kernel sorts the list, so /proc shows it ascending; the primary
    // group is in it (group_list puts it first, see tests/account.rs).
    assert_eq!(seen.group_set(), DKUSER_GROUPS.into_iter().collect());
    assert_eq!(seen.groups.len(), DKUSER_GROUPS.len());

    // By number: the passwd entry of uid 4242 gives the same answer.
    let seen = inspect(|_| {
        PrivilegeDrop::new()
            .user(Uid::from_raw(4242))
            .accounts(&db)
            .apply()
            .map_err(|e| e.to_string())
    });
    assert_eq!((&seen.uid, &seen.gid), (&vec![4242; 4], &vec![4242; 4]));
    assert_eq!(seen.group_set(), DKUSER_GROUPS.into_iter().collect());

    // uid and gid: the given group is primary, and the user's own passwd
    // group (whose line lists dkuser) becomes supplementary.
    let seen = inspect(|_| {
        PrivilegeDrop::new()
            .user("dkuser")
            .group("dkgroup")
            .accounts(&db)
            .apply()
            .map_err(|e| e.to_string())
    });
    assert_eq!((&seen.uid, &seen.gid), (&vec![4242; 4], &vec![4300; 4]));
    assert_eq!(seen.group_set(), DKUSER_GROUPS.into_iter().collect());

    // A user in 40 supplementary groups.
    let seen = inspect(|_| {
        PrivilegeDrop::new()
            .user("many")
            .accounts(&db)
            .apply()
            .map_err(|e| e.to_string())
    });
    let want: BTreeSet<u64> = std::iter::once(4502).chain(4700..4740).collect();
    assert_eq!(seen.group_set(), want);
}

#[test]
fn gid_only_drop_leaves_exactly_that_gid() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let db = fixture_db();
    let seen = inspect(|_| {
        libc_setgroups(&ROOT_EXTRA_GROUPS)?;
        PrivilegeDrop::new()
            .group("dkgroup")
            .accounts(&db)
            .apply()
            .map_err(|e| e.to_string())
    });
    assert_eq!(seen.uid, [0; 4], "the uid is not touched");
    assert_eq!(seen.gid, [4300; 4]);
    assert_eq!(seen.groups, [4300]);
    // By number, system database.
    let seen = inspect(|_| {
        libc_setgroups(&ROOT_EXTRA_GROUPS)?;
        daemonry::drop_privileges(None, Some(Gid::from_raw(54321).into()))
            .map_err(|e| e.to_string())
    });
    assert_eq!(
        (seen.uid, seen.gid, seen.groups),
        (vec![0; 4], vec![54321; 4], vec![54321])
    );
}

#[test]
fn roots_supplementary_groups_never_survive() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let db = fixture_db();
    let forms: [(Option<UserRef>, Option<GroupRef>); 5] = [
        (Some("dkuser".into()), None),
        (Some("dkuser".into()), Some("dkgroup".into())),
        (None, Some("dkgroup".into())),
        (Some("nobody".into()), Some("nogroup".into())),
        (Some(Uid::from_raw(4242).into()), None),
    ];
    for (uid, gid) in forms {
        let seen = inspect(|_| {
            libc_setgroups(&ROOT_EXTRA_GROUPS)?;
            let mut drop = PrivilegeDrop::new().accounts(&db);
            if let Some(u) = uid {
                drop = drop.user(u);
            }
            if let Some(g) = gid {
                drop = drop.group(g);
            }
            drop.apply().map_err(|e| e.to_string())
        });
        for g in ROOT_EXTRA_GROUPS {
            assert!(
                !seen.groups.contains(&u64::from(g)),
                "{uid:?}/{gid:?} kept root's group {g}: {seen:?}"
            );
        }
        assert!(!seen.groups.is_empty());
    }
}

#[test]
fn multi_threaded_process_is_refused_and_unchanged() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let mut child = spawn(|ctl| {
        libc_setgroups(&[7, 8])?;
        // A second thread that blocks until the child is done.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let _ = rx.recv();
        });
        let g = [Gid::from_raw(1)];
        expect_kind(
            daemonry::drop_privileges(Some("nobody".into()), None),
            ErrorKind::MultiThreaded,
            "drop_privileges",
        )?;
        expect_kind(
            daemonry::drop_privileges(None, Some("nogroup".into())),
            ErrorKind::MultiThreaded,
            "drop_privileges gid",
        )?;
        expect_kind(
            daemonry::setuid(Uid::from_raw(65534)),
            ErrorKind::MultiThreaded,
            "setuid",
        )?;
        expect_kind(
            daemonry::setgid(Gid::from_raw(65534)),
            ErrorKind::MultiThreaded,
            "setgid",
        )?;
        expect_kind(
            daemonry::setgroups(&g),
            ErrorKind::MultiThreaded,
            "setgroups",
        )?;
        expect_kind(
            daemonry::initgroups("nobody", Gid::from_raw(65534)),
            ErrorKind::MultiThreaded,
            "initgroups",
        )?;
        expect_kind(
            AccountDb::system().initgroups("nobody", Gid::from_raw(65534)),
            ErrorKind::MultiThreaded,
            "AccountDb::initgroups",
        )?;
        expect_kind(
            PrivilegeDrop::new()
                .user("nobody")
                .no_new_privs(true)
                .apply(),
            ErrorKind::MultiThreaded,
            "PrivilegeDrop::apply",
        )?;
        expect_kind(
            SingleThreaded::check(),
            ErrorKind::MultiThreaded,
            "SingleThreaded::check",
        )?;
        ctl.send(&format!(
            "tasks {}",
            std::fs::read_dir("/proc/self/task")
                .map(|d| d.count())
                .unwrap_or(0)
        ));
        ctl.pause();
        drop(tx);
        t.join().map_err(|_| "thread panicked".to_string())?;
        Ok(())
    });
    let tasks = child.recv().expect("task count");
    assert_eq!(tasks, "tasks 2");
    child.wait_paused();
    // Every thread still has its old credentials.
    for task in std::fs::read_dir(format!("/proc/{}/task", child.pid)).unwrap() {
        let path = task.unwrap().path().join("status");
        let text = std::fs::read_to_string(&path).unwrap();
        let line = |k: &str| {
            text.lines()
                .find(|l| l.starts_with(k))
                .unwrap()
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(line("Uid:"), "0 0 0 0", "{path:?}");
        assert_eq!(line("Gid:"), "0 0 0 0", "{path:?}");
        assert_eq!(line("Groups:"), "7 8", "{path:?}");
    }
    child.resume();
    child.finish().expect("child");
}

/// Why the check exists: the raw calls change only the calling thread.
#[test]
fn assumed_proof_changes_only_the_calling_thread() {
    require_root!();
    let mut child = spawn(|ctl| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<i32>();
        let t = std::thread::spawn(move || {
            let _ = ready_tx.send(rustix::thread::gettid().as_raw_nonzero().get());
            let _ = rx.recv();
        });
        let tid = ready_rx.recv().map_err(|e| e.to_string())?;
        // A wrong proof, on purpose, to show the per-thread rule; the other
        // thread only waits and the child exits afterwards.
        PrivilegeDrop::new()
            .user("nobody")
            .apply_single_threaded(SingleThreaded::assume())
            .map_err(|e| e.to_string())?;
        ctl.send(&format!("tid {tid}"));
        ctl.pause();
        drop(tx);
        let _ = t.join();
        Ok(())
    });
    let tid = child.recv().expect("tid");
    let tid = tid.strip_prefix("tid ").unwrap();
    child.wait_paused();
    let main =
        std::fs::read_to_string(format!("/proc/{}/task/{}/status", child.pid, child.pid)).unwrap();
    let other = std::fs::read_to_string(format!("/proc/{}/task/{tid}/status", child.pid)).unwrap();
    let uid = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .unwrap()
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(uid(&main), "65534 65534 65534 65534");
    assert_eq!(uid(&other), "0 0 0 0", "the other thread kept root");
    child.resume();
    child.finish().expect("child");
}

/// Installs a seccomp filter that makes every credential-changing system
/// call fail with `EXDEV`: any such call after this point shows.
fn forbid_credential_syscalls() -> Result<(), String> {
    #[cfg(not(any(target_arch = "x86", target_arch = "arm")))]
    let nr = [
        libc::SYS_setgroups,
        libc::SYS_setresuid,
        libc::SYS_setresgid,
        libc::SYS_setuid,
        libc::SYS_setgid,
    ];
    // On 32-bit x86 and ARM those names are the 16-bit-id calls; rustix
    // makes the 32-bit-id ones.
    #[cfg(any(target_arch = "x86", target_arch = "arm"))]
    let nr = [
        libc::SYS_setgroups,
        libc::SYS_setresuid,
        libc::SYS_setresgid,
        libc::SYS_setuid,
        libc::SYS_setgid,
        libc::SYS_setgroups32,
        libc::SYS_setresuid32,
        libc::SYS_setresgid32,
        libc::SYS_setuid32,
        libc::SYS_setgid32,
    ];
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let mut prog = vec![stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0)];
    for (i, &n) in nr.iter().enumerate() {
        // Jump to the "errno" return after the remaining checks and the allow.
        let jt = (nr.len() - i) as u8;
        prog.push(libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt,
            jf: 0,
            k: n as u32,
        });
    }
    prog.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    prog.push(stmt(
        libc::BPF_RET | libc::BPF_K,
        libc::SECCOMP_RET_ERRNO | libc::EXDEV as u32,
    ));
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: prctl with valid arguments; `fprog` points at a valid filter.
    unsafe {
        ensure!(
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0,
            "no_new_privs"
        );
        let r = libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &fprog as *const libc::sock_fprog,
        );
        ensure!(r == 0, "seccomp: {}", std::io::Error::last_os_error());
    }
    Ok(())
}

#[test]
fn second_drop_as_the_target_is_a_no_op() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let db = fixture_db();
    let seen = inspect(|_| {
        daemonry::drop_privileges(Some("nobody".into()), None).map_err(|e| e.to_string())?;
        // From here on any credential system call fails with EXDEV, so a
        // successful second drop issued none.
        forbid_credential_syscalls()?;
        ensure!(
            rustix::thread::set_thread_groups(&[Gid::from_raw(65534)]) == Err(Errno::XDEV),
            "the filter should be active"
        );
        daemonry::drop_privileges(Some("nobody".into()), None)
            .map_err(|e| format!("second drop: {e}"))?;
        daemonry::drop_privileges(Some(Uid::from_raw(65534).into()), Some("nogroup".into()))
            .map_err(|e| format!("third drop: {e}"))?;
        daemonry::drop_privileges(None, None).map_err(|e| format!("no-op drop: {e}"))?;
        // A different target does reach the kernel (and fails).
        match daemonry::drop_privileges(Some("daemon".into()), None) {
            Err(e) if e.errno() == Some(Errno::XDEV) => {}
            other => return Err(format!("drop to daemon as nobody: {other:?}")),
        }
        Ok(())
    });
    assert_eq!(
        (seen.uid, seen.gid, seen.groups),
        (vec![65534; 4], vec![65534; 4], vec![65534])
    );

    let seen = inspect(|_| {
        PrivilegeDrop::new()
            .user("dkuser")
            .accounts(&db)
            .apply()
            .map_err(|e| e.to_string())?;
        forbid_credential_syscalls()?;
        PrivilegeDrop::new()
            .user("dkuser")
            .accounts(&db)
            .apply()
            .map_err(|e| format!("second drop: {e}"))?;
        PrivilegeDrop::new()
            .user(Uid::from_raw(4242))
            .group(Gid::from_raw(4242))
            .accounts(&db)
            .apply_single_threaded(SingleThreaded::check().map_err(|e| e.to_string())?)
            .map_err(|e| format!("third drop: {e}"))
    });
    assert_eq!(seen.group_set(), DKUSER_GROUPS.into_iter().collect());
}

/// Bind-mounts a file with `contents` over /proc/sys/kernel/ngroups_max in
/// a new mount namespace of the (child) process.
fn fake_ngroups_max(dir: &std::path::Path, contents: &str) -> Result<(), String> {
    let file = dir.join(format!("ngroups_max-{}", std::process::id()));
    std::fs::write(&file, contents).map_err(|e| e.to_string())?;
    let src = CString::new(file.as_os_str().as_encoded_bytes()).unwrap();
    common::private_mount_namespace()?;
    // SAFETY: a bind mount with valid C strings in the child's own mount
    // namespace; the child has one thread.
    unsafe {
        let r = libc::mount(
            src.as_ptr(),
            c"/proc/sys/kernel/ngroups_max".as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        );
        ensure!(r == 0, "bind mount: {}", std::io::Error::last_os_error());
    }
    Ok(())
}

/// More groups than ngroups_max: the list is cut, not refused. A small
/// ngroups_max is faked with a bind mount over the /proc/sys file.
#[test]
fn more_groups_than_ngroups_max_are_truncated() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let tmp = TempDir::new("ngroups");
    let db = fixture_db();
    let seen = inspect(|_| {
        fake_ngroups_max(tmp.path(), "3\n")?;
        ensure!(
            privilege::ngroups_max() == Some(3),
            "ngroups_max reads {:?}",
            privilege::ngroups_max()
        );
        let many: Vec<Gid> = (10..20).map(Gid::from_raw).collect();
        daemonry::setgroups(&many).map_err(|e| e.to_string())?;
        let mut buf = [0 as libc::gid_t; 16];
        // SAFETY: `buf` has room for 16 gids.
        let n = unsafe { libc::getgroups(16, buf.as_mut_ptr()) };
        ensure!(
            buf[..n as usize] == [10, 11, 12],
            "setgroups kept {:?}",
            &buf[..n.max(0) as usize]
        );
        // A drop to a user in 41 groups keeps the first three of its list.
        PrivilegeDrop::new()
            .user("many")
            .accounts(&db)
            .apply()
            .map_err(|e| e.to_string())
    });
    assert_eq!(seen.uid, [4502; 4]);
    assert_eq!(seen.groups, [4502, 4700, 4701]);
}

/// More groups than the kernel takes at all (65536), with ngroups_max
/// unreadable: setgroups backs off on EINVAL until the list fits.
#[test]
fn einval_backs_off_to_what_the_kernel_takes() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let tmp = TempDir::new("ngroups");
    let seen = inspect(|_| {
        fake_ngroups_max(tmp.path(), "garbage\n")?;
        ensure!(
            privilege::ngroups_max().is_none(),
            "ngroups_max should be unreadable"
        );
        let many: Vec<Gid> = (1..=65540).map(Gid::from_raw).collect();
        // SAFETY: not needed here; the checked variant, single thread.
        daemonry::setgroups(&many).map_err(|e| e.to_string())
    });
    assert_eq!(seen.groups.len(), 65536);
    assert_eq!(seen.groups.first(), Some(&1));
    assert_eq!(seen.groups.last(), Some(&65536));
}

#[test]
fn setgroups_eperm_subset_rule() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let seen = inspect(|_| {
        libc_setgroups(&[100, 101])?;
        rustix::thread::set_thread_res_uid(
            Uid::from_raw(65534),
            Uid::from_raw(65534),
            Uid::from_raw(65534),
        )
        .map_err(|e| e.to_string())?;
        // Current {100, 101} ⊆ requested: EPERM is swallowed.
        let req = [100, 101, 102].map(Gid::from_raw);
        daemonry::setgroups(&req).map_err(|e| format!("superset: {e}"))?;
        let req = [101, 100].map(Gid::from_raw);
        daemonry::setgroups(&req).map_err(|e| format!("same set: {e}"))?;
        // Current has 101, not requested: the EPERM stands.
        match daemonry::setgroups(&[Gid::from_raw(100)]) {
            Err(e) if e.errno() == Some(Errno::PERM) => Ok(()),
            other => Err(format!("subset request: {other:?}")),
        }
    });
    assert_eq!(seen.groups, [100, 101]);
}

#[test]
fn real_root_with_non_root_euid_is_refused() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let seen = inspect(|_| {
        rustix::thread::set_thread_res_uid(Uid::ROOT, Uid::from_raw(1000), Uid::ROOT)
            .map_err(|e| e.to_string())?;
        expect_kind(
            daemonry::drop_privileges(Some("nobody".into()), None),
            ErrorKind::Security,
            "drop_privileges",
        )?;
        expect_kind(
            daemonry::drop_privileges(None, Some("nogroup".into())),
            ErrorKind::Security,
            "gid-only drop",
        )
    });
    assert_eq!(seen.uid, [0, 1000, 0, 1000]);
    assert_eq!(seen.gid, [0; 4]);
}

#[test]
fn bad_names_change_nothing() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let seen = inspect(|_| {
        libc_setgroups(&[7])?;
        expect_kind(
            daemonry::drop_privileges(Some("no-such-user-dk".into()), None),
            ErrorKind::UnknownUser,
            "unknown user",
        )?;
        expect_kind(
            daemonry::drop_privileges(Some("nobody".into()), Some("no-such-group-dk".into())),
            ErrorKind::UnknownGroup,
            "unknown group",
        )?;
        // Text where digits mean an id: "-1" is no uid.
        expect_kind(UserRef::parse("-1"), ErrorKind::InvalidInput, "-1")?;
        expect_kind(
            daemonry::drop_privileges(Some("".into()), None),
            ErrorKind::InvalidInput,
            "empty",
        )?;
        expect_kind(
            daemonry::drop_privileges(Some("no\0body".into()), None),
            ErrorKind::InvalidInput,
            "NUL",
        )?;
        expect_kind(
            daemonry::drop_privileges(None, Some("".into())),
            ErrorKind::InvalidInput,
            "empty group",
        )?;
        // uid 4294967295 is the kernel's "unchanged": refused, not ignored.
        expect_kind(
            daemonry::drop_privileges(Some(Uid::from_raw_unchecked(u32::MAX).into()), None),
            ErrorKind::InvalidInput,
            "uid -1",
        )?;
        // A uid without a passwd entry has no primary group to take.
        expect_kind(
            daemonry::drop_privileges(Some(Uid::from_raw(54321).into()), None),
            ErrorKind::UnknownUser,
            "numeric uid, no entry",
        )
    });
    assert_eq!(
        (seen.uid, seen.gid, seen.groups),
        (vec![0; 4], vec![0; 4], vec![7])
    );
}

#[test]
fn numeric_ids_without_entries_work_with_a_gid() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let seen = inspect(|_| {
        daemonry::drop_privileges(
            Some(Uid::from_raw(54321).into()),
            Some(Gid::from_raw(54322).into()),
        )
        .map_err(|e| e.to_string())?;
        ensure!(regain_root() == Err(Errno::PERM), "setuid(0) regained");
        Ok(())
    });
    assert_eq!(
        (seen.uid, seen.gid, seen.groups),
        (vec![54321; 4], vec![54322; 4], vec![54322])
    );
}

#[test]
fn zero_and_root_mean_root() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let seen = inspect(|_| {
        rustix::thread::set_thread_res_gid(
            Gid::from_raw(4242),
            Gid::from_raw(4242),
            Gid::from_raw(4242),
        )
        .map_err(|e| e.to_string())?;
        libc_setgroups(&[5, 6])?;
        daemonry::drop_privileges(Some("root".into()), None).map_err(|e| e.to_string())
    });
    assert_eq!((&seen.uid, &seen.gid), (&vec![0; 4], &vec![0; 4]));
    assert_eq!(seen.group_set(), id_groups("root"));
    let seen = inspect(|_| {
        rustix::thread::set_thread_res_gid(
            Gid::from_raw(4242),
            Gid::from_raw(4242),
            Gid::from_raw(4242),
        )
        .map_err(|e| e.to_string())?;
        daemonry::drop_privileges(None, Some(Gid::ROOT.into())).map_err(|e| e.to_string())
    });
    assert_eq!(
        (seen.uid, seen.gid, seen.groups),
        (vec![0; 4], vec![0; 4], vec![0])
    );
}

#[test]
fn setuid_setgid_set_all_three_ids() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let seen = inspect(|_| {
        daemonry::setgid(Gid::from_raw(4321)).map_err(|e| e.to_string())?;
        daemonry::setuid(Uid::from_raw(1234)).map_err(|e| e.to_string())?;
        // Unprivileged now: another uid is refused with EPERM.
        match daemonry::setuid(Uid::from_raw(1235)) {
            Err(e) if e.errno() == Some(Errno::PERM) && e.op() == daemonry::Op::Setuid => Ok(()),
            other => Err(format!("setuid as 1234: {other:?}")),
        }
    });
    assert_eq!((&seen.uid, &seen.gid), (&vec![1234; 4], &vec![4321; 4]));
}

#[test]
fn initgroups_by_name_and_by_uid() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let db = fixture_db();
    let seen =
        inspect(|_| daemonry::initgroups("nobody", Gid::from_raw(4242)).map_err(|e| e.to_string()));
    // nobody is listed nowhere: just the given group.
    assert_eq!(seen.groups, [4242]);
    let seen = inspect(|_| {
        db.initgroups("dkuser", Gid::from_raw(4242))
            .map_err(|e| e.to_string())
    });
    assert_eq!(seen.group_set(), DKUSER_GROUPS.into_iter().collect());
    let seen = inspect(|_| {
        db.initgroups(Uid::from_raw(4242), Gid::from_raw(4242))
            .map_err(|e| e.to_string())
    });
    assert_eq!(seen.group_set(), DKUSER_GROUPS.into_iter().collect());
    let seen = inspect(|_| {
        let user = db
            .user_by_name("dkother")
            .map_err(|e| e.to_string())?
            .ok_or("dkother")?;
        db.initgroups(&user, user.gid).map_err(|e| e.to_string())?;
        expect_kind(
            db.initgroups(Uid::from_raw(54321), Gid::ROOT),
            ErrorKind::UnknownUser,
            "unknown uid",
        )
    });
    assert_eq!(seen.groups, [4300, 4308]);
    assert_eq!(seen.uid, [0; 4], "initgroups leaves the ids alone");
}

#[test]
fn check_privileges_reports() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    // As root.
    let seen = inspect(|_| {
        expect_kind(
            daemonry::check_privileges(false),
            ErrorKind::Security,
            "root, not allowed",
        )?;
        let r = daemonry::check_privileges(true).map_err(|e| e.to_string())?;
        ensure!(
            r.root && r.uid.is_root() && r.euid.is_root() && !r.unknown_group,
            "as root: {r:?}"
        );
        ensure!(r.is_privileged(), "root is privileged");
        Ok(())
    });
    assert_eq!(seen.uid, [0; 4]);
    // As nobody: nothing to report.
    inspect(|_| {
        daemonry::drop_privileges(Some("nobody".into()), None).map_err(|e| e.to_string())?;
        let r = daemonry::check_privileges(false).map_err(|e| e.to_string())?;
        ensure!(
            !r.root && !r.admin_group && !r.unknown_group && !r.is_privileged(),
            "as nobody: {r:?}"
        );
        Ok(())
    });
    // In the sudo group (a name, not an id), or a gid without an entry.
    inspect(|_| {
        daemonry::drop_privileges(Some("nobody".into()), Some("sudo".into()))
            .map_err(|e| e.to_string())?;
        let r = daemonry::check_privileges(false).map_err(|e| e.to_string())?;
        ensure!(
            !r.root && r.admin_group && !r.unknown_group && r.is_privileged(),
            "sudo group: {r:?}"
        );
        Ok(())
    });
    inspect(|_| {
        daemonry::drop_privileges(Some("nobody".into()), Some(Gid::from_raw(54321).into()))
            .map_err(|e| e.to_string())?;
        let r = daemonry::check_privileges(false).map_err(|e| e.to_string())?;
        ensure!(
            r.unknown_group && !r.admin_group && r.egid.as_raw() == 54321,
            "unknown gid: {r:?}"
        );
        Ok(())
    });
    // gid 0 alone is not root (celery#6579).
    inspect(|_| {
        daemonry::drop_privileges(Some("nobody".into()), Some(Gid::ROOT.into()))
            .map_err(|e| e.to_string())?;
        let r = daemonry::check_privileges(false).map_err(|e| e.to_string())?;
        ensure!(!r.root && !r.admin_group, "gid 0: {r:?}");
        Ok(())
    });
}

// == Capabilities (SPEC §3 privilege "Capabilities"; §5.8) ==
//
// Each test plays the attacker: it gives the process a way to keep or
// regain root's powers before the drop, then judges the result through
// /proc/<pid>/status and by trying root's powers.

/// `CapPrm` of this (root) test process: what a forked child starts with.
fn own_permitted() -> u64 {
    status_mask(std::process::id() as i32, "CapPrm")
}

fn prctl_keepcaps(on: bool) -> Result<(), String> {
    rustix::thread::set_keep_capabilities(on).map_err(|e| format!("PR_SET_KEEPCAPS: {e}"))
}

/// Sets the inheritable set (the rest as it is).
fn set_inheritable(caps: CapabilitySet) -> Result<(), String> {
    let cur = rustix::thread::capabilities(None).map_err(|e| format!("capget: {e}"))?;
    rustix::thread::set_capabilities(
        None,
        RawSets {
            inheritable: caps,
            ..cur
        },
    )
    .map_err(|e| format!("capset inheritable: {e}"))
}

/// The attacker after a drop: makes everything permitted effective.
fn raise_effective() {
    if let Ok(cur) = rustix::thread::capabilities(None) {
        let _ = rustix::thread::set_capabilities(
            None,
            RawSets {
                effective: cur.permitted,
                ..cur
            },
        );
    }
}

/// The attacker after a drop: every way back to root's powers must fail.
fn root_is_out_of_reach(secret: &std::path::Path) -> Result<(), String> {
    raise_effective();
    ensure!(
        regain_root() == Err(Errno::PERM),
        "setresuid(0, 0, 0) after the drop: {:?}",
        regain_root()
    );
    for path in [std::path::Path::new("/etc/shadow"), secret] {
        if let Err(e) = std::fs::metadata(path) {
            if path == secret {
                return Err(format!("{path:?}: {e}"));
            }
            continue;
        }
        match std::fs::File::open(path) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
            other => return Err(format!("{path:?} opened after the drop: {other:?}")),
        }
    }
    let sets = CapabilitySets::current().map_err(|e| e.to_string())?;
    ensure!(sets.is_empty(), "capabilities left: {sets:?}");
    ensure!(
        rustix::thread::get_keep_capabilities() == Ok(false),
        "PR_SET_KEEPCAPS survived"
    );
    Ok(())
}

/// A root-only file (mode 0600) under a root-only directory.
fn secret_file(tmp: &TempDir) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let secret = tmp.path().join("secret");
    std::fs::write(&secret, "root only\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    secret
}

const NO_CAPS: [u64; 4] = [0; 4];

/// Runs `setup` (the attacker's way to keep or regain root's powers) in a
/// child, drops to nobody, and checks from inside that every way back to
/// root's powers fails and from /proc that every uid is nobody's and no
/// capability is left. Returns what /proc said.
fn drop_to_nobody_after(setup: impl FnOnce() -> Result<(), String>) -> Seen {
    let tmp = TempDir::new("caps");
    let secret = secret_file(&tmp);
    let seen = inspect(|_| {
        setup()?;
        daemonry::drop_privileges(Some("nobody".into()), None).map_err(|e| e.to_string())?;
        root_is_out_of_reach(&secret)
    });
    assert_eq!(seen.uid, [65534; 4]);
    assert_eq!(seen.caps, NO_CAPS, "CapPrm, CapEff, CapInh, CapAmb");
    seen
}

#[test]
fn keepcaps_before_the_drop_leaves_no_capability() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    // PR_SET_KEEPCAPS: the kernel would keep the permitted set across the
    // uid change, and the process could make it effective again.
    drop_to_nobody_after(|| prctl_keepcaps(true));
}

#[test]
fn inherited_inheritable_set_is_cleared() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let inh = CapabilitySet::DAC_OVERRIDE | CapabilitySet::SETUID | CapabilitySet::NET_BIND_SERVICE;
    drop_to_nobody_after(|| {
        set_inheritable(inh)?;
        ensure!(
            CapabilitySets::current()
                .map_err(|e| e.to_string())?
                .inheritable
                == Capabilities::from(inh),
            "inheritable set not set up"
        );
        Ok(())
    });
}

#[test]
fn ambient_capabilities_are_cleared() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let raise = |caps: &[CapabilitySet]| -> Result<(), String> {
        for &c in caps {
            rustix::thread::configure_capability_in_ambient_set(c, true)
                .map_err(|e| format!("raise ambient {c:?}: {e}"))?;
        }
        Ok(())
    };
    // From root: ambient capabilities raised before the drop.
    drop_to_nobody_after(|| {
        set_inheritable(CapabilitySet::NET_BIND_SERVICE | CapabilitySet::SETUID)?;
        raise(&[CapabilitySet::NET_BIND_SERVICE, CapabilitySet::SETUID])?;
        ensure!(
            !CapabilitySets::current()
                .map_err(|e| e.to_string())?
                .ambient
                .is_empty(),
            "ambient set not set up"
        );
        Ok(())
    });

    // From a non-root service that a manager started with ambient
    // capabilities (systemd's AmbientCapabilities=): no uid is 0, so the
    // kernel's fix-up never runs and only the drop itself can take the
    // capabilities away.
    let seen = drop_to_nobody_after(|| {
        let kept = CapabilitySet::SETUID | CapabilitySet::SETGID | CapabilitySet::NET_BIND_SERVICE;
        prctl_keepcaps(true)?;
        set_inheritable(kept)?;
        let u = Uid::from_raw(4321);
        rustix::thread::set_thread_res_uid(u, u, u).map_err(|e| format!("setresuid: {e}"))?;
        raise_effective();
        raise(&[
            CapabilitySet::SETUID,
            CapabilitySet::SETGID,
            CapabilitySet::NET_BIND_SERVICE,
        ])?;
        let before = CapabilitySets::current().map_err(|e| e.to_string())?;
        ensure!(
            before.ambient.contains(Capabilities::SETUID)
                && before.effective.contains(Capabilities::SETUID),
            "service not set up: {before:?}"
        );
        Ok(())
    });
    assert_eq!(seen.gid, [65534; 4]);
}

/// Runs `setup` then `act` in a child that holds `CAP_SETPCAP` (needed to
/// set securebits): the test process's own, or else that of the root of a
/// new user namespace whose ids map one to one onto the outer ones (the
/// kernel gives the creator every capability there; the parent, root
/// outside, writes the maps). Returns /proc's view before and after `act`,
/// or `None` when neither way is open here.
fn around_with_setpcap(
    setup: impl FnOnce() -> Result<(), String>,
    act: impl FnOnce() -> Result<(), String>,
) -> Option<(Seen, Seen)> {
    let mut child = spawn(|ctl| {
        let own = CapabilitySets::current().map_err(|e| e.to_string())?;
        if own.effective.contains(Capabilities::SETPCAP) {
            ctl.send("ns own");
        } else {
            // SAFETY: the forked child has one thread.
            if unsafe { libc::unshare(libc::CLONE_NEWUSER) } != 0 {
                ctl.send(&format!("ns none {}", std::io::Error::last_os_error()));
                return Ok(());
            }
            ctl.send("ns new");
            ctl.pause(); // The parent writes uid_map and gid_map.
        }
        setup()?;
        ctl.pause();
        act()?;
        ctl.pause();
        Ok(())
    });
    let how = child.recv().expect("ns line");
    match how.as_str() {
        "ns own" => {}
        "ns new" => {
            child.wait_paused();
            for map in ["uid_map", "gid_map"] {
                std::fs::write(format!("/proc/{}/{map}", child.pid), "0 0 4294967295\n")
                    .unwrap_or_else(|e| panic!("write {map}: {e}"));
            }
            child.resume();
        }
        other => {
            child.finish().expect("child");
            eprintln!("cannot get CAP_SETPCAP here: {other}");
            return None;
        }
    }
    child.wait_paused();
    let before = Seen::of(child.pid);
    child.resume();
    child.wait_paused();
    let after = Seen::of(child.pid);
    child.resume();
    if let Err(e) = child.finish() {
        panic!("child failed: {e}");
    }
    Some((before, after))
}

/// Skips (visibly), or fails under `DAEMONRY_REQUIRE_ROOT=1`, when no
/// `CAP_SETPCAP` can be had.
fn setpcap_unavailable() {
    let name = std::thread::current().name().unwrap_or("?").to_string();
    if std::env::var("DAEMONRY_REQUIRE_ROOT").as_deref() == Ok("1") {
        panic!("{name}: needs CAP_SETPCAP or a user namespace, and DAEMONRY_REQUIRE_ROOT=1");
    }
    eprintln!("SKIP {name}: needs CAP_SETPCAP or a user namespace");
}

fn set_securebits(bits: SecureBits) -> Result<(), String> {
    rustix::thread::set_capabilities_secure_bits(
        rustix::thread::CapabilitiesSecureBits::from_bits_retain(bits.bits()),
    )
    .map_err(|e| format!("PR_SET_SECUREBITS {bits:?}: {e}"))?;
    let now = SecureBits::current().map_err(|e| e.to_string())?;
    ensure!(now == bits, "securebits {now:?}, wanted {bits:?}");
    Ok(())
}

/// Securebits that would keep root's capabilities across the uid change:
/// the drop refuses with `Security` before changing anything.
#[test]
fn securebits_that_keep_root_powers_are_refused_and_change_nothing() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    for bits in [
        SecureBits::NO_SETUID_FIXUP,
        SecureBits::NO_SETUID_FIXUP | SecureBits::NO_SETUID_FIXUP_LOCKED,
        SecureBits::KEEP_CAPS | SecureBits::KEEP_CAPS_LOCKED,
    ] {
        let Some((before, after)) = around_with_setpcap(
            || {
                libc_setgroups(&[7, 8])?;
                set_securebits(bits)
            },
            || {
                let e = match daemonry::drop_privileges(Some("nobody".into()), None) {
                    Err(e) => e,
                    Ok(()) => return Err(format!("{bits:?}: the drop went through")),
                };
                ensure!(
                    (e.kind(), e.op()) == (ErrorKind::Security, Op::Securebits),
                    "{bits:?}: {e:?}"
                );
                // The same through the builder, with no_new_privs: still
                // nothing changes, not even that flag.
                let e = PrivilegeDrop::new()
                    .user(Uid::from_raw(65534))
                    .group("nogroup")
                    .no_new_privs(true)
                    .apply()
                    .err();
                ensure!(
                    e.map(|e| e.kind()) == Some(ErrorKind::Security),
                    "{bits:?}: {e:?}"
                );
                Ok(())
            },
        ) else {
            return setpcap_unavailable();
        };
        assert_eq!(before.uid, [0; 4], "{bits:?}");
        assert_ne!(before.caps[0], 0, "{bits:?}: root holds capabilities");
        assert_eq!(
            after, before,
            "{bits:?}: the refused drop changed the process"
        );
    }
}

/// Locked-off securebits (the hardened setting) and an unlocked
/// `SECBIT_KEEP_CAPS` do not block a drop, which still leaves nothing.
#[test]
fn harmless_securebits_do_not_block_the_drop() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    for bits in [
        SecureBits::NO_SETUID_FIXUP_LOCKED | SecureBits::NO_ROOT,
        SecureBits::KEEP_CAPS,
        SecureBits::KEEP_CAPS_LOCKED,
    ] {
        let Some((_, after)) = around_with_setpcap(
            || set_securebits(bits),
            || {
                daemonry::drop_privileges(Some("nobody".into()), None)
                    .map_err(|e| format!("{bits:?}: {e}"))?;
                ensure!(regain_root() == Err(Errno::PERM), "{bits:?}: root regained");
                Ok(())
            },
        ) else {
            return setpcap_unavailable();
        };
        assert_eq!(after.uid, [65534; 4], "{bits:?}");
        assert_eq!(after.caps, NO_CAPS, "{bits:?}");
    }
}

#[test]
fn no_new_privs_is_opt_in() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let seen = inspect(|_| {
        PrivilegeDrop::new()
            .user("nobody")
            .no_new_privs(true)
            .apply()
            .map_err(|e| e.to_string())
    });
    assert_eq!(seen.uid, [65534; 4]);
    assert_eq!(seen.no_new_privs, "1");
    assert_eq!(seen.caps, NO_CAPS);
    // Not asked for: not set.
    let seen = inspect(|_| {
        daemonry::drop_privileges(Some("nobody".into()), None).map_err(|e| e.to_string())
    });
    assert_eq!(seen.no_new_privs, "0");
    // Also with a group only, or with no id at all.
    let seen = inspect(|_| {
        PrivilegeDrop::new()
            .group("nogroup")
            .no_new_privs(true)
            .apply()
            .map_err(|e| e.to_string())
    });
    assert_eq!((&seen.uid, &seen.no_new_privs[..]), (&vec![0; 4], "1"));
    let seen = inspect(|_| {
        PrivilegeDrop::new()
            .no_new_privs(true)
            .apply()
            .map_err(|e| e.to_string())
    });
    assert_eq!((&seen.uid, &seen.no_new_privs[..]), (&vec![0; 4], "1"));
}

/// A drop to uid 0 keeps root's capabilities (documented); so does a
/// group-only drop.
#[test]
fn drop_to_root_keeps_capabilities() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let prm = own_permitted();
    for user in [UserRef::from("root"), Uid::ROOT.into()] {
        let seen = inspect(|_| {
            PrivilegeDrop::new()
                .user(user)
                .group("nogroup")
                .apply()
                .map_err(|e| e.to_string())
        });
        assert_eq!(seen.uid, [0; 4]);
        assert_eq!(seen.gid, [65534; 4]);
        assert_eq!(seen.caps[0], prm, "{user:?}: CapPrm");
    }
    let seen = inspect(|_| {
        daemonry::drop_privileges(None, Some("nogroup".into())).map_err(|e| e.to_string())
    });
    assert_eq!(seen.caps[0], prm, "group only: CapPrm");
}

/// The proof's methods are the checked functions without the check.
#[test]
fn single_threaded_proof_methods() {
    skip_under_emulation!(common::emu::THREADS);
    require_root!();
    let db = fixture_db();
    let seen = inspect(|_| {
        let proof = SingleThreaded::check().map_err(|e| e.to_string())?;
        proof
            .initgroups(&db, "dkuser", Gid::from_raw(4242))
            .map_err(|e| e.to_string())?;
        proof
            .setgid(Gid::from_raw(4242))
            .map_err(|e| e.to_string())?;
        proof
            .setuid(Uid::from_raw(4242))
            .map_err(|e| e.to_string())?;
        match proof.setgroups(&[Gid::from_raw(1)]) {
            Err(e) if e.errno() == Some(Errno::PERM) && e.op() == Op::Setgroups => {}
            other => return Err(format!("setgroups as 4242: {other:?}")),
        }
        expect_kind(
            proof.setuid(Uid::from_raw_unchecked(u32::MAX)),
            ErrorKind::InvalidInput,
            "setuid(-1)",
        )
    });
    assert_eq!((&seen.uid, &seen.gid), (&vec![4242; 4], &vec![4242; 4]));
    assert_eq!(seen.group_set(), DKUSER_GROUPS.into_iter().collect());
}
