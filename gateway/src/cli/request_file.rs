//! Request files for `ketenpoort submit`: one submit request per file, in the proto3 JSON
//! mapping of `proto/ketenpoort/v1/gateway.proto` or in TOML with the same field names.
//!
//! ```json
//! {
//!   "kind": "CareStop",
//!   "common": { "law": "LAW_IJW", "agbCode": "12345678", "municipality": "0268" },
//!   "client": { "bsn": "123456782", "birthDate": "2012-05-17", "sex": "2", "surname": "Jansen" },
//!   "products": [ { "allocationNumber": "1001", "product": { "category": "45", "code": "45A48" },
//!                   "allocationStartDate": "2025-03-01", "startDate": "2025-03-04",
//!                   "endReason": "02", "endDate": "2025-03-31", "deliveryStatus": "1" } ]
//! }
//! ```
//!
//! - **Fields** are those of the request message (`SubmitCareStopRequest` above), in
//!   lowerCamelCase as proto3 JSON writes them or in the proto's snake_case (both are read;
//!   TOML files usually use snake_case). Unknown fields are an error, so a typo does not
//!   silently drop a value. Absent fields take the proto default (empty, 0, false).
//! - **Numbers**: `uint64` fields take a JSON number or, as proto3 JSON writes them, a
//!   string of digits.
//! - **Enums**: `law` takes `"LAW_IJW"`/`"LAW_IWMO"` (proto3 JSON), `"IJW"`/`"IWMO"` in any
//!   case, or the numbers 1/2.
//! - **`kind`** (not a proto field) says which request the file holds:
//!   `RequestForAllocation` (315), `Declaration` (323), `CareStart` (305), `CareStop` (307)
//!   or `ChangeRequest` (317); the request message's name (`SubmitCareStopRequest`) and a
//!   message code (`"307"`, `"JW307"`, `"WMO307"`) are accepted too. A code with a law
//!   (`JW`/`WMO`) also sets `common.law` when the file leaves it out. Without `kind`, the
//!   file name decides when it contains exactly one of 315, 317, 305, 307 or 323 (e.g.
//!   `jw323-march.json`).
//! - **Format**: files ending in `.toml` are TOML, everything else is JSON.
//! - **request_id**: when `common.request_id` is empty, `submit` derives one from the
//!   request's content ([`derived_request_id`]), so that submitting the same files again is
//!   idempotent: the gateway answers with the original messages instead of storing new ones.
//! - **Relative dates**: `{today…}` in any string value is replaced by a date relative to
//!   the day the file is read (UTC, as the gateway's Dagtekening): `today`, then any number
//!   of offsets `+N` or `-N` with a unit `d` (days), `w` (weeks), `m` (calendar months, the
//!   day kept where the month has it, else its last day) or `y` (years), then optionally
//!   `/first` or `/last` (the first or last day of that month), then optionally `:FORMAT`
//!   (strftime; default `%Y-%m-%d`). `"{today-1m/first}"` is last month's first day,
//!   `"{today-1m:%Y-%m}"` last month as a `month`, `"TUT-{today-1m:%Y%m}"` a reference per
//!   month. An example file so stays current whatever the date. Substitution comes before
//!   the request_id is derived: the same file is the same request only while it resolves to
//!   the same values ([`resolve_relative_dates`]).
//!
use std::path::Path;

use chrono::{Datelike as _, NaiveDate};

use ketenpoort_client::proto;
use prost::Message as _;
use serde::Deserialize;
use serde::de::{self, Deserializer};

/// One parsed request file.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// 315 Verzoek om toewijzing.
    RequestForAllocation(proto::SubmitRequestForAllocationRequest),
    /// 323 Declaratie.
    Declaration(proto::SubmitDeclarationRequest),
    /// 305 Start zorg.
    CareStart(proto::SubmitCareStartRequest),
    /// 307 Stop zorg.
    CareStop(proto::SubmitCareStopRequest),
    /// 317 Verzoek om wijziging.
    ChangeRequest(proto::SubmitChangeRequestRequest),
}

/// Which request a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 315.
    RequestForAllocation,
    /// 323.
    Declaration,
    /// 305.
    CareStart,
    /// 307.
    CareStop,
    /// 317.
    ChangeRequest,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::RequestForAllocation,
        Kind::Declaration,
        Kind::CareStart,
        Kind::CareStop,
        Kind::ChangeRequest,
    ];

    /// The name used in the `kind` field, e.g. `CareStop`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::RequestForAllocation => "RequestForAllocation",
            Kind::Declaration => "Declaration",
            Kind::CareStart => "CareStart",
            Kind::CareStop => "CareStop",
            Kind::ChangeRequest => "ChangeRequest",
        }
    }

    /// The message number of the standard, e.g. `307`.
    pub fn number(self) -> &'static str {
        match self {
            Kind::RequestForAllocation => "315",
            Kind::Declaration => "323",
            Kind::CareStart => "305",
            Kind::CareStop => "307",
            Kind::ChangeRequest => "317",
        }
    }

    /// Reads a `kind` value; the law when the value names one (`JW307`).
    fn parse(value: &str) -> Option<(Kind, Option<proto::Law>)> {
        let v = value.trim();
        let upper = v.to_ascii_uppercase();
        let (law, number) = if let Some(n) = upper.strip_prefix("WMO") {
            (Some(proto::Law::Iwmo), n)
        } else if let Some(n) = upper.strip_prefix("JW") {
            (Some(proto::Law::Ijw), n)
        } else {
            (None, upper.as_str())
        };
        for k in Kind::ALL {
            let request_name = format!("Submit{}Request", k.name());
            if number == k.number() {
                return Some((k, law));
            }
            if law.is_none() && (v == k.name() || v == request_name) {
                return Some((k, None));
            }
        }
        None
    }

    /// The kind named by the file name: exactly one of the five message numbers in it.
    fn from_file_name(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_string_lossy().into_owned();
        let found: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| name.contains(k.number()))
            .collect();
        match found.as_slice() {
            [k] => Some(*k),
            _ => None,
        }
    }
}

impl Request {
    /// Which request this is.
    pub fn kind(&self) -> Kind {
        match self {
            Request::RequestForAllocation(_) => Kind::RequestForAllocation,
            Request::Declaration(_) => Kind::Declaration,
            Request::CareStart(_) => Kind::CareStart,
            Request::CareStop(_) => Kind::CareStop,
            Request::ChangeRequest(_) => Kind::ChangeRequest,
        }
    }

    /// The common fields (created empty when the file has none).
    pub fn common_mut(&mut self) -> &mut proto::SubmitCommon {
        let common = match self {
            Request::RequestForAllocation(m) => &mut m.common,
            Request::Declaration(m) => &mut m.common,
            Request::CareStart(m) => &mut m.common,
            Request::CareStop(m) => &mut m.common,
            Request::ChangeRequest(m) => &mut m.common,
        };
        common.get_or_insert_with(Default::default)
    }

    /// The message code this request makes, e.g. `JW307`; the number alone when the law is
    /// not set.
    pub fn message_code(&self) -> String {
        let law = match self {
            Request::RequestForAllocation(m) => m.common.as_ref(),
            Request::Declaration(m) => m.common.as_ref(),
            Request::CareStart(m) => m.common.as_ref(),
            Request::CareStop(m) => m.common.as_ref(),
            Request::ChangeRequest(m) => m.common.as_ref(),
        }
        .map(|c| c.law());
        let prefix = match law {
            Some(proto::Law::Ijw) => "JW",
            Some(proto::Law::Iwmo) => "WMO",
            _ => "",
        };
        format!("{prefix}{}", self.kind().number())
    }

    /// The protobuf encoding of the request.
    fn encode(&self) -> Vec<u8> {
        match self {
            Request::RequestForAllocation(m) => m.encode_to_vec(),
            Request::Declaration(m) => m.encode_to_vec(),
            Request::CareStart(m) => m.encode_to_vec(),
            Request::CareStop(m) => m.encode_to_vec(),
            Request::ChangeRequest(m) => m.encode_to_vec(),
        }
    }
}

/// The request_id `submit` gives a request without one: `cli-` and the SHA-256 (hex) of the
/// kind and the protobuf encoding of the request with an empty request_id and
/// `validate_only` off. The same content gives the same id whatever the file's formatting,
/// field order or name; any changed value gives another.
pub fn derived_request_id(request: &Request) -> String {
    let mut r = request.clone();
    let c = r.common_mut();
    c.request_id.clear();
    c.validate_only = false;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(r.kind().name().as_bytes());
    ctx.update(&[0]);
    ctx.update(&r.encode());
    let digest = ctx.finish();
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("cli-{hex}")
}

/// Parses the request file `path` with content `bytes` (see the module docs). The error is
/// a one-line explanation naming the field where possible, never a value from the file.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Request, String> {
    parse_on(path, bytes, chrono::Utc::now().date_naive())
}

/// [`parse`] with `today` as the day relative dates are resolved against.
pub fn parse_on(path: &Path, bytes: &[u8], today: NaiveDate) -> Result<Request, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8".to_owned())?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let value: serde_json::Value = if is_toml {
        let t: toml::Table = toml::from_str(text).map_err(|e| {
            // toml's Display quotes the offending line; its message and span do not.
            match e.span() {
                Some(span) => format!("not valid TOML at byte {}: {}", span.start, e.message()),
                None => format!("not valid TOML: {}", e.message()),
            }
        })?;
        toml_to_json(toml::Value::Table(t))
    } else {
        serde_json::from_str(text).map_err(|e| {
            format!(
                "not valid JSON at line {} column {}: {}",
                e.line(),
                e.column(),
                json_error_kind(&e)
            )
        })?
    };
    let mut value = snake_case_keys(value);
    resolve_relative_dates(&mut value, today, "")?;
    let serde_json::Value::Object(mut object) = value else {
        return Err("the file must hold one object (the request)".into());
    };
    let (kind, law) = match object.remove("kind") {
        Some(serde_json::Value::String(k)) => Kind::parse(&k).ok_or_else(|| {
            "`kind` must be RequestForAllocation, Declaration, CareStart, CareStop or \
             ChangeRequest (or a message code such as JW315)"
                .to_owned()
        })?,
        Some(_) => return Err("`kind` must be a string".into()),
        None => (
            Kind::from_file_name(path).ok_or_else(|| {
                "no `kind` field, and the file name does not name exactly one of 315, 317, \
                 305, 307 or 323"
                    .to_owned()
            })?,
            None,
        ),
    };
    let value = serde_json::Value::Object(object);
    let mut request = match kind {
        Kind::RequestForAllocation => {
            Request::RequestForAllocation(from_value::<RequestForAllocationDto>(value)?.into())
        }
        Kind::Declaration => Request::Declaration(from_value::<DeclarationDto>(value)?.into()),
        Kind::CareStart => Request::CareStart(from_value::<CareStartDto>(value)?.into()),
        Kind::CareStop => Request::CareStop(from_value::<CareStopDto>(value)?.into()),
        Kind::ChangeRequest => {
            Request::ChangeRequest(from_value::<ChangeRequestDto>(value)?.into())
        }
    };
    if let Some(law) = law {
        let common = request.common_mut();
        if common.law == proto::Law::Unspecified as i32 {
            common.law = law as i32;
        }
    }
    Ok(request)
}

/// Replaces every `{today…}` in the string values of `value` by the date it means on
/// `today` (see the module docs). `at` is the field path for errors.
pub fn resolve_relative_dates(
    value: &mut serde_json::Value,
    today: NaiveDate,
    at: &str,
) -> Result<(), String> {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                resolve_relative_dates(v, today, &path)?;
            }
            Ok(())
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve_relative_dates(item, today, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        serde_json::Value::String(text) if text.contains("{today") => {
            *text = substitute(text, today).ok_or_else(|| {
                format!(
                    "{at}: a relative date is `{{today}}`, with offsets such as `-1m` or `+10d` \
                     (units d, w, m, y), optionally `/first` or `/last`, and optionally \
                     `:FORMAT` (strftime, default %Y-%m-%d), e.g. `{{today-1m/first}}`"
                )
            })?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `text` with each `{today…[:FORMAT]}` replaced; `None` when one is malformed.
fn substitute(text: &str, today: NaiveDate) -> Option<String> {
    use chrono::format::{Item, StrftimeItems};
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{today") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('}')?;
        let (expression, format) = match after[..end].split_once(':') {
            Some((e, f)) => (e, f),
            None => (&after[..end], "%Y-%m-%d"),
        };
        let date = relative_date(expression, today)?;
        let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
        if items.iter().any(|i| matches!(i, Item::Error)) {
            return None;
        }
        out.push_str(&date.format_with_items(items.into_iter()).to_string());
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The date a relative date (`today-1m/last`) means on `today`; `None` when it is not one.
fn relative_date(expression: &str, today: NaiveDate) -> Option<NaiveDate> {
    let rest = expression.strip_prefix("today")?;
    let (offsets, anchor) = match rest.split_once('/') {
        Some((o, a)) => (o, Some(a)),
        None => (rest, None),
    };
    let mut date = today;
    let mut chars = offsets.char_indices().peekable();
    while let Some((start, sign)) = chars.next() {
        if sign != '+' && sign != '-' {
            return None;
        }
        let mut end = start + 1;
        while chars.peek().is_some_and(|(_, c)| c.is_ascii_digit()) {
            end += 1;
            chars.next();
        }
        let n: u32 = offsets.get(start + 1..end)?.parse().ok()?;
        let (_, unit) = chars.next()?;
        let months = |m: u32| {
            if sign == '+' {
                date.checked_add_months(chrono::Months::new(m))
            } else {
                date.checked_sub_months(chrono::Months::new(m))
            }
        };
        let days = |d: u32| {
            let delta = chrono::TimeDelta::days(i64::from(d));
            if sign == '+' {
                date.checked_add_signed(delta)
            } else {
                date.checked_sub_signed(delta)
            }
        };
        date = match unit {
            'd' => days(n)?,
            'w' => days(n.checked_mul(7)?)?,
            'm' => months(n)?,
            'y' => months(n.checked_mul(12)?)?,
            _ => return None,
        };
    }
    let first = date.with_day(1)?;
    match anchor {
        None => Some(date),
        Some("first") => Some(first),
        Some("last") => first.checked_add_months(chrono::Months::new(1))?.pred_opt(),
        Some(_) => None,
    }
}

/// What went wrong in a JSON file, without the (possibly personal) value serde_json may
/// quote.
fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected value",
        serde_json::error::Category::Eof => "unexpected end of file",
    }
}

fn from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = without_values(&e.inner().to_string());
        if path.is_empty() || path == "." {
            inner
        } else {
            format!("{path}: {inner}")
        }
    })
}

/// serde's "invalid type: integer `123456782`, expected a string" quotes the value, which
/// may be a BSN or a name: keep only what was expected.
fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let what = prefix.trim_end_matches([':', ' ']);
            return match rest.split_once(", expected ") {
                Some((_, expected)) => format!("{what}, expected {expected}"),
                None => what.to_owned(),
            };
        }
    }
    message.to_owned()
}

/// A TOML value as JSON; dates and times (`start_date = 2025-03-01`) become their text.
fn toml_to_json(value: toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s),
        toml::Value::Integer(i) => serde_json::Value::from(i),
        toml::Value::Float(f) => serde_json::Value::from(f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(toml_to_json).collect())
        }
        toml::Value::Table(t) => {
            serde_json::Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Converts every object key from lowerCamelCase to snake_case (`agbCode` → `agb_code`);
/// snake_case keys stay as they are.
fn snake_case_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .map(|(k, v)| (snake_case(&k), snake_case_keys(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(snake_case_keys).collect())
        }
        other => other,
    }
}

fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

// === value types ===

/// A `uint64` as proto3 JSON allows it: a number or a string of digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct U64(u64);

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = U64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a non-negative integer (a number or a string of digits)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<U64, E> {
                Ok(U64(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<U64, E> {
                u64::try_from(v)
                    .map(U64)
                    .map_err(|_| E::custom("a negative number where a uint64 is expected"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<U64, E> {
                v.trim()
                    .parse()
                    .map(U64)
                    .map_err(|_| E::custom("a string that is not a non-negative integer"))
            }
        }
        d.deserialize_any(V)
    }
}

impl From<U64> for u64 {
    fn from(v: U64) -> u64 {
        v.0
    }
}

/// The `Law` enum as proto3 JSON writes it (`"LAW_IJW"`), its short form, or its number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LawDto(proto::Law);

impl<'de> Deserialize<'de> for LawDto {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = LawDto;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"LAW_IJW\", \"LAW_IWMO\", \"IJW\", \"IWMO\", 1 or 2")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LawDto, E> {
                i32::try_from(v)
                    .ok()
                    .and_then(|n| proto::Law::try_from(n).ok())
                    .map(LawDto)
                    .ok_or_else(|| E::custom("law must be 1 (IJW) or 2 (IWMO)"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LawDto, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("law must be 1 (IJW) or 2 (IWMO)"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LawDto, E> {
                let upper = v.trim().to_ascii_uppercase();
                let short = upper.strip_prefix("LAW_").unwrap_or(&upper);
                match short {
                    "IJW" | "JW" => Ok(LawDto(proto::Law::Ijw)),
                    "IWMO" | "WMO" => Ok(LawDto(proto::Law::Iwmo)),
                    "UNSPECIFIED" => Ok(LawDto(proto::Law::Unspecified)),
                    _ => Err(E::custom(
                        "law must be \"LAW_IJW\" or \"LAW_IWMO\" (or \"IJW\", \"IWMO\", 1, 2)",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// DTO field → proto field.
trait Conv<T> {
    fn conv(self) -> T;
}

impl Conv<String> for String {
    fn conv(self) -> String {
        self
    }
}

impl Conv<bool> for bool {
    fn conv(self) -> bool {
        self
    }
}

impl Conv<u64> for U64 {
    fn conv(self) -> u64 {
        self.0
    }
}

impl Conv<i32> for LawDto {
    fn conv(self) -> i32 {
        self.0 as i32
    }
}

impl<D: Into<P>, P> Conv<Option<P>> for Option<D> {
    fn conv(self) -> Option<P> {
        self.map(Into::into)
    }
}

impl<D: Into<P>, P> Conv<Vec<P>> for Vec<D> {
    fn conv(self) -> Vec<P> {
        self.into_iter().map(Into::into).collect()
    }
}

/// A serde DTO mirroring a proto message field by field, and its conversion. A proto
/// field missing here is a compile error (the struct literal must be complete).
macro_rules! dto {
    ($dto:ident => $proto:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(Debug, Default, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        struct $dto {
            $($field: $ty,)*
        }

        impl From<$dto> for proto::$proto {
            fn from(d: $dto) -> Self {
                proto::$proto {
                    $($field: d.$field.conv(),)*
                }
            }
        }
    };
}

dto!(CommonDto => SubmitCommon {
    request_id: String,
    validate_only: bool,
    include_xml: bool,
    law: LawDto,
    agb_code: String,
    municipality: String,
});

dto!(ClientIdentityDto => ClientIdentity {
    bsn: String,
    birth_date: String,
    birth_date_use: String,
    sex: String,
    surname: String,
    surname_prefix: String,
    given_names: String,
    initials: String,
});

dto!(ProductDto => Product {
    category: String,
    code: String,
});

dto!(ExtentDto => Extent {
    volume: U64,
    unit: String,
    frequency: String,
});

dto!(ReferrerDto => Referrer {
    r#type: String,
    name: String,
    agb_code: String,
});

dto!(RequestForAllocationDto => SubmitRequestForAllocationRequest {
    common: Option<CommonDto>,
    client: Option<ClientIdentityDto>,
    guardian_known: String,
    comment: String,
    products: Vec<RequestedProductDto>,
});

dto!(RequestedProductDto => RequestedProduct {
    provider_reference: String,
    decision_number: U64,
    product: Option<ProductDto>,
    decision_start_date: String,
    start_date: String,
    end_date: String,
    extent: Option<ExtentDto>,
    budget_cents: Option<U64>,
    referrer: Option<ReferrerDto>,
    framework_contract: String,
    comment: String,
});

dto!(DeclarationDto => SubmitDeclarationRequest {
    common: Option<CommonDto>,
    declaration_number: String,
    month: String,
    clients: Vec<DeclarationClientDto>,
    split_when_too_large: bool,
});

dto!(DeclarationClientDto => DeclarationClient {
    bsn: String,
    lines: Vec<DeclarationLineDto>,
});

dto!(DeclarationLineDto => DeclarationLine {
    reference_number: String,
    previous_reference_number: String,
    allocation_number: U64,
    product_category: String,
    product_code: String,
    period_start: String,
    period_end: String,
    delivered_volume: U64,
    unit: String,
    tariff_cents: Option<U64>,
    amount_cents: Option<U64>,
    credit: bool,
    contract_tariff_cents: Option<U64>,
    contract_tariff_unit: String,
});

dto!(CareStartDto => SubmitCareStartRequest {
    common: Option<CommonDto>,
    client: Option<ClientIdentityDto>,
    products: Vec<CareStartProductDto>,
});

dto!(CareStartProductDto => CareStartProduct {
    allocation_number: U64,
    product: Option<ProductDto>,
    allocation_start_date: String,
    start_date: String,
    delivery_status: String,
});

dto!(CareStopDto => SubmitCareStopRequest {
    common: Option<CommonDto>,
    client: Option<ClientIdentityDto>,
    products: Vec<CareStopProductDto>,
});

dto!(CareStopProductDto => CareStopProduct {
    allocation_number: U64,
    product: Option<ProductDto>,
    allocation_start_date: String,
    start_date: String,
    end_reason: String,
    end_date: String,
    delivery_status: String,
});

dto!(ChangeRequestDto => SubmitChangeRequestRequest {
    common: Option<CommonDto>,
    bsn: String,
    provider_reference: String,
    reason: String,
    unchanged_allocations: Vec<U64>,
    changed: Vec<ChangedProductDto>,
    new_products: Vec<NewProductDto>,
});

dto!(ChangedProductDto => ChangedProduct {
    allocation_number: U64,
    desired_start_date: String,
    end_date: String,
    extent: Option<ExtentDto>,
    budget_cents: Option<U64>,
});

dto!(NewProductDto => NewProduct {
    product: Option<ProductDto>,
    desired_start_date: String,
    end_date: String,
    extent: Option<ExtentDto>,
    budget_cents: Option<U64>,
});

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(name: &str, text: &str) -> Result<Request, String> {
        parse(Path::new(name), text.as_bytes())
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn relative_dates_count_days_weeks_months_and_years_from_today() {
        let today = day(2026, 3, 31);
        let cases = [
            ("today", day(2026, 3, 31)),
            ("today+1d", day(2026, 4, 1)),
            ("today-2w", day(2026, 3, 17)),
            // A month back from 31 March: February has no 31st, so its last day.
            ("today-1m", day(2026, 2, 28)),
            ("today-1m/first", day(2026, 2, 1)),
            ("today-1m/last", day(2026, 2, 28)),
            ("today+1y-1m/last", day(2027, 2, 28)),
            ("today-4y+1m/last", day(2022, 4, 30)),
            ("today/first", day(2026, 3, 1)),
            ("today-10d", day(2026, 3, 21)),
        ];
        for (expression, want) in cases {
            assert_eq!(relative_date(expression, today), Some(want), "{expression}");
        }
        for bad in [
            "today-1",
            "today-m",
            "today*1d",
            "today-1q",
            "today/middle",
            "tomorrow",
        ] {
            assert_eq!(relative_date(bad, today), None, "{bad}");
        }
    }

    #[test]
    fn relative_dates_in_a_file_are_substituted_in_any_string() {
        let text = r#"{"kind":"Declaration","common":{"law":"LAW_IJW","agbCode":"12345678",
            "municipality":"0268","requestId":"today"},"month":"{today-1m:%Y-%m}",
            "clients":[{"bsn":"123456782","lines":[{"referenceNumber":"T-{today-1m:%Y%m}",
              "allocationNumber":"1","periodStart":"{today-1m/first}",
              "periodEnd":"{today-1m/last}"}]}]}"#;
        let r = parse_on(Path::new("x.json"), text.as_bytes(), day(2026, 1, 15));
        let Ok(Request::Declaration(m)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(m.month, "2025-12");
        let line = &m.clients[0].lines[0];
        assert_eq!(line.period_start, "2025-12-01");
        assert_eq!(line.period_end, "2025-12-31");
        assert_eq!(line.reference_number, "T-202512");
        assert_eq!(
            m.common.unwrap_or_default().request_id,
            "today",
            "no braces: as is"
        );
        for bad in ["{today-1x}", "{today-1m", "{today:%Q}"] {
            let text = format!(r#"{{"kind":"CareStart","products":[{{"startDate":"{bad}"}}]}}"#);
            let e = parse_on(Path::new("x.json"), text.as_bytes(), day(2026, 1, 15))
                .expect_err("not a relative date");
            assert!(
                e.starts_with("products[0].start_date: a relative date"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn camel_case_json_with_string_numbers_is_read() {
        let r = parse_str(
            "x.json",
            r#"{"kind":"CareStart","common":{"law":"LAW_IJW","agbCode":"12345678",
                "municipality":"0268"},
               "products":[{"allocationNumber":"1001","product":{"category":"45"},
                            "startDate":"2025-03-04"}]}"#,
        );
        let Ok(Request::CareStart(m)) = r else {
            panic!("{r:?}")
        };
        let common = m.common.unwrap_or_default();
        assert_eq!(common.law(), proto::Law::Ijw);
        assert_eq!(common.agb_code, "12345678");
        assert_eq!(m.products[0].allocation_number, 1001);
        assert_eq!(m.products[0].start_date, "2025-03-04");
    }

    #[test]
    fn a_claim_line_names_its_contract_tariff() {
        let r = parse_str(
            "x.json",
            r#"{"kind":"Declaration","month":"2025-06","clients":[{"bsn":"111222333",
                "lines":[{"referenceNumber":"R1","unit":"01","deliveredVolume":"240",
                          "contractTariffCents":"8724","contractTariffUnit":"uur"}]}]}"#,
        );
        let Ok(Request::Declaration(m)) = r else {
            panic!("{r:?}")
        };
        let line = &m.clients[0].lines[0];
        assert_eq!(line.contract_tariff_cents, Some(8724));
        assert_eq!(line.contract_tariff_unit, "uur");
        assert_eq!((line.tariff_cents, line.amount_cents), (None, None));
    }

    #[test]
    fn snake_case_toml_is_read() {
        let r = parse_str(
            "x.toml",
            "kind = \"JW317\"\nbsn = \"123456782\"\nunchanged_allocations = [1, \"2\"]\n\
             [common]\nagb_code = \"12345678\"\n",
        );
        let Ok(Request::ChangeRequest(m)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(m.unchanged_allocations, vec![1, 2]);
        // The law comes from the kind's JW prefix.
        assert_eq!(m.common.unwrap_or_default().law(), proto::Law::Ijw);
    }

    #[test]
    fn the_kind_comes_from_the_file_name_when_absent() {
        let r = parse_str("claims/jw323-march.json", r#"{"month":"2025-03"}"#);
        assert!(matches!(r, Ok(Request::Declaration(_))), "{r:?}");
        let r = parse_str("claims/march.json", r#"{"month":"2025-03"}"#);
        assert!(r.is_err());
    }

    #[test]
    fn unknown_fields_and_bad_values_are_errors_without_the_value() {
        let r = parse_str("x.json", r#"{"kind":"CareStop","clent":{}}"#);
        assert!(r.as_ref().is_err_and(|e| e.contains("clent")), "{r:?}");
        let r = parse_str(
            "x.json",
            r#"{"kind":"CareStop","products":[{"allocationNumber":"12a99"}]}"#,
        );
        assert!(r.as_ref().is_err_and(|e| !e.contains("12a99")), "{r:?}");
        let r = parse_str(
            "x.json",
            r#"{"kind":"CareStop","common":{"law":"LAW_XYZ"}}"#,
        );
        assert!(r.as_ref().is_err_and(|e| !e.contains("XYZ")), "{r:?}");
        let r = parse_str("x.json", "{\"kind\":\"CareStop\", \"bsn\": 123456782");
        assert!(r.as_ref().is_err_and(|e| !e.contains("123456782")), "{r:?}");
    }

    #[test]
    fn the_derived_request_id_depends_on_content_only() {
        let a = parse_str(
            "a.json",
            r#"{"kind":"CareStop","common":{"agbCode":"12345678","municipality":"0268"}}"#,
        );
        let b = parse_str(
            "b.toml",
            "kind = \"CareStop\"\n[common]\nmunicipality = \"0268\"\nagb_code = \"12345678\"\n",
        );
        let c = parse_str(
            "c.json",
            r#"{"kind":"CareStop","common":{"agbCode":"12345678","municipality":"0363"}}"#,
        );
        let (Ok(a), Ok(b), Ok(c)) = (a, b, c) else {
            panic!("parse")
        };
        assert_eq!(derived_request_id(&a), derived_request_id(&b));
        assert_ne!(derived_request_id(&a), derived_request_id(&c));
        assert!(derived_request_id(&a).len() <= 200);
    }
}
