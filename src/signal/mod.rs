//! Signals: numbers and names, dispositions, the mask, the alarm, taking
//! signals synchronously and sending them (celery's `Signals`, `signals`,
//! `signal_name` and `get_signal`), and the building blocks of a graceful
//! shutdown.
//!
//! # One signal type
//!
//! [`Signal`] is a kernel signal number 1..=64, real-time signals
//! included; every function here takes or returns it. Numbering is the
//! kernel's: [`Signal::RTMIN`] is 32 and [`Signal::RTMAX`] is 64; glibc's
//! `SIGRTMIN` macro says 34 because glibc reserves 32 and 33 for itself
//! (musl reserves 32–34), so Python on glibc means 37 by "SIGRTMIN+3"
//! where daemonry and the kernel mean 35 (`Signal::rt(3)`).
//!
//! # Names
//!
//! One fixed table ([`signal_name`], [`Signal::name`], [`all`]): `SIGCHLD`
//! over `SIGCLD`, `SIGABRT` over `SIGIOT`, `SIGIO` over `SIGPOLL` (celery's
//! choice depends on Python's hash seed), real-time signals as
//! `SIGRTMIN+n` up to 48 and `SIGRTMAX-n` above. [`parse_signal`] is
//! case-insensitive, accepts the aliases, names with or without `SIG`,
//! numbers 1..=64 and both real-time forms; everything else is an
//! [`InvalidInput`](crate::ErrorKind) error naming the input.
//!
//! # Dispositions, mask, alarm
//!
//! [`ignore`], [`reset`], [`set_handler`] (with a [`Restart`] choice),
//! [`handler`] and [`reset_all`]; the calling thread's mask ([`block`],
//! [`unblock`], [`set_mask`], [`mask`] over a [`SigSet`]); the one-shot
//! alarm ([`arm_alarm`], [`reset_alarm`]). They use raw
//! `rt_sigaction`/`rt_sigprocmask`/`setitimer` calls, not libc's wrappers
//! (which keep no state for these, so nothing goes stale). Handlers return
//! through daemonry's own `SA_RESTORER` trampoline. Differences from
//! celery: bad names are errors instead of being silently skipped;
//! SIGKILL/SIGSTOP are a clear `Os(EINVAL)` error; installing a handler is
//! `unsafe` (the handler runs re-entrantly).
//!
//! # Taking and sending signals: graceful shutdown without handlers
//!
//! Block the signals (in `main`, before threads start), then take them
//! synchronously: [`SigSet::wait`] (a thread that waits, or an init's
//! loop), [`SigSet::try_wait`] (a poll in a loop with other work) or a
//! [`SignalFd`] (a file descriptor for `poll`/`epoll` or an async runtime).
//! Each reports a [`SigInfo`] (signal, sender). [`kill`] and
//! [`kill_group`] send any signal, real-time signals included.
//!
//! Everything here is safe between fork and exec.

mod alarm;
mod dispositions;
mod fd;
mod info;
mod kernel;
mod mask;
mod names;
mod number;
mod send;
mod set;
mod wait;

pub use alarm::{arm_alarm, reset_alarm};
pub use dispositions::{Disposition, Restart, handler, ignore, reset, reset_all, set_handler};
pub use fd::{SignalFd, SignalFdFlags};
pub use info::SigInfo;
pub use mask::{block, mask, set_mask, unblock};
pub use names::{SignalName, all, parse_signal, signal_name, supported};
pub use number::Signal;
pub use send::{kill, kill_group};
pub use set::{SigSet, SigSetIter};
