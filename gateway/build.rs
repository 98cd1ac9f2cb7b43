//! Compiles `proto/ketenpoort/v1/gateway.proto` at build time with protox (a pure-Rust
//! protobuf compiler, so no system `protoc` is needed) and writes the file descriptor set
//! that the reflection service serves.

use std::path::PathBuf;

use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not with env!: a build script binary can be reused for another
    // checkout of the same sources (e.g. a git worktree sharing the target directory).
    let proto_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../proto");
    let file = proto_dir.join("ketenpoort/v1/gateway.proto");
    println!("cargo:rerun-if-changed={}", file.display());
    // google/protobuf/timestamp.proto comes from protox's bundled well-known types.
    let fds = protox::compile([&file], [&proto_dir])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("ketenpoort_descriptor.bin"),
        fds.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
