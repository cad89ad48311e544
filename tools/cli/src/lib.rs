//! The library half of the `daemonry` tool: its command-line parser.
//!
//! [`args::parse`] is a pure function from the arguments (as `OsString`s,
//! never converted lossily) to a typed [`args::Cli`] or a usage error that
//! names the bad input as typed. The binary (`src/main.rs`) runs what it
//! returns; the fuzz target `cli_args` and the unit tests call it directly.

pub mod args;
