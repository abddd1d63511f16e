//! The real SDKs under `targets/`, and what a test does when one is not installed: it is skipped
//! with a `SKIPPED:` line outside CI, and fails under `CI`, so CI can never pass without having run
//! the SDK.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// `targets/<name>` in this checkout.
pub fn target_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .join("targets")
        .join(name)
}

/// What a test does when its SDK is not installed (`message` says what is missing and how to
/// install it): under `CI` it panics; otherwise it writes `SKIPPED: message` and returns `None`.
pub fn not_installed<T>(message: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("{message} (CI is set, so this is a failure, not a skip)");
    }
    // Written to the real stderr: libtest captures `eprintln!` of passing tests, and a skip must show.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {message}");
    None
}

/// The version of the TypeScript MCP SDK (`@modelcontextprotocol/sdk`) installed in
/// `targets/<dir>/node_modules`; `None` (skip) when it is not installed outside CI, a failure in CI.
/// `what` names the SDK in the message.
pub fn installed_typescript_sdk(dir: &str, what: &str) -> Option<String> {
    let manifest = target_dir(dir).join("node_modules/@modelcontextprotocol/sdk/package.json");
    let text = match std::fs::read_to_string(&manifest) {
        Ok(text) => text,
        Err(e) => {
            return not_installed(&format!(
                "{what} is not installed ({}: {e}): run `ci/test`, or by hand \
                 `targets/{dir}/install`",
                manifest.display()
            ))
        }
    };
    let manifest: Value = serde_json::from_str(&text).expect("the SDK's package.json is JSON");
    Some(
        manifest["version"]
            .as_str()
            .unwrap_or("unknown")
            .to_string(),
    )
}

/// The interpreter of `targets/python/.venv`, where the Python MCP SDK is installed; `None` (skip)
/// when the venv is missing outside CI, a failure in CI.
pub fn python_venv() -> Option<PathBuf> {
    let python = target_dir("python").join(".venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    not_installed(&format!(
        "the Python MCP SDK is not installed ({} is missing): run `ci/test`, or by hand \
         `python3 -m venv targets/python/.venv && targets/python/.venv/bin/pip install --no-deps -r \
         targets/python/requirements.txt`",
        python.display()
    ))
}
