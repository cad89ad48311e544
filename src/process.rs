//! Processes: `fork`, leaving at once, the session, the umask (with a
//! strict octal parser), the parent-death signal, exit codes and the
//! kernel's name (celery's `set_pdeathsig`, `pyimplementation`, `EX_*` and
//! the umask handling of `detached`); and what an init needs around its
//! children: [`execve`]/[`execvpe`] over [`CStrArray`]s, [`wait_for`] and
//! [`reap_zombies`], process groups and the terminal's foreground group
//! ([`setpgid`], [`tcsetpgrp`]) and the child-subreaper flag
//! ([`set_child_subreaper`]).
//!
//! | topic | items |
//! |---|---|
//! | creating | [`fork`], [`SingleThreaded`] (the proof [`fork`] checks; [`SingleThreaded::fork`]) |
//! | identity | [`setsid`], [`umask`], [`parse_umask`], [`set_pdeathsig`], [`pdeathsig`], [`implementation`] |
//! | leaving | [`exit_immediately`], [`EX_OK`] and the other exit codes |
//! | running a program | [`execve`], [`execvpe`], [`CStrArray`], [`CStrArrayBuf`] |
//! | children | [`wait_for`], [`reap_zombies`], [`ChildExit`] |
//! | groups and terminals | [`setpgid`], [`getpgrp`], [`tcsetpgrp`], [`tcgetpgrp`], [`set_child_subreaper`] |

mod exec;
mod exit;
mod fork;
mod group;
mod identity;
mod threads;
mod wait;

pub use exec::{CStrArray, CStrArrayBuf, CStrArrayIter, DEFAULT_PATH, execve, execvpe};
pub use exit::{EX_CANTCREAT, EX_FAILURE, EX_OK, EX_UNAVAILABLE, EX_USAGE, exit_immediately};
pub(crate) use fork::fork_unchecked;
pub use fork::{Fork, fork};
pub use group::{getpgrp, is_child_subreaper, set_child_subreaper, setpgid, tcgetpgrp, tcsetpgrp};
pub use identity::{
    Implementation, implementation, parse_umask, pdeathsig, set_pdeathsig, setsid, umask,
};
pub use threads::SingleThreaded;
pub(crate) use threads::check_for as require_single_thread;
pub use wait::{ChildExit, ReapZombies, reap_zombies, wait_for};
