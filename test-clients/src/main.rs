//! `authlab-test-client`: being written (see the client-suite issue). Placeholder so the workspace builds.
fn main() {
    eprintln!("authlab-test-client: not written yet");
    std::process::exit(1);
}
