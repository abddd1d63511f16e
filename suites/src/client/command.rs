//! The client under test as a command line: the `--command` string split like a POSIX shell
//! would (quotes and backslashes work, nothing is expanded), then run with the MCP URL appended
//! as its last argument (the official conformance contract).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("the client command is empty")]
    Empty,
    #[error("the client command `{0}` has an unbalanced quote or ends with a backslash")]
    Unbalanced(String),
}

/// The program and its arguments (the MCP URL is appended when the client is started).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCommand {
    argv: Vec<String>,
}

impl ClientCommand {
    /// Splits `line` with shell quoting rules (`shlex`): `python "my client.py" --flag`.
    pub fn parse(line: &str) -> Result<Self, CommandError> {
        let argv = shlex::split(line).ok_or_else(|| CommandError::Unbalanced(line.to_string()))?;
        Self::from_argv(argv)
    }

    /// A command given as separate arguments (no splitting).
    pub fn from_argv(argv: Vec<String>) -> Result<Self, CommandError> {
        if argv.first().is_none_or(|program| program.is_empty()) {
            return Err(CommandError::Empty);
        }
        Ok(Self { argv })
    }

    pub fn program(&self) -> &str {
        &self.argv[0]
    }

    pub fn args(&self) -> &[String] {
        &self.argv[1..]
    }

    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The argv the client is started with: the command, then `mcp_url`.
    pub fn argv_with_url(&self, mcp_url: &str) -> Vec<String> {
        let mut argv = self.argv.clone();
        argv.push(mcp_url.to_string());
        argv
    }

    /// Where the program is: itself when it names a path (contains `/`), else the first
    /// executable file of that name in `PATH`. `None` when there is none (a usage error worth
    /// reporting before any scenario runs).
    pub fn resolve_program(&self) -> Option<PathBuf> {
        let program = self.program();
        if program.contains('/') {
            let path = PathBuf::from(program);
            return is_executable(&path).then_some(path);
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl FromStr for ClientCommand {
    type Err = CommandError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Shell-quoted again, so the text can be pasted into a shell.
impl fmt::Display for ClientCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted: Vec<String> = self
            .argv
            .iter()
            .map(|arg| {
                shlex::try_quote(arg)
                    .map(|q| q.into_owned())
                    .unwrap_or_else(|_| format!("{arg:?}"))
            })
            .collect();
        f.write_str(&quoted.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes_are_honoured() {
        let command = ClientCommand::parse(r#"python3 "my client.py" --name 'a b' c\ d"#).unwrap();
        assert_eq!(command.program(), "python3");
        assert_eq!(command.args(), ["my client.py", "--name", "a b", "c d"]);
        assert_eq!(
            command
                .argv_with_url("http://127.0.0.1:1/mcp")
                .last()
                .unwrap(),
            "http://127.0.0.1:1/mcp"
        );
    }

    #[test]
    fn nothing_is_expanded() {
        let command = ClientCommand::parse("echo $HOME '*' ~").unwrap();
        assert_eq!(command.args(), ["$HOME", "*", "~"]);
    }

    #[test]
    fn unbalanced_and_empty_commands_are_errors() {
        assert_eq!(
            ClientCommand::parse(r#"node "client.js"#),
            Err(CommandError::Unbalanced(r#"node "client.js"#.into()))
        );
        assert!(matches!(
            ClientCommand::parse("node client.js\\"),
            Err(CommandError::Unbalanced(_))
        ));
        assert_eq!(ClientCommand::parse(""), Err(CommandError::Empty));
        assert_eq!(ClientCommand::parse("   "), Err(CommandError::Empty));
        assert_eq!(ClientCommand::parse("''"), Err(CommandError::Empty));
    }

    #[test]
    fn display_round_trips() {
        let command = ClientCommand::parse(r#"node "my client.js" --x"#).unwrap();
        let again = ClientCommand::parse(&command.to_string()).unwrap();
        assert_eq!(again, command);
    }

    #[test]
    fn programs_are_found_in_path_or_by_path() {
        let sh = ClientCommand::parse("sh -c true").unwrap();
        assert!(sh.resolve_program().is_some());
        let missing = ClientCommand::parse("/no/such/client --x").unwrap();
        assert_eq!(missing.resolve_program(), None);
        let missing = ClientCommand::parse("no-such-client-in-path-1234").unwrap();
        assert_eq!(missing.resolve_program(), None);
    }
}
