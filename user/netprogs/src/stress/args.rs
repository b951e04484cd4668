//! sockstress's command line: the run, or one task of a pair.

/// Most pairs at once: two tasks each, with room left in the kernel's
/// 256 task slots for pairs whose client was just killed.
pub const MAX_PAIRS: u32 = 64;
/// One client killed per this many verified messages, unless told otherwise.
pub const DEFAULT_KILL_EVERY: u64 = 100;
pub const DEFAULT_SEED: u64 = 1;

pub const USAGE: &str = "usage: sockstress [--kill-every N] [--seed S] PAIRS MESSAGES";

/// A whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub pairs: u32,
    /// Messages to verify in total (both directions).
    pub messages: u64,
    /// A client is killed once per this many verified messages; 0: never.
    pub kill_every: u64,
    pub seed: u64,
}

/// The tasks of one pair; `coordinator` is the raw task id of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairArgs {
    pub pair: u32,
    pub port: u16,
    pub seed: u64,
    pub coordinator: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invocation {
    Run(Config),
    Server(PairArgs),
    Client(PairArgs),
}

/// Parses the arguments after the program name; `Err` holds the reason.
pub fn parse(args: &[&str]) -> Result<Invocation, &'static str> {
    match args {
        ["server", rest @ ..] => pair_args(rest).map(Invocation::Server),
        ["client", rest @ ..] => pair_args(rest).map(Invocation::Client),
        _ => run_args(args).map(Invocation::Run),
    }
}

fn pair_args(args: &[&str]) -> Result<PairArgs, &'static str> {
    let [pair, port, seed, coordinator] = args else {
        return Err("a pair task takes PAIR PORT SEED COORDINATOR");
    };
    let bad = "a pair task's arguments are numbers";
    Ok(PairArgs {
        pair: pair.parse().map_err(|_| bad)?,
        port: port.parse().map_err(|_| bad)?,
        seed: seed.parse().map_err(|_| bad)?,
        coordinator: coordinator.parse().map_err(|_| bad)?,
    })
}

fn run_args(args: &[&str]) -> Result<Config, &'static str> {
    let mut kill_every = DEFAULT_KILL_EVERY;
    let mut seed = DEFAULT_SEED;
    let mut numbers = [None; 2];
    let mut given = 0;
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        match arg {
            "--kill-every" => {
                kill_every = rest.next().and_then(|n| n.parse().ok()).ok_or("--kill-every takes a number")?;
            }
            "--seed" => seed = rest.next().and_then(|n| n.parse().ok()).ok_or("--seed takes a number")?,
            _ if arg.starts_with('-') => return Err("unknown option"),
            _ => {
                let slot = numbers.get_mut(given).ok_or("too many arguments")?;
                *slot = Some(arg.parse::<u64>().map_err(|_| "PAIRS and MESSAGES are numbers")?);
                given += 1;
            }
        }
    }
    let [Some(pairs), Some(messages)] = numbers else {
        return Err("PAIRS and MESSAGES are needed");
    };
    if pairs == 0 || pairs > u64::from(MAX_PAIRS) {
        return Err("PAIRS is 1 to 64");
    }
    if messages == 0 {
        return Err("MESSAGES is at least 1");
    }
    Ok(Config { pairs: pairs as u32, messages, kill_every, seed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pairs: u32, messages: u64, kill_every: u64, seed: u64) -> Result<Invocation, &'static str> {
        Ok(Invocation::Run(Config { pairs, messages, kill_every, seed }))
    }

    #[test]
    fn runs_with_defaults_and_options_anywhere() {
        assert_eq!(parse(&["4", "2000"]), run(4, 2000, DEFAULT_KILL_EVERY, DEFAULT_SEED));
        assert_eq!(parse(&["--seed", "9", "16", "100000"]), run(16, 100_000, 100, 9));
        assert_eq!(parse(&["16", "--kill-every", "0", "5", "--seed", "3"]), run(16, 5, 0, 3));
        assert_eq!(parse(&["64", "1"]), run(64, 1, 100, 1));
    }

    #[test]
    fn bad_runs_say_why() {
        assert_eq!(parse(&[]), Err("PAIRS and MESSAGES are needed"));
        assert_eq!(parse(&["4"]), Err("PAIRS and MESSAGES are needed"));
        assert_eq!(parse(&["4", "5", "6"]), Err("too many arguments"));
        assert_eq!(parse(&["0", "5"]), Err("PAIRS is 1 to 64"));
        assert_eq!(parse(&["65", "5"]), Err("PAIRS is 1 to 64"));
        assert_eq!(parse(&["4", "0"]), Err("MESSAGES is at least 1"));
        assert_eq!(parse(&["four", "5"]), Err("PAIRS and MESSAGES are numbers"));
        assert_eq!(parse(&["4", "5", "--seed"]), Err("--seed takes a number"));
        assert_eq!(parse(&["--kill-every", "x", "4", "5"]), Err("--kill-every takes a number"));
        assert_eq!(parse(&["-v", "4", "5"]), Err("unknown option"));
    }

    #[test]
    fn pair_tasks() {
        let args = PairArgs { pair: 7, port: 30_007, seed: 5, coordinator: 0x0003_0009 };
        assert_eq!(parse(&["server", "7", "30007", "5", "196617"]), Ok(Invocation::Server(args)));
        assert_eq!(parse(&["client", "7", "30007", "5", "196617"]), Ok(Invocation::Client(args)));
        assert!(parse(&["client", "7", "70000", "5", "1"]).is_err());
        assert!(parse(&["server", "7", "30007", "5"]).is_err());
    }
}
