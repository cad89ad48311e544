//! daemonry-init, the static init in `tools/init`, run as a whole program: every
//! tini behaviour it promises (exit codes and `-e`, signal forwarding,
//! zombie reaping as a subreaper and as PID 1 of a PID namespace, `-g`, the
//! subreaper warning, the inherited signal configuration, `-p`, `-w`, the
//! terminal hand-over) and the binary's shape (static, no libc, small).
//!
//! The binary is built once per test process with
//! `cargo build --release --locked` run in `tools/init`
//! (a no-op when it is up to date; the package has its own workspace,
//! lockfile and target directory), or taken from `$DKINIT` when set. The
//! release build, not the test profile's `CARGO_BIN_EXE_daemonry-init`: the
//! size assertions are about the binary that ships.
//! Judged from outside: exit statuses, stderr messages, `/proc` and pidfds.
//! Synchronisation is by pipes (lines the programs print), never sleeps.
#![allow(unsafe_code)] // pre_exec hooks, kill, pidfd/poll through libc.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::OnceLock;

use common::{Exit, proc_stat, proc_state, proc_status};

/// Debian's dynamically linked tini 0.19 (`ls -l /usr/bin/tini`).
const TINI_DYNAMIC_SIZE: u64 = 27_792;

/// Why most tests skip under qemu-user: they run daemonry-init with `-s`.
const NO_SUBREAPER: &str =
    "qemu-user 7.2 answers prctl(PR_SET_CHILD_SUBREAPER) with EINVAL, so -s cannot work";

/// Builds daemonry-init with `features` into `tools/init/<target>`; returns the
/// binary's path. cargo runs in `tools/init`, where it reads the package's
/// `.cargo/config.toml` (Thumb-2 code on 32-bit ARM).
fn build(features: &str, target: &str) -> PathBuf {
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(pkg)
        .args(["build", "--release", "--locked", "--features", features])
        .arg("--manifest-path")
        .arg(pkg.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(pkg.join(target))
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("run cargo to build daemonry-init");
    assert!(
        out.status.success(),
        "building daemonry-init ({features:?}) failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = pkg.join(target).join("release/daemonry-init");
    assert!(
        bin.is_file(),
        "daemonry-init not found at {}",
        bin.display()
    );
    bin
}

/// The default daemonry-init binary (what `.ci/run` builds), built on first use;
/// `$DKINIT` overrides it.
fn init_bin() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| match std::env::var_os("DKINIT") {
        Some(p) => PathBuf::from(p),
        None => build("", "target"),
    })
}

/// daemonry-init with the `user` and `pidfile` extras compiled in (its own
/// target directory, so the two builds never replace each other).
fn init_extras() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build("user,pidfile", "target/extras"))
}

/// `daemonry-init ARGS…` with stdin from /dev/null and stdout/stderr piped.
fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(init_bin());
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn exit_of(s: ExitStatus) -> Exit {
    match s.code() {
        Some(c) => Exit::Code(c),
        None => Exit::Signal(s.signal().unwrap_or(0)),
    }
}

/// Runs to completion: (how daemonry-init ended, stdout, stderr).
fn run(c: &mut Command) -> (Exit, String, String) {
    let out = c.output().expect("run daemonry-init");
    (
        exit_of(out.status),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_args(args: &[&str]) -> (Exit, String, String) {
    run(&mut cmd(args))
}

/// A running daemonry-init with line readers on its stdout and stderr.
struct Running {
    child: Child,
    out: BufReader<ChildStdout>,
    err: BufReader<ChildStderr>,
}

impl Running {
    fn start(c: &mut Command) -> Running {
        let mut child = c.spawn().expect("spawn daemonry-init");
        let out = BufReader::new(child.stdout.take().expect("stdout piped"));
        let err = BufReader::new(child.stderr.take().expect("stderr piped"));
        Running { child, out, err }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The next stdout line (without the newline); panics at EOF.
    fn line(&mut self) -> String {
        let mut l = String::new();
        let n = self.out.read_line(&mut l).expect("read stdout");
        assert!(n > 0, "daemonry-init's program closed stdout early");
        l.trim_end().to_string()
    }

    /// Reads stderr until a line containing `needle`; returns all read.
    fn err_until(&mut self, needle: &str) -> String {
        let mut seen = String::new();
        loop {
            let mut l = String::new();
            let n = self.err.read_line(&mut l).expect("read stderr");
            assert!(n > 0, "stderr ended before {needle:?}; got:\n{seen}");
            seen.push_str(&l);
            if l.contains(needle) {
                return seen;
            }
        }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill on our own child's pid (not yet reaped).
        assert_eq!(unsafe { libc::kill(self.pid(), sig) }, 0, "kill");
    }

    /// Waits for the end; returns how it ended and the rest of stderr.
    fn finish(mut self) -> (Exit, String) {
        drop(self.child.stdin.take());
        let status = self.child.wait().expect("wait daemonry-init");
        let mut rest = String::new();
        let _ = self.err.read_to_string(&mut rest);
        (exit_of(status), rest)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

/// A pidfd for `pid` (to judge its death without racing its reaping).
fn pidfd(pid: i32) -> std::os::fd::OwnedFd {
    // SAFETY: pidfd_open takes two integers; it returns a new fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    assert!(fd >= 0, "pidfd_open({pid})");
    // SAFETY: a fresh fd.
    unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }
}

/// Whether the process behind `fd` has exited, waiting up to `ms`
/// milliseconds (a safety net against hangs, not a timing assertion: the
/// exit is already under way when this is asked).
fn exited(fd: &std::os::fd::OwnedFd, ms: i32) -> bool {
    use std::os::fd::AsRawFd;
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) == 1 }
}

const REAPER_WARNING: &str = "daemonry-init is not running as PID 1 and isn't registered as a child subreaper.\n\
Zombie processes will not be re-parented to daemonry-init, so zombie reaping won't work.\n\
To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER \
to register daemonry-init as a child subreaper, or run daemonry-init as PID 1.\n";

/// Debian 12's dynamically linked tini 0.19 for this test's architecture
/// (`ls -l /usr/bin/tini` of `tini:<arch>`), which daemonry-init must be
/// smaller than (SPEC §6). Debian 12 has no riscv64 tini: x86_64's figure.
fn tini_dynamic_size() -> u64 {
    match std::env::consts::ARCH {
        "aarch64" => 68_592,
        "arm" => 18_888,
        "x86" => 22_964,
        _ => TINI_DYNAMIC_SIZE,
    }
}

#[test]
fn binary_is_static_libc_free_and_smaller_than_tini() {
    let bin = std::fs::read(init_bin()).unwrap();
    let size = bin.len() as u64;
    let tini = tini_dynamic_size();
    eprintln!("daemonry-init: {size} bytes; Debian's tini for this architecture: {tini}");
    assert!(
        size < tini,
        "daemonry-init is {size} bytes, not smaller than Debian's tini ({tini})"
    );
    // A little-endian ELF executable of this target's class.
    let wide = cfg!(target_pointer_width = "64");
    assert_eq!(&bin[..4], b"\x7fELF");
    assert_eq!(bin[4], if wide { 2 } else { 1 }, "ELF class");
    let u16_at = |o: usize| u16::from_le_bytes([bin[o], bin[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(bin[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(bin[o..o + 8].try_into().unwrap());
    let e_type = u16_at(16);
    assert_eq!(e_type, 2, "ET_EXEC: a non-PIE executable");
    let (phoff, phentsize, phnum) = if wide {
        (u64_at(32) as usize, u16_at(54) as usize, u16_at(56))
    } else {
        (u32_at(28) as usize, u16_at(42) as usize, u16_at(44))
    };
    let types: Vec<u32> = (0..phnum as usize)
        .map(|i| u32_at(phoff + i * phentsize))
        .collect();
    // PT_DYNAMIC (2) and PT_INTERP (3): a dynamic section lists NEEDED
    // libraries; an interpreter is the dynamic loader.
    assert!(!types.contains(&2), "no dynamic section: {types:?}");
    assert!(!types.contains(&3), "no interpreter: {types:?}");
    for needle in [
        &b"GLIBC_"[..],
        b"libc.so",
        b"ld-linux",
        b"__libc_start_main",
    ] {
        assert!(
            !bin.windows(needle.len()).any(|w| w == needle),
            "{:?} found in the binary",
            String::from_utf8_lossy(needle)
        );
    }
    // And the system tools agree, where installed (a second opinion on
    // the checks above, which stand on their own).
    match Command::new("readelf").arg("-d").arg(init_bin()).output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(!text.contains("NEEDED"), "readelf -d: {text}");
        }
        Err(e) => eprintln!("SKIP readelf's opinion: {e}"),
    }
    match Command::new("file").arg(init_bin()).output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("statically linked"), "file: {text}");
        }
        Err(e) => eprintln!("SKIP file's opinion: {e}"),
    }
}

#[test]
fn exit_codes_0_to_255_pass_through() {
    skip_under_emulation!(NO_SUBREAPER);
    for code in 0..=255 {
        let script = format!("exit {code}");
        let (exit, _, err) = run_args(&["-s", "--", "sh", "-c", &script]);
        assert_eq!(exit, Exit::Code(code), "stderr: {err}");
        assert_eq!(err, "", "no messages at the default level");
    }
}

#[test]
fn e_remaps_each_listed_code_to_zero() {
    skip_under_emulation!(NO_SUBREAPER);
    let remap = ["-s", "-e", "3", "-e", "143", "-e0", "--", "sh", "-c"];
    let with = |script: &str| {
        let mut args = remap.to_vec();
        args.push(script);
        run_args(&args).0
    };
    assert_eq!(with("exit 3"), Exit::Code(0));
    assert_eq!(with("exit 0"), Exit::Code(0));
    assert_eq!(with("exit 4"), Exit::Code(4));
    assert_eq!(with("exit 142"), Exit::Code(142));
    // 128 + SIGTERM = 143 is remapped too; 128 + SIGUSR1 = 138 is not.
    assert_eq!(with("kill -TERM $$"), Exit::Code(0));
    assert_eq!(with("kill -USR1 $$"), Exit::Code(138));
    // Every value 0..=255 is accepted; 256 and words are not.
    for code in [0, 1, 127, 254, 255] {
        let (exit, _, err) = run_args(&[
            "-s",
            "-e",
            &code.to_string(),
            "--",
            "sh",
            "-c",
            &format!("exit {code}"),
        ]);
        assert_eq!(exit, Exit::Code(0), "{code}: {err}");
    }
}

#[test]
fn forwards_signals_and_exits_128_plus_the_signal() {
    skip_under_emulation!(NO_SUBREAPER);
    let rtmin2 = daemonry::Signal::RTMIN.as_raw() + 2;
    for sig in [
        libc::SIGTERM,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGALRM,
        rtmin2,
    ] {
        let mut r = Running::start(&mut cmd(&[
            "-s",
            "-vv",
            "--",
            "sh",
            "-c",
            "echo ready; exec sleep 1000",
        ]));
        assert_eq!(r.line(), "ready");
        r.signal(sig);
        let name = daemonry::signal_name(sig).unwrap().to_string();
        r.err_until(&format!("Passing signal: '{name}'"));
        let (exit, err) = r.finish();
        // daemonry-init itself was not killed: it exited with 128 + sig.
        assert_eq!(exit, Exit::Code(128 + sig), "{name}: {err}");
        assert!(
            err.contains(&format!(
                "Main child exited with signal (with signal '{name}')"
            )),
            "{name}: {err}"
        );
    }
}

/// `sh` that starts `sleep` in a subshell and lets the subshell exit, so
/// that `sleep` is orphaned; prints `sleep`'s pid, then "orphaned" once the
/// subshell is gone, then waits for a line on stdin.
const ORPHAN_SCRIPT: &str =
    "(sleep 1000 </dev/null >/dev/null 2>&1 & echo $!); echo orphaned; read x";

#[test]
fn orphaned_grandchild_is_reaped_as_a_subreaper() {
    skip_under_emulation!(NO_SUBREAPER);
    let mut c = cmd(&["-s", "-w", "--", "sh", "-c", ORPHAN_SCRIPT]);
    c.stdin(Stdio::piped());
    let mut r = Running::start(&mut c);
    let g: i32 = r.line().parse().unwrap();
    assert_eq!(r.line(), "orphaned");
    // The kernel gave the orphan to daemonry-init (the subreaper).
    assert_eq!(proc_status(g)["PPid"], r.pid().to_string());
    // SAFETY: kill on the orphan's pid (alive: its parent has not reaped it).
    unsafe { libc::kill(g, libc::SIGKILL) };
    r.err_until(&format!("Reaped zombie process with pid={g}"));
    // Reaped: no zombie left behind.
    assert_eq!(proc_state(g), None, "pid {g} is still in /proc");
    // The main child is still running: daemonry-init did not exit on the orphan.
    assert!(r.child.try_wait().unwrap().is_none());
    r.child.stdin.take().unwrap().write_all(b"done\n").unwrap();
    let (exit, err) = r.finish();
    assert_eq!(exit, Exit::Code(0), "{err}");
}

/// A child of process `parent` (the one `unshare --fork` starts).
fn child_of(parent: i32) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|&p| {
            std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok()
                && proc_stat(p).get(3) == Some(&parent.to_string())
        })
}

/// The host pid of the process whose pid is `ns_pid` in the PID namespace
/// of host process `member`.
fn host_pid(ns_pid: i32, member: i32) -> Option<i32> {
    let ns = std::fs::read_link(format!("/proc/{member}/ns/pid")).ok()?;
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        if std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()? != ns {
            return None;
        }
        let last = proc_status(pid)
            .get("NSpid")?
            .split_whitespace()
            .last()?
            .to_string();
        (last == ns_pid.to_string()).then_some(pid)
    })
}

#[test]
fn pid_1_of_a_pid_namespace_reaps_orphans_without_warning() {
    require_root!();
    let mut c = Command::new("unshare");
    c.args(["--pid", "--fork", "--"])
        .arg(init_bin())
        .args(["-w", "--", "sh", "-c"])
        .arg(format!("echo $PPID; {ORPHAN_SCRIPT}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut r = Running::start(&mut c);
    // daemonry-init is PID 1 in the namespace: its program's parent is 1.
    assert_eq!(r.line(), "1");
    let g_ns: i32 = r.line().parse().unwrap();
    assert_eq!(r.line(), "orphaned");
    // daemonry-init's host pid: the child of `unshare`.
    let init = child_of(r.pid()).expect("daemonry-init under unshare");
    let nspid = proc_status(init)["NSpid"].clone();
    assert_eq!(
        nspid.split_whitespace().last(),
        Some("1"),
        "PID 1 inside: {nspid}"
    );
    let g = host_pid(g_ns, init).expect("the orphan's host pid");
    assert_eq!(
        proc_status(g)["PPid"],
        init.to_string(),
        "re-parented to PID 1"
    );
    // SAFETY: kill on the orphan (a live process of ours).
    unsafe { libc::kill(g, libc::SIGKILL) };
    let seen = r.err_until(&format!("Reaped zombie process with pid={g_ns}"));
    assert_eq!(proc_state(g), None, "the orphan left a zombie");
    r.child.stdin.take().unwrap().write_all(b"done\n").unwrap();
    let (exit, rest) = r.finish();
    assert_eq!(exit, Exit::Code(0), "{seen}{rest}");
    assert!(!format!("{seen}{rest}").contains("not running as PID 1"));
}

/// `sh` with a background `sleep` in its process group; prints the sleep's
/// pid and waits. (The sleep's output goes elsewhere so that a surviving
/// sleep does not hold daemonry-init's pipes open.)
const GROUP_SCRIPT: &str = "sleep 1000 </dev/null >/dev/null 2>&1 & echo $!; wait";

fn group_kill(args: &[&str], env: Option<(&str, &str)>) -> (Exit, i32, bool) {
    let mut c = cmd(args);
    if let Some((k, v)) = env {
        c.env(k, v);
    }
    let mut r = Running::start(&mut c);
    let g: i32 = r.line().parse().unwrap();
    let g_fd = pidfd(g);
    r.signal(libc::SIGTERM);
    let (exit, _) = r.finish();
    // With -g the sleep got SIGTERM too (its exit is under way once kill
    // returned); without, it lives on.
    let dead = exited(
        &g_fd,
        if args.contains(&"-g") || env.is_some() {
            10_000
        } else {
            0
        },
    );
    if !dead {
        // SAFETY: our test's own leftover process.
        unsafe { libc::kill(g, libc::SIGKILL) };
    }
    (exit, g, dead)
}

#[test]
fn g_signals_the_whole_process_group() {
    skip_under_emulation!(NO_SUBREAPER);
    let (exit, g, dead) = group_kill(&["-s", "-g", "--", "sh", "-c", GROUP_SCRIPT], None);
    assert_eq!(exit, Exit::Code(143));
    assert!(dead, "sleep {g} survived -g");
    let (exit, g, dead) = group_kill(
        &["-s", "--", "sh", "-c", GROUP_SCRIPT],
        Some(("TINI_KILL_PROCESS_GROUP", "1")),
    );
    assert_eq!(exit, Exit::Code(143));
    assert!(dead, "sleep {g} survived TINI_KILL_PROCESS_GROUP");
    // Without -g only the child is signalled.
    let (exit, g, dead) = group_kill(&["-s", "--", "sh", "-c", GROUP_SCRIPT], None);
    assert_eq!(exit, Exit::Code(143));
    assert!(!dead, "sleep {g} died without -g");
}

#[test]
fn warns_when_neither_pid_1_nor_a_subreaper_and_carries_on() {
    skip_under_emulation!(NO_SUBREAPER);
    let (exit, _, err) = run_args(&["--", "sh", "-c", "exit 5"]);
    assert_eq!(exit, Exit::Code(5));
    let pid_prefix = err.split("] ").next().unwrap_or("");
    assert!(pid_prefix.starts_with("[WARN  daemonry-init ("), "{err}");
    assert_eq!(
        err.split_once("] ").map(|x| x.1),
        Some(REAPER_WARNING),
        "{err}"
    );
    // -s, TINI_SUBREAPER and TINI_VERBOSITY=0 each silence it.
    assert_eq!(run_args(&["-s", "true"]).2, "");
    assert_eq!(run(cmd(&["true"]).env("TINI_SUBREAPER", "")).2, "");
    assert_eq!(run(cmd(&["true"]).env("TINI_VERBOSITY", "0")).2, "");
}

/// (SigBlk, SigIgn) from a `/proc/self/status` text.
fn masks(out: &str) -> (u64, u64) {
    let field = |name: &str| {
        let v = out
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {out}"));
        u64::from_str_radix(v.trim(), 16).unwrap()
    };
    (field("SigBlk:"), field("SigIgn:"))
}

/// The signal masks `cat /proc/self/status` sees when run directly by a
/// `Command` set up by `setup`, and when run by daemonry-init started the same
/// way: the program must see exactly what daemonry-init inherited.
fn masks_direct_and_under_init(setup: fn(&mut Command)) -> ((u64, u64), (u64, u64)) {
    let mut direct = Command::new("cat");
    direct.arg("/proc/self/status");
    setup(&mut direct);
    let (exit, out, _) = run(&mut direct);
    assert_eq!(exit, Exit::Code(0));
    let mut under = cmd(&["-s", "--", "cat", "/proc/self/status"]);
    setup(&mut under);
    let (exit, out2, err) = run(&mut under);
    assert_eq!(exit, Exit::Code(0), "{err}");
    (masks(&out), masks(&out2))
}

/// A parent that ignores SIGINT and blocks SIGTERM before exec.
fn ignore_int_block_term(c: &mut Command) {
    // SAFETY: async-signal-safe libc calls between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
}

/// A parent that ignores SIGCHLD.
fn ignore_chld(c: &mut Command) {
    // SAFETY: an async-signal-safe libc call between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            Ok(())
        });
    }
}

/// std's fork path, with nothing changed. (Without a `pre_exec` hook std
/// uses `posix_spawn`, where glibc leaves its internal signals 32 and 33
/// ignored in the new process: that too is passed on unchanged, as the
/// comparison in `plain_spawn` shows.)
fn fork_path(c: &mut Command) {
    // SAFETY: the hook does nothing.
    unsafe { c.pre_exec(|| Ok(())) };
}

#[test]
fn program_gets_exactly_the_signal_configuration_the_init_inherited() {
    skip_under_emulation!(NO_SUBREAPER);
    // daemonry-init blocks almost every signal for itself; none of it may leak.
    // (`base_ign` is what the test runner passes on: glibc's internal
    // signal 32 shows up ignored here.)
    let (direct, under) = masks_direct_and_under_init(fork_path);
    let base_ign = direct.1;
    assert_eq!(direct.0, 0);
    assert_eq!(under, direct);
    let (direct, under) = masks_direct_and_under_init(|_| {});
    assert_eq!(under, direct, "posix_spawn path");
    // The parent ignores SIGINT and blocks SIGTERM before exec'ing daemonry-init.
    let (direct, under) = masks_direct_and_under_init(ignore_int_block_term);
    assert_eq!(direct, (bit(libc::SIGTERM), base_ign | bit(libc::SIGINT)));
    assert_eq!(under, direct);
    // A parent that ignores SIGCHLD: the program still gets it ignored...
    let (direct, under) = masks_direct_and_under_init(ignore_chld);
    assert_eq!(direct, (0, base_ign | bit(libc::SIGCHLD)));
    assert_eq!(under, direct);
    // ...and daemonry-init still sees its child exit (tini would wait forever:
    // with SIGCHLD ignored the kernel reaps children by itself).
    let mut c = cmd(&["-s", "--", "sh", "-c", "exit 9"]);
    ignore_chld(&mut c);
    assert_eq!(run(&mut c).0, Exit::Code(9));
}

#[test]
fn p_sets_the_parent_death_signal() {
    skip_under_emulation!(NO_SUBREAPER);
    require_root!();
    let dk = init_bin().to_str().unwrap().to_string();
    // In a forked helper A (a subreaper, so daemonry-init comes back to it): A
    // runs `sh` P, which starts daemonry-init -p SIGUSR1 in the background and
    // waits for a line. When P exits, daemonry-init gets SIGUSR1 and forwards it
    // to its program, which dies of it: daemonry-init exits 128 + 10.
    common::in_child(move || {
        daemonry::process::set_child_subreaper(true).map_err(|e| e.to_string())?;
        let script = format!(
            "{dk} -p SIGUSR1 -s -- sh -c 'echo ready; exec sleep 1000' & echo pid=$!; read x"
        );
        let mut p = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut out = BufReader::new(p.stdout.take().unwrap());
        let mut pid = None;
        let mut ready = false;
        while pid.is_none() || !ready {
            let mut l = String::new();
            if out.read_line(&mut l).map_err(|e| e.to_string())? == 0 {
                return Err("P's stdout ended".into());
            }
            match l.trim_end().strip_prefix("pid=") {
                Some(n) => pid = n.parse::<i32>().ok(),
                None => ready |= l.trim_end() == "ready",
            }
        }
        let init_pid = pid.unwrap();
        let status = proc_status(init_pid);
        if status["PPid"] != p.id().to_string() {
            return Err(format!("daemonry-init's parent is {}", status["PPid"]));
        }
        // P exits: daemonry-init's parent dies.
        drop(p.stdin.take());
        p.wait().map_err(|e| e.to_string())?;
        // daemonry-init has been re-parented to us.
        let exit = daemonry::process::wait_for(daemonry::Pid::from_raw(init_pid).unwrap())
            .map_err(|e| e.to_string())?;
        match exit {
            daemonry::process::ChildExit::Exited(138) => Ok(()),
            other => Err(format!("daemonry-init ended with {other:?}")),
        }
    });
}

#[test]
fn w_warns_only_for_processes_other_than_the_child() {
    skip_under_emulation!(NO_SUBREAPER);
    // The child itself is never reported as a zombie.
    let (exit, _, err) = run_args(&["-s", "-w", "--", "sh", "-c", "exit 0"]);
    assert_eq!(exit, Exit::Code(0));
    assert_eq!(err, "");
}

#[test]
fn program_runs_in_its_own_process_group() {
    skip_under_emulation!(NO_SUBREAPER);
    let (exit, out, _) = run_args(&["-s", "--", "cat", "/proc/self/stat"]);
    assert_eq!(exit, Exit::Code(0));
    let open = out.rfind(')').unwrap();
    let fields: Vec<&str> = out[open + 2..].split_whitespace().collect();
    let pid: &str = out.split_whitespace().next().unwrap();
    // proc(5): field 5 is the process group (index 2 after the comm).
    assert_eq!(fields[2], pid, "the program leads its own group");
    assert_ne!(fields[2], std::process::id().to_string());
}

#[test]
fn terminal_foreground_goes_to_the_program() {
    skip_under_emulation!(NO_SUBREAPER);
    // SAFETY: libc pty setup on a fresh master fd.
    let (master, slave) = unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(m >= 0);
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        (m, std::ffi::CStr::from_ptr(libc::ptsname(m)).to_owned())
    };
    let mut c = cmd(&["-s", "--", "cat", "/proc/self/stat"]);
    // SAFETY: async-signal-safe calls between fork and exec: a new session
    // whose controlling terminal is the pty slave, on stdin.
    unsafe {
        c.pre_exec(move || {
            libc::setsid();
            let fd = libc::open(slave.as_ptr(), libc::O_RDWR);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::ioctl(fd, libc::TIOCSCTTY, 0);
            libc::dup2(fd, 0);
            Ok(())
        });
    }
    let (exit, out, err) = run(&mut c);
    // SAFETY: our master fd.
    unsafe { libc::close(master) };
    assert_eq!(exit, Exit::Code(0), "{err}");
    let pid = out.split_whitespace().next().unwrap().to_string();
    let open = out.rfind(')').unwrap();
    let fields: Vec<&str> = out[open + 2..].split_whitespace().collect();
    // proc(5) fields 5 (pgrp), 6 (session), 7 (tty), 8 (tpgid).
    assert_eq!(fields[2], pid, "own group");
    assert_ne!(fields[4], "0", "has the terminal");
    assert_eq!(fields[5], pid, "its group is the terminal's foreground");
}

#[test]
fn exec_failures_exit_127_and_126_like_tini() {
    skip_under_emulation!(NO_SUBREAPER);
    let (exit, _, err) = run_args(&["-s", "--", "/nonexistent/prog"]);
    assert_eq!(exit, Exit::Code(127));
    assert!(
        err.contains("] exec /nonexistent/prog failed: No such file or directory\n"),
        "{err}"
    );
    assert!(err.starts_with("[FATAL daemonry-init ("), "{err}");
    let (exit, _, _) = run_args(&["-s", "--", "no-such-program-anywhere"]);
    assert_eq!(exit, Exit::Code(127));
    let dir = common::TempDir::new("daemonry-init-exec");
    let script = dir.path().join("not-executable");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    let (exit, _, err) = run_args(&["-s", "--", script.to_str().unwrap()]);
    assert_eq!(exit, Exit::Code(126));
    assert!(err.contains("failed: Permission denied"), "{err}");
    // PATH is searched for a bare name.
    assert_eq!(run_args(&["-s", "true"]).0, Exit::Code(0));
    assert_eq!(run_args(&["-s", "false"]).0, Exit::Code(1));
}

#[test]
fn command_line_like_tini() {
    skip_under_emulation!(NO_SUBREAPER);
    let (exit, out, err) = run_args(&["-h"]);
    assert_eq!(exit, Exit::Code(0));
    assert!(
        out.starts_with("daemonry-init (daemonry-init version "),
        "{out}"
    );
    assert!(out.contains("Usage: daemonry-init [OPTIONS] [--] PROGRAM [ARGS] | --version"));
    assert!(out.contains("  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0"));
    assert!(out.contains("  TINI_KILL_PROCESS_GROUP: "));
    assert_eq!(err, "");
    let (exit, out, _) = run_args(&["--version"]);
    assert_eq!(
        (exit, out.starts_with("daemonry-init version ")),
        (Exit::Code(0), true)
    );
    let (exit, out, _) = run_args(&["-l"]);
    assert_eq!((exit, out.contains("MIT")), (Exit::Code(0), true));
    // No program: usage on stderr, status 1.
    let (exit, out, err) = run_args(&[]);
    assert_eq!((exit, out.as_str()), (Exit::Code(1), ""));
    assert!(err.contains("Usage: daemonry-init"), "{err}");
    let dk = init_bin().to_str().unwrap();
    for (args, first_line) in [
        (&["-x", "true"][..], format!("{dk}: invalid option -- 'x'")),
        (
            &["-p"][..],
            format!("{dk}: option requires an argument -- 'p'"),
        ),
        (
            &["--group", "x", "true"][..],
            format!("{dk}: unrecognized option '--group'"),
        ),
        (
            &["--close-fds=1", "true"][..],
            format!("{dk}: unrecognized option '--close-fds=1'"),
        ),
    ] {
        let (exit, _, err) = run_args(args);
        assert_eq!(exit, Exit::Code(1), "{args:?}");
        assert_eq!(err.lines().next(), Some(first_line.as_str()), "{args:?}");
        assert!(err.contains("Usage: daemonry-init"), "{args:?}");
    }
    for (args, msg) in [
        (&["-e", "256", "true"][..], "Not a valid option for -e: 256"),
        (
            &["-p", "SIGFOO", "true"][..],
            "Not a valid option for -p: SIGFOO",
        ),
    ] {
        let (exit, _, err) = run_args(args);
        assert_eq!(exit, Exit::Code(1), "{args:?}");
        assert!(err.starts_with("[FATAL daemonry-init ("), "{err}");
        assert!(err.ends_with(&format!("] {msg}\n")), "{err}");
        assert!(!err.contains("Usage"), "{err}");
    }
    // Options stop at PROGRAM: its own options are left alone.
    let (exit, out, _) = run_args(&["-s", "echo", "-v", "-e", "x"]);
    assert_eq!((exit, out.as_str()), (Exit::Code(0), "-v -e x\n"));
}

#[test]
fn verbosity_levels_and_tini_verbosity() {
    skip_under_emulation!(NO_SUBREAPER);
    let lines = |args: &[&str], env: Option<&str>| {
        let mut c = cmd(args);
        if let Some(v) = env {
            c.env("TINI_VERBOSITY", v);
        }
        let (exit, _, err) = run(&mut c);
        assert_eq!(exit, Exit::Code(0), "{err}");
        err.lines()
            .map(|l| l.split(" daemonry-init").next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let prog = ["--", "true"];
    let with = |flags: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["-s"];
        v.extend_from_slice(flags);
        v.extend_from_slice(&prog);
        v
    };
    assert!(lines(&with(&[]), None).is_empty());
    let info = lines(&with(&["-v"]), None);
    assert!(info.contains(&"[INFO ".to_string()) && !info.contains(&"[DEBUG".to_string()));
    let debug = lines(&with(&["-vv"]), None);
    assert!(debug.contains(&"[DEBUG".to_string()) && !debug.contains(&"[TRACE".to_string()));
    let trace = lines(&with(&["-vvv"]), None);
    assert!(trace.contains(&"[TRACE".to_string()));
    // TINI_VERBOSITY overrides -v.
    let env3 = lines(&with(&["-v"]), Some("3"));
    assert!(env3.contains(&"[DEBUG".to_string()) && !env3.contains(&"[TRACE".to_string()));
    assert!(lines(&with(&["-vvv"]), Some("0")).is_empty());
    // The spawn message names the program and its pid.
    let (_, _, err) = run_args(&with(&["-v"]));
    assert!(
        err.contains("] Spawned child process 'true' with pid '"),
        "{err}"
    );
    assert!(
        err.contains("] Main child exited normally (with status '0')"),
        "{err}"
    );
}

#[test]
fn close_fds_closes_inherited_fds_only_when_asked() {
    skip_under_emulation!(NO_SUBREAPER);
    let fds_seen = |extra: &[&str]| {
        let mut args = vec!["-s"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "ls", "/proc/self/fd"]);
        let mut c = cmd(&args);
        // SAFETY: async-signal-safe dup2 between fork and exec: fd 7 is
        // an inherited (not close-on-exec) copy of stderr.
        unsafe {
            c.pre_exec(|| {
                libc::dup2(2, 7);
                Ok(())
            });
        }
        let (exit, out, err) = run(&mut c);
        assert_eq!(exit, Exit::Code(0), "{err}");
        out.split_whitespace()
            .map(|s| s.parse::<i32>().unwrap())
            .collect::<Vec<_>>()
    };
    assert!(fds_seen(&[]).contains(&7), "inherited by default (tini)");
    let closed = fds_seen(&["--close-fds"]);
    assert!(!closed.contains(&7), "{closed:?}");
    assert!(closed.starts_with(&[0, 1, 2]), "{closed:?}");
}

// == The extras (cargo features `user` and `pidfile`, off by default) ==

fn extras(args: &[&str]) -> Command {
    let mut c = Command::new(init_extras());
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// A `/proc/<pid>/status` line of ids ("Uid:", "Gid:", "Groups:") in
/// `text`, as numbers.
fn ids(text: &str, field: &str) -> Vec<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

#[test]
fn user_extra_runs_the_program_with_the_users_credentials() {
    skip_under_emulation!(NO_SUBREAPER);
    require_root!();
    // The program is nobody; daemonry-init itself (its parent) stays root.
    let script = "cat /proc/self/status; echo ===; cat /proc/$PPID/status";
    let (exit, out, err) = run(&mut extras(&[
        "-s", "--user", "nobody", "--", "sh", "-c", script,
    ]));
    assert_eq!(exit, Exit::Code(0), "{err}");
    let (program, init) = out.split_once("===").unwrap();
    assert_eq!(ids(program, "Uid:"), [65534; 4]);
    assert_eq!(ids(program, "Gid:"), [65534; 4]);
    assert_eq!(ids(program, "Groups:"), [65534]);
    assert_eq!(ids(init, "Uid:"), [0; 4]);
    // USER:GROUP with numbers: daemon's uid, nogroup's gid, groups = [gid].
    let (exit, out, err) = run(&mut extras(&[
        "-s",
        "--user=1:65534",
        "--",
        "cat",
        "/proc/self/status",
    ]));
    assert_eq!(exit, Exit::Code(0), "{err}");
    assert_eq!(ids(&out, "Uid:"), [1; 4]);
    assert_eq!(ids(&out, "Gid:"), [65534; 4]);
    assert_eq!(ids(&out, "Groups:"), [65534]);
    // An unknown user: the program never runs; daemonry-init says why.
    let (exit, out, err) = run(&mut extras(&[
        "-s",
        "--user",
        "no-such-user-here",
        "--",
        "echo",
        "ran",
    ]));
    assert_eq!((exit, out.as_str()), (Exit::Code(1), ""));
    assert!(err.contains("] Failed to drop privileges: "), "{err}");
    assert!(err.contains("unknown user 'no-such-user-here'"), "{err}");
    // Off unless asked: without --user the program keeps daemonry-init's ids.
    let (_, out, _) = run(&mut extras(&["-s", "--", "cat", "/proc/self/status"]));
    assert_eq!(ids(&out, "Uid:"), [0; 4]);
}

#[test]
fn pidfile_extra_holds_a_lock_with_the_inits_pid() {
    skip_under_emulation!(NO_SUBREAPER);
    let dir = common::TempDir::new("daemonry-init-pidfile");
    let pidfile = dir.path().join("init.pid");
    let p = pidfile.to_str().unwrap();
    let script = format!("cat {p}; read x");
    let mut c = extras(&["-s", "--pidfile", p, "--", "sh", "-c", &script]);
    c.stdin(Stdio::piped());
    let mut r = Running::start(&mut c);
    // The file holds daemonry-init's own pid (signal it; it forwards).
    assert_eq!(r.line(), r.pid().to_string());
    // A second daemonry-init with the same pidfile refuses to start: 73.
    let (exit, out, err) = run(&mut extras(&[
        "-s",
        &format!("--pidfile={p}"),
        "echo",
        "ran",
    ]));
    assert_eq!((exit, out.as_str()), (Exit::Code(73), ""));
    assert!(
        err.contains(&format!("] Failed to create pidfile '{p}': ")),
        "{err}"
    );
    assert!(err.contains(&format!("locked by pid {}", r.pid())), "{err}");
    r.child.stdin.take().unwrap().write_all(b"done\n").unwrap();
    let (exit, err) = r.finish();
    assert_eq!(exit, Exit::Code(0), "{err}");
    // Released and removed when daemonry-init exits.
    assert!(!pidfile.exists());
    // The program does not inherit the lock's fd: it sees the same fds as
    // without --pidfile (whatever the test runner passes on, e.g. cargo's
    // jobserver pipes).
    let fds = |args: &[&str]| {
        let (exit, out, err) = run(&mut extras(args));
        assert_eq!(exit, Exit::Code(0), "{err}");
        out
    };
    let with = fds(&["-s", "--pidfile", p, "--", "ls", "/proc/self/fd"]);
    assert_eq!(with, fds(&["-s", "--", "ls", "/proc/self/fd"]));
    // An unwritable place: 73 with the reason.
    let (exit, _, err) = run(&mut extras(&[
        "-s",
        "--pidfile",
        "/nonexistent-dir/x.pid",
        "true",
    ]));
    assert_eq!(exit, Exit::Code(73));
    assert!(err.contains("No such file or directory"), "{err}");
}

#[test]
fn extras_binary_is_still_far_smaller_than_tini_static() {
    let size = std::fs::metadata(init_extras()).unwrap().len();
    // tini-static is 708,080 bytes.
    assert!(
        size * 10 < 708_080,
        "daemonry-init with extras: {size} bytes"
    );
}

#[test]
fn pid_1_forwards_signals_it_would_otherwise_never_receive() {
    require_root!();
    // The kernel drops signals to PID 1 that it has no handler for; daemonry-init
    // blocks them and takes them with sigtimedwait, so they still arrive.
    let mut c = Command::new("unshare");
    c.args(["--pid", "--fork", "--"])
        .arg(init_bin())
        .args(["--", "sh", "-c", "echo ready; exec sleep 1000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut r = Running::start(&mut c);
    assert_eq!(r.line(), "ready");
    let init = child_of(r.pid()).expect("daemonry-init under unshare");
    // SAFETY: kill on daemonry-init (our grandchild, alive).
    assert_eq!(unsafe { libc::kill(init, libc::SIGTERM) }, 0);
    let (exit, err) = r.finish();
    // unshare exits with its child's status: daemonry-init's 128 + SIGTERM.
    assert_eq!(exit, Exit::Code(143), "{err}");
}

// daemonry-init's own messages to a closed pipe: the SIGPIPE its write
// raises is its own, never the program's.

/// Whether daemonry-init (`pid`) comes to rest within 10 s: asleep (in
/// sigtimedwait, its only blocking call once the program runs) with no
/// signal pending. Nothing the init prints can say so (its stderr is a
/// closed pipe here), hence a bounded poll of `/proc`.
fn init_settles(pid: i32) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let st = proc_status(pid);
        let field = |name: &str| st.get(name).map_or("", String::as_str);
        if field("State").starts_with('S')
            && field("SigPnd").trim_start_matches('0').is_empty()
            && field("ShdPnd").trim_start_matches('0').is_empty()
        {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    false
}

/// CPU time daemonry-init (`pid`) uses over half a second of the
/// program's life, in clock ticks (user + system): none when it waits as it
/// should, most of the window when it spins.
fn cpu_ticks_over_half_a_second(pid: i32) -> u64 {
    let ticks = || {
        let st = proc_stat(pid);
        st[13].parse::<u64>().expect("utime") + st[14].parse::<u64>().expect("stime")
    };
    let before = ticks();
    // A measuring window, not synchronisation.
    std::thread::sleep(std::time::Duration::from_millis(500));
    ticks() - before
}

/// Runs `daemonry-init ARGS -- cat` with stderr a pipe whose reading end is
/// already closed (`init … 2>&1 | (exec 0<&-; …)`), SIGPIPE ignored when
/// `ignore_sigpipe`; echoes two lines through `cat`, the second once the
/// init has settled, then closes cat's stdin. Returns how daemonry-init
/// ended and the CPU ticks it used in half a second while cat ran.
fn run_with_closed_stderr(args: &[&str], ignore_sigpipe: bool) -> (Exit, u64) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut c = Command::new(init_bin());
    c.args(args)
        .args(["--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(writer);
    if ignore_sigpipe {
        // SAFETY: signal(2) is async-signal-safe; only the child changes.
        unsafe {
            c.pre_exec(|| {
                libc::signal(libc::SIGPIPE, libc::SIG_IGN);
                Ok(())
            });
        }
    }
    let mut child = c.spawn().expect("spawn daemonry-init");
    drop(c);
    let pid = child.id() as i32;
    let mut stdin = child.stdin.take().expect("stdin piped");
    let mut out = BufReader::new(child.stdout.take().expect("stdout piped"));
    let mut echo = |text: &str| {
        writeln!(stdin, "{text}").expect("write to cat");
        let mut line = String::new();
        out.read_line(&mut line).expect("read from cat");
        line
    };
    assert_eq!(echo("one"), "one\n", "cat died before its first line");
    let settled = init_settles(pid);
    let ticks = cpu_ticks_over_half_a_second(pid);
    let second = echo("two");
    drop(stdin);
    if !settled {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait daemonry-init");
    assert!(
        settled,
        "daemonry-init never came to rest: it keeps taking signals (its own SIGPIPEs)"
    );
    assert_eq!(second, "two\n", "cat died once daemonry-init had settled");
    (exit_of(status), ticks)
}

#[test]
fn sigpipe_from_the_inits_own_log_write_is_not_forwarded() {
    // Its first message (the subreaper warning; `-v` adds the spawn) goes
    // to the closed pipe: EPIPE and a SIGPIPE for daemonry-init, which
    // blocks it like every signal; taking it from the queue and forwarding
    // it killed cat (141) where tini exits 0. (No `-s`: it works under
    // qemu-user too.)
    let (exit, _) = run_with_closed_stderr(&["-v"], false);
    assert_eq!(exit, Exit::Code(0));
}

#[test]
fn ignored_sigpipe_and_debug_messages_do_not_spin() {
    // With SIGPIPE ignored (but blocked, so still queued) and `-v -v`, each
    // forwarded SIGPIPE's debug message raised the next one: a loop at
    // full speed for the program's whole life. Now the first EPIPE ends
    // the messages and its SIGPIPE is taken back.
    let (exit, ticks) = run_with_closed_stderr(&["-v", "-v"], true);
    assert_eq!(exit, Exit::Code(0));
    // Idle is 0 ticks; a spin takes most of the 50 ticks of the window
    // (still well above 5 when sharing a loaded core).
    assert!(
        ticks <= 5,
        "daemonry-init used {ticks} ticks in 0.5 s: it spins"
    );
}
