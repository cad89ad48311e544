//! tini's command line and environment, parsed without allocation.
//!
//! `daemonry-init [-h] [-s] [-p SIGNAL] [-v] [-w] [-g] [-l] [-e EXIT_CODE]...
//! [--close-fds] [--user USER[:GROUP]] [--pidfile PATH] [--] PROGRAM
//! [ARGS...]`, or `daemonry-init --version` alone. The long options are
//! daemonry's extras (tini has none of them); their values come in the
//! next word or after `=` (`--user=nobody`), as with getopt_long.
//! Options follow getopt's short-option rules (clusters such as `-vvs`, an
//! argument attached as in `-pSIGKILL` or in the next word); parsing stops at
//! `--` or at the first word that is not an option (POSIX mode, see
//! README.md for why this differs from tini).

/// The exit codes `-e` maps to 0: a 256-bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExitSet([u64; 4]);

impl ExitSet {
    /// Adds `code`.
    pub fn insert(&mut self, code: u8) {
        if let Some(word) = self.0.get_mut(usize::from(code / 64)) {
            *word |= 1 << (code % 64);
        }
    }

    /// Whether `code` is in the set.
    pub fn contains(&self, code: u8) -> bool {
        self.0
            .get(usize::from(code / 64))
            .is_some_and(|w| w & (1 << (code % 64)) != 0)
    }
}

/// What to do, from the command line and the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options<'a> {
    /// `-s` or `TINI_SUBREAPER`: register as a child subreaper.
    pub subreaper: bool,
    /// `-p SIGNAL`: our own parent-death signal.
    pub pdeathsig: Option<i32>,
    /// Message level: 1 by default, `-v` adds one, `TINI_VERBOSITY` sets
    /// it (0 fatal only, 1 warnings, 2 info, 3 debug, 4 trace).
    pub verbosity: u32,
    /// `-w`: warn for every reaped process that is not the child.
    pub warn_on_reap: bool,
    /// `-g` or `TINI_KILL_PROCESS_GROUP`: forward signals to the child's
    /// process group.
    pub kill_group: bool,
    /// `-e CODE`: exit codes reported as 0.
    pub remap: ExitSet,
    /// `--close-fds` (daemonry extra, off by default): close every fd but
    /// 0, 1 and 2 in the child before exec.
    pub close_fds: bool,
    /// `--user USER[:GROUP]` (daemonry extra): run PROGRAM with these
    /// credentials (`drop_privileges` in the child); daemonry-init stays as it is.
    pub user: Option<User<'a>>,
    /// `--pidfile PATH` (daemonry extra): hold a locked pidfile with
    /// daemonry-init's pid while it runs.
    pub pidfile: Option<&'a [u8]>,
    /// The index of PROGRAM in the full argv (argv\[0\] is index 0).
    pub program: usize,
}

/// A `--user` value: a user and/or a group, each a name or a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User<'a> {
    /// The part before `:` (`None` for `:GROUP`).
    pub user: Option<&'a str>,
    /// The part after `:`, if any.
    pub group: Option<&'a str>,
}

/// Splits `USER[:GROUP]` (or `:GROUP`); `None` for an empty part where a
/// name is needed, a second `:`, or bytes that are not UTF-8.
pub fn parse_user(value: &[u8]) -> Option<User<'_>> {
    let text = core::str::from_utf8(value).ok()?;
    let (user, group) = match text.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (text, None),
    };
    if group.is_some_and(|g| g.is_empty() || g.contains(':')) {
        return None;
    }
    let user = (!user.is_empty()).then_some(user);
    if user.is_none() && group.is_none() {
        return None;
    }
    Some(User { user, group })
}

/// The default verbosity (tini's full build: warnings shown).
pub const DEFAULT_VERBOSITY: u32 = 1;

/// A parsed command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// Supervise PROGRAM.
    Run(Options<'a>),
    /// `-h`: usage on stdout, exit 0.
    Help,
    /// `--version` as the only argument: version on stdout, exit 0.
    Version,
    /// `-l`: license on stdout, exit 0.
    License,
}

/// Why the command line was refused (exit status 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageError<'a> {
    /// `-x` for an unknown `x` (getopt: "invalid option -- 'x'"), then
    /// usage.
    InvalidOption(u8),
    /// `--word` for an unknown long option ("unrecognized option
    /// '--word'"), then usage.
    UnrecognizedOption(&'a [u8]),
    /// `-p` or `-e` last, without its argument ("option requires an
    /// argument -- 'p'"), then usage.
    MissingArgument(u8),
    /// `--user` or `--pidfile` last, without its argument ("option
    /// '--user' requires an argument"), then usage.
    MissingLongArgument(&'a [u8]),
    /// `--user` or `--pidfile` in a build without that cargo feature, as a
    /// fatal message without usage.
    NotBuiltIn(&'a [u8]),
    /// A value an option (`-e`, `-p`, `--user`, `--pidfile`) does not
    /// accept ("Not a valid option for -e: 256"), as a fatal message
    /// without usage.
    BadValue(&'static [u8], &'a [u8]),
    /// No PROGRAM: usage.
    NoProgram,
}

impl UsageError<'_> {
    /// Whether tini prints the usage text after this error.
    pub fn shows_usage(&self) -> bool {
        !matches!(self, UsageError::BadValue(..) | UsageError::NotBuiltIn(_))
    }
}

/// Parses the command line `args` (argv without argv\[0\]).
///
/// # Errors
///
/// A [`UsageError`] naming what was wrong.
pub fn parse<'a, I>(args: I) -> Result<Command<'a>, UsageError<'a>>
where
    I: IntoIterator<Item = &'a [u8]>,
    I::IntoIter: Clone,
{
    let mut it = args.into_iter().enumerate().peekable();
    let mut opts = Options {
        subreaper: false,
        pdeathsig: None,
        verbosity: DEFAULT_VERBOSITY,
        warn_on_reap: false,
        kill_group: false,
        remap: ExitSet::default(),
        close_fds: false,
        user: None,
        pidfile: None,
        program: 0,
    };
    let mut first = true;
    while let Some(&(i, arg)) = it.peek() {
        if arg == b"--" {
            it.next();
            break;
        }
        if let Some(long) = arg.strip_prefix(b"--") {
            // `--version` counts only as the only argument (tini).
            let only = first && it.clone().nth(1).is_none();
            it.next();
            first = false;
            let (name, attached) = match long.iter().position(|&b| b == b'=') {
                Some(eq) => (long.get(..eq).unwrap_or(long), long.get(eq + 1..)),
                None => (long, None),
            };
            let flag = attached.is_none();
            match name {
                b"version" if only => return Ok(Command::Version),
                b"close-fds" if flag => opts.close_fds = true,
                b"user" if cfg!(not(feature = "user")) => {
                    return Err(UsageError::NotBuiltIn(arg));
                }
                b"pidfile" if cfg!(not(feature = "pidfile")) => {
                    return Err(UsageError::NotBuiltIn(arg));
                }
                b"user" | b"pidfile" => {
                    let value = match attached {
                        Some(v) => v,
                        None => match it.next() {
                            Some((_, next)) => next,
                            None => return Err(UsageError::MissingLongArgument(arg)),
                        },
                    };
                    if name == b"user" {
                        let user =
                            parse_user(value).ok_or(UsageError::BadValue(b"--user", value))?;
                        opts.user = Some(user);
                    } else if value.is_empty() {
                        return Err(UsageError::BadValue(b"--pidfile", value));
                    } else {
                        opts.pidfile = Some(value);
                    }
                }
                _ => return Err(UsageError::UnrecognizedOption(arg)),
            }
            continue;
        }
        let cluster = match arg {
            [b'-', rest @ ..] if !rest.is_empty() => rest,
            // The first non-option word is PROGRAM ("-" alone included).
            _ => {
                opts.program = i + 1;
                return Ok(Command::Run(opts));
            }
        };
        it.next();
        first = false;
        for (pos, &c) in cluster.iter().enumerate() {
            match c {
                b'h' => return Ok(Command::Help),
                b'l' => return Ok(Command::License),
                b's' => opts.subreaper = true,
                b'v' => opts.verbosity = opts.verbosity.saturating_add(1),
                b'w' => opts.warn_on_reap = true,
                b'g' => opts.kill_group = true,
                b'p' | b'e' => {
                    // The rest of the cluster, or the next word.
                    let value = match cluster.get(pos + 1..) {
                        Some(rest) if !rest.is_empty() => rest,
                        _ => match it.next() {
                            Some((_, next)) => next,
                            None => return Err(UsageError::MissingArgument(c)),
                        },
                    };
                    if c == b'p' {
                        let sig =
                            parse_pdeathsig(value).ok_or(UsageError::BadValue(b"-p", value))?;
                        opts.pdeathsig = Some(sig);
                    } else {
                        let code =
                            parse_exit_code(value).ok_or(UsageError::BadValue(b"-e", value))?;
                        opts.remap.insert(code);
                    }
                    break;
                }
                _ => return Err(UsageError::InvalidOption(c)),
            }
        }
    }
    match it.next() {
        Some((i, _)) => {
            opts.program = i + 1;
            Ok(Command::Run(opts))
        }
        None => Err(UsageError::NoProgram),
    }
}

/// A `-p` value: a signal name or number daemonry's `parse_signal`
/// accepts ("SIGKILL", "KILL", "9", any case) among the standard signals
/// 1..=31 (tini accepts exactly its table of "SIG…" names; real-time
/// signals are refused as by tini). Read with this crate's own packed
/// table (`signames`), which the unit tests hold to daemonry's parser.
pub fn parse_pdeathsig(value: &[u8]) -> Option<i32> {
    crate::signames::parse(value)
}

/// A `-e` value: like tini's `strtol(…, 10)` check (leading white space and
/// a sign allowed, the whole word must be the number, 0..=255), except that
/// at least one digit is required (tini takes an empty word as 0).
pub fn parse_exit_code(value: &[u8]) -> Option<u8> {
    let mut s = trim_leading_space(value);
    let negative = match s {
        [b'-', rest @ ..] => {
            s = rest;
            true
        }
        [b'+', rest @ ..] => {
            s = rest;
            false
        }
        _ => false,
    };
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u32 = 0;
    for &d in s {
        v = v.saturating_mul(10).saturating_add(u32::from(d - b'0'));
    }
    match (negative, u8::try_from(v)) {
        (false, Ok(code)) => Some(code),
        (true, Ok(0)) => Some(0),
        _ => None,
    }
}

fn trim_leading_space(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r', rest @ ..] = s {
        s = rest;
    }
    s
}

/// `atoi(3)` as tini applies it to `TINI_VERBOSITY`: leading white space,
/// an optional sign, then digits up to the first non-digit; no digits is
/// 0. A negative value means 0 here (tini's unsigned variable would turn it
/// into "everything").
pub fn parse_verbosity(value: &[u8]) -> u32 {
    let s = trim_leading_space(value);
    let (negative, s) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let mut v: u32 = 0;
    for &d in s.iter().take_while(|d| d.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(u32::from(d - b'0'));
    }
    if negative { 0 } else { v }
}

/// Applies tini's environment variables (read after the command line, so
/// `TINI_VERBOSITY` overrides `-v`): `TINI_SUBREAPER` and
/// `TINI_KILL_PROCESS_GROUP` count when set at all (even empty).
pub fn apply_env<'a>(opts: &mut Options<'_>, getenv: impl Fn(&[u8]) -> Option<&'a [u8]>) {
    if getenv(b"TINI_SUBREAPER").is_some() {
        opts.subreaper = true;
    }
    if getenv(b"TINI_KILL_PROCESS_GROUP").is_some() {
        opts.kill_group = true;
    }
    if let Some(v) = getenv(b"TINI_VERBOSITY") {
        opts.verbosity = parse_verbosity(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn run(args: &[&'static str]) -> Result<Command<'static>, UsageError<'static>> {
        let v: Vec<&'static [u8]> = args.iter().map(|s| s.as_bytes()).collect();
        parse(v)
    }

    fn opts(args: &[&'static str]) -> Options<'static> {
        match run(args) {
            Ok(Command::Run(o)) => o,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults_and_program_index() {
        let o = opts(&["true"]);
        assert_eq!(o.program, 1);
        assert!(!o.subreaper && !o.kill_group && !o.warn_on_reap && !o.close_fds);
        assert_eq!(o.verbosity, DEFAULT_VERBOSITY);
        assert_eq!(o.pdeathsig, None);
        assert_eq!(opts(&["--", "true", "-v"]).program, 2);
        assert_eq!(opts(&["-s", "--", "--"]).program, 3);
        // POSIX mode: options after PROGRAM belong to it.
        let o = opts(&["sleep", "-v", "1"]);
        assert_eq!((o.program, o.verbosity), (1, 1));
        assert_eq!(opts(&["-", "x"]).program, 1);
    }

    #[test]
    fn flags_and_clusters() {
        let o = opts(&["-vvv", "-sg", "-w", "--close-fds", "--", "x"]);
        assert!(o.subreaper && o.kill_group && o.warn_on_reap && o.close_fds);
        assert_eq!(o.verbosity, 4);
        assert_eq!(o.program, 6);
    }

    #[test]
    fn option_arguments() {
        use daemonry::Signal;
        let raw = |s: Signal| Some(s.as_raw());
        assert_eq!(opts(&["-p", "SIGKILL", "x"]).pdeathsig, raw(Signal::KILL));
        assert_eq!(opts(&["-pSIGTERM", "x"]).pdeathsig, raw(Signal::TERM));
        assert_eq!(opts(&["-vpusr1", "x"]).pdeathsig, raw(Signal::USR1));
        assert_eq!(opts(&["-p", "9", "x"]).pdeathsig, Some(9));
        let o = opts(&["-e", "3", "-e143", "-se", "0", "x"]);
        for c in 0..=255u8 {
            assert_eq!(o.remap.contains(c), matches!(c, 0 | 3 | 143), "{c}");
        }
        assert!(o.subreaper);
        assert_eq!(o.program, 6);
        // The argument may look like an option.
        assert!(opts(&["-e", "-0", "x"]).remap.contains(0));
    }

    #[test]
    #[cfg(all(feature = "user", feature = "pidfile"))]
    fn user_and_pidfile_extras() {
        let o = opts(&["--user", "nobody", "--pidfile=/run/x.pid", "--", "x"]);
        assert_eq!(
            o.user,
            Some(User {
                user: Some("nobody"),
                group: None
            })
        );
        assert_eq!(o.pidfile, Some(&b"/run/x.pid"[..]));
        assert_eq!(o.program, 5);
        let o = opts(&["--user=65534:nogroup", "--pidfile", "p", "x"]);
        assert_eq!(
            o.user,
            Some(User {
                user: Some("65534"),
                group: Some("nogroup")
            })
        );
        assert_eq!((o.pidfile, o.program), (Some(&b"p"[..]), 4));
        assert_eq!(
            parse_user(b":daemon"),
            Some(User {
                user: None,
                group: Some("daemon")
            })
        );
        assert_eq!(parse_user(b"\xff"), None);
        // Off by default.
        let o = opts(&["x"]);
        assert_eq!((o.user, o.pidfile), (None, None));
    }

    #[test]
    fn exit_codes_like_strtol() {
        for (s, v) in [
            ("0", 0),
            ("255", 255),
            (" 7", 7),
            ("+8", 8),
            ("-0", 0),
            ("007", 7),
        ] {
            assert_eq!(parse_exit_code(s.as_bytes()), Some(v), "{s}");
        }
        for s in [
            "",
            "256",
            "-1",
            "1x",
            "x",
            " ",
            "+",
            "99999999999999999999",
            "1 ",
        ] {
            assert_eq!(parse_exit_code(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn pdeathsig_values() {
        use daemonry::Signal;
        assert_eq!(parse_pdeathsig(b"SIGKILL"), Some(Signal::KILL.as_raw()));
        assert_eq!(parse_pdeathsig(b"hup"), Some(Signal::HUP.as_raw()));
        assert_eq!(parse_pdeathsig(b"31"), Some(31));
        for s in ["", "SIGFOO", "0", "32", "SIGRTMIN+1", "65"] {
            assert_eq!(parse_pdeathsig(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn help_version_license() {
        assert_eq!(run(&["-h"]), Ok(Command::Help));
        assert_eq!(run(&["-vh", "x"]), Ok(Command::Help));
        assert_eq!(run(&["-l"]), Ok(Command::License));
        assert_eq!(run(&["--version"]), Ok(Command::Version));
        // Not alone: an unknown long option, as with tini's getopt.
        assert_eq!(
            run(&["--version", "x"]),
            Err(UsageError::UnrecognizedOption(b"--version"))
        );
        assert_eq!(
            run(&["-s", "--version"]),
            Err(UsageError::UnrecognizedOption(b"--version"))
        );
    }

    #[test]
    fn usage_errors() {
        assert_eq!(run(&[]), Err(UsageError::NoProgram));
        assert_eq!(run(&["-s"]), Err(UsageError::NoProgram));
        assert_eq!(run(&["--"]), Err(UsageError::NoProgram));
        assert_eq!(run(&["-x", "true"]), Err(UsageError::InvalidOption(b'x')));
        assert_eq!(run(&["-sx"]), Err(UsageError::InvalidOption(b'x')));
        assert_eq!(run(&["-p"]), Err(UsageError::MissingArgument(b'p')));
        assert_eq!(run(&["-e"]), Err(UsageError::MissingArgument(b'e')));
        let e = run(&["-e", "256", "x"]).unwrap_err();
        assert_eq!(e, UsageError::BadValue(b"-e", b"256"));
        assert!(!e.shows_usage());
        assert_eq!(
            run(&["-p", "FOO", "x"]),
            Err(UsageError::BadValue(b"-p", b"FOO"))
        );
        assert!(UsageError::NoProgram.shows_usage());
    }

    #[test]
    #[cfg(all(feature = "user", feature = "pidfile"))]
    fn extras_usage_errors() {
        assert_eq!(run(&["--user", "x"]), Err(UsageError::NoProgram));
        assert_eq!(
            run(&["--group", "x"]),
            Err(UsageError::UnrecognizedOption(b"--group"))
        );
        assert_eq!(
            run(&["--close-fds=1", "x"]),
            Err(UsageError::UnrecognizedOption(b"--close-fds=1"))
        );
        assert_eq!(
            run(&["--user"]),
            Err(UsageError::MissingLongArgument(b"--user"))
        );
        assert_eq!(
            run(&["--pidfile"]),
            Err(UsageError::MissingLongArgument(b"--pidfile"))
        );
        assert_eq!(
            run(&["--pidfile=", "x"]),
            Err(UsageError::BadValue(b"--pidfile", b""))
        );
        for bad in ["", ":", "a:", "a:b:c"] {
            let r = run(&["--user", bad, "x"]);
            assert!(
                matches!(r, Err(UsageError::BadValue(b"--user", _))),
                "{bad:?}: {r:?}"
            );
        }
    }

    #[test]
    #[cfg(not(any(feature = "user", feature = "pidfile")))]
    fn extras_not_built_in() {
        for args in [&["--user", "x", "y"][..], &["--pidfile=p", "y"]] {
            let e = run(args).unwrap_err();
            assert!(matches!(e, UsageError::NotBuiltIn(_)), "{args:?}: {e:?}");
            assert!(!e.shows_usage());
        }
    }

    #[test]
    fn environment() {
        let mut o = opts(&["-vv", "x"]);
        apply_env(&mut o, |name| match name {
            b"TINI_SUBREAPER" => Some(b""),
            b"TINI_KILL_PROCESS_GROUP" => Some(b"0"),
            b"TINI_VERBOSITY" => Some(b"0"),
            _ => None,
        });
        assert!(o.subreaper && o.kill_group);
        assert_eq!(o.verbosity, 0, "TINI_VERBOSITY overrides -v");
        let mut o = opts(&["x"]);
        apply_env(&mut o, |_| None);
        assert_eq!(o, opts(&["x"]));
        for (s, v) in [
            ("3", 3),
            (" 2x", 2),
            ("", 0),
            ("x", 0),
            ("-1", 0),
            ("+4", 4),
        ] {
            assert_eq!(parse_verbosity(s.as_bytes()), v, "{s:?}");
        }
    }
}
