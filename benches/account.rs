//! User and group lookups: daemonry's own `/etc` parser against glibc
//! (through `libc` and `nix`, which call `getpwnam_r`, `getgrnam_r` and
//! `getgrouplist`, NSS included) on this machine's real databases.
//!
//! Each group puts daemonry and its competitors side by side; compare the
//! medians.
#![allow(missing_docs)] // criterion generates `main`.
#![allow(unsafe_code)] // libc calls.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use std::ffi::CStr;
use std::time::Duration;

/// glibc `getpwnam_r` with a stack buffer, as a careful C program calls it.
fn glibc_getpwnam_uid(name: &CStr) -> Option<u32> {
    // SAFETY: `passwd` is plain old data; all-zero is a valid value.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = [0 as libc::c_char; 4096];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; `buf` is writable.
    let r = unsafe {
        libc::getpwnam_r(
            name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (r == 0 && !result.is_null()).then_some(pwd.pw_uid)
}

/// glibc `getgrnam_r` with a stack buffer.
fn glibc_getgrnam_gid(name: &CStr) -> Option<u32> {
    // SAFETY: `group` is plain old data; all-zero is a valid value.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = [0 as libc::c_char; 4096];
    let mut result: *mut libc::group = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; `buf` is writable.
    let r = unsafe {
        libc::getgrnam_r(
            name.as_ptr(),
            &mut grp,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (r == 0 && !result.is_null()).then_some(grp.gr_gid)
}

/// glibc `getgrouplist` into a stack array.
fn glibc_getgrouplist(name: &CStr, gid: u32) -> usize {
    let mut groups = [0 as libc::gid_t; 64];
    let mut n = groups.len() as libc::c_int;
    // SAFETY: `groups` is writable for `n` entries.
    let r = unsafe { libc::getgrouplist(name.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
    assert!(r >= 0);
    n as usize
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

fn parse_uid(c: &mut Criterion) {
    // Same answers first: the comparison is fair only if they agree.
    let ours = daemonry::parse_uid("nobody").expect("nobody").as_raw();
    assert_eq!(Some(ours), glibc_getpwnam_uid(c"nobody"));
    let mut g = c.benchmark_group("parse_uid(nobody)");
    g.bench_function("daemonry::parse_uid", |b| {
        b.iter(|| daemonry::parse_uid(black_box("nobody")))
    });
    g.bench_function("glibc getpwnam_r", |b| {
        b.iter(|| glibc_getpwnam_uid(black_box(c"nobody")))
    });
    g.bench_function("nix User::from_name", |b| {
        b.iter(|| nix::unistd::User::from_name(black_box("nobody")))
    });
    g.finish();
}

fn parse_gid(c: &mut Criterion) {
    let ours = daemonry::parse_gid("nogroup").expect("nogroup").as_raw();
    assert_eq!(Some(ours), glibc_getgrnam_gid(c"nogroup"));
    let mut g = c.benchmark_group("parse_gid(nogroup)");
    g.bench_function("daemonry::parse_gid", |b| {
        b.iter(|| daemonry::parse_gid(black_box("nogroup")))
    });
    g.bench_function("glibc getgrnam_r", |b| {
        b.iter(|| glibc_getgrnam_gid(black_box(c"nogroup")))
    });
    g.bench_function("nix Group::from_name", |b| {
        b.iter(|| nix::unistd::Group::from_name(black_box("nogroup")))
    });
    g.finish();
}

fn group_list(c: &mut Criterion) {
    let db = daemonry::AccountDb::system();
    let root = daemonry::Gid::ROOT;
    let mut buf = [root; 64];
    let ours = db
        .group_list("root", root, &mut buf)
        .expect("group_list")
        .len();
    assert_eq!(ours, glibc_getgrouplist(c"root", 0));
    let mut g = c.benchmark_group("group_list(root)");
    g.bench_function("daemonry AccountDb::group_list", |b| {
        b.iter(|| {
            let mut buf = [root; 64];
            db.group_list(black_box("root"), root, &mut buf)
                .map(|l| l.len())
        })
    });
    g.bench_function("glibc getgrouplist", |b| {
        b.iter(|| glibc_getgrouplist(black_box(c"root"), 0))
    });
    g.bench_function("nix getgrouplist", |b| {
        b.iter(|| nix::unistd::getgrouplist(black_box(c"root"), nix::unistd::Gid::from_raw(0)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse_uid, parse_gid, group_list
}
criterion_main!(benches);
