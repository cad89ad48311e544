//! Real services from Debian under the tool: a Python `http.server` as
//! nobody with `--notify`, and nginx with `daemon off;` — each started,
//! served on loopback, reloaded and stopped.

#![allow(unsafe_code)] // libc: kill in the sweep, pidfds.

mod common;

use common::TempDir;
use common::tool::*;
use std::os::unix::fs::PermissionsExt;

/// `http.server` on 127.0.0.1:0 that writes its port to `port`, says
/// READY=1 on `$NOTIFY_SOCKET`, counts SIGHUPs (served at `/reloads`),
/// and otherwise serves its directory.
const SERVER: &str = r#"
import http.server, os, signal, socket, sys
reloads = 0
def hup(*_):
    global reloads
    reloads += 1
signal.signal(signal.SIGHUP, hup)
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/reloads":
            body = str(reloads).encode()
            self.send_response(200); self.end_headers(); self.wfile.write(body)
        else:
            super().do_GET()
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
n = os.environ.get("NOTIFY_SOCKET")
if n:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect(n); s.send(b"READY=1"); s.close()
srv.serve_forever()
"#;

#[test]
fn python_http_server_as_nobody_with_notify() {
    require_root!();
    if !require_program("/usr/bin/python3", "python3") {
        return;
    }
    let dir = TempDir::new("py");
    let www = dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::write(www.join("index.txt"), "hello from daemonry\n").unwrap();
    let script = dir.path().join("server.py");
    std::fs::write(&script, SERVER).unwrap();
    // nobody writes its port file in www.
    std::fs::set_permissions(&www, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let pidfile = dir.path().join("py.pid");
    let port_file = www.join("port");
    let sweep = Sweep::new();
    let out = tool(&[
        "start",
        "--notify",
        "--timeout",
        "60",
        "--user",
        "nobody",
        "--workdir",
        s(&www),
        "--pidfile",
        s(&pidfile),
        "--",
        "/usr/bin/python3",
        s(&script),
        s(&port_file),
        &sweep.0,
    ]);
    let pid = read_pid(&pidfile);
    assert_eq!(ok(&out), format!("started {pid}"));
    // READY=1 came after the port was written and the socket listens.
    let port: u16 = std::fs::read_to_string(&port_file)
        .unwrap()
        .parse()
        .unwrap();
    let st = common::proc_status(pid);
    assert_eq!(
        st["Uid"].split_whitespace().next(),
        Some("65534"),
        "as nobody"
    );
    let page = http_get(port, "/index.txt").expect("served");
    assert!(
        page.starts_with("HTTP/1.0 200") && page.ends_with("hello from daemonry\n"),
        "{page}"
    );
    // reload: HUP, the same process keeps serving and counted it.
    assert_eq!(
        ok(&tool(&["reload", "--pidfile", s(&pidfile)])),
        format!("sent SIGHUP to {pid}")
    );
    poll_until(20, "the HUP to be counted", || {
        http_get(port, "/reloads").filter(|r| r.ends_with("\r\n\r\n1"))
    });
    assert_eq!(read_pid(&pidfile), pid);
    let fd = pidfd(pid);
    assert_eq!(
        ok(&tool(&["stop", "--pidfile", s(&pidfile)])),
        format!("stopped {pid}")
    );
    assert!(wait_exit(&fd, 0));
    assert!(http_get(port, "/").is_none(), "no longer served");
    assert!(
        !pidfile.exists(),
        "the launcher's side removes a dropped daemon's pidfile"
    );
    assert!(sweep.live().is_empty());
}

#[test]
fn nginx_in_the_foreground_on_loopback() {
    require_root!();
    if !require_program("/usr/sbin/nginx", "nginx-light") {
        return;
    }
    let dir = TempDir::new("nginx");
    let d = dir.path();
    let www = d.join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::write(www.join("index.html"), "nginx under daemonry\n").unwrap();
    std::fs::create_dir(d.join("tmp")).unwrap();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sweep = Sweep::new();
    let port = free_port();
    // The sweep token is in the config's path, hence on the master's
    // command line; the workers are its descendants.
    let conf = d.join(format!("nginx-{}.conf", sweep.0));
    std::fs::write(
        &conf,
        format!(
            "daemon off;
worker_processes 1;
pid {d}/nginx-own.pid;
error_log stderr notice;
user nobody nogroup;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server {{ listen 127.0.0.1:{port}; root {d}/www; }}
}}
",
            d = s(d)
        ),
    )
    .unwrap();
    let pidfile = d.join("nginx.pid");
    let log = d.join("nginx.log");
    let out = tool(&[
        "start",
        "--pidfile",
        s(&pidfile),
        "--logfile",
        s(&log),
        "--",
        "/usr/sbin/nginx",
        "-p",
        s(d),
        "-c",
        s(&conf),
        "-e",
        "stderr",
    ]);
    let master = read_pid(&pidfile);
    assert_eq!(ok(&out), format!("started {master}"));
    let page = poll_until(30, "nginx to serve", || http_get(port, "/index.html"));
    assert!(
        page.contains("200 OK") && page.ends_with("nginx under daemonry\n"),
        "{page}"
    );
    let workers = |m: i32| -> Vec<i32> {
        sweep
            .live()
            .into_iter()
            .filter(|&p| ppid(p) == Some(m))
            .collect()
    };
    let before = poll_until(30, "a worker", || {
        Some(workers(master)).filter(|w| !w.is_empty())
    });
    assert_eq!(
        ok(&tool(&["status", "--pidfile", s(&pidfile)])),
        format!("running {master}")
    );
    // reload: HUP to the master (the topmost holder), which starts new
    // workers and retires the old ones; the master stays.
    assert_eq!(
        ok(&tool(&["reload", "--pidfile", s(&pidfile)])),
        format!("sent SIGHUP to {master}")
    );
    poll_until(30, "new workers", || {
        let now = workers(master);
        (!now.is_empty() && now.iter().all(|w| !before.contains(w))).then_some(())
    });
    assert!(!dead(master));
    assert!(http_get(port, "/index.html").is_some_and(|p| p.contains("200 OK")));
    let fd = pidfd(master);
    assert_eq!(
        ok(&tool(&["stop", "--pidfile", s(&pidfile)])),
        format!("stopped {master}")
    );
    assert!(wait_exit(&fd, 0));
    assert!(
        sweep.live().is_empty(),
        "master and workers gone: {:?}",
        sweep.live()
    );
    assert!(!pidfile.exists());
}
