//! Scenarios: the built-in ones and custom ones from TOML, validated before a run.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One simulated setting: targets, load, SLO and incidents.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    pub(crate) name: String,
    /// Virtual seconds of arrivals; requests in flight at the end still complete.
    pub(crate) duration_s: f64,
    pub(crate) slo: SloSpec,
    pub(crate) load: LoadSpec,
    pub(crate) targets: Vec<TargetSpec>,
    #[serde(default)]
    pub(crate) incidents: Vec<Incident>,
}

/// The latency SLO every target is judged against (end-to-end latency).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SloSpec {
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    /// The engine's evaluation window for compliance (default 30 s).
    #[serde(default = "default_window_s")]
    pub(crate) window_s: f64,
}

fn default_window_s() -> f64 {
    30.0
}

/// Open loop (Poisson arrivals at `rate_per_s`) or closed loop (`clients` that each send
/// the next request when the previous one answers).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoadSpec {
    pub(crate) rate_per_s: Option<f64>,
    pub(crate) clients: Option<u32>,
}

/// A target: network round trip, service-time distribution and capacity.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetSpec {
    pub(crate) name: String,
    /// Network round trip, added to every request (half each way).
    pub(crate) rtt_ms: f64,
    /// Requests served at once.
    pub(crate) servers: u32,
    /// Requests that may wait for a server; more are refused (default: unbounded).
    #[serde(default)]
    pub(crate) queue_limit: Option<u32>,
    /// Lognormal service time.
    pub(crate) service: ServiceSpec,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceSpec {
    pub(crate) median_ms: f64,
    /// The standard deviation of the service time's logarithm.
    pub(crate) sigma: f64,
}

/// A period during which one target's service time changes: multiplied, or stuck at a
/// fixed value.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Incident {
    pub(crate) target: String,
    pub(crate) start_s: f64,
    pub(crate) duration_s: f64,
    #[serde(default)]
    pub(crate) service_multiplier: Option<f64>,
    #[serde(default)]
    pub(crate) stuck_ms: Option<f64>,
}

/// Why a scenario cannot run.
#[derive(Debug)]
pub(crate) enum ScenarioError {
    UnknownBuiltIn(String),
    Read(String, std::io::Error),
    Parse(String, toml::de::Error),
    Invalid(String),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::UnknownBuiltIn(name) => write!(
                f,
                "unknown scenario '{name}' (built in: {})",
                BUILT_IN.join(", ")
            ),
            ScenarioError::Read(path, e) => write!(f, "cannot read {path}: {e}"),
            ScenarioError::Parse(path, e) => write!(f, "{path}: {e}"),
            ScenarioError::Invalid(why) => write!(f, "invalid scenario: {why}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// The built-in scenario names, the default first.
pub(crate) const BUILT_IN: [&str; 3] = ["degraded-dc", "stuck-backend", "wide-spread"];

fn target(name: &str, rtt_ms: f64, servers: u32, median_ms: f64, sigma: f64) -> TargetSpec {
    TargetSpec {
        name: name.to_owned(),
        rtt_ms,
        servers,
        queue_limit: None,
        service: ServiceSpec { median_ms, sigma },
    }
}

impl Scenario {
    /// A built-in scenario by name.
    pub(crate) fn built_in(name: &str) -> Result<Scenario, ScenarioError> {
        let scenario = match name {
            // Four datacenters with different RTTs and capacities; at 120 s the nearest
            // one's service time triples for 180 s, then recovers.
            "degraded-dc" => Scenario {
                name: name.to_owned(),
                duration_s: 600.0,
                slo: SloSpec {
                    p50_ms: 50.0,
                    p95_ms: 100.0,
                    p99_ms: 200.0,
                    window_s: 30.0,
                },
                load: LoadSpec {
                    rate_per_s: Some(1000.0),
                    clients: None,
                },
                targets: vec![
                    target("dc-east", 8.0, 48, 25.0, 0.4),
                    target("dc-west", 35.0, 48, 25.0, 0.4),
                    target("dc-north", 20.0, 24, 30.0, 0.5),
                    target("dc-south", 55.0, 32, 25.0, 0.4),
                ],
                incidents: vec![Incident {
                    target: "dc-east".to_owned(),
                    start_s: 120.0,
                    duration_s: 180.0,
                    service_multiplier: Some(3.0),
                    stuck_ms: None,
                }],
            },
            // "Beyond Round Robin": 11 backends, median 167 ms, 1,000 requests/s; one
            // backend stuck at 2 s for 30 s of a 60 s run.
            "stuck-backend" => Scenario {
                name: name.to_owned(),
                duration_s: 60.0,
                slo: SloSpec {
                    p50_ms: 200.0,
                    p95_ms: 300.0,
                    p99_ms: 500.0,
                    window_s: 10.0,
                },
                load: LoadSpec {
                    rate_per_s: Some(1000.0),
                    clients: None,
                },
                targets: (0..11)
                    .map(|i| target(&format!("backend-{i:02}"), 1.0, 64, 167.0, 0.25))
                    .collect(),
                incidents: vec![Incident {
                    target: "backend-00".to_owned(),
                    start_s: 15.0,
                    duration_s: 30.0,
                    service_multiplier: None,
                    stuck_ms: Some(2000.0),
                }],
            },
            // The tower p2c demo: 10 backends from 1 ms to 1 s, 50 concurrent clients.
            "wide-spread" => Scenario {
                name: name.to_owned(),
                duration_s: 60.0,
                slo: SloSpec {
                    p50_ms: 20.0,
                    p95_ms: 100.0,
                    p99_ms: 200.0,
                    window_s: 10.0,
                },
                load: LoadSpec {
                    rate_per_s: None,
                    clients: Some(50),
                },
                targets: (0..10)
                    .map(|i| {
                        // Geometric spread: 1 ms, 2.15 ms, ..., 1,000 ms.
                        let median = 10f64.powf(f64::from(i) / 3.0);
                        target(&format!("backend-{i}"), 0.5, 1000, median, 0.1)
                    })
                    .collect(),
                incidents: Vec::new(),
            },
            _ => return Err(ScenarioError::UnknownBuiltIn(name.to_owned())),
        };
        Ok(scenario)
    }

    /// A custom scenario from a TOML file, validated.
    pub(crate) fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| ScenarioError::Read(shown.clone(), e))?;
        let scenario: Scenario =
            toml::from_str(&text).map_err(|e| ScenarioError::Parse(shown, e))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Checks every field, naming the first bad one.
    pub(crate) fn validate(&self) -> Result<(), ScenarioError> {
        let invalid = |why: String| Err(ScenarioError::Invalid(why));
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.duration_s) || self.duration_s > 86_400.0 {
            return invalid(format!(
                "duration_s = {} (want (0, 86400])",
                self.duration_s
            ));
        }
        let slo = &self.slo;
        let ordered = slo.p50_ms <= slo.p95_ms && slo.p95_ms <= slo.p99_ms;
        if !(positive(slo.p50_ms) && ordered && slo.p99_ms.is_finite()) {
            return invalid("slo: want 0 < p50_ms <= p95_ms <= p99_ms, all finite".to_owned());
        }
        // Five sub-windows of at least 1 ms each, at most a day in all.
        if !(slo.window_s >= 0.005 && slo.window_s <= 86_400.0) {
            return invalid(format!(
                "slo.window_s = {} (want 0.005 to 86400)",
                slo.window_s
            ));
        }
        match (self.load.rate_per_s, self.load.clients) {
            (Some(rate), None) if positive(rate) && rate <= 1e7 => {}
            (None, Some(clients)) if (1..=100_000).contains(&clients) => {}
            _ => {
                return invalid(
                    "load: set exactly one of rate_per_s (0, 1e7] or clients [1, 100000]"
                        .to_owned(),
                );
            }
        }
        if self.targets.is_empty() || self.targets.len() > 1000 {
            return invalid(format!("{} targets (want 1 to 1000)", self.targets.len()));
        }
        for (i, t) in self.targets.iter().enumerate() {
            if t.name.is_empty() || self.targets[..i].iter().any(|o| o.name == t.name) {
                return invalid(format!(
                    "target {}: empty or duplicate name '{}'",
                    i, t.name
                ));
            }
            if !(t.rtt_ms.is_finite() && (0.0..=60_000.0).contains(&t.rtt_ms)) {
                return invalid(format!("target {}: rtt_ms = {}", t.name, t.rtt_ms));
            }
            if t.servers == 0 {
                return invalid(format!("target {}: servers = 0", t.name));
            }
            let median_ok = positive(t.service.median_ms) && t.service.median_ms <= 3_600_000.0;
            if !(median_ok && (0.0..=3.0).contains(&t.service.sigma)) {
                return invalid(format!(
                    "target {}: service median_ms in (0, 3600000] and sigma in [0, 3] required",
                    t.name
                ));
            }
        }
        for incident in &self.incidents {
            if !self.targets.iter().any(|t| t.name == incident.target) {
                return invalid(format!("incident on unknown target '{}'", incident.target));
            }
            let starts = incident.start_s.is_finite() && incident.start_s >= 0.0;
            if !(starts && positive(incident.duration_s)) {
                return invalid(format!(
                    "incident on {}: start_s >= 0 and duration_s > 0 required",
                    incident.target
                ));
            }
            match (incident.service_multiplier, incident.stuck_ms) {
                (Some(m), None) if positive(m) && m <= 1000.0 => {}
                (None, Some(ms)) if positive(ms) && ms <= 86_400_000.0 => {}
                _ => {
                    return invalid(format!(
                        "incident on {}: set exactly one of service_multiplier (0, 1000] or stuck_ms (0, 86400000]",
                        incident.target
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_are_valid() {
        for name in BUILT_IN {
            Scenario::built_in(name).unwrap().validate().unwrap();
        }
        assert!(Scenario::built_in("nope").is_err());
    }
}
