//! Reading a child's stdout line by line, up to a deadline.

use std::time::{Duration, Instant};

use mcp_authlab_harness::process::{ProcessError, ProcessGroup};

/// The stdout lines read from a child.
pub struct Stdout {
    pub lines: Vec<String>,
    /// Whether reading stopped because the time was up (not because stdout closed or the last
    /// line wanted came).
    pub timed_out: bool,
}

impl Stdout {
    /// The lines, each ended by `\n`.
    pub fn text(&self) -> String {
        self.lines.iter().map(|line| format!("{line}\n")).collect()
    }
}

/// Reads `process`'s stdout until it closes, `timeout` passes, or `last` holds for a line (that
/// line is kept).
pub fn read_stdout(
    process: &mut ProcessGroup,
    timeout: Duration,
    last: impl Fn(&str) -> bool,
) -> Stdout {
    let deadline = Instant::now() + timeout;
    let mut lines = Vec::new();
    let timed_out = loop {
        match process.next_line(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                let done = last(&line);
                lines.push(line);
                if done {
                    break false;
                }
            }
            Err(ProcessError::ReadyTimeout { .. }) => break true,
            Err(_) => break false,
        }
    };
    Stdout { lines, timed_out }
}
