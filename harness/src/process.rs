//! A spawned process in its own process group: read a ready line with a timeout, stop it with
//! SIGTERM then SIGKILL, and never leave it (or its children) behind, even on panic.
//!
//! The group is only ever signalled while its leader is unreaped (running, or a zombie): until the
//! leader is reaped its pid, which is the group id, cannot be reused, so `killpg` cannot hit an
//! unrelated group. Exit is detected with `waitid(WNOWAIT)`, which leaves the zombie in place; the
//! rest of the group is killed; only then is the leader reaped.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("could not start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`{program}` printed no ready line within {timeout:?}")]
    ReadyTimeout { program: String, timeout: Duration },
    #[error("`{program}` closed its stdout before printing a ready line (exit: {status:?})")]
    NoReadyLine {
        program: String,
        status: Option<ExitStatus>,
    },
    #[error("could not wait for `{program}`: {source}")]
    Wait {
        program: String,
        source: std::io::Error,
    },
}

/// The longest stdout line kept, in bytes: a longer one is cut there and marked (a target printing
/// megabytes without a newline must not fill the harness's memory).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What a cut line ends with.
pub const TRUNCATED_MARK: &str = " …[line truncated]";

/// Reads one line of at most [`MAX_LINE_BYTES`] (without its `\n` or `\r\n`), discarding the rest of
/// a longer one; bytes that are not UTF-8 are replaced, not fatal. `None` at the end of the stream.
fn read_bounded_line(reader: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    // A line of exactly the limit ending in CRLF: the `\r` was the extra byte read, its `\n` is next.
    if line.len() == MAX_LINE_BYTES + 1
        && line.last() == Some(&b'\r')
        && reader.fill_buf()?.first() == Some(&b'\n')
    {
        reader.consume(1);
        line.push(b'\n');
    }
    let complete = line.last() == Some(&b'\n');
    if complete {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    let mut text = String::from_utf8_lossy(&line).into_owned();
    if !complete && line.len() > MAX_LINE_BYTES {
        // Skip the rest of the line, chunk by chunk, without keeping it.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let n = reader
                .by_ref()
                .take(MAX_LINE_BYTES as u64)
                .read_until(b'\n', &mut rest)?;
            if n == 0 || rest.last() == Some(&b'\n') {
                break;
            }
        }
        let mut cut = MAX_LINE_BYTES;
        while !text.is_char_boundary(cut.min(text.len())) {
            cut -= 1;
        }
        text.truncate(cut.min(text.len()));
        text.push_str(TRUNCATED_MARK);
    }
    Ok(Some(text))
}

/// A child process leading its own process group; the group is killed on drop.
#[derive(Debug)]
pub struct ProcessGroup {
    program: String,
    child: Child,
    lines: Option<mpsc::Receiver<String>>,
    /// The leader's exit status once it has been reaped; from then on the group is never
    /// signalled again (its id may belong to someone else).
    reaped: Option<ExitStatus>,
}

impl ProcessGroup {
    /// Spawns `command` as the leader of a new process group, with stdout piped.
    pub fn spawn(command: &mut Command) -> Result<Self, ProcessError> {
        let program = command.get_program().to_string_lossy().into_owned();
        command.process_group(0).stdout(Stdio::piped());
        let child = command.spawn().map_err(|source| ProcessError::Spawn {
            program: program.clone(),
            source,
        })?;
        Ok(Self {
            program,
            child,
            lines: None,
            reaped: None,
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    fn line_receiver(&mut self) -> Option<&mpsc::Receiver<String>> {
        if self.lines.is_none() {
            let stdout: ChildStdout = self.child.stdout.take()?;
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                while let Ok(Some(line)) = read_bounded_line(&mut reader) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            self.lines = Some(rx);
        }
        self.lines.as_ref()
    }

    /// The next line the process prints on stdout, waiting at most `timeout`.
    pub fn next_line(&mut self, timeout: Duration) -> Result<String, ProcessError> {
        let program = self.program.clone();
        let deadline = Instant::now() + timeout;
        let Some(rx) = self.line_receiver() else {
            return Err(ProcessError::NoReadyLine {
                program,
                status: None,
            });
        };
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => Ok(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(ProcessError::ReadyTimeout { program, timeout })
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = self.try_reap().ok().flatten();
                Err(ProcessError::NoReadyLine { program, status })
            }
        }
    }

    /// Signals the whole group; never once the leader is reaped.
    fn signal(&self, signal: Signal) {
        if self.reaped.is_none() {
            let _ = killpg(Pid::from_raw(self.child.id() as i32), signal);
        }
    }

    fn wait_error(&self, source: std::io::Error) -> ProcessError {
        ProcessError::Wait {
            program: self.program.clone(),
            source,
        }
    }

    /// Whether the leader has exited, without reaping it (`waitid` with `WNOWAIT`).
    fn leader_exited(&self) -> Result<bool, ProcessError> {
        if self.reaped.is_some() {
            return Ok(true);
        }
        let pid = Pid::from_raw(self.child.id() as i32);
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        match waitid(Id::Pid(pid), flags) {
            Ok(WaitStatus::StillAlive) => Ok(false),
            Ok(_) => Ok(true),
            Err(errno) => Err(self.wait_error(std::io::Error::from(errno))),
        }
    }

    /// Once the leader has exited (or will, being killed): SIGKILL whatever is left of its group
    /// while the leader's pid is still reserved, then reap the leader.
    fn kill_group_and_reap(&mut self) -> Result<ExitStatus, ProcessError> {
        if let Some(status) = self.reaped {
            return Ok(status);
        }
        self.signal(Signal::SIGKILL);
        let status = self.child.wait().map_err(|e| self.wait_error(e))?;
        self.reaped = Some(status);
        Ok(status)
    }

    /// `Some(status)` if the leader has exited, in which case its group is killed and it is
    /// reaped; `None` while it runs.
    pub fn try_reap(&mut self) -> Result<Option<ExitStatus>, ProcessError> {
        if self.leader_exited()? {
            self.kill_group_and_reap().map(Some)
        } else {
            Ok(None)
        }
    }

    /// SIGTERM to the group; SIGKILL after `grace`. Returns the leader's exit status.
    pub fn terminate(&mut self, grace: Duration) -> Result<ExitStatus, ProcessError> {
        self.signal(Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        loop {
            // The leader is gone: `try_reap` makes sure nothing it started survives it.
            if let Some(status) = self.try_reap()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return self.kill_group_and_reap();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the process to exit by itself, at most `timeout`; kills the group after that,
    /// and also when the leader exits (what it left behind in its group is killed).
    /// Returns `None` when it had to be killed.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>, ProcessError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_reap()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                self.kill_group_and_reap()?;
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        // Running or exited but unreaped: the group is killed before the leader is reaped.
        let _ = self.kill_group_and_reap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_survive_bytes_that_are_not_utf8() {
        let long = "x".repeat(3 * MAX_LINE_BYTES + 7);
        let input = format!("short\r\n{long}\nafter\nno newline at the end");
        let mut bytes = input.into_bytes();
        bytes.splice(0..0, b"\xff\xfe\n".iter().copied());
        let mut reader = std::io::Cursor::new(bytes);
        let mut lines = Vec::new();
        while let Some(line) = read_bounded_line(&mut reader).unwrap() {
            lines.push(line);
        }
        assert_eq!(
            lines.len(),
            5,
            "{:?}",
            lines.iter().map(|l| l.len()).collect::<Vec<_>>()
        );
        assert_eq!(lines[0], "\u{fffd}\u{fffd}");
        assert_eq!(lines[1], "short");
        assert_eq!(lines[2].len(), MAX_LINE_BYTES + TRUNCATED_MARK.len());
        assert!(lines[2].ends_with(TRUNCATED_MARK));
        assert_eq!(lines[3], "after");
        assert_eq!(lines[4], "no newline at the end");

        // Exactly the limit is not cut, with LF or CRLF.
        let exact = "y".repeat(MAX_LINE_BYTES);
        let mut reader = std::io::Cursor::new(format!("{exact}\n{exact}\r\nz").into_bytes());
        assert_eq!(read_bounded_line(&mut reader).unwrap().unwrap(), exact);
        assert_eq!(read_bounded_line(&mut reader).unwrap().unwrap(), exact);
        assert_eq!(read_bounded_line(&mut reader).unwrap().unwrap(), "z");
        assert_eq!(read_bounded_line(&mut reader).unwrap(), None);

        // A multibyte character across the cut is dropped whole, never split.
        let multibyte = format!("{}é{}\n", "a".repeat(MAX_LINE_BYTES - 1), "b".repeat(10));
        let mut reader = std::io::Cursor::new(multibyte.into_bytes());
        let cut = read_bounded_line(&mut reader).unwrap().unwrap();
        assert_eq!(
            cut,
            format!("{}{TRUNCATED_MARK}", "a".repeat(MAX_LINE_BYTES - 1))
        );
    }

    #[test]
    fn reads_a_line_and_terminates_the_group() {
        let mut p =
            ProcessGroup::spawn(Command::new("sh").args(["-c", "echo ready; sleep 30 & sleep 30"]))
                .unwrap();
        assert_eq!(p.next_line(Duration::from_secs(5)).unwrap(), "ready");
        let pgid = p.id() as i32;
        let status = p.terminate(Duration::from_secs(2)).unwrap();
        assert!(!status.success());
        // The background `sleep` was in the group and is gone too.
        assert!(group_is_gone(pgid), "group still alive");
    }

    fn group_is_gone(pgid: i32) -> bool {
        // SIGKILLed members are reaped by init (or a subreaper) shortly after.
        let deadline = Instant::now() + Duration::from_secs(2);
        while killpg(Pid::from_raw(pgid), None).is_ok() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    #[test]
    fn leader_exit_kills_what_it_left_in_its_group() {
        // The leader prints and exits at once; its background `sleep` stays in the group.
        let mut p =
            ProcessGroup::spawn(Command::new("sh").args(["-c", "sleep 30 & echo ready"])).unwrap();
        assert_eq!(p.next_line(Duration::from_secs(5)).unwrap(), "ready");
        let pgid = p.id() as i32;
        let status = p.wait_timeout(Duration::from_secs(5)).unwrap();
        assert!(status.unwrap().success(), "{status:?}");
        assert!(
            group_is_gone(pgid),
            "the leader's background child survived it"
        );
        // Reaped: the status is kept, and nothing is signalled any more.
        assert_eq!(p.wait_timeout(Duration::ZERO).unwrap(), status);
        assert_eq!(Some(p.terminate(Duration::ZERO).unwrap()), status);
    }

    #[test]
    fn exit_is_seen_without_reaping_until_the_group_is_killed() {
        let mut p = ProcessGroup::spawn(&mut Command::new("true")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !p.leader_exited().unwrap() {
            assert!(Instant::now() < deadline, "`true` did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
        // Still a zombie: the pid (and so the group id) is reserved until `kill_group_and_reap`.
        assert!(p.reaped.is_none());
        assert!(p.leader_exited().unwrap(), "WNOWAIT left the zombie");
        assert!(p.kill_group_and_reap().unwrap().success());
        assert!(p.reaped.is_some());
    }

    #[test]
    fn drop_kills_the_whole_group() {
        let mut p =
            ProcessGroup::spawn(Command::new("sh").args(["-c", "echo ready; sleep 30 & sleep 30"]))
                .unwrap();
        assert_eq!(p.next_line(Duration::from_secs(5)).unwrap(), "ready");
        let pgid = p.id() as i32;
        drop(p);
        assert!(group_is_gone(pgid), "group still alive after drop");
    }

    #[test]
    fn missing_ready_line_is_a_timeout_not_a_hang() {
        let mut p = ProcessGroup::spawn(Command::new("sleep").arg("30")).unwrap();
        let err = p.next_line(Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, ProcessError::ReadyTimeout { .. }), "{err}");
    }

    #[test]
    fn early_exit_is_reported() {
        let mut p = ProcessGroup::spawn(&mut Command::new("true")).unwrap();
        let err = p.next_line(Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, ProcessError::NoReadyLine { .. }), "{err}");
        assert!(matches!(
            ProcessGroup::spawn(&mut Command::new("/no/such/program")),
            Err(ProcessError::Spawn { .. })
        ));
    }
}
