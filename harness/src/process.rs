//! A spawned process in its own process group: read a ready line with a timeout, stop it with
//! SIGTERM then SIGKILL, and never leave it (or its children) behind, even on panic.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
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

/// A child process leading its own process group; the group is killed on drop.
#[derive(Debug)]
pub struct ProcessGroup {
    program: String,
    child: Child,
    lines: Option<mpsc::Receiver<String>>,
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
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
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
                let status = self.child.try_wait().ok().flatten();
                Err(ProcessError::NoReadyLine { program, status })
            }
        }
    }

    fn signal(&self, signal: Signal) {
        let _ = killpg(Pid::from_raw(self.child.id() as i32), signal);
    }

    /// SIGTERM to the group; SIGKILL after `grace`. Returns the leader's exit status.
    pub fn terminate(&mut self, grace: Duration) -> Result<ExitStatus, ProcessError> {
        self.signal(Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    // The leader is gone; make sure nothing it started survives it.
                    self.signal(Signal::SIGKILL);
                    return Ok(status);
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Ok(None) => {
                    self.signal(Signal::SIGKILL);
                    return self.child.wait().map_err(|source| ProcessError::Wait {
                        program: self.program.clone(),
                        source,
                    });
                }
                Err(source) => {
                    return Err(ProcessError::Wait {
                        program: self.program.clone(),
                        source,
                    })
                }
            }
        }
    }

    /// Waits for the process to exit by itself, at most `timeout`; kills the group after that.
    /// Returns `None` when it had to be killed.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>, ProcessError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(Some(status)),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Ok(None) => {
                    self.signal(Signal::SIGKILL);
                    let _ = self.child.wait();
                    return Ok(None);
                }
                Err(source) => {
                    return Err(ProcessError::Wait {
                        program: self.program.clone(),
                        source,
                    })
                }
            }
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.signal(Signal::SIGKILL);
            let _ = self.child.wait();
        } else {
            self.signal(Signal::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            killpg(Pid::from_raw(pgid), None).is_err(),
            "group still alive"
        );
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
