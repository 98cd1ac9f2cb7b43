//! `ketenpoort validate [--json] FILE...`: checks message files with the validating reader
//! (the XSD-level checks) and then applies all in-message rules (controleniveau 2: the CD, CS
//! and XSLT-level TR rules of `ketenpoort_messages::rules::check`) and, on a 323, TR346 as far
//! as the message shows without a tariff table (`rules::amounts`: volume × ProductTarief for
//! every unit but minuut; a minuut line's amount one that some hourly tariff rounding to its
//! ProductTarief gives, IV081). A file is valid only when they find nothing.
//!
//! Every file is reported, also after one could not be read, so a run over a directory of
//! messages shows all problems at once. The text form is for people; `--json` prints one JSON
//! object per file per line (JSON Lines) for scripts. Neither form quotes free text from a
//! message: the reader's violations never do, so the output is safe to keep in logs.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ketenpoort_messages::{Error, Message, MessageKind, ReadLimits, Violation, rules};
use serde::Serialize;

/// Arguments of `ketenpoort validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// Print one JSON object per file and line instead of text.
    #[arg(long)]
    pub json: bool,
    /// The message files to check.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// The verdict on one file. Ordered by severity, so the worst verdict of a run is its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// A schema-valid iJw/iWmo 3.2 message that breaks no in-message rule.
    Valid,
    /// Not a valid message: schema violations, in-message rule violations, not well-formed,
    /// not a 3.2 message, too large.
    Invalid,
    /// The file could not be read (missing, unreadable, a directory).
    Unreadable,
}

impl Status {
    /// The process exit code for a run whose worst verdict is this one: 0, 1 or 2.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Valid => 0,
            Status::Invalid => 1,
            Status::Unreadable => 2,
        }
    }
}

/// One problem found in a file: a violation of the reader or of an in-message rule, or a
/// whole-file problem shown the same way (rule `XML`, `XSD-root`, `BRS06` or `IO`, path `/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id: RSnnn/CSnnn/CDnnn/TRnnn from the standard, `XSD-*` for a schema facet, or
    /// one of the whole-file ids above.
    pub rule: &'static str,
    /// The element path, e.g. `/Bericht/Header/BerichtCode`; `/` for whole-file problems.
    pub path: String,
    /// What is wrong, in plain language.
    pub message: String,
    /// The retourcode (WJ001) a retour would carry for this rule: `0001` for in-message rules;
    /// none (JSON `null`) for schema and whole-file problems, which VECOZO refuses outright.
    pub retourcode: Option<&'static str>,
}

impl From<&Violation> for Finding {
    fn from(v: &Violation) -> Self {
        Finding {
            rule: v.rule,
            path: v.path.clone(),
            message: v.message.clone(),
            retourcode: v.retourcode,
        }
    }
}

impl Finding {
    fn whole_file(rule: &'static str, message: String) -> Self {
        Finding {
            rule,
            path: "/".to_owned(),
            message,
            retourcode: None,
        }
    }
}

/// What `validate` found out about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file as given on the command line.
    pub file: PathBuf,
    /// The verdict.
    pub status: Status,
    /// The message kind, when the root element was recognised.
    pub kind: Option<MessageKind>,
    /// The problems, in document order (at most [`ketenpoort_messages::MAX_VIOLATIONS`]);
    /// empty when valid.
    pub findings: Vec<Finding>,
    /// How many more problems were found but not kept (a crafted file may break a rule
    /// millions of times; the report stays small).
    pub omitted: usize,
}

/// The `--json` form of a [`FileReport`]; field order is the key order on the line.
#[derive(Serialize)]
struct JsonLine<'a> {
    file: String,
    valid: bool,
    law: Option<&'static str>,
    message: Option<String>,
    violations: &'a [Finding],
    #[serde(skip_serializing_if = "is_zero")]
    omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl FileReport {
    /// Reads `path`, checks it with [`ketenpoort_messages::read`] and, when that succeeds,
    /// with [`rules::check`].
    pub fn check(path: &Path, limits: ReadLimits) -> FileReport {
        FileReport::check_keeping(path, limits).0
    }

    /// [`FileReport::check`], handing back what was read (the bytes and the message) for the
    /// caller to free when it suits it.
    fn check_keeping(path: &Path, limits: ReadLimits) -> (FileReport, Leftovers) {
        match load(path, limits.max_bytes) {
            Ok(Loaded::Bytes(bytes)) => {
                let (report, message) =
                    FileReport::of_read(path, ketenpoort_messages::read(&bytes, limits));
                (report, Leftovers(Some(bytes), message))
            }
            // Do not read a huge file into memory only for the reader to refuse it.
            Ok(Loaded::TooLarge(size)) => (
                FileReport::of_result(
                    path,
                    Err(Error::TooLarge {
                        size: usize::try_from(size).unwrap_or(usize::MAX),
                        limit: limits.max_bytes,
                    }),
                ),
                Leftovers(None, None),
            ),
            Err(e) => (
                FileReport {
                    file: path.to_owned(),
                    status: Status::Unreadable,
                    kind: None,
                    findings: vec![Finding::whole_file(
                        "IO",
                        format!("could not read the file: {e}"),
                    )],
                    omitted: 0,
                },
                Leftovers(None, None),
            ),
        }
    }

    /// [`FileReport::of_result`], handing back the message that was read.
    fn of_read(path: &Path, result: Result<Message, Error>) -> (FileReport, Option<Message>) {
        match result {
            Ok(message) => {
                let report = FileReport::of_message(path, &message);
                (report, Some(message))
            }
            Err(e) => (FileReport::of_result(path, Err(e)), None),
        }
    }

    /// The report for a message that was read: the in-message rules and TR346.
    fn of_message(path: &Path, message: &Message) -> FileReport {
        let (mut violations, omitted) =
            rules::check_capped(message, ketenpoort_messages::MAX_VIOLATIONS);
        // TR346 as far as the message shows, without a tariff table.
        violations.extend(rules::amounts::check(message, None));
        let findings: Vec<Finding> = violations.iter().map(Finding::from).collect();
        FileReport {
            file: path.to_owned(),
            status: if findings.is_empty() {
                Status::Valid
            } else {
                Status::Invalid
            },
            kind: Some(message.kind()),
            findings,
            omitted,
        }
    }

    /// The report for the outcome of reading one file: the in-message rules run on a message
    /// that was read.
    fn of_result(path: &Path, result: Result<Message, Error>) -> FileReport {
        let error = match result {
            Ok(message) => return FileReport::of_message(path, &message),
            Err(error) => error,
        };
        let findings = match &error {
            Error::Invalid { violations, .. } => violations.iter().map(Finding::from).collect(),
            Error::UnknownMessage { .. } => {
                vec![Finding::whole_file("XSD-root", error.to_string())]
            }
            Error::TooLarge { .. } => vec![Finding::whole_file("BRS06", error.to_string())],
            // Not well-formed, a DTD, nesting too deep, and whatever the reader adds later:
            // the document itself is unusable.
            _ => vec![Finding::whole_file("XML", error.to_string())],
        };
        FileReport {
            file: path.to_owned(),
            status: Status::Invalid,
            kind: error.kind(),
            findings,
            omitted: error.omitted(),
        }
    }

    /// Writes the text form: a verdict line, then one indented line per finding, ending in the
    /// retourcode in brackets where the rule has one, and a last line with the count of the
    /// problems not kept.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let verdict = match self.status {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Unreadable => "unreadable",
        };
        write!(out, "{}: {verdict}", self.file.display())?;
        if let Some(kind) = self.kind {
            write!(out, " ({kind})")?;
        }
        writeln!(out)?;
        for f in &self.findings {
            write!(out, "  {} {}: {}", f.rule, f.path, f.message)?;
            if let Some(code) = f.retourcode {
                write!(out, " [{code}]")?;
            }
            writeln!(out)?;
        }
        if self.omitted > 0 {
            writeln!(out, "  … and {} more violation(s), not shown", self.omitted)?;
        }
        Ok(())
    }

    /// Writes the `--json` form: one object on one line.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let line = JsonLine {
            file: self.file.to_string_lossy().into_owned(),
            valid: self.status == Status::Valid,
            law: self.kind.map(|k| k.law.as_str()),
            message: self.kind.map(MessageKind::code),
            violations: &self.findings,
            omitted: self.omitted,
        };
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)
    }
}

/// Checks every file in `args`, writing each report to `out` as soon as it is known.
///
/// Returns the exit code: 0 all valid, 1 any invalid, 2 any unreadable. An error is a
/// failure to write to `out`.
pub fn run(args: &ValidateArgs, out: &mut impl Write) -> io::Result<u8> {
    let limits = ReadLimits::default();
    let mut worst = Status::Valid;
    let mut freeing: Option<std::thread::JoinHandle<()>> = None;
    for path in &args.files {
        // One file's leftovers at a time: memory stays bounded by the largest two files.
        if let Some(f) = freeing.take() {
            let _ = f.join();
        }
        let (report, leftovers) = FileReport::check_keeping(path, limits);
        if args.json {
            report.write_json(out)?;
        } else {
            report.write_text(out)?;
        }
        worst = worst.max(report.status);
        freeing = leftovers.free_in_background();
    }
    out.flush()?;
    // The last file's leftovers are not waited for: the process ends, and the OS takes the
    // memory back without walking the model.
    Ok(worst.exit_code())
}

/// What reading a file left behind: its bytes and the message model.
struct Leftovers(Option<Vec<u8>>, Option<Message>);

impl Leftovers {
    /// Frees them on a thread of its own: a 24 MB claim's model is some hundred thousand
    /// small allocations, and the report need not wait for them to be returned. Frees them
    /// here when no thread can be started.
    fn free_in_background(self) -> Option<std::thread::JoinHandle<()>> {
        if self.0.is_none() && self.1.is_none() {
            return None;
        }
        std::thread::Builder::new()
            .name("validate-free".to_owned())
            .spawn(move || drop(self))
            .ok()
    }
}

/// The content of a file, or its size when it is larger than the reader accepts.
enum Loaded {
    Bytes(Vec<u8>),
    TooLarge(u64),
}

/// Files at least this large are read by two threads, one half each (see [`read_halves`]).
const READ_IN_HALVES_FROM: u64 = 1 << 20;

fn load(path: &Path, max_bytes: usize) -> io::Result<Loaded> {
    let file = File::open(path)?;
    let declared = file.metadata()?.len();
    if (READ_IN_HALVES_FROM..=u64::try_from(max_bytes).unwrap_or(u64::MAX)).contains(&declared)
        && let Some(bytes) = read_halves(&file, declared)?
    {
        return Ok(Loaded::Bytes(bytes));
    }
    let cap = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(declared.min(cap)).unwrap_or(0));
    // Reads at most one byte past the limit, so a growing file or a pipe cannot exhaust memory.
    file.take(cap).read_to_end(&mut bytes)?;
    if bytes.len() > max_bytes {
        let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        return Ok(Loaded::TooLarge(declared.max(read)));
    }
    Ok(Loaded::Bytes(bytes))
}

/// Reads a file of `len` bytes with two threads, one per half: the kernel's copy into fresh
/// memory (a page fault per page) is a fifth of `validate`'s time on a 24 MB claim, and the
/// two halves fault and copy in parallel. Reads by offset, so the file's cursor stays at the
/// start. `None` when this did not work out — no second thread, or the file is no longer
/// `len` bytes long — and the caller reads it the ordinary way.
fn read_halves(file: &File, len: u64) -> io::Result<Option<Vec<u8>>> {
    use std::os::unix::fs::FileExt;
    let Ok(n) = usize::try_from(len) else {
        return Ok(None);
    };
    // Zeroed memory from the allocator is fresh pages from the kernel: no extra pass.
    let mut bytes = vec![0u8; n];
    let (front, back) = bytes.split_at_mut(n / 2);
    let middle = front.len() as u64;
    let (first, second) = std::thread::scope(|s| {
        let helper = std::thread::Builder::new()
            .name("validate-read".to_owned())
            .spawn_scoped(s, || file.read_exact_at(back, middle));
        let first = file.read_exact_at(front, 0);
        let second = match helper {
            Ok(handle) => handle.join().ok(),
            Err(_) => None,
        };
        (first, second)
    });
    let short = |r: &io::Result<()>| {
        r.as_ref()
            .is_err_and(|e| e.kind() == io::ErrorKind::UnexpectedEof)
    };
    let Some(second) = second else {
        return Ok(None);
    };
    if short(&first) || short(&second) {
        return Ok(None);
    }
    first?;
    second?;
    // A file that grew since its size was taken is read the ordinary way, with the limit.
    let mut probe = [0u8; 1];
    if file.read_at(&mut probe, len)? != 0 {
        return Ok(None);
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that differ at every offset, so that a half read into the wrong place shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
            .collect()
    }

    #[test]
    fn a_large_file_read_in_halves_is_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("large.xml");
        // Odd length, above the threshold: the halves differ in size by one byte.
        let content = pattern((READ_IN_HALVES_FROM as usize) * 3 + 7);
        std::fs::write(&path, &content).expect("write");
        match load(&path, 25 * 1024 * 1024).expect("load") {
            Loaded::Bytes(bytes) => assert!(bytes == content, "the bytes read differ"),
            Loaded::TooLarge(_) => panic!("within the limit"),
        }
    }

    #[test]
    fn a_file_shorter_or_longer_than_its_size_is_read_the_ordinary_way() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("changing.xml");
        let content = pattern((READ_IN_HALVES_FROM as usize) + 1000);
        std::fs::write(&path, &content).expect("write");
        let file = File::open(&path).expect("open");
        // As if the file had been larger when its size was taken, then truncated.
        let size = content.len() as u64;
        assert!(read_halves(&file, size + 10).expect("read").is_none());
        // As if it had grown after its size was taken.
        assert!(read_halves(&file, size - 10).expect("read").is_none());
        assert!(read_halves(&file, size).expect("read") == Some(content));
    }
}
