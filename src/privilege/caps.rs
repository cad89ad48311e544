//! Capabilities and securebits: the [`Capabilities`] set type, reading the
//! calling thread's sets ([`CapabilitySets::current`]) and securebits
//! ([`SecureBits::current`]), and the steps [`PrivilegeDrop`] takes so that a
//! drop to a non-root user leaves none behind.
//!
//! Everything goes through rustix's public API: `capget`/`capset`
//! ([`rustix::thread::capabilities`], [`rustix::thread::set_capabilities`])
//! and the `prctl` helpers for `PR_SET_KEEPCAPS`, `PR_GET_SECUREBITS`,
//! `PR_CAP_AMBIENT` and `PR_SET_NO_NEW_PRIVS`.
//!
//! [`PrivilegeDrop`]: super::PrivilegeDrop

use crate::error::{Error, ErrorKind, Op, Result};
use bitflags::bitflags;
use linux_raw_sys::general;
use rustix::io::Errno;
use rustix::thread::{self, CapabilitiesSecureBits, CapabilitySet};

bitflags! {
    /// A set of Linux capabilities: one bit per `CAP_*` number, named as in
    /// `<linux/capability.h>` without the `CAP_` prefix (the bit positions
    /// are linux-raw-sys's constants).
    ///
    /// The sets a thread holds are read with [`CapabilitySets::current`].
    /// Bits the kernel knows but this type does not name (a capability
    /// newer than `CAP_CHECKPOINT_RESTORE`) are kept, not dropped, when a
    /// set is read: [`is_empty`](Capabilities::is_empty) means "no
    /// capability at all".
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # References
    ///
    /// [`capabilities(7)`](https://man7.org/linux/man-pages/man7/capabilities.7.html)
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::privilege::Capabilities;
    /// let web = Capabilities::NET_BIND_SERVICE | Capabilities::SETUID;
    /// assert!(web.contains(Capabilities::SETUID));
    /// assert_eq!(Capabilities::SETUID.bits(), 1 << 7);
    /// assert_eq!(Capabilities::all().bits().count_ones(), 41);
    /// ```
    #[repr(transparent)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Capabilities: u64 {
        /// `CAP_CHOWN`: Make arbitrary changes to file uids and gids (`chown(2)`).
        const CHOWN = 1 << general::CAP_CHOWN;
        /// `CAP_DAC_OVERRIDE`: Bypass file read, write and execute permission checks.
        const DAC_OVERRIDE = 1 << general::CAP_DAC_OVERRIDE;
        /// `CAP_DAC_READ_SEARCH`: Bypass file read and directory read/search permission checks.
        const DAC_READ_SEARCH = 1 << general::CAP_DAC_READ_SEARCH;
        /// `CAP_FOWNER`: Bypass the checks that need the caller's uid to own the file.
        const FOWNER = 1 << general::CAP_FOWNER;
        /// `CAP_FSETID`: Keep set-user-ID and set-group-ID bits when a file is modified.
        const FSETID = 1 << general::CAP_FSETID;
        /// `CAP_KILL`: Send signals to any process.
        const KILL = 1 << general::CAP_KILL;
        /// `CAP_SETGID`: Change gids and supplementary groups arbitrarily.
        const SETGID = 1 << general::CAP_SETGID;
        /// `CAP_SETUID`: Change uids arbitrarily (how root regains root after a drop).
        const SETUID = 1 << general::CAP_SETUID;
        /// `CAP_SETPCAP`: Change the bounding set, securebits, and others' inheritable sets.
        const SETPCAP = 1 << general::CAP_SETPCAP;
        /// `CAP_LINUX_IMMUTABLE`: Set the immutable and append-only file attributes.
        const LINUX_IMMUTABLE = 1 << general::CAP_LINUX_IMMUTABLE;
        /// `CAP_NET_BIND_SERVICE`: Bind sockets to ports below 1024.
        const NET_BIND_SERVICE = 1 << general::CAP_NET_BIND_SERVICE;
        /// `CAP_NET_BROADCAST`: Broadcast and listen to multicast (unused by the kernel).
        const NET_BROADCAST = 1 << general::CAP_NET_BROADCAST;
        /// `CAP_NET_ADMIN`: Network administration: interfaces, routes, firewall, …
        const NET_ADMIN = 1 << general::CAP_NET_ADMIN;
        /// `CAP_NET_RAW`: Use raw and packet sockets.
        const NET_RAW = 1 << general::CAP_NET_RAW;
        /// `CAP_IPC_LOCK`: Lock memory (`mlock(2)`, huge pages, …).
        const IPC_LOCK = 1 << general::CAP_IPC_LOCK;
        /// `CAP_IPC_OWNER`: Bypass permission checks on System V IPC objects.
        const IPC_OWNER = 1 << general::CAP_IPC_OWNER;
        /// `CAP_SYS_MODULE`: Load and unload kernel modules.
        const SYS_MODULE = 1 << general::CAP_SYS_MODULE;
        /// `CAP_SYS_RAWIO`: Raw I/O: `iopl(2)`, `/dev/mem`, …
        const SYS_RAWIO = 1 << general::CAP_SYS_RAWIO;
        /// `CAP_SYS_CHROOT`: Use `chroot(2)` and change mount namespaces.
        const SYS_CHROOT = 1 << general::CAP_SYS_CHROOT;
        /// `CAP_SYS_PTRACE`: Trace and inspect any process.
        const SYS_PTRACE = 1 << general::CAP_SYS_PTRACE;
        /// `CAP_SYS_PACCT`: Use `acct(2)`.
        const SYS_PACCT = 1 << general::CAP_SYS_PACCT;
        /// `CAP_SYS_ADMIN`: Many administrative operations: mounts, namespaces, …
        const SYS_ADMIN = 1 << general::CAP_SYS_ADMIN;
        /// `CAP_SYS_BOOT`: Reboot and load a new kernel.
        const SYS_BOOT = 1 << general::CAP_SYS_BOOT;
        /// `CAP_SYS_NICE`: Raise priorities and change any process's scheduling.
        const SYS_NICE = 1 << general::CAP_SYS_NICE;
        /// `CAP_SYS_RESOURCE`: Override resource limits and quotas.
        const SYS_RESOURCE = 1 << general::CAP_SYS_RESOURCE;
        /// `CAP_SYS_TIME`: Set the system clock.
        const SYS_TIME = 1 << general::CAP_SYS_TIME;
        /// `CAP_SYS_TTY_CONFIG`: Use `vhangup(2)` and privileged terminal ioctls.
        const SYS_TTY_CONFIG = 1 << general::CAP_SYS_TTY_CONFIG;
        /// `CAP_MKNOD`: Create device files with `mknod(2)`.
        const MKNOD = 1 << general::CAP_MKNOD;
        /// `CAP_LEASE`: Take file leases on files the caller does not own.
        const LEASE = 1 << general::CAP_LEASE;
        /// `CAP_AUDIT_WRITE`: Write records to the kernel audit log.
        const AUDIT_WRITE = 1 << general::CAP_AUDIT_WRITE;
        /// `CAP_AUDIT_CONTROL`: Configure kernel auditing.
        const AUDIT_CONTROL = 1 << general::CAP_AUDIT_CONTROL;
        /// `CAP_SETFCAP`: Set file capabilities.
        const SETFCAP = 1 << general::CAP_SETFCAP;
        /// `CAP_MAC_OVERRIDE`: Override mandatory access control (Smack).
        const MAC_OVERRIDE = 1 << general::CAP_MAC_OVERRIDE;
        /// `CAP_MAC_ADMIN`: Configure mandatory access control (Smack).
        const MAC_ADMIN = 1 << general::CAP_MAC_ADMIN;
        /// `CAP_SYSLOG`: Privileged `syslog(2)` operations; see kernel addresses.
        const SYSLOG = 1 << general::CAP_SYSLOG;
        /// `CAP_WAKE_ALARM`: Set timers that wake the system.
        const WAKE_ALARM = 1 << general::CAP_WAKE_ALARM;
        /// `CAP_BLOCK_SUSPEND`: Block system suspend (`EPOLLWAKEUP`).
        const BLOCK_SUSPEND = 1 << general::CAP_BLOCK_SUSPEND;
        /// `CAP_AUDIT_READ`: Read the audit log through a multicast netlink socket.
        const AUDIT_READ = 1 << general::CAP_AUDIT_READ;
        /// `CAP_PERFMON`: Privileged performance monitoring (`perf_event_open(2)`).
        const PERFMON = 1 << general::CAP_PERFMON;
        /// `CAP_BPF`: Privileged BPF operations.
        const BPF = 1 << general::CAP_BPF;
        /// `CAP_CHECKPOINT_RESTORE`: Checkpoint/restore operations (`clone3` with a chosen pid, …).
        const CHECKPOINT_RESTORE = 1 << general::CAP_CHECKPOINT_RESTORE;
    }
}

impl From<CapabilitySet> for Capabilities {
    fn from(s: CapabilitySet) -> Capabilities {
        Capabilities::from_bits_retain(s.bits())
    }
}

impl From<Capabilities> for CapabilitySet {
    fn from(c: Capabilities) -> CapabilitySet {
        CapabilitySet::from_bits_retain(c.bits())
    }
}

/// The four capability sets of the calling thread (the bounding set is
/// not read: it limits what `execve` can grant, and only
/// [`no_new_privs`](super::PrivilegeDrop::no_new_privs) or `CAP_SETPCAP`
/// change that).
///
/// # Async-signal safety
///
/// Safe between fork and exec: a plain value.
///
/// # Examples
///
/// ```
/// use daemonry::privilege::CapabilitySets;
/// let sets = CapabilitySets::current()?;
/// // The effective set is always a subset of the permitted one.
/// assert!(sets.permitted.contains(sets.effective));
/// # Ok::<(), daemonry::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CapabilitySets {
    /// What the thread may make effective (`CapPrm` in
    /// `/proc/<pid>/status`).
    pub permitted: Capabilities,
    /// What the kernel checks now (`CapEff`).
    pub effective: Capabilities,
    /// What may be passed on across `execve` (`CapInh`).
    pub inheritable: Capabilities,
    /// What is granted again across `execve` of an ordinary program
    /// (`CapAmb`; Linux 4.3, empty before).
    pub ambient: Capabilities,
}

impl CapabilitySets {
    /// The calling thread's permitted, effective, inheritable (`capget(2)`)
    /// and ambient (`prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET)`, one call
    /// per capability the kernel knows) sets.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] of [`Op::Capget`] or [`Op::AmbientCaps`] when a
    /// call fails (a seccomp filter, say).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`capget(2)`](https://man7.org/linux/man-pages/man2/capget.2.html),
    /// [`PR_CAP_AMBIENT`](https://man7.org/linux/man-pages/man2/PR_CAP_AMBIENT.2const.html)
    ///
    /// # Examples
    ///
    /// ```
    /// let sets = daemonry::privilege::CapabilitySets::current()?;
    /// if !daemonry::check_privileges(true)?.root {
    ///     // An ordinary process usually holds nothing.
    ///     println!("{:?}", sets.permitted);
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "capget")]
    pub fn current() -> Result<CapabilitySets> {
        let raw = thread::capabilities(None).map_err(|e| Error::os(Op::Capget, e))?;
        Ok(CapabilitySets {
            permitted: raw.permitted.into(),
            effective: raw.effective.into(),
            inheritable: raw.inheritable.into(),
            ambient: ambient()?,
        })
    }

    /// Whether all four sets are empty: the thread holds no capability
    /// and regains none through `execve` of an ordinary program.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let sets = daemonry::privilege::CapabilitySets::current()?;
    /// assert_eq!(sets.is_empty(), sets.permitted.is_empty() && sets.inheritable.is_empty() && sets.ambient.is_empty());
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.permitted.is_empty()
            && self.effective.is_empty()
            && self.inheritable.is_empty()
            && self.ambient.is_empty()
    }
}

/// The ambient set, one `PR_CAP_AMBIENT_IS_SET` per capability number
/// until the kernel says `EINVAL` (past its last capability, or a kernel
/// without ambient capabilities).
fn ambient() -> Result<Capabilities> {
    let mut set = Capabilities::empty();
    for bit in 0..u64::BITS {
        let cap = CapabilitySet::from_bits_retain(1 << bit);
        match thread::capability_is_in_ambient_set(cap) {
            Ok(true) => set |= Capabilities::from_bits_retain(1 << bit),
            Ok(false) => {}
            Err(Errno::INVAL) => break,
            Err(e) => return Err(Error::os(Op::AmbientCaps, e)),
        }
    }
    Ok(set)
}

bitflags! {
    /// The thread's securebits (`prctl(PR_GET_SECUREBITS)`): flags that
    /// change how the kernel treats uid 0. Each `*_LOCKED` flag makes its
    /// partner permanent for the thread and its descendants.
    ///
    /// The values are rustix's `CapabilitiesSecureBits` (`SECBIT_*` of
    /// `<linux/securebits.h>`).
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # References
    ///
    /// [`capabilities(7)`](https://man7.org/linux/man-pages/man7/capabilities.7.html)
    /// ("The securebits flags")
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::privilege::SecureBits;
    /// let bits = SecureBits::current()?;
    /// if bits.keeps_root_capabilities() {
    ///     println!("a drop to a non-root user would be refused");
    /// }
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[repr(transparent)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct SecureBits: u32 {
        /// `SECBIT_NOROOT`: uid 0 gains no capabilities from `execve`.
        const NO_ROOT = CapabilitiesSecureBits::NO_ROOT.bits();
        /// `SECBIT_NOROOT_LOCKED`.
        const NO_ROOT_LOCKED = CapabilitiesSecureBits::NO_ROOT_LOCKED.bits();
        /// `SECBIT_NO_SETUID_FIXUP`: leaving uid 0 does not clear the
        /// permitted, effective and ambient sets.
        const NO_SETUID_FIXUP = CapabilitiesSecureBits::NO_SETUID_FIXUP.bits();
        /// `SECBIT_NO_SETUID_FIXUP_LOCKED`.
        const NO_SETUID_FIXUP_LOCKED = CapabilitiesSecureBits::NO_SETUID_FIXUP_LOCKED.bits();
        /// `SECBIT_KEEP_CAPS`: leaving uid 0 keeps the permitted set (the
        /// flag `prctl(PR_SET_KEEPCAPS)` sets; `execve` clears it).
        const KEEP_CAPS = CapabilitiesSecureBits::KEEP_CAPS.bits();
        /// `SECBIT_KEEP_CAPS_LOCKED`.
        const KEEP_CAPS_LOCKED = CapabilitiesSecureBits::KEEP_CAPS_LOCKED.bits();
        /// `SECBIT_NO_CAP_AMBIENT_RAISE`: the ambient set cannot be raised.
        const NO_CAP_AMBIENT_RAISE = CapabilitiesSecureBits::NO_CAP_AMBIENT_RAISE.bits();
        /// `SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED`.
        const NO_CAP_AMBIENT_RAISE_LOCKED = CapabilitiesSecureBits::NO_CAP_AMBIENT_RAISE_LOCKED.bits();
    }
}

impl SecureBits {
    /// The calling thread's securebits (`prctl(PR_GET_SECUREBITS)`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] of [`Op::Securebits`] if the call fails.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: no allocation, locks or panics.
    ///
    /// # References
    ///
    /// [`PR_GET_SECUREBITS`](https://man7.org/linux/man-pages/man2/PR_GET_SECUREBITS.2const.html)
    ///
    /// # Examples
    ///
    /// ```
    /// let bits = daemonry::privilege::SecureBits::current()?;
    /// println!("{bits:?}");
    /// # Ok::<(), daemonry::Error>(())
    /// ```
    #[doc(alias = "PR_GET_SECUREBITS")]
    pub fn current() -> Result<SecureBits> {
        thread::capabilities_secure_bits()
            .map(|b| SecureBits::from_bits_retain(b.bits()))
            .map_err(|e| Error::os(Op::Securebits, e))
    }

    /// Whether leaving uid 0 would keep root's capabilities whatever the
    /// caller does: `NO_SETUID_FIXUP` is set (locked or not: clearing it
    /// needs `CAP_SETPCAP`, and a drop should not add powers to take them
    /// away), or `KEEP_CAPS` is set and locked. A `KEEP_CAPS` that is not
    /// locked is the `PR_SET_KEEPCAPS` flag, which a drop clears itself.
    /// [`PrivilegeDrop`](super::PrivilegeDrop) refuses a drop from root to a
    /// non-root user when this is true.
    ///
    /// # Async-signal safety
    ///
    /// Safe between fork and exec: a plain value.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonry::privilege::SecureBits;
    /// assert!(SecureBits::NO_SETUID_FIXUP.keeps_root_capabilities());
    /// assert!(!SecureBits::KEEP_CAPS.keeps_root_capabilities());
    /// assert!((SecureBits::KEEP_CAPS | SecureBits::KEEP_CAPS_LOCKED).keeps_root_capabilities());
    /// assert!(!(SecureBits::NO_ROOT | SecureBits::KEEP_CAPS_LOCKED).keeps_root_capabilities());
    /// ```
    pub const fn keeps_root_capabilities(self) -> bool {
        self.contains(SecureBits::NO_SETUID_FIXUP)
            || self.contains(SecureBits::KEEP_CAPS.union(SecureBits::KEEP_CAPS_LOCKED))
    }
}

// == The steps of a drop to a non-root user (see `drop.rs`) ==

/// Refuses (`Security`, of [`Op::Securebits`]) when the securebits would
/// let root's capabilities survive the uid change. Changes nothing.
pub(super) fn refuse_keeping_securebits() -> Result<()> {
    if SecureBits::current()?.keeps_root_capabilities() {
        return Err(Error::new(ErrorKind::Security, Op::Securebits));
    }
    Ok(())
}

/// Before the uid change: `PR_SET_KEEPCAPS` off, the ambient set and the
/// inheritable set cleared. Each step only removes.
pub(super) fn before_setuid() -> Result<()> {
    // `PR_SET_KEEPCAPS` is `SECBIT_KEEP_CAPS`. Locked on, it cannot be
    // cleared (`EPERM`); a process holding uid 0 was refused for that
    // already, and for one that does not it changes nothing (it only acts
    // when uid 0 is left).
    if keep_caps_clearable_and_on()? {
        thread::set_keep_capabilities(false).map_err(|e| Error::os(Op::KeepCaps, e))?;
    }
    clear_ambient()?;
    let raw = thread::capabilities(None).map_err(|e| Error::os(Op::Capget, e))?;
    if !raw.inheritable.is_empty() {
        let sets = thread::CapabilitySets {
            inheritable: CapabilitySet::empty(),
            ..raw
        };
        thread::set_capabilities(None, sets).map_err(|e| Error::os(Op::Capset, e))?;
    }
    Ok(())
}

/// `PR_CAP_AMBIENT_CLEAR_ALL`; a kernel without ambient capabilities
/// (`EINVAL`) has nothing to clear.
fn clear_ambient() -> Result<()> {
    match thread::clear_ambient_capability_set() {
        Ok(()) | Err(Errno::INVAL) => Ok(()),
        Err(e) => Err(Error::os(Op::AmbientCaps, e)),
    }
}

/// After the uid change: empties every set that is not empty yet (the
/// kernel's fix-up does not run for a drop between two non-root uids, and
/// never touches the inheritable set). Lowering needs no privilege.
pub(super) fn clear_all() -> Result<()> {
    clear_ambient()?;
    let raw = thread::capabilities(None).map_err(|e| Error::os(Op::Capget, e))?;
    if !(raw.permitted.is_empty() && raw.effective.is_empty() && raw.inheritable.is_empty()) {
        let none = thread::CapabilitySets {
            effective: CapabilitySet::empty(),
            permitted: CapabilitySet::empty(),
            inheritable: CapabilitySet::empty(),
        };
        thread::set_capabilities(None, none).map_err(|e| Error::os(Op::Capset, e))?;
    }
    Ok(())
}

/// The proof: `capget` shows empty permitted, effective and inheritable
/// sets, the ambient set is clear and `PR_SET_KEEPCAPS` is off (unless
/// locked on, see [`before_setuid`]). Anything else is `Security` of
/// [`Op::VerifyPrivileges`].
pub(super) fn verify_none() -> Result<()> {
    let security = Error::new(ErrorKind::Security, Op::VerifyPrivileges);
    let sets = CapabilitySets::current().map_err(|e| e.with_op(Op::VerifyPrivileges))?;
    if !sets.is_empty() {
        return Err(security);
    }
    if keep_caps_clearable_and_on().map_err(|e| e.with_op(Op::VerifyPrivileges))? {
        return Err(security);
    }
    Ok(())
}

/// Whether `SECBIT_KEEP_CAPS` (the `PR_SET_KEEPCAPS` flag) is on and not
/// locked.
fn keep_caps_clearable_and_on() -> Result<bool> {
    let bits = SecureBits::current()?;
    Ok(bits.contains(SecureBits::KEEP_CAPS) && !bits.contains(SecureBits::KEEP_CAPS_LOCKED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_follow_the_kernel_numbers() {
        assert_eq!(Capabilities::CHOWN.bits(), 1);
        assert_eq!(Capabilities::SETPCAP.bits(), 1 << 8);
        assert_eq!(Capabilities::CHECKPOINT_RESTORE.bits(), 1 << 40);
        assert_eq!(
            Capabilities::all().bits(),
            (1u64 << (general::CAP_LAST_CAP + 1)) - 1
        );
        assert_eq!(SecureBits::all().bits(), 0xff);
    }

    #[test]
    fn conversions_keep_unknown_bits() {
        let raw = CapabilitySet::from_bits_retain(1 << 50 | 1);
        let ours = Capabilities::from(raw);
        assert!(!ours.is_empty());
        assert_eq!(CapabilitySet::from(ours), raw);
    }

    #[test]
    fn current_sets_read() {
        let sets = CapabilitySets::current().unwrap();
        assert!(sets.permitted.contains(sets.effective));
        assert!(sets.permitted.contains(sets.ambient));
        let _ = SecureBits::current().unwrap();
    }
}
