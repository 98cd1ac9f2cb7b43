//! Helpers shared by the conformance tests: finding the official standards and running xmllint.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ketenpoort_messages::{Law, MessageKind};

/// The directory with the official schemas and rules (`../shared/standards` beside the
/// repository, or `KETENPOORT_STANDARDS_DIR`). `None` means: skip, unless CI requires them
/// (`KETENPOORT_REQUIRE_STANDARDS=1`), in which case this panics.
pub fn standards_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("KETENPOORT_STANDARDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/standards"));
    if dir.join("ijw-3.2/basisschema.xsd").is_file() {
        return Some(dir);
    }
    if std::env::var("KETENPOORT_REQUIRE_STANDARDS").as_deref() == Ok("1") {
        panic!(
            "{test}: the standards directory {} is missing but KETENPOORT_REQUIRE_STANDARDS=1",
            dir.display()
        );
    }
    eprintln!(
        "{test}: skipped, no standards directory at {}",
        dir.display()
    );
    None
}

/// The XSD of a kind, when the standards have one (14 iJw, 7 iWmo).
pub fn xsd(standards: &Path, kind: MessageKind) -> Option<PathBuf> {
    let dir = match kind.law {
        Law::Ijw => "ijw-3.2",
        Law::Iwmo => "iwmo-3.2",
    };
    let path = standards.join(dir).join(format!("{}.xsd", kind.code()));
    path.is_file().then_some(path)
}

/// Runs `xmllint --noout --schema` over `files`; returns for each file whether it validates.
pub fn xmllint_verdicts(schema: &Path, files: &[PathBuf]) -> Vec<bool> {
    let mut verdicts = Vec::with_capacity(files.len());
    // Batches keep the command line short.
    for chunk in files.chunks(200) {
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(schema)
            .args(chunk)
            .output()
            .expect("xmllint must be installed (Debian package libxml2-utils)");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for file in chunk {
            let name = file.display().to_string();
            let ok = stderr.lines().any(|l| l == format!("{name} validates"));
            // A recoverable error (libxml2 reports namespace errors such as a colon in a PI
            // target, then validates and exits 0) does not change the verdict: "validates"
            // is xmllint's verdict; without it, any error line means invalid.
            let failed = stderr
                .lines()
                .any(|l| l == format!("{name} fails to validate"))
                || (!ok && stderr.lines().any(|l| l.starts_with(&format!("{name}:"))));
            assert!(ok != failed || !ok, "xmllint gave two verdicts for {name}");
            verdicts.push(ok && !failed);
        }
        assert!(
            !stderr.contains("failed to compile") && !stderr.contains("Schemas parser error"),
            "xmllint could not compile {}: {stderr}",
            schema.display()
        );
    }
    verdicts
}
