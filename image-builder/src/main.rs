//! `image-builder`: flattens the kernel, packs and lists boot images. See `cli::USAGE`.

use std::process::ExitCode;

use image_builder::cli::{USAGE, parse_args};
use image_builder::commands::run;

fn main() -> ExitCode {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(error) => {
            eprintln!("image-builder: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&command) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("image-builder: {error:#}");
            ExitCode::FAILURE
        }
    }
}
