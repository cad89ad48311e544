//! `daemonry`: start, inspect, stop and supervise a command as a daemon
//! with a verified pidfile lock (SPEC §4). `daemonry --help` lists the
//! subcommands and options; `src/args` parses them, `src/run` does them.

#![allow(unsafe_code)] // one `pre_exec` hook in run/supervise.rs

mod run;

use daemonry_cli::args::{self, Cli, Command};
use run::{Failure, Out, code};
use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    let cli = match args::parse(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            // One line, as every error; `daemonry --help` has the rest.
            eprintln!("daemonry: {e} (see daemonry --help)");
            return ExitCode::from(args::EX_USAGE);
        }
    };
    match dispatch(cli) {
        Ok(status) => ExitCode::from(status),
        Err(Failure { code, message }) => {
            eprintln!("daemonry: {message}");
            ExitCode::from(code)
        }
    }
}

/// The caller's working directory, read once before anything changes it:
/// relative paths mean this directory.
fn cwd() -> Result<std::path::PathBuf, Failure> {
    std::env::current_dir().map_err(|e| {
        Failure::new(
            code::FAILURE,
            format!("the current directory cannot be read ({e}); give absolute paths"),
        )
    })
}

/// The caller's cwd, needed only when some path is relative.
fn cwd_for(paths: &[Option<&args::TypedPath>]) -> Result<std::path::PathBuf, Failure> {
    if paths.iter().flatten().all(|p| p.as_path().is_absolute()) {
        return Ok(std::path::PathBuf::from("/"));
    }
    cwd()
}

fn resolved(p: &args::TypedPath) -> Result<run::plan::Resolved, Failure> {
    Ok(run::plan::Resolved::new(p, &cwd_for(&[Some(p)])?))
}

fn start_cwd(s: &args::Start) -> Result<std::path::PathBuf, Failure> {
    cwd_for(&[
        Some(&s.pidfile),
        s.stdout.as_ref(),
        s.stderr.as_ref(),
        s.chroot.as_ref(),
        s.workdir.as_ref(),
    ])
}

fn dispatch(cli: Cli) -> run::Outcome {
    let out = Out {
        verbosity: cli.verbosity,
    };
    match cli.command {
        Command::Help(topic) => {
            print!("{}", args::help(topic));
            Ok(code::OK)
        }
        Command::Version => {
            println!("{}", args::version());
            Ok(code::OK)
        }
        Command::Names => {
            names();
            Ok(code::OK)
        }
        Command::Status(s) => run::control::status(&resolved(&s.pidfile)?, out),
        Command::Stop(s) => run::control::stop(&resolved(&s.pidfile)?, &s.schedule, s.test, out),
        Command::Reload(r) => run::control::reload(&resolved(&r.pidfile)?, r.signal, r.test, out),
        Command::Start(s) => {
            let cwd = start_cwd(&s)?;
            run::start::launch(&s, run::start::Role::Exec, &cwd, out)
        }
        Command::Supervise(s, r) => {
            let cwd = start_cwd(&s)?;
            run::start::launch(&s, run::start::Role::Supervise(r), &cwd, out)
        }
        Command::Restart(stop, start) => {
            let cwd = start_cwd(&start)?;
            let pidfile = run::plan::Resolved::new(&stop.pidfile, &cwd);
            let stopped = run::control::stop(&pidfile, &stop.schedule, stop.test, out)?;
            if stopped != code::OK {
                return Ok(stopped);
            }
            run::start::launch(&start, run::start::Role::Exec, &cwd, out)
        }
    }
}

/// `names`: the signal and errno tables.
fn names() {
    for s in daemonry::signal::all() {
        println!("{} {}", s.number(), s);
    }
    for (e, name, desc) in daemonry::errno::all() {
        println!("{} {name} {desc}", e.raw_os_error());
    }
}
