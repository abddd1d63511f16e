//! Starting the client under test in its own process group, waiting for it (at most the timeout),
//! and collecting what it printed. Blocking: the runner calls it from a blocking thread.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use mcp_authlab_harness::process::{ProcessError, ProcessGroup};
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::observation::ClientExit;

/// After the timeout, how long the client gets between SIGTERM and SIGKILL.
pub const TERMINATE_GRACE: Duration = Duration::from_millis(500);
/// The longest wait for a line of stdout before the client's exit and the timeout are checked again.
const LINE_WAIT: Duration = Duration::from_millis(10);
/// How often the client's exit is checked once its stdout is closed.
const EXIT_POLL: Duration = Duration::from_micros(500);
/// After the client's group is dead, the longest wait for the rest of its stdout (a process that
/// left the group may hold the pipe open, and may print forever).
const DRAIN_WAIT: Duration = Duration::from_millis(300);
/// At most this many stdout lines are kept (the last ones).
pub const MAX_LINES: usize = 1000;
/// Each line is kept up to this many bytes (the report cuts them shorter still).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// At most this much of the client's stderr is read back (its end).
const STDERR_TAIL_BYTES: u64 = 64 * 1024;

/// What the client did.
#[derive(Debug)]
pub struct ClientRun {
    pub exit: ClientExit,
    /// Its stdout lines, then its stderr lines (not redacted yet).
    pub lines: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("could not start the client: {0}")]
    Start(String),
    #[error("lost track of the client process: {0}")]
    Wait(String),
}

/// The client's environment: the inherited one without `remove`, with `set` added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientEnv {
    pub set: Vec<(String, String)>,
    pub remove: Vec<String>,
}

impl ClientEnv {
    /// The value `name` gets (the last `set`), if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.set
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Starts `argv` (stdin closed, stdout piped, stderr to an anonymous temp file) in `env`, waits
/// for it at most `timeout`, then terminates its group. Whatever happens, nothing of its process
/// group survives this call. Keeps the last [`MAX_LINES`] stdout lines, each cut after
/// [`MAX_LINE_BYTES`].
pub fn run_client(
    argv: &[String],
    env: &ClientEnv,
    timeout: Duration,
) -> Result<ClientRun, SpawnError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| SpawnError::Start("empty command".into()))?;
    let mut stderr_file = tempfile::tempfile()
        .map_err(|e| SpawnError::Start(format!("could not create a file for stderr: {e}")))?;
    let stderr_writer = stderr_file
        .try_clone()
        .map_err(|e| SpawnError::Start(format!("could not create a file for stderr: {e}")))?;
    let mut command = Command::new(program);
    for name in &env.remove {
        command.env_remove(name);
    }
    command
        .args(args)
        .envs(env.set.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stderr(Stdio::from(stderr_writer));
    let mut group = ProcessGroup::spawn(&mut command).map_err(|e| match e {
        ProcessError::Spawn { program, source } => {
            SpawnError::Start(format!("`{program}`: {source}"))
        }
        other => SpawnError::Start(other.to_string()),
    })?;
    drop(command); // closes the parent's copy of the stderr file handle
    let started = Instant::now();

    let mut lines = Lines::default();
    let mut stdout_open = true;
    let exit = loop {
        if leader_exited(&group) {
            let status = group
                .wait_timeout(Duration::from_secs(5))
                .map_err(|e| SpawnError::Wait(e.to_string()))?;
            break status.map_or(ClientExit::TimedOut(started.elapsed()), exit_of);
        }
        if started.elapsed() >= timeout {
            group
                .terminate(TERMINATE_GRACE)
                .map_err(|e| SpawnError::Wait(e.to_string()))?;
            break ClientExit::TimedOut(timeout);
        }
        if stdout_open {
            // Returns at once on a line or when stdout closes (usually: the client is exiting).
            match group.next_line(LINE_WAIT) {
                Ok(line) => lines.push(line),
                Err(ProcessError::ReadyTimeout { .. }) => {}
                // Stdout closed and the leader had exited: the group has reaped it already.
                Err(ProcessError::NoReadyLine {
                    status: Some(status),
                    ..
                }) => break exit_of(status),
                Err(_) => stdout_open = false,
            }
        } else {
            std::thread::sleep(EXIT_POLL);
        }
    };
    // The group is dead: the pipe closes once the reader has passed on everything written (a
    // process that left the group could keep it open, or print forever: [`DRAIN_WAIT`] in all).
    let drain_deadline = Instant::now() + DRAIN_WAIT;
    while stdout_open {
        let left = drain_deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match group.next_line(left) {
            Ok(line) => lines.push(line),
            Err(_) => stdout_open = false,
        }
    }
    drop(group);

    let mut lines: Vec<String> = lines.0.into();
    lines.extend(stderr_tail(&mut stderr_file));
    Ok(ClientRun { exit, lines })
}

/// The last [`MAX_LINES`] lines, each cut after [`MAX_LINE_BYTES`].
#[derive(Default)]
struct Lines(VecDeque<String>);

impl Lines {
    fn push(&mut self, mut line: String) {
        if line.len() > MAX_LINE_BYTES {
            let mut end = MAX_LINE_BYTES;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
        }
        if self.0.len() == MAX_LINES {
            self.0.pop_front();
        }
        self.0.push_back(line);
    }
}

/// Whether the group leader has exited, without reaping it (the [`ProcessGroup`] reaps it, after
/// killing what it left in its group). Only asked while the leader is unreaped (a reaped leader
/// is seen in `next_line`'s result), so its pid cannot belong to another process.
fn leader_exited(group: &ProcessGroup) -> bool {
    let pid = Pid::from_raw(group.id() as i32);
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    !matches!(waitid(Id::Pid(pid), flags), Ok(WaitStatus::StillAlive))
}

fn exit_of(status: ExitStatus) -> ClientExit {
    match (status.code(), status.signal()) {
        (Some(code), _) => ClientExit::Code(code),
        (None, Some(signal)) => ClientExit::Signal(signal),
        (None, None) => ClientExit::Code(-1),
    }
}

fn stderr_tail(file: &mut std::fs::File) -> Vec<String> {
    let len = file.seek(SeekFrom::End(0)).unwrap_or(0);
    let start = len.saturating_sub(STDERR_TAIL_BYTES);
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // most likely cut in the middle
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn exit_code_and_both_streams_are_collected() {
        assert!(std::env::var_os("HOME").is_some() && std::env::var_os("PATH").is_some());
        let env = ClientEnv {
            set: vec![("X".into(), "from-env".into())],
            remove: vec!["HOME".into()],
        };
        let run = run_client(
            &sh("echo out1; echo err1 >&2; echo \"$X\"; echo \"[${PATH:+path}][${HOME-no home}]\"; exit 3"),
            &env,
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(run.exit, ClientExit::Code(3));
        assert_eq!(run.lines, ["out1", "from-env", "[path][no home]", "err1"]);
    }

    #[test]
    fn a_hanging_client_is_killed_with_its_group_at_the_timeout() {
        let started = Instant::now();
        let run = run_client(
            &sh("echo $$; sleep 30 & sleep 30"),
            &ClientEnv::default(),
            Duration::from_millis(300),
        )
        .unwrap();
        assert_eq!(run.exit, ClientExit::TimedOut(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(5));
        let pgid: i32 = run.lines[0].parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        while nix::sys::signal::killpg(Pid::from_raw(pgid), None).is_ok() {
            assert!(Instant::now() < deadline, "the client's group survived");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn signals_and_missing_programs() {
        let run = run_client(
            &sh("kill -9 $$"),
            &ClientEnv::default(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(run.exit, ClientExit::Signal(9));
        let error = run_client(
            &["/no/such/client".into()],
            &ClientEnv::default(),
            Duration::from_secs(1),
        );
        assert!(matches!(error, Err(SpawnError::Start(_))), "{error:?}");
    }

    #[test]
    fn output_is_bounded_and_a_helper_that_left_the_group_cannot_hold_the_run() {
        // A helper in its own session keeps stdout open and prints forever (it dies of SIGPIPE
        // once the harness stops reading, or after 20 s).
        let started = Instant::now();
        let run = run_client(
            &sh("head -c 200000 /dev/zero | tr '\\0' x; echo; \
                 setsid timeout 20 yes spam & exit 0"),
            &ClientEnv::default(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(run.exit, ClientExit::Code(0));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(run.lines.len() <= MAX_LINES, "{}", run.lines.len());
        assert!(run.lines.iter().all(|l| l.len() <= MAX_LINE_BYTES));
        let long = run.lines.iter().find(|l| l.starts_with('x'));
        if let Some(long) = long {
            assert_eq!(long.len(), MAX_LINE_BYTES);
        } else {
            // Pushed out by the spam: the cap on the number of lines worked.
            assert_eq!(run.lines.len(), MAX_LINES);
        }
    }
}
