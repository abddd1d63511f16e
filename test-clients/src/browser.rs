//! Opening the authorization URL with `$BROWSER` (only with `--use-browser`). The variable is split
//! like a shell word list (shlex) and the URL appended as the last argument; no shell runs it. The
//! browser runs in its own process group, killed with the group when the flow is done with it.

use std::process::{Command, Stdio};
use std::time::Duration;

use mcp_authlab_harness::process::ProcessGroup;

use crate::error::{ClientError, Result};
use crate::log;

/// The browser command from `BROWSER`, split into program and arguments; `None` when unset or empty.
pub fn command_from(value: Option<&str>) -> Result<Option<Vec<String>>> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let words = shlex::split(value).ok_or_else(|| {
        ClientError::Config(format!("BROWSER `{value}` cannot be split into words"))
    })?;
    Ok(Some(words).filter(|w| !w.is_empty()))
}

pub struct Browser(Option<ProcessGroup>);

/// Starts `command url`.
pub fn open(command: &[String], url: &str) -> Result<Browser> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| ClientError::Config("BROWSER is empty".into()))?;
    log::step(format!("opening the authorization URL with `{program}`"));
    let mut cmd = Command::new(program);
    cmd.args(args).arg(url).stdin(Stdio::null());
    let group = ProcessGroup::spawn(&mut cmd)
        .map_err(|e| ClientError::Config(format!("cannot run BROWSER: {e}")))?;
    Ok(Browser(Some(group)))
}

impl Browser {
    /// Lets the browser finish for up to `grace`, then kills its process group.
    pub async fn close(mut self, grace: Duration) {
        if let Some(mut group) = self.0.take() {
            let _ = tokio::task::spawn_blocking(move || group.wait_timeout(grace)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_variable_is_split_into_words() {
        assert_eq!(command_from(None).unwrap(), None);
        assert_eq!(command_from(Some("  ")).unwrap(), None);
        assert_eq!(
            command_from(Some(r#"my-open --flag "a b""#)).unwrap(),
            Some(vec!["my-open".to_string(), "--flag".into(), "a b".into()])
        );
        assert!(command_from(Some(r#"open "unterminated"#)).is_err());
    }

    #[tokio::test]
    async fn the_url_is_the_last_argument_and_no_shell_interprets_it() {
        let dir = std::env::temp_dir().join(format!("authlab-browser-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("args");
        let script = format!("printf '%s\\n' \"$@\" > {}", out.display());
        let command = vec!["sh".to_string(), "-c".into(), script, "browser".into()];
        let url = "http://127.0.0.1:1/authorize?a=1&b=$(touch pwned)";
        open(&command, url)
            .unwrap()
            .close(Duration::from_secs(5))
            .await;
        let written = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(written.trim_end(), url);
    }
}
