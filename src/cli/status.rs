//! `p100-desk status ID`: the details of one exchange or order.

use clap::Args;

use super::args::Kind;
use super::context::{self, Globals};
use super::details;
use super::exit::CliError;
use super::output::{self, Format, StreamFormat};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The exchangeId or orderId.
    pub id: String,
    /// What the id names (default: tried as an exchange, then as an order).
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub async fn run(args: &StatusArgs, globals: &Globals) -> Result<(), CliError> {
    let connected = context::connect(globals).await?;
    let record = details::fetch(&connected.client, &args.id, args.kind).await;
    connected.close().await;
    let record = record?;
    match args.format {
        Format::Json => output::print_json(&record),
        Format::Csv => output::print_records(StreamFormat::Csv, &[record]),
        Format::Table => output::print_pairs(&record.pairs()),
    }
}
