//! mcp-authlab's harness: drives the implementations under test. For now, spawning a target in its
//! own process group, reading its ready line, and killing the whole group at the end.

pub mod process;
pub mod token;
