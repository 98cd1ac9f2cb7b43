//! Berichtstatus REST pull v3 (and the deprecated v2): `GET …/berichtstatussen?traceerId=` or
//! `?conversatieId=` (exactly one, as the operation's summary says: "Gebruik 1 van de
//! parameters"). A traceerId also finds the messages that answer it (alsAntwoordOp). v2
//! answers the same entries with its own state names ([`crate::wire::BerichtstatusV2`]).

use axum::extract::State;
use axum::http::Uri;
use axum::{Extension, Json};

use super::query::{QueryParams, quoted};
use super::{Peer, Problem, indiener, spec_uuid};
use crate::sim::{Simulator, StatusQuery};
use crate::wire::{BerichtstatusGegevens, BerichtstatusV2};

/// `GET …/rest-pull/v3/berichtstatussen`.
pub async fn get(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
) -> Result<Json<Vec<BerichtstatusGegevens>>, Problem> {
    Ok(Json(entries(&sim, &peer, &uri)?))
}

/// `GET …/rest-pull/v2/berichtstatussen`: the v3 entries with v2's state names.
pub async fn get_v2(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
) -> Result<Json<Vec<BerichtstatusGegevens<BerichtstatusV2>>>, Problem> {
    let entries = entries(&sim, &peer, &uri)?;
    Ok(Json(
        entries
            .into_iter()
            .map(BerichtstatusGegevens::to_v2)
            .collect(),
    ))
}

fn entries(sim: &Simulator, peer: &Peer, uri: &Uri) -> Result<Vec<BerichtstatusGegevens>, Problem> {
    let instance = uri.path();
    let indiener = indiener(sim, peer, instance)?;
    let params = QueryParams::of(uri);
    let traceer_id = params.single(instance, "traceerId")?;
    let conversatie_id = params.single(instance, "conversatieId")?;
    let parse = |field: &str, v: &str| {
        spec_uuid(v).ok_or_else(|| {
            Problem::bad_field(
                instance,
                field,
                format!("The value '{}' is not valid for {field}.", quoted(v)),
            )
        })
    };
    let query = match (traceer_id, conversatie_id) {
        (Some(t), None) => StatusQuery::TraceerId(parse("traceerId", t)?),
        (None, Some(c)) => StatusQuery::ConversatieId(parse("conversatieId", c)?),
        (None, None) => {
            return Err(Problem::bad_field(
                instance,
                "traceerId",
                "Use one of the parameters traceerId and conversatieId.",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(Problem::bad_field(
                instance,
                "conversatieId",
                "Use only one of the parameters traceerId and conversatieId.",
            ));
        }
    };
    Ok(sim.statuses(&indiener, query))
}
