//! `p100-desk config check`: validates the config (every layer, as the dashboard resolves it)
//! and prints the resolved profile, without the key.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::context::{self, Globals};
use super::exit::CliError;
use super::output::{self, Align, Column, Format, Record, StreamFormat, col};
use crate::api::paths::ApiPaths;
use crate::config::{ResolvedConfig, Target};
use crate::session;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config and print the resolved profile (never the key).
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The resolved profile. JSON field names are stable (README).
#[derive(Debug, Serialize)]
pub struct ConfigReport {
    pub valid: bool,
    pub config_file: Option<String>,
    pub profile: String,
    /// sandbox, stage, production or custom.
    pub environment: String,
    /// null for the built-in sandbox (it runs on a random loopback port).
    pub base_url: Option<String>,
    /// Whether a key was found (its value is never printed).
    pub api_key: &'static str,
    pub read_only: bool,
    pub max_exchange_eur: Option<String>,
    pub bell: bool,
    pub data_dir: String,
    pub connect_timeout_ms: u128,
    pub request_timeout_ms: u128,
    pub poll_first_check_ms: u128,
    pub poll_max_interval_ms: u128,
    pub poll_max_requests_per_second: u32,
    pub refresh_secs: u64,
    pub paths: ApiPaths,
    pub warnings: Vec<String>,
}

impl ConfigReport {
    fn of(config: &ResolvedConfig) -> Self {
        let (base_url, api_key) = match &config.target {
            Target::Sandbox => (None, "not needed (built-in sandbox)"),
            Target::Remote { base_url, .. } => (Some(base_url.clone()), "set (hidden)"),
        };
        Self {
            valid: true,
            config_file: config.config_path.as_ref().map(|p| p.display().to_string()),
            profile: config.profile.clone(),
            environment: session::badge(&config.target).label().to_ascii_lowercase(),
            base_url,
            api_key,
            read_only: config.read_only,
            max_exchange_eur: config.max_exchange_eur.map(|limit| limit.to_string()),
            bell: config.bell,
            data_dir: config.data_dir.display().to_string(),
            connect_timeout_ms: config.timeouts.connect.as_millis(),
            request_timeout_ms: config.timeouts.request.as_millis(),
            poll_first_check_ms: config.polling.first_check.as_millis(),
            poll_max_interval_ms: config.polling.max_interval.as_millis(),
            poll_max_requests_per_second: config.polling.max_requests_per_second.get(),
            refresh_secs: config.polling.refresh.as_secs(),
            paths: config.paths.clone(),
            warnings: config.warnings.clone(),
        }
    }

    fn pairs(&self) -> Vec<(String, String)> {
        let text =
            |value: &Option<String>, none: &str| value.clone().unwrap_or_else(|| none.into());
        let mut pairs = vec![
            (
                "config_file".into(),
                text(&self.config_file, "(none: defaults)"),
            ),
            ("profile".into(), self.profile.clone()),
            ("environment".into(), self.environment.clone()),
            (
                "base_url".into(),
                text(&self.base_url, "(random loopback port)"),
            ),
            ("api_key".into(), self.api_key.to_owned()),
            ("read_only".into(), self.read_only.to_string()),
            (
                "max_exchange_eur".into(),
                text(&self.max_exchange_eur, "(no limit)"),
            ),
            ("bell".into(), self.bell.to_string()),
            ("data_dir".into(), self.data_dir.clone()),
            (
                "connect_timeout_ms".into(),
                self.connect_timeout_ms.to_string(),
            ),
            (
                "request_timeout_ms".into(),
                self.request_timeout_ms.to_string(),
            ),
            (
                "poll_first_check_ms".into(),
                self.poll_first_check_ms.to_string(),
            ),
            (
                "poll_max_interval_ms".into(),
                self.poll_max_interval_ms.to_string(),
            ),
            (
                "poll_max_requests_per_second".into(),
                self.poll_max_requests_per_second.to_string(),
            ),
            ("refresh_secs".into(), self.refresh_secs.to_string()),
        ];
        if let Ok(serde_json::Value::Object(paths)) = serde_json::to_value(&self.paths) {
            for (name, path) in paths {
                pairs.push((
                    format!("paths.{name}"),
                    path.as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
        for warning in &self.warnings {
            pairs.push(("warning".into(), warning.clone()));
        }
        pairs
    }
}

/// A setting as a CSV row.
#[derive(Debug, Serialize)]
struct SettingRecord {
    setting: String,
    value: String,
}

impl Record for SettingRecord {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("setting", 28, Align::Left),
            col("value", 0, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        vec![self.setting.clone(), self.value.clone()]
    }
}

pub fn run(command: &ConfigCommand, globals: &Globals) -> Result<(), CliError> {
    let ConfigCommand::Check(args) = command;
    let config = context::load_config(globals)?;
    let report = ConfigReport::of(&config);
    match args.format {
        Format::Json => output::print_json(&report),
        format => {
            let rows: Vec<SettingRecord> = report
                .pairs()
                .into_iter()
                .map(|(setting, value)| SettingRecord { setting, value })
                .collect();
            output::print_records(StreamFormat::from(format), &rows)
        }
    }
}
