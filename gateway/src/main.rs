//! The `ketenpoort` binary: parses the command line and hands over to [`ketenpoort::cli`].

#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use ketenpoort::cli::{
    Cli, Command, answer, migrate, outbox, prune, report, returns, serve, status, store, submit,
    validate, verantwoording,
};

fn main() -> ExitCode {
    // clap exits by itself: 2 on bad usage, 0 for --help and --version.
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Nothing sensible is left to do if stderr is gone too.
            let _ = writeln!(io::stderr(), "ketenpoort: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Validate(args) => validate::run(&args, &mut io::stdout().lock())
            .context("could not write the report to stdout"),
        Command::Serve(args) => serve::run(&args, &mut io::stdout(), &mut io::stderr())
            .context("could not write to stderr"),
        Command::Backup(args) => {
            store::backup(&args, &mut io::stderr()).context("could not write to stderr")
        }
        Command::Export(args) => store::export(&args, &mut io::stdout().lock(), &mut io::stderr())
            .context("could not write to stderr"),
        Command::Prune(args) => prune::run(&args, &mut io::stdout().lock(), &mut io::stderr())
            .context("could not write to stdout or stderr"),
        Command::Migrate(args) => migrate::run(&args, &mut io::stdout().lock(), &mut io::stderr())
            .context("could not write to stdout or stderr"),
        Command::Submit(args) => submit::run(&args, &mut io::stdout().lock(), &mut io::stderr())
            .context("could not write the report"),
        Command::Status(args) => status::run(&args, &mut io::stdout().lock(), &mut io::stderr())
            .context("could not write to stdout"),
        Command::Returns(args) => returns::run(&args, &mut io::stdout(), &mut io::stderr())
            .context("could not write to stdout"),
        Command::Answer(args) => answer::run(&args, &mut io::stdout().lock(), &mut io::stderr())
            .context("could not write to stdout"),
        Command::Outbox(args) => outbox::run(&args, &mut io::stdout().lock(), &mut io::stderr())
            .context("could not write to stdout"),
        Command::Report(args) => {
            report::run(&args, &mut io::stderr()).context("could not write the report")
        }
        Command::Verantwoording(args) => {
            verantwoording::run(&args, &mut io::stdout().lock(), &mut io::stderr())
                .context("could not write to stdout")
        }
        Command::HashToken => {
            let mut token = String::new();
            io::stdin()
                .read_line(&mut token)
                .context("could not read the token from stdin")?;
            writeln!(
                io::stdout(),
                "{}",
                ketenpoort::tenant::token_digest(token.trim_end())
            )
            .context("could not write to stdout")?;
            Ok(0)
        }
    }
}
