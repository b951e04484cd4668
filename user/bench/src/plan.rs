//! What sockbench was asked to do, from its arguments.
//!
//! ```text
//! sockbench [BENCH] [ROUND_TRIPS [BULK_BYTES]]   run benchmarks (default: all)
//! sockbench ROLE ARGS...                         a helper task sockbench spawns
//! ```
//! ROUND_TRIPS (default 20,000) sets every count: `sys` makes ten times as
//! many calls, `conn` a tenth as many cycles, `pp-sock-64` and `fan-in`
//! split them over their 64 clients. BULK_BYTES (default 16 MiB) is what each bulk run moves.

/// Round trips of `ipc` and `pp-sock` when no count is given.
pub const DEFAULT_ROUND_TRIPS: u32 = 20_000;
/// Bytes of each bulk run when no size is given (16 MiB).
pub const DEFAULT_BULK_BYTES: u32 = 16 << 20;
/// Largest bulk run: both ends hold the whole stream in memory.
pub const MAX_BULK_BYTES: u32 = 64 << 20;
/// The message sizes of the bulk runs: copied through netd, and lent.
pub const BULK_CHUNKS: [u32; 2] = [4096, 65536];
/// Ping-pong pairs of `pp-sock-64`.
pub const PAIRS: u32 = 64;
/// Untimed round trips before a timed ping-pong run, at least.
pub const MIN_WARM_UP: u32 = 100;

/// One benchmark, by its `RESULT` name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bench {
    Boot,
    Sys,
    Ipc,
    PpSock,
    BulkSock,
    Conn,
    PpSock64,
    FanIn,
}

impl Bench {
    /// Every benchmark, in the order they run.
    pub const ALL: [Bench; 8] = [
        Bench::Boot,
        Bench::Sys,
        Bench::Ipc,
        Bench::PpSock,
        Bench::BulkSock,
        Bench::Conn,
        Bench::PpSock64,
        Bench::FanIn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Bench::Boot => "boot",
            Bench::Sys => "sys",
            Bench::Ipc => "ipc",
            Bench::PpSock => "pp-sock",
            Bench::BulkSock => "bulk-sock",
            Bench::Conn => "conn",
            Bench::PpSock64 => "pp-sock-64",
            Bench::FanIn => "fan-in",
        }
    }

    pub fn from_name(name: &str) -> Option<Bench> {
        Bench::ALL.into_iter().find(|bench| bench.name() == name)
    }
}

/// A benchmark run: which, and how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub only: Option<Bench>,
    pub round_trips: u32,
    pub bulk_bytes: u32,
}

impl Plan {
    pub fn runs(&self, bench: Bench) -> bool {
        self.only.is_none_or(|only| only == bench)
    }

    pub fn sys_calls(&self) -> u32 {
        self.round_trips.saturating_mul(10)
    }

    pub fn warm_up(&self) -> u32 {
        (self.round_trips / 10).max(MIN_WARM_UP)
    }

    pub fn conn_cycles(&self) -> u32 {
        (self.round_trips / 10).max(1)
    }

    /// Round trips of each pair in `pp-sock-64`: together about as many as
    /// one pair makes in `pp-sock`.
    pub fn pair_round_trips(&self) -> u32 {
        (self.round_trips / PAIRS).max(1)
    }
}

/// A helper task, started by sockbench itself with `spawn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Answers every IPC call at once, empty, until `ipc_op::QUIT`.
    IpcServer,
    /// Listens on `port` and echoes every message back until reset.
    Echo { port: u16 },
    /// Listens on `port`, waits for one byte, then sends `bytes` of the
    /// pattern stream in `chunk`-sized messages.
    BulkSender { port: u16, bytes: u32, chunk: u32 },
    /// Listens on `port` and disconnects, `cycles` times.
    ConnServer { port: u16, cycles: u32 },
    /// Releases `parties` callers at once, then times until all are done
    /// (see `gate_op`).
    Gate { parties: u32 },
    /// Connects to the echo task on `port`, waits at gate task `gate` (raw
    /// id), then makes `round_trips` 1-byte round trips.
    PairClient { port: u16, gate: u32, round_trips: u32 },
}

impl Role {
    /// The role's name as the first argument.
    pub fn name(&self) -> &'static str {
        match self {
            Role::IpcServer => "ipc-server",
            Role::Echo { .. } => "echo",
            Role::BulkSender { .. } => "bulk-sender",
            Role::ConnServer { .. } => "conn-server",
            Role::Gate { .. } => "gate",
            Role::PairClient { .. } => "pair-client",
        }
    }
}

/// IPC operations of the `ipc-server` role.
pub mod ipc_op {
    /// Answered at once with nothing: the measured round trip.
    pub const NULL: u32 = 1;
    /// Answered, then the server exits.
    pub const QUIT: u32 = 2;
}

/// IPC operations of the `gate` role.
pub mod gate_op {
    /// Held until every party is ready; then all are answered together.
    pub const READY: u32 = 1;
    /// A party finished; answered at once.
    pub const DONE: u32 = 2;
    /// Held until every party is done; answered with the ticks from the
    /// release to the last `DONE` and what the kernel did meanwhile
    /// ([`encode_elapsed`]). The gate then exits.
    pub const ELAPSED: u32 = 3;

    use abi::CostCounters;

    /// Bytes of the answer to `ELAPSED`.
    pub const ELAPSED_LEN: usize = 8 * 7;

    /// The answer to `ELAPSED`: the ticks, then the counters' differences
    /// in `CostCounters` field order, each a little-endian u64.
    pub fn encode_elapsed(ticks: u64, costs: &CostCounters) -> [u8; ELAPSED_LEN] {
        let words = [
            ticks,
            costs.entries,
            costs.syscalls,
            costs.switches,
            costs.space_switches,
            costs.fast_calls,
            costs.fast_replies,
        ];
        let mut bytes = [0u8; ELAPSED_LEN];
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        bytes
    }

    /// Reads an answer to `ELAPSED`; `None` unless it has exactly the length.
    pub fn decode_elapsed(bytes: &[u8]) -> Option<(u64, CostCounters)> {
        if bytes.len() != ELAPSED_LEN {
            return None;
        }
        let mut words = bytes.chunks_exact(8).map(|chunk| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        });
        let mut next = || words.next().unwrap_or(0);
        let ticks = next();
        let costs = CostCounters {
            entries: next(),
            syscalls: next(),
            switches: next(),
            space_switches: next(),
            fast_calls: next(),
            fast_replies: next(),
        };
        Some((ticks, costs))
    }
}

/// What the arguments ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invocation {
    Run(Plan),
    Role(Role),
    Help,
}

/// Arguments that do not make sense, with the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageError(pub &'static str);

pub const USAGE: &str = "usage: sockbench [boot|sys|ipc|pp-sock|bulk-sock|conn|pp-sock-64] [ROUND_TRIPS [BULK_BYTES]]";

/// Parses the arguments after the program name.
pub fn parse<'a>(args: impl IntoIterator<Item = &'a str>) -> Result<Invocation, UsageError> {
    let mut args = args.into_iter().peekable();
    let first = match args.peek() {
        None => return Ok(Invocation::Run(default_plan(None))),
        Some(&first) => first,
    };
    if matches!(first, "help" | "-h" | "--help") {
        return Ok(Invocation::Help);
    }
    if let Some(role) = parse_role(first, &mut args)? {
        return Ok(Invocation::Role(role));
    }
    let only = Bench::from_name(first);
    if only.is_some() {
        args.next();
    }
    let mut plan = default_plan(only);
    if let Some(count) = args.next() {
        plan.round_trips = number(count, "ROUND_TRIPS must be a number from 1")?;
        if plan.round_trips == 0 {
            return Err(UsageError("ROUND_TRIPS must be a number from 1"));
        }
    }
    if let Some(bytes) = args.next() {
        plan.bulk_bytes = number(bytes, "BULK_BYTES must be a number")?;
        if plan.bulk_bytes == 0 || plan.bulk_bytes > MAX_BULK_BYTES {
            return Err(UsageError("BULK_BYTES must be from 1 to 67108864"));
        }
    }
    if args.next().is_some() {
        return Err(UsageError("too many arguments"));
    }
    Ok(Invocation::Run(plan))
}

fn default_plan(only: Option<Bench>) -> Plan {
    Plan { only, round_trips: DEFAULT_ROUND_TRIPS, bulk_bytes: DEFAULT_BULK_BYTES }
}

fn parse_role<'a>(name: &str, args: &mut impl Iterator<Item = &'a str>) -> Result<Option<Role>, UsageError> {
    const BAD: UsageError = UsageError("bad helper arguments");
    let known = ["ipc-server", "echo", "bulk-sender", "conn-server", "gate", "pair-client"];
    if !known.contains(&name) {
        return Ok(None);
    }
    args.next();
    let mut next = || args.next().ok_or(BAD).and_then(|text| number(text, BAD.0));
    let port = |value: u32| u16::try_from(value).map_err(|_| BAD);
    let role = match name {
        "ipc-server" => Role::IpcServer,
        "echo" => Role::Echo { port: port(next()?)? },
        "bulk-sender" => Role::BulkSender { port: port(next()?)?, bytes: next()?, chunk: next()? },
        "conn-server" => Role::ConnServer { port: port(next()?)?, cycles: next()? },
        "gate" => Role::Gate { parties: next()? },
        _ => Role::PairClient { port: port(next()?)?, gate: next()?, round_trips: next()? },
    };
    if args.next().is_some() {
        return Err(BAD);
    }
    Ok(Some(role))
}

fn number(text: &str, why: &'static str) -> Result<u32, UsageError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UsageError(why));
    }
    text.parse().map_err(|_| UsageError(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_answer_round_trips() {
        let costs = abi::CostCounters {
            entries: 1,
            syscalls: 2,
            switches: 3,
            space_switches: 4,
            fast_calls: 5,
            fast_replies: u64::MAX,
        };
        let bytes = gate_op::encode_elapsed(77, &costs);
        assert_eq!(gate_op::decode_elapsed(&bytes), Some((77, costs)));
        assert_eq!(gate_op::decode_elapsed(&bytes[..8]), None);
    }

    fn run(args: &[&str]) -> Plan {
        match parse(args.iter().copied()) {
            Ok(Invocation::Run(plan)) => plan,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    #[test]
    fn no_arguments_run_everything_at_full_size() {
        let plan = run(&[]);
        assert_eq!(plan, Plan { only: None, round_trips: 20_000, bulk_bytes: 16 << 20 });
        assert!(Bench::ALL.iter().all(|&bench| plan.runs(bench)));
        assert_eq!(plan.sys_calls(), 200_000);
        assert_eq!(plan.warm_up(), 2_000);
        assert_eq!(plan.conn_cycles(), 2_000);
        assert_eq!(plan.pair_round_trips(), 312);
    }

    #[test]
    fn counts_and_a_single_benchmark() {
        let plan = run(&["1000"]);
        assert_eq!((plan.only, plan.round_trips, plan.bulk_bytes), (None, 1000, 16 << 20));
        let plan = run(&["pp-sock", "50", "4096"]);
        assert_eq!(plan.only, Some(Bench::PpSock));
        assert!(plan.runs(Bench::PpSock) && !plan.runs(Bench::Ipc));
        assert_eq!((plan.round_trips, plan.bulk_bytes), (50, 4096));
        // Small counts keep a minimum of work.
        assert_eq!((plan.warm_up(), plan.conn_cycles(), plan.pair_round_trips()), (100, 5, 1));
        assert_eq!(run(&["pp-sock-64"]).only, Some(Bench::PpSock64));
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [&["0"][..], &["-5"], &["12x"], &["10", "0"], &["10", "67108865"], &["1", "2", "3"], &["nosuch"]] {
            assert!(parse(bad.iter().copied()).is_err(), "{bad:?}");
        }
        assert_eq!(parse(["--help"]), Ok(Invocation::Help));
    }

    #[test]
    fn helper_roles_round_trip_through_their_arguments() {
        let cases: [(&[&str], Role); 6] = [
            (&["ipc-server"], Role::IpcServer),
            (&["echo", "7001"], Role::Echo { port: 7001 }),
            (&["bulk-sender", "7002", "4096", "512"], Role::BulkSender { port: 7002, bytes: 4096, chunk: 512 }),
            (&["conn-server", "7003", "9"], Role::ConnServer { port: 7003, cycles: 9 }),
            (&["gate", "64"], Role::Gate { parties: 64 }),
            (&["pair-client", "7100", "65539", "10"], Role::PairClient { port: 7100, gate: 65539, round_trips: 10 }),
        ];
        for (args, role) in cases {
            assert_eq!(parse(args.iter().copied()), Ok(Invocation::Role(role)));
            assert_eq!(role.name(), args[0]);
        }
        for bad in [&["echo"][..], &["echo", "70000"], &["gate", "1", "2"], &["bulk-sender", "1", "2"]] {
            assert!(parse(bad.iter().copied()).is_err(), "{bad:?}");
        }
    }
}
