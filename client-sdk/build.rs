//! Compiles `proto/ketenpoort/v1/gateway.proto` (the same file the gateway serves) with
//! protox, a pure-Rust protobuf compiler, so that no system `protoc` is needed; generates the
//! client only.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not with env!: a build script binary can be reused for another
    // checkout of the same sources (e.g. a git worktree sharing the target directory).
    let proto_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../proto");
    let file = proto_dir.join("ketenpoort/v1/gateway.proto");
    println!("cargo:rerun-if-changed={}", file.display());
    // google/protobuf/timestamp.proto comes from protox's bundled well-known types.
    let fds = protox::compile([&file], [&proto_dir])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .compile_fds(fds)?;
    Ok(())
}
