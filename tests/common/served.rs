//! A server started on an app dir the test chose, with its stderr kept (see [`Served`]).

use super::{isync_command, Client};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// `isync --app-dir <app_dir> serve` with its stderr kept in a file, for tests of what the
/// server says at start-up and of app dirs that `TestServer` (whose app dir is its own temp
/// dir, and whose stderr is discarded) cannot make, such as one inside a media folder.
pub struct Served {
    pub child: Child,
    pub addr: String,
    stderr: PathBuf,
}

impl Served {
    pub fn start(app_dir: &Path, stderr: PathBuf) -> Served {
        let mut child = isync_command()
            .arg("--app-dir")
            .arg(app_dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("isync serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}")).to_string();
        Served { child, addr, stderr }
    }

    /// A client logged in as `user`.
    pub fn client(&self, user: &str, password: &str) -> Client {
        let mut client = Client::new(&self.addr);
        client.login(user, password);
        client
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
