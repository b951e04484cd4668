//! Command-line parsing for `nc`, `socktest` and `netstat`.

use alloc::string::String;
use alloc::vec::Vec;

/// A port argument: `Ok(port)` for 0..=65535, `Err(true)` for a number out
/// of range (the socket call's `E_INVALID_ARG`), `Err(false)` for text that
/// is not a number at all (a usage error).
pub fn port(arg: &str) -> Result<u16, bool> {
    match arg.parse::<i64>() {
        Ok(number) => u16::try_from(number).map_err(|_| true),
        Err(_) => Err(false),
    }
}

/// What `nc` was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nc<'a> {
    /// `nc [-w SECONDS] -l [-k] PORT`; `keep`: accept clients one after another.
    Listen { port: &'a str, keep: bool, wait_seconds: Option<u32> },
    /// `nc [-w SECONDS] HOST PORT [MESSAGE...]`; no message means console lines.
    Connect { host: &'a str, port: &'a str, messages: Vec<&'a str>, wait_seconds: Option<u32> },
}

pub const NC_USAGE: &str = "usage: nc [-w SECONDS] -l [-k] PORT | nc [-w SECONDS] HOST PORT [MESSAGE...]";

/// Parses `nc`'s arguments (without the program name); the error is the
/// line to print: the usage, or which port is not one (text and numbers
/// out of range alike). Options come before the other arguments, in any
/// order.
pub fn nc<'a>(args: &[&'a str]) -> Result<Nc<'a>, String> {
    let usage = || String::from(NC_USAGE);
    let (mut listen, mut keep, mut wait_seconds) = (false, false, None);
    let mut rest = args;
    loop {
        match rest {
            ["-l", tail @ ..] => (listen, rest) = (true, tail),
            ["-k", tail @ ..] => (keep, rest) = (true, tail),
            ["-w", seconds, tail @ ..] => {
                wait_seconds = Some(seconds.parse::<u32>().ok().filter(|&s| s > 0).ok_or_else(usage)?);
                rest = tail;
            }
            _ => break,
        }
    }
    let command = match (listen, rest) {
        (true, [port]) => Nc::Listen { port, keep, wait_seconds },
        (false, [host, port, messages @ ..]) if !keep => {
            Nc::Connect { host, port, messages: messages.to_vec(), wait_seconds }
        }
        _ => return Err(usage()),
    };
    let (Nc::Listen { port, .. } | Nc::Connect { port, .. }) = &command;
    match self::port(port) {
        Ok(_) => Ok(command),
        Err(_) => Err(alloc::format!("nc: bad port {port} (ports are 0 to 65535)")),
    }
}

pub const NETSTAT_USAGE: &str = "usage: netstat";

/// What `socktest` was asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Socktest<'a> {
    /// No arguments: the demo, server and client on [`DEMO_PORT`].
    Demo,
    Server(&'a str),
    Client(&'a str),
}

/// The seed demo's port.
pub const DEMO_PORT: u16 = 10;

pub const SOCKTEST_USAGE: &str = "usage: socktest [server PORT | client PORT]";

pub fn socktest<'a>(args: &[&'a str]) -> Option<Socktest<'a>> {
    match args {
        [] => Some(Socktest::Demo),
        ["server", port] => Some(Socktest::Server(port)),
        ["client", port] => Some(Socktest::Client(port)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_tell_range_errors_from_usage_errors() {
        assert_eq!(port("0"), Ok(0));
        assert_eq!(port("65535"), Ok(65535));
        assert_eq!(port("65536"), Err(true));
        assert_eq!(port("-1"), Err(true));
        assert_eq!(port("ten"), Err(false));
        assert_eq!(port(""), Err(false));
    }

    #[test]
    fn nc_forms() {
        let usage = Err(String::from(NC_USAGE));
        let listen = |port, keep, wait_seconds| Ok(Nc::Listen { port, keep, wait_seconds });
        assert_eq!(nc(&["-l", "5000"]), listen("5000", false, None));
        assert_eq!(nc(&["-l", "-k", "7"]), listen("7", true, None));
        assert_eq!(nc(&["-k", "-w", "3", "-l", "7"]), listen("7", true, Some(3)));
        assert_eq!(nc(&["-l"]), usage);
        assert_eq!(nc(&["-l", "1", "2"]), usage);
        assert_eq!(nc(&["-k", "localhost", "7"]), usage, "-k is for listeners");
        assert_eq!(nc(&["-w", "0", "localhost", "7"]), usage);
        assert_eq!(nc(&["-w", "x", "localhost", "7"]), usage);
        assert_eq!(
            nc(&["localhost", "5000"]),
            Ok(Nc::Connect { host: "localhost", port: "5000", messages: Vec::new(), wait_seconds: None })
        );
        assert_eq!(
            nc(&["-w", "1", "localhost", "5002", "one", "two"]),
            Ok(Nc::Connect {
                host: "localhost",
                port: "5002",
                messages: alloc::vec!["one", "two"],
                wait_seconds: Some(1),
            })
        );
        assert_eq!(nc(&["localhost"]), usage);
        assert_eq!(nc(&[]), usage);
    }

    #[test]
    fn nc_names_a_bad_port_the_same_way_whatever_is_wrong_with_it() {
        for bad in ["abc", "70000", "-1", ""] {
            let line = alloc::format!("nc: bad port {bad} (ports are 0 to 65535)");
            assert_eq!(nc(&["-l", bad]), Err(line.clone()));
            assert_eq!(nc(&["localhost", bad, "hi"]), Err(line));
        }
    }

    #[test]
    fn socktest_forms() {
        assert_eq!(socktest(&[]), Some(Socktest::Demo));
        assert_eq!(socktest(&["server", "10"]), Some(Socktest::Server("10")));
        assert_eq!(socktest(&["client", "7"]), Some(Socktest::Client("7")));
        assert_eq!(socktest(&["server"]), None);
        assert_eq!(socktest(&["both", "10"]), None);
    }
}
