//! The contract tariff table in force (`[tariffs]` in the configuration): loaded when the
//! gateway opens, and reloaded without a restart on SIGHUP ([`reload_on_hangup`]).
//!
//! A load reads every CSV file the configuration names and checks every row
//! ([`ketenpoort_messages::tariff`]); any problem fails the whole load with errors that name
//! the file and line. At start-up that stops the gateway; on a reload the previous table
//! stays in force, the errors are logged and `ketenpoort_tariff_reloads_total{result="error"}`
//! counts it. The files hold no personal data, so the errors may quote their values.
//!
//! In dev mode without a `[tariffs]` section the table is [`dev_tariffs`]: the contract of the
//! tutorial's product, shared with the built-in simulator's municipality.

use std::sync::{Arc, RwLock};

use ketenpoort_messages::tariff::{TariffConfig, TariffErrors, TariffRow, TariffTable};

use crate::metrics::Metrics;

/// The tariff table in force and the configuration it is loaded from.
#[derive(Debug)]
pub struct Tariffs {
    config: TariffConfig,
    current: RwLock<Arc<TariffTable>>,
}

impl Tariffs {
    /// Tariffs from `config`, with an empty table until [`Tariffs::load`].
    pub fn new(config: TariffConfig) -> Tariffs {
        Tariffs {
            config,
            current: RwLock::new(Arc::new(TariffTable::empty())),
        }
    }

    /// The configuration the table is loaded from.
    pub fn config(&self) -> &TariffConfig {
        &self.config
    }

    /// The table in force.
    pub fn current(&self) -> Arc<TariffTable> {
        match self.current.read() {
            Ok(t) => Arc::clone(&t),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reads and checks the configured sources and, when all is well, puts the new table in
    /// force; returns the number of tariffs. On an error the table in force stays.
    pub fn load(&self) -> Result<usize, TariffErrors> {
        let table = TariffTable::load(&self.config, |path| {
            std::fs::read_to_string(path).map_err(|e| e.to_string())
        })?;
        let n = table.len();
        let table = Arc::new(table);
        match self.current.write() {
            Ok(mut t) => *t = table,
            Err(poisoned) => *poisoned.into_inner() = table,
        }
        Ok(n)
    }

    /// [`Tariffs::load`] for a reload: logs and counts the outcome.
    pub fn reload(&self, metrics: &Metrics) -> Result<usize, TariffErrors> {
        let result = self.load();
        match &result {
            Ok(n) => {
                metrics.tariff_reload(true);
                tracing::info!(tariffs = n, "tariff table reloaded");
            }
            Err(e) => {
                metrics.tariff_reload(false);
                tracing::error!(
                    error = %e,
                    "tariff table not reloaded; the previous one stays in force"
                );
            }
        }
        result
    }
}

/// The dev-mode tariff table: municipality 0268 (the simulator's), iJw, product 45A48
/// (category 45) at €87,24 an hour from 1 January 2025, open-ended — the contract of the
/// tutorial's claim and of DOMAIN.md's IV081 example.
pub fn dev_tariffs() -> TariffConfig {
    TariffConfig {
        tariff: vec![TariffRow {
            gemeente: "0268".into(),
            wet: "ijw".into(),
            productcategorie: Some("45".into()),
            productcode: "45A48".into(),
            eenheid: "uur".into(),
            tarief_eurocent: Some(8724),
            ingangsdatum: Some("2025-01-01".into()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Reloads `tariffs` on every SIGHUP until `stopping` turns true (Unix only; elsewhere a
/// restart loads a changed table).
pub async fn reload_on_hangup(
    tariffs: Arc<Tariffs>,
    metrics: Arc<Metrics>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; tariffs reload on restart only");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = stopping.wait_for(|s| *s) => return,
                got = hangup.recv() => {
                    if got.is_none() {
                        return;
                    }
                    let _ = tariffs.reload(&metrics);
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (tariffs, metrics);
        let _ = stopping.wait_for(|s| *s).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpoort_messages::codes::ProductCategorie;
    use ketenpoort_messages::tariff::TariffFile;

    fn file_config(path: &std::path::Path) -> TariffConfig {
        TariffConfig {
            file: vec![TariffFile {
                path: path.to_owned(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    const GOOD: &str = "gemeente,wet,productcategorie,productcode,eenheid,tarief_eurocent,ingangsdatum\n\
                        0268,ijw,45,45A48,uur,8724,2025-01-01\n";

    fn tariff_of(t: &Tariffs) -> Option<u64> {
        let date = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
        t.current()
            .lookup(
                "0268",
                ketenpoort_messages::Law::Ijw,
                ProductCategorie::C45,
                "45A48",
                date,
            )
            .map(|t| t.contract.cents)
    }

    #[test]
    fn a_reload_puts_a_changed_file_in_force_and_a_bad_one_keeps_the_previous_table() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("tarieven.csv");
        std::fs::write(&path, GOOD).expect("write");
        let tariffs = Tariffs::new(file_config(&path));
        let metrics = Metrics::default();
        assert_eq!(tariffs.load(), Ok(1));
        assert_eq!(tariff_of(&tariffs), Some(8724));

        std::fs::write(&path, GOOD.replace("8724", "8900")).expect("write");
        assert_eq!(tariffs.reload(&metrics), Ok(1));
        assert_eq!(tariff_of(&tariffs), Some(8900));

        std::fs::write(&path, GOOD.replace("8724", "87.24")).expect("write");
        let e = tariffs.reload(&metrics).expect_err("a bad row");
        let text = e.to_string();
        assert!(
            text.contains(&format!("{}:2: tarief_eurocent '87.24'", path.display())),
            "{text}"
        );
        assert_eq!(tariff_of(&tariffs), Some(8900), "the previous table stays");
        let rendered = metrics.render(0);
        assert!(
            rendered.contains("ketenpoort_tariff_reloads_total{result=\"ok\"} 1"),
            "{rendered}"
        );
        assert!(
            rendered.contains("ketenpoort_tariff_reloads_total{result=\"error\"} 1"),
            "{rendered}"
        );
    }
}
