//! The `supplier-registry` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use supplier_registry::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line: "could not start: invalid LISTEN_ADDR: …".
            eprintln!("supplier-registry: {err:#}");
            ExitCode::FAILURE
        }
    }
}
