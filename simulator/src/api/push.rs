//! `POST …/rest-push/v1/berichten`: multipart `berichtMetadata` (JSON) + `payload` (the XML).
//! 204 accepted, 400 malformed request, 422 refused by the ontvangstcontrole.
//!
//! A body that is not `multipart/form-data` with a boundary, or whose parts cannot be read,
//! gets the spec's `400` with a problem document (not axum's `text/plain` rejection). An empty
//! payload is no well-formed XML: the ontvangstcontrole refuses it with BRS14, as any other.

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, Uri};

use super::{Peer, Problem, indiener};
use crate::sim::Simulator;
use crate::wire::PushMetadata;

/// Handles a push.
pub async fn post(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<StatusCode, Problem> {
    let instance = uri.path();
    let indiener = indiener(&sim, &peer, instance)?;
    let (metadata, payload) = read_parts(instance, multipart).await?;
    sim.push(&indiener, metadata, payload)
        .map_err(|r| Problem::refused(instance, r.code, &r.text))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/v1/gemeente/berichten`: the same multipart body, submitted for a
/// municipality through the simulated GGK ([`Simulator::push_as_gemeente`]).
pub async fn post_as_gemeente(
    State(sim): State<Simulator>,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<StatusCode, Problem> {
    let instance = uri.path();
    let (metadata, payload) = read_parts(instance, multipart).await?;
    sim.push_as_gemeente(metadata, payload)
        .map_err(|r| Problem::refused(instance, r.code, &r.text))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads and validates the `berichtMetadata` and `payload` parts.
async fn read_parts(
    instance: &str,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(PushMetadata, Vec<u8>), Problem> {
    let unreadable = || {
        Problem::bad_field(
            instance,
            "multipart",
            "The body must be multipart/form-data (with a boundary) with the parts \
             berichtMetadata and payload.",
        )
    };
    let mut multipart = multipart.map_err(|_| unreadable())?;
    let mut metadata: Option<Vec<u8>> = None;
    let mut payload: Option<Vec<u8>> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(unreadable()),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| unreadable())?;
        match name.as_str() {
            "berichtMetadata" => metadata = Some(bytes.to_vec()),
            "payload" => payload = Some(bytes.to_vec()),
            _ => {}
        }
    }
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if metadata.is_none() {
        errors.insert(
            "berichtMetadata".into(),
            vec!["The berichtMetadata field is required.".into()],
        );
    }
    if payload.is_none() {
        errors.insert(
            "payload".into(),
            vec!["The payload field is required.".into()],
        );
    }
    let (Some(metadata), Some(payload)) = (metadata, payload) else {
        return Err(Problem::bad_request(instance, errors));
    };
    let metadata: PushMetadata = serde_json::from_slice(&metadata)
        .map_err(|e| Problem::bad_field(instance, "berichtMetadata", e.to_string()))?;
    let errors = validate(&metadata);
    if !errors.is_empty() {
        return Err(Problem::bad_request(instance, errors));
    }
    Ok((metadata, payload))
}

/// The schema constraints serde does not check: lengths and ranges, by JSON path.
pub fn validate(m: &PushMetadata) -> BTreeMap<String, Vec<String>> {
    let mut e: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut len = |path: String, v: &str, max: usize| {
        let n = v.chars().count();
        if n < 1 || n > max {
            e.entry(path)
                .or_default()
                .push(format!("must be 1 to {max} characters"));
        }
    };
    let r = &m.routeringgegevens;
    len(
        "routeringgegevens.afzender.rol".into(),
        &r.afzender.rol,
        100,
    );
    if let Some(c) = &r.afzender.code {
        len("routeringgegevens.afzender.code".into(), c, 100);
    }
    for (i, g) in r.geadresseerden.iter().enumerate() {
        len(
            format!("routeringgegevens.geadresseerden[{i}].rol"),
            &g.rol,
            100,
        );
        if let Some(c) = &g.code {
            len(
                format!("routeringgegevens.geadresseerden[{i}].code"),
                c,
                100,
            );
        }
    }
    let s = &r.berichtstroom;
    len(
        "routeringgegevens.berichtstroom.berichttype".into(),
        &s.berichttype,
        60,
    );
    if let Some(v) = &s.berichtsubtype {
        len(
            "routeringgegevens.berichtstroom.berichtsubtype".into(),
            v,
            60,
        );
    }
    len("routeringgegevens.berichtstroom.actie".into(), &s.actie, 60);
    if let Some(v) = &m.referentiegegevens.referentie_id {
        len("referentiegegevens.referentieId".into(), v, 150);
    }
    if let Some(ctx) = &m.verwerkingscontext {
        for (i, p) in ctx.iter().enumerate() {
            len(format!("verwerkingscontext[{i}].sleutel"), &p.sleutel, 100);
            for (j, w) in p.waarde.iter().enumerate() {
                len(format!("verwerkingscontext[{i}].waarde[{j}]"), w, 250);
            }
        }
    }
    let mut range = |path: &str, ok: bool, msg: &str| {
        if !ok {
            e.entry(path.into()).or_default().push(msg.into());
        }
    };
    range(
        "routeringgegevens.geadresseerden",
        r.geadresseerden.len() <= 100,
        "at most 100 items",
    );
    range(
        "routeringgegevens.berichtstroom.berichtversie",
        (0..=999).contains(&s.berichtversie),
        "must be 0 to 999",
    );
    range(
        "routeringgegevens.berichtstroom.berichtsubversie",
        (0..=999).contains(&s.berichtsubversie),
        "must be 0 to 999",
    );
    if let Some(ctx) = &m.verwerkingscontext {
        range(
            "verwerkingscontext",
            (1..=100).contains(&ctx.len()),
            "1 to 100 items",
        );
        for (i, p) in ctx.iter().enumerate() {
            range(
                &format!("verwerkingscontext[{i}].waarde"),
                (1..=100).contains(&p.waarde.len()),
                "1 to 100 items",
            );
        }
    }
    e
}
