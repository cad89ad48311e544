//! Option values: each parser takes the argument exactly as the user typed
//! it (an `OsStr`, never converted lossily) and returns a typed value or a
//! [`Usage`] error that quotes the input.

use super::Usage;
use daemonry::Signal;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest duration any option accepts: 365 days, in seconds.
///
/// A bigger number is a typing error, not a wish (`1e20` seconds outlives
/// the sun), and a bounded value can be added to any `Instant` without
/// overflow.
pub const MAX_SECONDS: u64 = 365 * 24 * 60 * 60;

/// The most items a `--retry` schedule may have.
pub const MAX_SCHEDULE_ITEMS: usize = 64;

/// Renders user input for a message: quoted, with bytes that are not UTF-8
/// shown as `\xNN` escapes (so nothing is lost or replaced).
pub fn quote(s: &OsStr) -> String {
    format!("{s:?}")
}

/// A path option as the user typed it: not empty, no NUL byte.
///
/// Relative paths mean the caller's working directory: resolve them with
/// [`TypedPath::resolve`] before anything changes directory. Messages use
/// [`TypedPath`]'s `Display`, which shows the path as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedPath(OsString);

impl TypedPath {
    /// Checks a path argument of `flag`.
    ///
    /// # Errors
    ///
    /// An empty path or one with a NUL byte.
    pub fn parse(flag: &str, s: OsString) -> Result<TypedPath, Usage> {
        if s.is_empty() {
            return Err(Usage::new(format!("{flag}: the path is empty")));
        }
        if s.as_bytes().contains(&0) {
            return Err(Usage::new(format!(
                "{flag} {}: a path cannot contain a NUL byte",
                quote(&s)
            )));
        }
        Ok(TypedPath(s))
    }

    /// The path as typed.
    pub fn as_os_str(&self) -> &OsStr {
        &self.0
    }

    /// The path as typed, as a `Path`.
    pub fn as_path(&self) -> &Path {
        Path::new(&self.0)
    }

    /// The path made absolute against `cwd` (the caller's working directory
    /// at the moment the tool was run); an absolute path is returned as is.
    /// No `..` or symlink is resolved: the kernel does that when the path is
    /// used, as it would have for the user.
    pub fn resolve(&self, cwd: &Path) -> PathBuf {
        let p = self.as_path();
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        }
    }
}

impl std::fmt::Display for TypedPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&quote(&self.0))
    }
}

/// Parses seconds: `10`, `0.5`, `.25`, `3.` — decimal digits with an
/// optional fraction (nanosecond precision; further digits are ignored).
/// No sign, exponent, `inf` or `nan`; at most [`MAX_SECONDS`].
///
/// # Errors
///
/// Anything else, naming `flag` and the input.
pub fn parse_seconds(flag: &str, s: &OsStr) -> Result<Duration, Usage> {
    seconds(s.as_bytes()).ok_or_else(|| {
        Usage::new(format!(
            "{flag} {}: expected seconds from 0 to {MAX_SECONDS}, e.g. 10 or 0.5",
            quote(s)
        ))
    })
}

/// The pure parser under [`parse_seconds`].
fn seconds(b: &[u8]) -> Option<Duration> {
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    if int.is_empty() && frac.is_none_or(<[u8]>::is_empty) {
        return None;
    }
    if !int
        .iter()
        .chain(frac.unwrap_or(&[]))
        .all(u8::is_ascii_digit)
    {
        return None;
    }
    let mut secs: u64 = 0;
    for &d in int {
        secs = secs.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        if secs > MAX_SECONDS {
            return None;
        }
    }
    let mut nanos: u32 = 0;
    let mut scale: u32 = 100_000_000;
    for &d in frac.unwrap_or(&[]).iter().take(9) {
        nanos += u32::from(d - b'0') * scale;
        scale /= 10;
    }
    if secs == MAX_SECONDS && nanos > 0 {
        return None;
    }
    Some(Duration::new(secs, nanos))
}

/// Parses `--nice N`: an integer from -20 (most favourable) to 19, with an
/// optional sign.
///
/// # Errors
///
/// Anything else.
pub fn parse_nice(s: &OsStr) -> Result<i32, Usage> {
    let bad = || {
        Usage::new(format!(
            "--nice {}: expected a niceness from -20 to 19",
            quote(s)
        ))
    };
    let text = s.to_str().ok_or_else(bad)?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match text.parse::<i32>() {
        Ok(n) if (-20..=19).contains(&n) => Ok(n),
        _ => Err(bad()),
    }
}

/// Parses a count such as `--respawn-max N`: decimal digits, at most
/// `u32::MAX`.
///
/// # Errors
///
/// Anything else.
pub fn parse_count(flag: &str, s: &OsStr) -> Result<u32, Usage> {
    let b = s.as_bytes();
    let bad = || Usage::new(format!("{flag} {}: expected a whole number", quote(s)));
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let mut n: u64 = 0;
    for &d in b {
        n = n * 10 + u64::from(d - b'0');
    }
    u32::try_from(n).map_err(|_| bad())
}

/// Parses `--umask`: strict octal (`022`, `0o022`, `22` all mean 0o022),
/// at most 0o777.
///
/// # Errors
///
/// Anything else.
pub fn parse_umask(s: &OsStr) -> Result<u32, Usage> {
    daemonry::parse_umask(s.as_bytes())
        .map(|m| m.as_raw_mode())
        .map_err(|_| {
            Usage::new(format!(
                "--umask {}: expected an octal mask from 0 to 777, e.g. 022",
                quote(s)
            ))
        })
}

/// Parses a signal: `TERM`, `SIGTERM`, `term`, `15`, `SIGRTMIN+2`,
/// `RTMAX-1` (kernel numbering, 1..=64).
///
/// # Errors
///
/// Unknown names and out-of-range numbers.
pub fn parse_signal(flag: &str, s: &OsStr) -> Result<Signal, Usage> {
    signal(s.as_bytes()).ok_or_else(|| {
        Usage::new(format!(
            "{flag} {}: not a signal (try TERM, HUP, 9 or SIGRTMIN+1; `daemonry names` lists them)",
            quote(s)
        ))
    })
}

fn signal(b: &[u8]) -> Option<Signal> {
    daemonry::parse_signal(b).ok()
}

/// A user (and group) for `--user U[:G]`, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroup {
    /// The user: a name, or decimal digits meaning a uid.
    pub user: OsString,
    /// The group after `:`, if any.
    pub group: Option<OsString>,
}

/// Parses `--user U[:G]` (user and group names cannot contain `:`).
///
/// # Errors
///
/// An empty user or group, or a NUL byte.
pub fn parse_user(s: &OsStr) -> Result<UserGroup, Usage> {
    let b = s.as_bytes();
    let bad = |why: &str| Usage::new(format!("--user {}: {why}", quote(s)));
    if b.contains(&0) {
        return Err(bad("a name cannot contain a NUL byte"));
    }
    let (user, group) = match b.iter().position(|&c| c == b':') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    if user.is_empty() {
        return Err(bad("expected USER or USER:GROUP (a name or a number)"));
    }
    if group.is_some_and(<[u8]>::is_empty) {
        return Err(bad("the group after ':' is empty"));
    }
    Ok(UserGroup {
        user: OsStr::from_bytes(user).to_os_string(),
        group: group.map(|g| OsStr::from_bytes(g).to_os_string()),
    })
}

/// Parses `--group G`.
///
/// # Errors
///
/// An empty name or a NUL byte.
pub fn parse_group(s: OsString) -> Result<OsString, Usage> {
    if s.is_empty() || s.as_bytes().contains(&0) {
        return Err(Usage::new(format!(
            "--group {}: expected a group name or number",
            quote(&s)
        )));
    }
    Ok(s)
}

/// One `--env K=V`, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// The name: not empty, no `=`.
    pub name: OsString,
    /// The value (may be empty).
    pub value: OsString,
}

/// Parses `--env K=V`.
///
/// # Errors
///
/// No `=`, an empty name, or a NUL byte.
pub fn parse_env(s: &OsStr) -> Result<EnvVar, Usage> {
    let b = s.as_bytes();
    let bad = |why: &str| Usage::new(format!("--env {}: {why}", quote(s)));
    if b.contains(&0) {
        return Err(bad("the environment cannot hold a NUL byte"));
    }
    match b.iter().position(|&c| c == b'=') {
        Some(0) => Err(bad("the name before '=' is empty")),
        Some(i) => Ok(EnvVar {
            name: OsStr::from_bytes(&b[..i]).to_os_string(),
            value: OsStr::from_bytes(&b[i + 1..]).to_os_string(),
        }),
        None => Err(bad("expected NAME=VALUE")),
    }
}

/// One step of a stop schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send this signal to the verified holder(s).
    Signal(Signal),
    /// Wait this long for every holder to exit.
    Wait(Duration),
}

/// How `stop` ends a daemon: start-stop-daemon's `--retry` schedule.
///
/// The steps run in order; once every holder is gone the schedule stops.
/// When the steps run out, `stop` gives up (exit 1). With `forever`, the
/// steps from `repeat_from` on repeat until the daemon is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The steps.
    pub steps: Vec<Step>,
    /// Where `forever` stood: the index of the first step to repeat.
    pub repeat_from: Option<usize>,
}

impl Schedule {
    /// `SIGNAL/TIMEOUT/KILL/KILL_WAIT`: what a bare `--retry N` (with
    /// `KILL_WAIT` = N) and the default `--timeout` mean.
    pub fn simple(signal: Signal, timeout: Duration, kill_wait: Duration) -> Schedule {
        Schedule {
            steps: vec![
                Step::Signal(signal),
                Step::Wait(timeout),
                Step::Signal(Signal::KILL),
                Step::Wait(kill_wait),
            ],
            repeat_from: None,
        }
    }
}

/// The result of parsing `--retry`: a bare timeout (`--signal`, that long,
/// then KILL and that long again), or a full schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// `--retry 30`.
    Timeout(Duration),
    /// `--retry TERM/30/KILL/5`.
    Schedule(Schedule),
}

/// Parses `--retry TIMEOUT|SCHEDULE` in start-stop-daemon's syntax: items
/// separated by `/`, each a signal (`TERM`, `SIGTERM`, `-TERM`, `-15`), a
/// number of seconds, or `forever` (repeat what follows it until the
/// daemon is gone). A schedule has at least two items, at most
/// [`MAX_SCHEDULE_ITEMS`], ends with a timeout, and has at most one
/// `forever`, which is not last.
///
/// # Errors
///
/// Anything else, naming the bad item.
pub fn parse_retry(s: &OsStr) -> Result<Retry, Usage> {
    let b = s.as_bytes();
    let bad = |why: String| Usage::new(format!("--retry {}: {why}", quote(s)));
    if !b.contains(&b'/') {
        return match seconds(b) {
            Some(d) => Ok(Retry::Timeout(d)),
            None => Err(bad(format!(
                "expected seconds (0 to {MAX_SECONDS}) or a schedule such as TERM/30/KILL/5"
            ))),
        };
    }
    let items: Vec<&[u8]> = b.split(|&c| c == b'/').collect();
    if items.len() > MAX_SCHEDULE_ITEMS {
        return Err(bad(format!("more than {MAX_SCHEDULE_ITEMS} items")));
    }
    let mut steps = Vec::with_capacity(items.len());
    let mut repeat_from = None;
    for item in items {
        let shown = quote(OsStr::from_bytes(item));
        if item == b"forever" {
            if repeat_from.is_some() {
                return Err(bad("`forever` appears more than once".into()));
            }
            repeat_from = Some(steps.len());
        } else if let Some(sig) = item.strip_prefix(b"-") {
            match signal(sig) {
                Some(n) => steps.push(Step::Signal(n)),
                None => return Err(bad(format!("{shown} is not a signal"))),
            }
        } else if item
            .first()
            .is_some_and(|c| c.is_ascii_digit() || *c == b'.')
        {
            match seconds(item) {
                Some(d) => steps.push(Step::Wait(d)),
                None => {
                    return Err(bad(format!(
                        "{shown} is not a number of seconds from 0 to {MAX_SECONDS}"
                    )));
                }
            }
        } else if item.is_empty() {
            return Err(bad("an item is empty".into()));
        } else {
            match signal(item) {
                Some(n) => steps.push(Step::Signal(n)),
                None => {
                    return Err(bad(format!(
                        "{shown} is neither a signal, a number of seconds nor `forever`"
                    )));
                }
            }
        }
    }
    if steps.len() + usize::from(repeat_from.is_some()) < 2 {
        return Err(bad("a schedule has at least two items".into()));
    }
    if repeat_from == Some(steps.len()) {
        return Err(bad("`forever` is last: nothing to repeat".into()));
    }
    if !matches!(steps.last(), Some(Step::Wait(_))) {
        return Err(bad(
            "a schedule ends with a timeout (how long to wait after the last signal)".into(),
        ));
    }
    Ok(Retry::Schedule(Schedule { steps, repeat_from }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> &OsStr {
        OsStr::new(s)
    }

    #[test]
    fn seconds_accepts_decimals_and_refuses_everything_else() {
        assert_eq!(seconds(b"10"), Some(Duration::from_secs(10)));
        assert_eq!(seconds(b"0.5"), Some(Duration::from_millis(500)));
        assert_eq!(seconds(b".25"), Some(Duration::from_millis(250)));
        assert_eq!(seconds(b"3."), Some(Duration::from_secs(3)));
        assert_eq!(seconds(b"0"), Some(Duration::ZERO));
        assert_eq!(seconds(b"0.0000000019"), Some(Duration::from_nanos(1)));
        assert_eq!(seconds(b"31536000"), Some(Duration::from_secs(MAX_SECONDS)));
        for bad in [
            &b""[..],
            b".",
            b"1e20",
            b"1e19",
            b"inf",
            b"nan",
            b"-1",
            b"+1",
            b" 1",
            b"1 ",
            b"1.2.3",
            b"31536000.1",
            b"31536001",
            b"99999999999999999999999999",
            b"0x10",
            b"\xff",
        ] {
            assert_eq!(seconds(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn seconds_errors_name_the_flag_and_input() {
        let e = parse_seconds("--timeout", os("1e20")).unwrap_err();
        assert!(e.to_string().starts_with("--timeout \"1e20\": "), "{e}");
        let e = parse_seconds("--timeout", OsStr::from_bytes(b"1\xff")).unwrap_err();
        assert!(e.to_string().contains("\"1\\xFF\""), "{e}");
    }

    #[test]
    fn nice_range() {
        assert_eq!(parse_nice(os("-20")).unwrap(), -20);
        assert_eq!(parse_nice(os("19")).unwrap(), 19);
        assert_eq!(parse_nice(os("+5")).unwrap(), 5);
        for bad in [
            "20",
            "-21",
            "",
            "-",
            "+",
            "1.5",
            "x",
            "--1",
            "00000000001",
            " 1",
        ] {
            assert!(parse_nice(os(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("--respawn-max", os("0")).unwrap(), 0);
        assert_eq!(
            parse_count("--respawn-max", os("4294967295")).unwrap(),
            u32::MAX
        );
        for bad in ["4294967296", "-1", "", "1.0", "99999999999"] {
            assert!(parse_count("--respawn-max", os(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_and_group() {
        assert_eq!(
            parse_user(os("nobody:nogroup")).unwrap(),
            UserGroup {
                user: "nobody".into(),
                group: Some("nogroup".into())
            }
        );
        assert_eq!(parse_user(os("12345")).unwrap().group, None);
        let raw = parse_user(OsStr::from_bytes(b"\xff:\xfe")).unwrap();
        assert_eq!(raw.user.as_bytes(), b"\xff");
        assert_eq!(raw.group.unwrap().as_bytes(), b"\xfe");
        for bad in ["", ":g", "u:", "a\0b"] {
            assert!(parse_user(os(bad)).is_err(), "{bad:?}");
        }
        assert!(parse_group("".into()).is_err());
    }

    #[test]
    fn env() {
        let v = parse_env(os("A=b=c")).unwrap();
        assert_eq!(
            (v.name.as_os_str(), v.value.as_os_str()),
            (os("A"), os("b=c"))
        );
        assert_eq!(parse_env(os("A=")).unwrap().value, OsString::new());
        for bad in ["", "A", "=x", "A=\0"] {
            assert!(parse_env(os(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn retry_schedules() {
        use Step::{Signal as S, Wait as W};
        let sig = |n| Signal::from_raw(n).unwrap();
        assert_eq!(
            parse_retry(os("30")).unwrap(),
            Retry::Timeout(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry(os("TERM/30/KILL/5")).unwrap(),
            Retry::Schedule(Schedule {
                steps: vec![
                    S(sig(15)),
                    W(Duration::from_secs(30)),
                    S(sig(9)),
                    W(Duration::from_secs(5))
                ],
                repeat_from: None
            })
        );
        assert_eq!(
            parse_retry(os("-HUP/0.5/-9/1")).unwrap(),
            Retry::Schedule(Schedule {
                steps: vec![
                    S(sig(1)),
                    W(Duration::from_millis(500)),
                    S(sig(9)),
                    W(Duration::from_secs(1))
                ],
                repeat_from: None
            })
        );
        assert_eq!(
            parse_retry(os("SIGTERM/5/forever/KILL/1")).unwrap(),
            Retry::Schedule(Schedule {
                steps: vec![
                    S(sig(15)),
                    W(Duration::from_secs(5)),
                    S(sig(9)),
                    W(Duration::from_secs(1))
                ],
                repeat_from: Some(2)
            })
        );
        for bad in [
            "",
            "TERM",
            "TERM/",
            "/5",
            "TERM/5/KILL",
            "TERM//5",
            "TERM/1e20",
            "TERM/-5",
            "FOO/5",
            "-FOO/5",
            "-0/5",
            "TERM/5/forever",
            "forever/TERM/5/forever/1",
            "inf",
            "nan",
            "-3",
        ] {
            assert!(parse_retry(os(bad)).is_err(), "{bad:?}");
        }
        let long = vec!["1"; MAX_SCHEDULE_ITEMS + 1].join("/");
        assert!(parse_retry(os(&long)).is_err());
    }
}
