//! `p100-desk paths`: where the config, data, journal (live, archive and its index) and log
//! files are (like `k9s info`), resolved for this machine and these flags.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::context::Globals;
use super::exit::CliError;
use super::output::{self, Align, Column, Format, Record, StreamFormat, col};
use crate::config::{self, Target};
use crate::journal::archive;
use crate::logging;
use crate::session;

#[derive(Debug, Args)]
pub struct PathsArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// One location. JSON: `[{"name", "path", "exists"}]`.
#[derive(Debug, Serialize)]
pub struct PathRecord {
    pub name: &'static str,
    pub path: Option<String>,
    pub exists: bool,
}

impl Record for PathRecord {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("name", 15, Align::Left),
            col("exists", 6, Align::Left),
            col("path", 0, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.name.to_owned(),
            if self.exists { "yes" } else { "no" }.to_owned(),
            self.path
                .clone()
                .unwrap_or_else(|| "(unknown: no home directory)".into()),
        ]
    }
}

fn record(name: &'static str, path: Option<&Path>) -> PathRecord {
    PathRecord {
        name,
        exists: path.is_some_and(Path::exists),
        path: path.map(|p| p.display().to_string()),
    }
}

pub fn run(args: &PathsArgs, globals: &Globals) -> Result<(), CliError> {
    let config_file = globals
        .overrides
        .config
        .clone()
        .or_else(config::default_config_path);
    // Paths must be findable with a broken config too: that is when they are needed most.
    let resolved = match config::load(&globals.overrides) {
        Ok(config) => Some(config),
        Err(error) => {
            eprintln!(
                "p100-desk: warning: the config does not resolve ({error}); showing defaults \
                 (see `p100-desk config check`)"
            );
            None
        }
    };
    let data_dir: Option<PathBuf> = resolved.as_ref().map_or_else(
        || {
            globals
                .overrides
                .data_dir
                .clone()
                .or_else(|| std::env::var_os(config::DATA_DIR).map(PathBuf::from))
                .or_else(config::platform_data_dir)
        },
        |config| Some(config.data_dir.clone()),
    );
    let journal_file = resolved.as_ref().map(|config| {
        let environment = session::badge(&config.target).label().to_ascii_lowercase();
        session::journal_path(&config.data_dir, &config.profile, &environment)
    });
    let records = vec![
        record("config_file", config_file.as_deref()),
        record("data_dir", data_dir.as_deref()),
        record(
            "journal_dir",
            data_dir.as_ref().map(|d| d.join("journal")).as_deref(),
        ),
        record("journal", journal_file.as_deref()),
        // Finished intents move here at start-up (`[journal] archive_after_days`); the index
        // names every archived intent and its id. `p100-desk journal` reads both with the
        // live file.
        record(
            "journal_archive",
            journal_file
                .as_deref()
                .map(archive::archive_path)
                .as_deref(),
        ),
        record(
            "archive_index",
            journal_file.as_deref().map(archive::index_path).as_deref(),
        ),
        record(
            "log_file",
            data_dir.as_deref().map(logging::log_file_path).as_deref(),
        ),
    ];
    if let Some(config) = &resolved {
        let server = match &config.target {
            Target::Sandbox => "the built-in sandbox".to_owned(),
            remote @ Target::Remote { .. } => remote.to_string(),
        };
        eprintln!("p100-desk: profile {} ({server})", config.profile);
    }
    match args.format {
        Format::Json => output::print_json(&records),
        format => output::print_records(StreamFormat::from(format), &records),
    }
}
