//! Command line: `authlab-test-client [--break RULE]... [--use-browser] <mcp-url>` (the MCP URL is
//! the last argument, as the official conformance runner passes it). Usage errors exit with 2.

use crate::breaks::{Break, Breaks, ALL};

pub const USAGE: &str = "usage: authlab-test-client [--break RULE]... [--use-browser] <mcp-url>
       authlab-test-client --list-breaks

Environment: MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT (JSON), SSL_CERT_FILE (PEM CA),
BROWSER (used only with --use-browser).";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub mcp_url: String,
    pub breaks: Breaks,
    /// Open the authorization URL with `$BROWSER` and wait for the callback (when `BROWSER` is set).
    pub use_browser: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Args),
    ListBreaks,
    Help,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("unknown break `{0}` (see --list-breaks)")]
    UnknownBreak(String),
    #[error("--break needs a rule name")]
    MissingBreakName,
    #[error("unknown option `{0}`")]
    UnknownOption(String),
    #[error("the MCP server URL is missing")]
    MissingUrl,
    #[error("more than one MCP server URL: `{0}` and `{1}`")]
    TwoUrls(String, String),
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, UsageError> {
    let mut breaks = Breaks::default();
    let mut use_browser = false;
    let mut url: Option<String> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--list-breaks" => return Ok(Command::ListBreaks),
            "--use-browser" => use_browser = true,
            "--break" => {
                let name = args.next().ok_or(UsageError::MissingBreakName)?;
                breaks.insert(parse_break(&name)?);
            }
            _ if arg.starts_with("--break=") => {
                breaks.insert(parse_break(&arg["--break=".len()..])?);
            }
            _ if arg.starts_with('-') => return Err(UsageError::UnknownOption(arg)),
            _ => {
                if let Some(first) = url.replace(arg.clone()) {
                    return Err(UsageError::TwoUrls(first, arg));
                }
            }
        }
    }
    let mcp_url = url.ok_or(UsageError::MissingUrl)?;
    Ok(Command::Run(Args {
        mcp_url,
        breaks,
        use_browser,
    }))
}

fn parse_break(name: &str) -> Result<Break, UsageError> {
    if name.is_empty() {
        return Err(UsageError::MissingBreakName);
    }
    Break::from_name(name).ok_or_else(|| UsageError::UnknownBreak(name.to_string()))
}

/// The `--list-breaks` output: one `name  what it does` line per break.
pub fn list_breaks() -> String {
    ALL.iter()
        .map(|(_, name, what)| format!("{name:<30} {what}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn url_last_with_repeated_breaks() {
        let Command::Run(args) = parse_strs(&[
            "--break",
            "no-pkce",
            "--break=no-state",
            "--use-browser",
            "http://127.0.0.1:1/mcp",
        ])
        .unwrap() else {
            panic!("not a run")
        };
        assert_eq!(args.mcp_url, "http://127.0.0.1:1/mcp");
        assert!(args.use_browser);
        assert!(args.breaks.has(Break::NoPkce));
        assert!(args.breaks.has(Break::NoState));
        assert!(!args.breaks.has(Break::NoResource));
    }

    #[test]
    fn unknown_break_and_missing_url_are_usage_errors() {
        assert_eq!(
            parse_strs(&["--break", "bogus", "http://h/mcp"]),
            Err(UsageError::UnknownBreak("bogus".into()))
        );
        assert_eq!(parse_strs(&["--break"]), Err(UsageError::MissingBreakName));
        assert_eq!(parse_strs(&[]), Err(UsageError::MissingUrl));
        assert_eq!(
            parse_strs(&["--verbose", "http://h/mcp"]),
            Err(UsageError::UnknownOption("--verbose".into()))
        );
        assert!(matches!(
            parse_strs(&["http://a/mcp", "http://b/mcp"]),
            Err(UsageError::TwoUrls(..))
        ));
        assert_eq!(parse_strs(&["--list-breaks"]), Ok(Command::ListBreaks));
        assert!(list_breaks().lines().count() == ALL.len());
    }
}
