//! Signal names, numbers and dispositions (celery's `Signals`, `signals`,
//! `signal_name` and `get_signal`).
//!
//! # Numbers
//!
//! Signals are plain `i32` numbers in the kernel's numbering, because
//! rustix's [`Signal`] cannot express real-time signals. [`SIGRTMIN`] is 32
//! and [`SIGRTMAX`] is 64; glibc's `SIGRTMIN` macro says 34 because glibc
//! reserves 32 and 33 for itself (musl reserves 32–34), so Python on glibc
//! means 37 by "SIGRTMIN+3" where daemonry and the kernel mean 35. Use
//! `Signal::TERM.as_raw()` to pass a rustix `Signal`.
//!
//! # Names
//!
//! One fixed table ([`signal_name`], [`all`]): `SIGCHLD` over `SIGCLD`,
//! `SIGABRT` over `SIGIOT`, `SIGIO` over `SIGPOLL` (celery's choice depends
//! on Python's hash seed), real-time signals as `SIGRTMIN+n` up to 48 and
//! `SIGRTMAX-n` above. [`parse_signal`] is case-insensitive, accepts the
//! aliases, names with or without `SIG`, numbers 1..=64 and both real-time
//! forms; everything else is an [`InvalidInput`](crate::ErrorKind) error
//! naming the input.
//!
//! # Dispositions
//!
//! [`ignore`], [`reset`], [`set_handler`], [`handler`], [`reset_all`], the
//! calling thread's mask ([`block`], [`unblock`], [`set_mask`], [`mask`]
//! over [`SigSet`]) and the one-shot alarm ([`arm_alarm`],
//! [`reset_alarm`]). They use raw `rt_sigaction`/`rt_sigprocmask`/
//! `setitimer` calls, not libc's wrappers (which keep no state for these,
//! so nothing goes stale). Handlers return through daemonry's own
//! `SA_RESTORER` trampoline. Differences from celery: bad numbers and
//! names are errors instead of being silently skipped; SIGKILL/SIGSTOP are
//! a clear `Os(EINVAL)` error; installing a handler is `unsafe` (the
//! handler must be async-signal-safe).
//!
//! # Waiting and sending
//!
//! [`SigSet::wait`] and [`SigSet::wait_timeout`] take a blocked signal
//! synchronously (`sigtimedwait(2)`) and report a [`SigInfo`] (number,
//! sender); [`kill`] and [`kill_group`] send any signal by number, real-time
//! signals included. Together with [`block`] they make the handler-free
//! signal loop of an init (see `tools/init`, daemonry-init).
//!
//! Everything here is safe between fork and exec.

mod disposition;
mod names;
mod wait;

pub use disposition::{
    Disposition, SigSet, arm_alarm, block, handler, ignore, mask, reset, reset_alarm, reset_all,
    set_handler, set_mask, supported, unblock,
};
pub use names::{
    SIGRTMAX, SIGRTMIN, SignalName, all, parse_signal, parse_signal_bytes, signal_name,
};
pub use rustix::process::Signal;
pub use wait::{SigInfo, kill, kill_group};
