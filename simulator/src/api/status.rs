//! Berichtstatus REST pull v3: `GET …/berichtstatussen?traceerId=` or `?conversatieId=`
//! (exactly one). A traceerId also finds the messages that answer it (alsAntwoordOp).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::Uri;
use axum::{Extension, Json};
use serde::Deserialize;
use uuid::Uuid;

use super::{Peer, Problem, indiener};
use crate::sim::{Simulator, StatusQuery};
use crate::wire::BerichtstatusGegevens;

/// The query parameters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    traceer_id: Option<String>,
    conversatie_id: Option<String>,
}

/// `GET …/berichtstatussen`.
pub async fn get(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
    Query(p): Query<Params>,
) -> Result<Json<Vec<BerichtstatusGegevens>>, Problem> {
    let instance = uri.path();
    let indiener = indiener(&sim, &peer, instance)?;
    let parse = |field: &str, v: &str| {
        Uuid::parse_str(v).map_err(|_| {
            Problem::bad_request(
                instance,
                BTreeMap::from([(
                    field.to_owned(),
                    vec![format!(
                        "The value '{}' is not valid.",
                        v.chars().take(40).collect::<String>()
                    )],
                )]),
            )
        })
    };
    let query = match (p.traceer_id.as_deref(), p.conversatie_id.as_deref()) {
        (Some(t), None) => StatusQuery::TraceerId(parse("traceerId", t)?),
        (None, Some(c)) => StatusQuery::ConversatieId(parse("conversatieId", c)?),
        _ => {
            return Err(Problem::bad_field(
                instance,
                "traceerId",
                "Use exactly one of traceerId and conversatieId.",
            ));
        }
    };
    Ok(Json(sim.statuses(&indiener, query)))
}
