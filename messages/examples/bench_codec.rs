//! Codec benchmark: read + validate + write a VECOZO-sized JW323 Declaratie, compared with
//! `xmllint --schema` in the same run.
//!
//! ```text
//! cargo run --release -p ketenpoort-messages --features generate --example bench_codec \
//!     [-- --clients 6507 --prestaties 5 --runs 5 --out DIR]
//! ```
//!
//! It builds a realistic 323 (6,507 clients × 5 prestaties by default: 23.5 MB, under VECOZO's
//! 25,000,000-byte limit in the OP192 form), writes
//! it with [`Message::to_xml`] and then, alternating the three so that noise on a shared
//! machine hits all of them alike, times `--runs` rounds of:
//!
//! - ketenpoort read + validate: [`ketenpoort_messages::read`] on the bytes in memory;
//! - ketenpoort write: [`Message::to_xml`] (validate + write);
//! - `xmllint --noout --schema JW323.xsd FILE` as a child process (wall time).
//!
//! Peak memory: ketenpoort's is measured by running this binary again as a child with
//! `--child-read FILE` (read the file from disk, parse it, print `VmHWM` from
//! `/proc/self/status`), so that it covers reading only; xmllint's with `/usr/bin/time -f %M`.
//! The standards directory is `$KETENPOORT_STANDARDS_DIR` or `shared/standards` beside the
//! workspace.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use ketenpoort_messages::codes::{DebetCredit, Eenheid, ProductCategorie};
use ketenpoort_messages::model::basis::{
    BedragMetDc, BerichtIdentificatie, GeslotenPeriode, ProductReferentie, TotaalBedragMetDc,
    XsdVersie,
};
use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::types::{
    Bedrag, Bsn, DeclaratieNummer, IdentificatieBericht, Nummer, ProductCode, ReferentieNummer,
    TotaalBedrag, Versie, Volume,
};
use ketenpoort_messages::{Content, Heen, Law, Message, ReadLimits, VECOZO_MAX_PAYLOAD_BYTES};

type Res<T> = Result<T, Box<dyn Error>>;

/// Size the default message aims at, in bytes.
const TARGET_BYTES: usize = 23_500_000;

struct Options {
    clients: usize,
    prestaties: usize,
    runs: usize,
    out: Option<PathBuf>,
    /// `--validate-bin PATH`: time the whole `PATH validate FILE` command instead (see
    /// [`bench_validate`]).
    validate_bin: Option<PathBuf>,
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child-read") {
        let file = args.get(2).ok_or("usage: bench_codec --child-read FILE")?;
        return child_read(Path::new(file));
    }
    let opts = parse_args(&args[1..])?;
    if let Some(bin) = &opts.validate_bin {
        return bench_validate(&opts, bin);
    }
    bench(&opts, &args)
}

fn parse_args(args: &[String]) -> Res<Options> {
    let mut opts = Options {
        clients: 6_507,
        prestaties: 5,
        runs: 5,
        out: None,
        validate_bin: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || -> Res<usize> {
            let n: usize = value.parse().map_err(|_| format!("{flag}: not a number"))?;
            if n == 0 {
                return Err(format!("{flag} must be at least 1").into());
            }
            Ok(n)
        };
        match flag.as_str() {
            "--clients" => opts.clients = number()?,
            "--prestaties" => opts.prestaties = number()?,
            "--runs" => opts.runs = number()?,
            "--out" => opts.out = Some(PathBuf::from(value)),
            "--validate-bin" => opts.validate_bin = Some(PathBuf::from(value)),
            _ => {
                return Err(format!(
                    "unknown argument {flag}; usage: bench_codec [--clients N] \
                     [--prestaties N] [--runs N] [--out DIR] [--validate-bin PATH] | --child-read FILE"
                )
                .into());
            }
        }
    }
    Ok(opts)
}

// === the message ===

fn date(y: i32, m: u32, d: u32) -> Res<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("bad date {y}-{m}-{d}").into())
}

/// The `n`-th BSN (9 digits) that passes the 11-proef: 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11).
/// Spread over the number range by a stride coprime with 9·10⁷ so that they look random.
struct BsnSource {
    j: u64,
}

impl BsnSource {
    fn next_bsn(&mut self) -> String {
        loop {
            let first8 = 10_000_000 + (self.j * 104_729) % 90_000_000;
            self.j += 1;
            let digits: Vec<u64> = format!("{first8:08}")
                .bytes()
                .map(|b| u64::from(b - b'0'))
                .collect();
            let sum: u64 = digits.iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
            let check = sum % 11;
            if check < 10 {
                return format!("{first8:08}{check}");
            }
        }
    }
}

/// Whether a 9-digit BSN passes the 11-proef.
fn elfproef(bsn: &str) -> bool {
    let d: Vec<i64> = bsn
        .bytes()
        .map(|b| i64::from(b) - i64::from(b'0'))
        .collect();
    d.len() == 9
        && d.iter().all(|x| (0..=9).contains(x))
        && (d[..8]
            .iter()
            .zip((2..=9).rev())
            .map(|(x, w)| x * w)
            .sum::<i64>()
            - d[8])
            .rem_euclid(11)
            == 0
}

/// JW323 for one provider (AGB 73731234) to Nijmegen (0268) over March 2025.
fn build_message(clients: usize, prestaties: usize) -> Res<Message> {
    const CODES: [&str; 6] = ["45A48", "45A49", "45A52", "45A53", "45A54", "45A57"];
    const TARIEVEN: [u64; 6] = [8_472, 9_315, 10_148, 7_893, 11_264, 12_037];
    let month_start = date(2025, 3, 1)?;
    let month_end = date(2025, 3, 31)?;
    let mut bsns = BsnSource { j: 1 };
    let mut total: u64 = 0;
    let mut clienten = Vec::with_capacity(clients);
    for c in 0..clients {
        let bsn = bsns.next_bsn();
        if !elfproef(&bsn) {
            return Err(format!("generated BSN {bsn} fails the 11-proef").into());
        }
        let mut lines = Vec::with_capacity(prestaties);
        for p in 0..prestaties {
            let k = (c * 7 + p * 3) % CODES.len();
            // Weeks of March: 1–7, 8–14, 15–21, 22–28, 29–31, then whole months.
            let (begin, end) = match p % 6 {
                5 => (1, 31),
                w => {
                    let b = 1 + 7 * w as u32;
                    (b, (b + 6).min(31))
                }
            };
            let volume = 1 + ((c * 13 + p * 5) % 24) as u64;
            let tarief = TARIEVEN[k];
            let bedrag = volume * tarief;
            total += bedrag;
            lines.push(Prestatie {
                product_referentie: ProductReferentie {
                    // Unique per provider (TR314): claim month and line number.
                    referentie_nummer: ReferentieNummer(format!(
                        "2503{:06}",
                        c * prestaties + p + 1
                    )),
                    vorig_referentie_nummer: None,
                },
                toewijzing_nummer: Nummer(40_000_000 + (c * 10 + p % 3) as u64),
                product_categorie: ProductCategorie::C45,
                product_code: ProductCode(CODES[k].to_owned()),
                product_periode: GeslotenPeriode {
                    begindatum: date(2025, 3, begin)?,
                    einddatum: date(2025, 3, end)?,
                },
                geleverd_volume: Volume(volume),
                eenheid: Eenheid::Uur,
                product_tarief: Some(Bedrag(tarief)),
                ingediend_bedrag: BedragMetDc {
                    bedrag: Bedrag(bedrag),
                    debet_credit: DebetCredit::Debet,
                },
                retour_codes: Vec::new(),
            });
        }
        clienten.push(DeclaratieClient {
            bsn: Bsn(bsn),
            prestaties: lines,
            retour_codes: Vec::new(),
        });
    }
    let dagtekening = date(2025, 4, 2)?;
    Ok(Message {
        law: Law::Ijw,
        content: Content::Declaration(Heen {
            header: Header {
                afzender: "73731234".to_owned(),
                ontvanger: "0268".to_owned(),
                bericht_identificatie: BerichtIdentificatie {
                    identificatie: IdentificatieBericht("D2503000417".to_owned()),
                    dagtekening,
                },
                xsd_versie: XsdVersie {
                    basisschema_xsd_versie: Versie("1.0.0".to_owned()),
                    bericht_xsd_versie: Versie("1.0.0".to_owned()),
                },
            },
            body: Declaratie {
                declaratie_nummer: DeclaratieNummer("D2503000417".to_owned()),
                declaratie_periode: GeslotenPeriode {
                    begindatum: month_start,
                    einddatum: month_end,
                },
                declaratie_dagtekening: dagtekening,
                totaal_ingediend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(total),
                    debet_credit: DebetCredit::Debet,
                },
                clienten,
            },
        }),
    })
}

// === `ketenpoort validate` on the valid claim and the pathological corpus (issue 13) ===

/// The pathological corpus of issue 13 next to the valid message: each file's name and
/// content, all under 25 MiB.
fn pathological_corpus(valid_315: &str) -> Vec<(&'static str, Vec<u8>)> {
    let in_client = |insert: &str| -> Vec<u8> {
        valid_315
            .replacen("<jw315:Client>", &format!("<jw315:Client>{insert}"), 1)
            .into_bytes()
    };
    let mut attributes = String::with_capacity(24_000_000);
    for i in 0..2_000_000 {
        attributes.push_str(&format!(" a{i:07}=\"\""));
    }
    let namespaces = |decls: usize, elements: usize| -> Vec<u8> {
        let mut xml = String::from(
            "<jw315:Bericht xmlns:jw315=\"http://www.istandaarden.nl/ijw/3_2/jw315/schema\"",
        );
        for i in 0..decls {
            xml.push_str(&format!(" xmlns:p{i}=\"urn:x{i}\""));
        }
        xml.push('>');
        for i in 0..elements {
            xml.push_str(&format!("<p{}:a/>", i % decls));
        }
        xml.push_str("</jw315:Bericht>");
        xml.into_bytes()
    };
    vec![
        ("elements-6M.xml", in_client(&"<a/>".repeat(6_000_000))),
        (
            "attributes-2M.xml",
            valid_315
                .replacen("<jw315:Client>", &format!("<jw315:Client{attributes}>"), 1)
                .into_bytes(),
        ),
        ("namespaces-100k-x-100k.xml", namespaces(100_000, 100_000)),
        ("namespaces-200k-x-1M.xml", namespaces(200_000, 1_000_000)),
    ]
}

/// Runs `bin validate FILE`; returns the wall time and the exit code.
fn run_validate(bin: &Path, file: &Path) -> Res<(Duration, i32)> {
    let start = Instant::now();
    let out = Command::new(bin)
        .arg("validate")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    Ok((start.elapsed(), out.status.code().unwrap_or(-1)))
}

/// Peak RSS in kB of `bin validate FILE`, via `/usr/bin/time -f %M`.
fn validate_peak_kb(bin: &Path, file: &Path) -> Res<u64> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "BENCH_MAXRSS_KB=%M"])
        .arg(bin)
        .arg("validate")
        .arg(file)
        .stdout(Stdio::null())
        .output()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_MAXRSS_KB="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| "no %M in /usr/bin/time output (is the Debian package `time` there?)".into())
}

/// `--validate-bin PATH`: the whole `ketenpoort validate FILE` command (reading, schema and
/// in-message rules, process start included) on the valid 23.5 MB JW323, against
/// `xmllint --noout --schema` on the same file, alternating `--runs` rounds; then time and
/// peak RSS of `validate` on each file of the pathological corpus.
fn bench_validate(opts: &Options, bin: &Path) -> Res<()> {
    println!(
        "command: cargo run --release -p ketenpoort-messages --features generate --example bench_codec -- --validate-bin {} --runs {}",
        bin.display(),
        opts.runs
    );
    println!(
        "machine: nproc={}, cpu: {}, load average at start: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        loadavg()
    );
    let tmp = tempfile::tempdir()?;
    let dir = opts.out.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir)?;
    let claim = dir.join("valid-JW323.xml");
    std::fs::write(
        &claim,
        build_message(opts.clients, opts.prestaties)?.to_xml()?,
    )?;
    let small =
        ketenpoort_messages::generate::Gen::new(1, ketenpoort_messages::generate::Shape::Minimal);
    let mut g = small;
    let kind = ketenpoort_messages::MessageKind::parse("JW315").ok_or("JW315")?;
    let valid_315 = Message::generate(kind, &mut g).to_xml()?;
    let mut files = vec![("valid-JW323.xml", claim.clone())];
    for (name, bytes) in pathological_corpus(&valid_315) {
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        files.push((name, path));
    }
    let xmllint = Xmllint::find()?;
    let (_, code) = run_validate(bin, &claim)?;
    if code != 0 {
        return Err(format!("validate says the claim is not valid (exit {code})").into());
    }
    xmllint.validate(&claim)?;
    // Alternate ketenpoort and xmllint on the claim so that noise hits both alike.
    let mut ours = Samples::default();
    let mut theirs = Samples::default();
    for _ in 0..opts.runs {
        ours.0.push(run_validate(bin, &claim)?.0);
        theirs.0.push(xmllint.validate(&claim)?);
    }
    println!();
    println!("| file | size | `validate` wall, median (min) | exit | peak RSS | peak / size |");
    println!("|---|---|---|---|---|---|");
    for (name, path) in &files {
        let size = std::fs::metadata(path)?.len();
        let mut samples = Samples::default();
        let mut code = 0;
        if path == &claim {
            samples.0 = ours.0.clone();
        } else {
            for _ in 0..opts.runs {
                let (d, c) = run_validate(bin, path)?;
                samples.0.push(d);
                code = c;
            }
        }
        let peak = validate_peak_kb(bin, path)?;
        println!(
            "| {name} | {:.2} MB | {:.0} ms ({:.0} ms) | {code} | {:.1} MB | {:.2}× |",
            size as f64 / 1e6,
            ms(samples.median()),
            ms(samples.min()),
            peak as f64 * 1024.0 / 1e6,
            peak as f64 * 1024.0 / size as f64
        );
    }
    println!();
    println!(
        "claim: ketenpoort validate {:.0} ms (min {:.0}; {}) vs xmllint --noout --schema {:.0} ms (min {:.0}; {})",
        ms(ours.median()),
        ms(ours.min()),
        ours.all_ms(),
        ms(theirs.median()),
        ms(theirs.min()),
        theirs.all_ms()
    );
    let ratio = theirs.median().as_secs_f64() / ours.median().as_secs_f64().max(1e-9);
    println!(
        "speed: xmllint / ketenpoort validate = {ratio:.2}× (medians), {:.2}× (mins); target ≥ 3×: {}",
        theirs.min().as_secs_f64() / ours.min().as_secs_f64().max(1e-9),
        if ratio >= 3.0 { "MET" } else { "NOT MET" }
    );
    Ok(())
}

// === measuring ===

/// Peak and current resident set size of this process, in kB, from `/proc/self/status`.
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `--child-read FILE`: read the file, parse and validate it, print peak RSS.
fn child_read(file: &Path) -> Res<()> {
    let baseline = proc_status_kb("VmHWM:").ok_or("no VmHWM in /proc/self/status")?;
    let bytes = std::fs::read(file)?;
    let message = ketenpoort_messages::read(&bytes, ReadLimits::default())?;
    let peak = proc_status_kb("VmHWM:").ok_or("no VmHWM in /proc/self/status")?;
    let clients = match &message.content {
        Content::Declaration(m) => m.body.clienten.len(),
        _ => 0,
    };
    println!("baseline_kb={baseline} peak_kb={peak} clients={clients}");
    Ok(())
}

struct ChildMemory {
    baseline_kb: u64,
    peak_kb: u64,
}

fn measure_child_read(file: &Path) -> Res<ChildMemory> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe).arg("--child-read").arg(file).output()?;
    if !out.status.success() {
        return Err(format!(
            "--child-read failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Option<u64> {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|v| v.parse().ok())
    };
    match (field("baseline_kb="), field("peak_kb=")) {
        (Some(baseline_kb), Some(peak_kb)) => Ok(ChildMemory {
            baseline_kb,
            peak_kb,
        }),
        _ => Err(format!("unexpected --child-read output: {text}").into()),
    }
}

/// How xmllint is run, when it and the XSD are there.
struct Xmllint {
    xsd: PathBuf,
}

impl Xmllint {
    fn find() -> Result<Xmllint, String> {
        let standards = std::env::var_os("KETENPOORT_STANDARDS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../shared/standards"
                ))
            });
        let xsd = standards.join("ijw-3.2").join("JW323.xsd");
        if !xsd.is_file() {
            return Err(format!("XSD not found at {}", xsd.display()));
        }
        match Command::new("xmllint")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(_) => Ok(Xmllint { xsd }),
            Err(e) => Err(format!("xmllint not runnable: {e}")),
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        cmd
    }

    fn args<'a>(&'a self, file: &'a Path) -> [&'a std::ffi::OsStr; 4] {
        [
            "--noout".as_ref(),
            "--schema".as_ref(),
            self.xsd.as_os_str(),
            file.as_os_str(),
        ]
    }

    /// Validates `file`; returns the wall time of the child process.
    fn validate(&self, file: &Path) -> Res<Duration> {
        let mut cmd = self.command("xmllint");
        cmd.args(self.args(file));
        let start = Instant::now();
        let out = cmd.output()?;
        let elapsed = start.elapsed();
        if !out.status.success() {
            return Err(format!(
                "xmllint refused the file: {}",
                first_lines(&String::from_utf8_lossy(&out.stderr), 5)
            )
            .into());
        }
        Ok(elapsed)
    }

    /// Peak RSS of xmllint validating `file`, in kB, via `/usr/bin/time -f %M`.
    fn peak_kb(&self, file: &Path) -> Result<u64, String> {
        let time = Path::new("/usr/bin/time");
        if !time.is_file() {
            return Err("/usr/bin/time not available".into());
        }
        let mut cmd = self.command("/usr/bin/time");
        cmd.args(["-f", "BENCH_MAXRSS_KB=%M", "xmllint"])
            .args(self.args(file));
        let out = cmd.output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err("xmllint under /usr/bin/time failed".into());
        }
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .find_map(|l| l.strip_prefix("BENCH_MAXRSS_KB="))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| "no %M in /usr/bin/time output".into())
    }

    fn version(&self) -> String {
        Command::new("xmllint")
            .arg("--version")
            .output()
            .map(|o| first_lines(&String::from_utf8_lossy(&o.stderr), 1))
            .unwrap_or_default()
    }
}

fn first_lines(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join(" | ")
}

#[derive(Default)]
struct Samples(Vec<Duration>);

impl Samples {
    fn sorted(&self) -> Vec<Duration> {
        let mut v = self.0.clone();
        v.sort();
        v
    }
    fn median(&self) -> Duration {
        let v = self.sorted();
        match v.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2,
        }
    }
    fn min(&self) -> Duration {
        self.sorted().first().copied().unwrap_or_default()
    }
    fn all_ms(&self) -> String {
        self.0
            .iter()
            .map(|d| format!("{:.0}", ms(*d)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn bench(opts: &Options, args: &[String]) -> Res<()> {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let shown_args = args.get(1..).unwrap_or_default().join(" ");
    println!(
        "command: cargo run --release -p ketenpoort-messages --features generate --example bench_codec{}",
        if shown_args.is_empty() {
            String::new()
        } else {
            format!(" -- {shown_args}")
        }
    );
    println!(
        "machine: nproc={nproc} (std::thread::available_parallelism), cpu: {}, load average at start: {}",
        cpu_model(),
        loadavg()
    );
    if cfg!(debug_assertions) {
        println!("WARNING: debug build; run with --release for meaningful numbers");
    }

    // 1. The message.
    let t = Instant::now();
    let message = build_message(opts.clients, opts.prestaties)?;
    let built = t.elapsed();
    let xml = message.to_xml()?;
    let size = xml.len();
    let tmp;
    let dir = match &opts.out {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let file = dir.join("bench_JW323.xml");
    std::fs::write(&file, &xml)?;
    let bytes = std::fs::read(&file)?;
    drop(xml);
    println!(
        "message: JW323, {} clients x {} prestaties = {} prestaties, built in {:.0} ms",
        opts.clients,
        opts.prestaties,
        opts.clients * opts.prestaties,
        ms(built)
    );
    println!(
        "file: {} — {} bytes ({:.2} MB); VECOZO limit {} bytes: {}; aim ~{:.1} MB",
        file.display(),
        size,
        mb(size as u64),
        VECOZO_MAX_PAYLOAD_BYTES,
        if size < VECOZO_MAX_PAYLOAD_BYTES {
            "under"
        } else {
            "OVER"
        },
        mb(TARGET_BYTES as u64),
    );
    let n = opts.clients * opts.prestaties;
    let per_prestatie = size as f64 / n as f64;
    println!(
        "size: {per_prestatie:.0} bytes per prestatie (client overhead included); ~{:.1} MB \
         would be about {} clients x {} prestaties",
        mb(TARGET_BYTES as u64),
        (TARGET_BYTES as f64 / per_prestatie / opts.prestaties as f64).round(),
        opts.prestaties
    );

    // Sanity: reading gives back the same message.
    let back = ketenpoort_messages::read(&bytes, ReadLimits::default())?;
    if back != message {
        return Err("read(to_xml(message)) differs from message".into());
    }
    drop(back);
    // Realism: the in-message rules (CS002 11-proef, TR358 total, periods …), not timed.
    let rule_violations = ketenpoort_messages::rules::check(&message);
    println!(
        "in-message rules (not timed): {} violation(s){}",
        rule_violations.len(),
        rule_violations
            .iter()
            .take(5)
            .map(|v| format!("; {} at {}", v.rule, v.path))
            .collect::<String>()
    );

    let xmllint = Xmllint::find();
    match &xmllint {
        Ok(x) => println!(
            "xmllint: {} (libxml2), schema {}",
            x.version().trim_start_matches("xmllint: "),
            x.xsd.display()
        ),
        Err(why) => println!("xmllint: skipped ({why})"),
    }

    // 2. Timings, alternating; the order rotates per round.
    let mut read_t = Samples::default();
    let mut write_t = Samples::default();
    let mut lint_t = Samples::default();
    for run in 0..opts.runs {
        for step in 0..3 {
            match (run + step) % 3 {
                0 => {
                    let start = Instant::now();
                    let result = ketenpoort_messages::read(&bytes, ReadLimits::default());
                    read_t.0.push(start.elapsed());
                    result?;
                }
                1 => {
                    let start = Instant::now();
                    let result = message.to_xml();
                    write_t.0.push(start.elapsed());
                    result?;
                }
                _ => {
                    if let Ok(x) = &xmllint {
                        lint_t.0.push(x.validate(&file)?);
                    }
                }
            }
        }
    }

    // 3. Peak memory, each in its own child process.
    let ours = measure_child_read(&file)?;
    let lint_kb = match &xmllint {
        Ok(x) => x.peak_kb(&file),
        Err(why) => Err(why.clone()),
    };

    // 4. The table.
    let mut table = String::new();
    let throughput = |d: Duration| mb(size as u64) / d.as_secs_f64().max(1e-9);
    writeln!(
        table,
        "| measurement | median | min | all runs (ms) | throughput (median) |"
    )?;
    writeln!(table, "| --- | ---: | ---: | --- | ---: |")?;
    for (name, s) in [
        ("ketenpoort read + validate (in memory)", &read_t),
        ("ketenpoort write (validate + to_xml)", &write_t),
        ("xmllint --noout --schema (child, wall)", &lint_t),
    ] {
        if s.0.is_empty() {
            writeln!(table, "| {name} | not measured | | | |")?;
        } else {
            writeln!(
                table,
                "| {name} | {:.0} ms | {:.0} ms | {} | {:.0} MB/s |",
                ms(s.median()),
                ms(s.min()),
                s.all_ms(),
                throughput(s.median())
            )?;
        }
    }
    writeln!(table)?;
    let xml_kb = size as f64 / 1024.0;
    writeln!(table, "| memory | peak RSS | peak RSS / XML size |")?;
    writeln!(table, "| --- | ---: | ---: |")?;
    writeln!(
        table,
        "| ketenpoort read (child: read file + parse + validate) | {:.1} MB | {:.2}× |",
        ours.peak_kb as f64 / 1024.0,
        ours.peak_kb as f64 / xml_kb
    )?;
    writeln!(
        table,
        "| … of which process baseline before reading | {:.1} MB | {:.2}× |",
        ours.baseline_kb as f64 / 1024.0,
        ours.baseline_kb as f64 / xml_kb
    )?;
    match &lint_kb {
        Ok(kb) => writeln!(
            table,
            "| xmllint --schema (/usr/bin/time %M) | {:.1} MB | {:.2}× |",
            *kb as f64 / 1024.0,
            *kb as f64 / xml_kb
        )?,
        Err(why) => writeln!(table, "| xmllint --schema | not measured ({why}) | |")?,
    }
    writeln!(table)?;
    writeln!(
        table,
        "(MB/s = 10⁶ bytes per second; memory MB = MiB of RSS)"
    )?;
    println!();
    print!("{table}");
    println!();

    // 5. Verdicts.
    if !lint_t.0.is_empty() {
        let ratio = lint_t.median().as_secs_f64() / read_t.median().as_secs_f64().max(1e-9);
        let ratio_min = lint_t.min().as_secs_f64() / read_t.min().as_secs_f64().max(1e-9);
        println!(
            "speed: xmllint / ketenpoort read = {ratio:.2}× (medians), {ratio_min:.2}× (mins); target ≥ 3×: {}",
            if ratio >= 3.0 { "MET" } else { "NOT MET" }
        );
    } else {
        println!("speed: xmllint not run, ratio not measured");
    }
    let mem_ratio = ours.peak_kb as f64 / xml_kb;
    println!(
        "memory: ketenpoort peak RSS / XML size = {mem_ratio:.2}×; target ≤ 2×: {}",
        if mem_ratio <= 2.0 { "MET" } else { "NOT MET" }
    );
    if let Ok(kb) = lint_kb {
        println!(
            "memory: ketenpoort peak / xmllint peak = {:.2}×",
            ours.peak_kb as f64 / kb as f64
        );
    }
    println!("load average at end: {}", loadavg());
    Ok(())
}
