//! Process titles, judged from outside through `/proc/<pid>/comm`,
//! `/proc/<pid>/cmdline`, `/proc/<pid>/environ` and `ps`.
//!
//! Each test forks a child of the test binary, so the child's argv area is
//! the test binary's command line: at least its path,
//! `…/target/<profile>/deps/title-<16 hex digits>`, which is comfortably
//! longer than the short titles used here. Tests that need a given length
//! ask `argv_capacity()` in the child and build titles relative to it, so
//! they hold for any command line.
#![allow(unsafe_code)] // common's fork helpers.

mod common;

use common::{proc_cmdline, spawn};
use daemonry::title::{argv_capacity, name};
use daemonry::{ErrorKind, Title, set_mp_process_title, set_name, set_process_title, set_title};

fn comm(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap()
}

fn environ(pid: i32) -> Vec<u8> {
    std::fs::read(format!("/proc/{pid}/environ")).unwrap()
}

fn with_nul(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

#[test]
fn set_name_truncates_to_15_bytes_on_a_char_boundary() {
    let mut c = spawn(|ctl| {
        set_name("abcdefghijklmnopqrstuvwxyz").map_err(s)?;
        let raw = name().map_err(s)?;
        if &raw[..] != b"abcdefghijklmno\0" {
            return Err(format!("name() = {raw:?}"));
        }
        ctl.pause();
        // 9 two-byte characters: 15 bytes would split the eighth.
        set_name("ééééééééé".as_bytes()).map_err(s)?;
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    assert_eq!(comm(c.pid), "abcdefghijklmno\n");
    c.resume();
    c.wait_paused();
    assert_eq!(comm(c.pid), "ééééééé\n");
    c.resume();
    c.finish().unwrap();
}

#[test]
fn set_name_rejects_nul_and_changes_nothing() {
    let mut c = spawn(|ctl| {
        set_name(b"before").map_err(s)?;
        let e = set_name(b"a\0b").unwrap_err();
        if e.kind() != ErrorKind::InvalidInput || e.op() != daemonry::Op::SetName {
            return Err(format!("{e:?}"));
        }
        // Within the comm name's 15 bytes, and past them.
        for (progname, info) in [("a\0b", None), ("a", Some("0123456789abcdef\0"))] {
            let e = set_process_title(progname, info).unwrap_err();
            if e.kind() != ErrorKind::InvalidInput || e.op() != daemonry::Op::SetProcessTitle {
                return Err(format!("{e:?}"));
            }
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    assert_eq!(comm(c.pid), "before\n");
    c.resume();
    c.finish().unwrap();
}

#[test]
fn set_process_title_shows_in_cmdline_comm_and_ps() {
    skip_under_emulation!(common::emu::PROC_STAT);
    let mut c = spawn(|ctl| {
        let cap = argv_capacity().map_err(s)?;
        if cap < 15 {
            return Err(format!("argv area too small for this test: {cap}"));
        }
        ctl.pause();
        let t = set_process_title("worker", Some("-A app")).map_err(s)?;
        if t != "[worker] -A app" || t.shown() != "[worker] -A app" || t.is_truncated() {
            return Err(format!("returned {t:?}"));
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    let env_before = environ(c.pid);
    assert!(!proc_cmdline(c.pid).starts_with(b"[worker]"));
    c.resume();
    c.wait_paused();
    assert_eq!(proc_cmdline(c.pid), with_nul("[worker] -A app"));
    assert_eq!(comm(c.pid), "[worker] -A app\n");
    assert_eq!(environ(c.pid), env_before, "environ changed");

    let out = std::process::Command::new("ps")
        .args(["-o", "pid,comm,args", "-p", &c.pid.to_string()])
        .output()
        .expect("run ps");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("ps said {text:?}"));
    assert_eq!(line.split_whitespace().next(), Some(&*c.pid.to_string()));
    // Both the comm and the args column show the title.
    assert_eq!(
        line.matches("[worker] -A app").count(),
        2,
        "ps line {line:?}"
    );
    assert!(
        line.trim_end().ends_with("[worker] -A app"),
        "ps line {line:?}"
    );
    c.resume();
    c.finish().unwrap();
}

#[test]
fn long_title_is_truncated_and_never_writes_past_the_argv_area() {
    skip_under_emulation!(common::emu::PROC_STAT);
    let mut c = spawn(|ctl| {
        let cap = argv_capacity().map_err(s)?;
        ctl.send(&cap.to_string());
        ctl.pause();
        let info = "x".repeat(cap + 100);
        let t = set_process_title("worker", Some(&info)).map_err(s)?;
        let want = format!("[worker] {info}");
        if t.as_str() != &want[..want.len().min(Title::CAPACITY)] {
            return Err(format!("title {t:?}"));
        }
        if t.shown() != &want[..cap] || !t.is_truncated() {
            return Err(format!("shown {:?}, cap {cap}: {t:?}", t.shown()));
        }
        ctl.pause();
        Ok(())
    });
    let cap: usize = c.recv().unwrap().parse().unwrap();
    c.wait_paused();
    let env_before = environ(c.pid);
    let stat_before = common::proc_stat(c.pid);
    assert_eq!(proc_cmdline(c.pid).len(), cap + 1, "argv area size");
    c.resume();
    c.wait_paused();
    let want = format!("[worker] {}", "x".repeat(cap + 100));
    assert_eq!(proc_cmdline(c.pid), with_nul(&want[..cap]));
    assert_eq!(environ(c.pid), env_before, "environ changed");
    // arg_start, arg_end, env_start, env_end (proc(5) fields 48–51).
    assert_eq!(common::proc_stat(c.pid)[47..51], stat_before[47..51]);
    c.resume();
    c.finish().unwrap();
}

#[test]
fn titles_that_fit_exactly_or_one_short_read_back_exactly() {
    skip_under_emulation!(common::emu::PROC_STAT);
    let mut c = spawn(|ctl| {
        let cap = argv_capacity().map_err(s)?;
        // "[" + progname + "]" fills the area but for its final NUL.
        let full = "p".repeat(cap - 2);
        let t = set_process_title(&full, None).map_err(s)?;
        if t.is_truncated() || t.shown() != t.as_str() {
            return Err(format!("a title that fits: {t:?}"));
        }
        ctl.send(t.as_str());
        ctl.pause();
        let short = "q".repeat(cap - 3);
        let t = set_process_title(&short, None).map_err(s)?;
        ctl.send(t.as_str());
        ctl.pause();
        Ok(())
    });
    let full = c.recv().unwrap();
    c.wait_paused();
    assert_eq!(proc_cmdline(c.pid), with_nul(&full));
    c.resume();
    let short = c.recv().unwrap();
    c.wait_paused();
    assert_eq!(proc_cmdline(c.pid), with_nul(&short));
    c.resume();
    c.finish().unwrap();
}

#[test]
fn a_shorter_title_leaves_nothing_of_the_longer_one() {
    skip_under_emulation!(common::emu::PROC_STAT);
    let mut c = spawn(|ctl| {
        set_process_title("a-rather-long-program", Some("with info")).map_err(s)?;
        set_process_title("w", None).map_err(s)?;
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    assert_eq!(proc_cmdline(c.pid), with_nul("[w]"));
    assert_eq!(comm(c.pid), "[w]\n");
    c.resume();
    c.finish().unwrap();
}

#[test]
fn set_title_shows_exactly_the_text() {
    skip_under_emulation!(common::emu::PROC_STAT);
    let mut c = spawn(|ctl| {
        let text = "myd: supervising x";
        if argv_capacity().map_err(s)? <= text.len() {
            return Err("argv area too small for this test".into());
        }
        let t = set_title(text).map_err(s)?;
        if t != text || t.shown() != text || t.is_truncated() {
            return Err(format!("returned {t:?}"));
        }
        if set_title("a\0b").map_err(|e| e.kind()) != Err(ErrorKind::InvalidInput) {
            return Err("a NUL byte was accepted".into());
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    assert_eq!(proc_cmdline(c.pid), with_nul("myd: supervising x"));
    // The comm name is the first 15 bytes.
    assert_eq!(comm(c.pid), "myd: supervisin\n");
    c.resume();
    c.finish().unwrap();
}

#[test]
fn celery_formats() {
    skip_under_emulation!(common::emu::PROC_STAT);
    let mut c = spawn(|ctl| {
        let cases = [
            (set_process_title("celeryd", None), "[celeryd]"),
            (set_process_title("celeryd", Some("")), "[celeryd]"),
            (
                set_mp_process_title("celeryd", Some("idle"), Some("w1@h"), "MainProcess"),
                "[celeryd: w1@h:MainProcess] idle",
            ),
            (
                set_mp_process_title("beat", None, None, "ForkPoolWorker-3"),
                "[beat:ForkPoolWorker-3]",
            ),
            (
                set_mp_process_title("beat", Some(""), Some(""), "P"),
                "[beat:P]",
            ),
        ];
        for (got, want) in cases {
            let got = got.map_err(s)?;
            if got != want {
                return Err(format!("got {got:?}, want {want:?}"));
            }
        }
        ctl.pause();
        Ok(())
    });
    c.wait_paused();
    assert_eq!(proc_cmdline(c.pid), with_nul("[beat:P]"));
    c.resume();
    c.finish().unwrap();
}

#[test]
fn std_env_args_reads_the_title_afterwards() {
    skip_under_emulation!(common::emu::PROC_STAT);
    common::in_child(|| {
        set_process_title("worker", None).map_err(s)?;
        let first = std::env::args().next();
        match first.as_deref() {
            Some("[worker]") => Ok(()),
            other => Err(format!("args()[0] = {other:?}")),
        }
    });
}

#[test]
fn title_longer_than_capacity_is_cut_and_flagged() {
    skip_under_emulation!(common::emu::PROC_STAT);
    common::in_child(|| {
        let info = "é".repeat(Title::CAPACITY);
        let t = set_process_title("w", Some(&info)).map_err(s)?;
        if !t.is_truncated() || t.as_str().len() > Title::CAPACITY || !t.as_str().ends_with('é') {
            return Err(format!("{t:?}"));
        }
        Ok(())
    });
}

/// The variable that makes [`helper`] act (set only for the re-executed
/// test binary of [`a_title_longer_than_a_tiny_argv_says_it_was_cut`]).
const HELPER_VAR: &str = "DAEMONRY_TITLE_HELPER";

/// The argv the helper process runs with: libtest's own arguments to run
/// just [`helper`], with a one-letter program name: 17 bytes of argv area,
/// so 16 bytes of title show.
const TINY_ARGV: [&str; 3] = ["t", "helper", "--exact"];

/// Does nothing in a normal run. Re-executed with [`TINY_ARGV`] and
/// [`HELPER_VAR`] set: sets a title longer than its argv area, writes what
/// came back to stdout (as one tab-separated `REPORT` line), and waits for
/// stdin to close so the parent can read `/proc/<pid>/cmdline` first.
#[test]
fn helper() {
    use std::io::{Read, Write};
    if std::env::var_os(HELPER_VAR).is_none() {
        return;
    }
    let cap = argv_capacity().unwrap();
    let t = set_process_title("myd", Some("echo on 127.0.0.1:7777")).unwrap();
    let report = format!(
        "REPORT\t{cap}\t{}\t{}\t{}\n",
        t.is_truncated(),
        t.as_str(),
        t.shown()
    );
    // Straight to fd 1: libtest captures only the print macros.
    std::io::stdout().write_all(report.as_bytes()).unwrap();
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// The user-study case: `set_process_title("myd", Some("echo on
/// 127.0.0.1:7777"))` in a process with a short command line shows
/// `[myd] echo on 1…`, and the returned title must say it was cut.
#[test]
fn a_title_longer_than_a_tiny_argv_says_it_was_cut() {
    skip_under_emulation!(common::emu::PROC_STAT);
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg0(TINY_ARGV[0])
        .args(&TINY_ARGV[1..])
        .env(HELPER_VAR, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("re-run the test binary");
    let pid = child.id() as i32;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let report = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("REPORT\t").map(str::to_owned))
        .expect("the helper reports");
    let cmdline = proc_cmdline(pid);
    // Let the helper finish, reading the rest of its output to the end.
    drop(child.stdin.take());
    lines.for_each(drop);
    assert!(child.wait().unwrap().success(), "the helper failed");

    let fields: Vec<&str> = report.split('\t').collect();
    let [cap, truncated, asked, shown] = fields[..] else {
        panic!("report {report:?}");
    };
    let area: usize = TINY_ARGV.iter().map(|a| a.len() + 1).sum();
    assert_eq!(cap.parse::<usize>().unwrap(), area - 1);
    assert_eq!(asked, "[myd] echo on 127.0.0.1:7777");
    assert_eq!(shown, &asked[..area - 1], "shown");
    assert_eq!(shown, "[myd] echo on 12");
    assert_eq!(
        truncated, "true",
        "is_truncated() must say the title was cut"
    );
    // The kernel is the judge: the process shows exactly what `shown` says.
    assert_eq!(cmdline, with_nul(shown));
}
