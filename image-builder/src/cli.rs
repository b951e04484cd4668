//! Command-line grammar of `image-builder`, parsed without touching the file system.

use std::path::PathBuf;

use bootimg::EntryKind;

pub const USAGE: &str = "\
usage:
  image-builder kernel <kernel.elf> <kernel.bin>
      write the kernel's PT_LOAD segments, laid out by physical address, as a flat file
  image-builder pack <boot.img> [--flat NAME=ELF | NAME=ELF]...
      write a boot image; --flat stores the program flattened (for the first task),
      plain NAME=ELF stores the ELF file unchanged
  image-builder list <boot.img>
      print the entries of a boot image";

/// One boot image member named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub kind: EntryKind,
    pub elf: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Kernel { elf: PathBuf, out: PathBuf },
    Pack { out: PathBuf, members: Vec<Member> },
    List { image: PathBuf },
    Help,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsageError {
    #[error("no command given")]
    NoCommand,
    #[error("unknown command '{0}'")]
    UnknownCommand(String),
    #[error("'{command}' needs {expected}")]
    WrongArguments { command: &'static str, expected: &'static str },
    #[error("'{0}' is not NAME=ELF")]
    NotAMember(String),
    #[error("--flat needs a NAME=ELF after it")]
    FlatWithoutMember,
    #[error("unknown option '{0}'")]
    UnknownOption(String),
    #[error("'pack' needs at least one NAME=ELF member")]
    NoMembers,
}

/// Parses the arguments after the program name.
pub fn parse_args<I, S>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut args = args.into_iter().map(Into::into);
    let command = args.next().ok_or(UsageError::NoCommand)?;
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "kernel" => match rest.as_slice() {
            [elf, out] => Ok(Command::Kernel { elf: elf.into(), out: out.into() }),
            _ => Err(UsageError::WrongArguments { command: "kernel", expected: "<kernel.elf> <kernel.bin>" }),
        },
        "list" => match rest.as_slice() {
            [image] => Ok(Command::List { image: image.into() }),
            _ => Err(UsageError::WrongArguments { command: "list", expected: "<boot.img>" }),
        },
        "pack" => parse_pack(rest),
        "help" | "--help" | "-h" => Ok(Command::Help),
        other => Err(UsageError::UnknownCommand(other.into())),
    }
}

fn parse_pack(args: Vec<String>) -> Result<Command, UsageError> {
    let mut args = args.into_iter();
    let out = match args.next() {
        Some(out) if !out.starts_with('-') && !out.contains('=') => PathBuf::from(out),
        _ => {
            return Err(UsageError::WrongArguments { command: "pack", expected: "<boot.img> before its members" });
        }
    };
    let mut members = Vec::new();
    while let Some(arg) = args.next() {
        let (kind, spec) = match arg.as_str() {
            "--flat" => (EntryKind::Flat, args.next().ok_or(UsageError::FlatWithoutMember)?),
            option if option.starts_with('-') => return Err(UsageError::UnknownOption(arg)),
            _ => (EntryKind::Elf, arg),
        };
        members.push(parse_member(&spec, kind)?);
    }
    if members.is_empty() {
        return Err(UsageError::NoMembers);
    }
    Ok(Command::Pack { out, members })
}

fn parse_member(spec: &str, kind: EntryKind) -> Result<Member, UsageError> {
    match spec.split_once('=') {
        Some((name, elf)) if !name.is_empty() && !elf.is_empty() => {
            Ok(Member { name: name.into(), kind, elf: elf.into() })
        }
        _ => Err(UsageError::NotAMember(spec.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, kind: EntryKind, elf: &str) -> Member {
        Member { name: name.into(), kind, elf: elf.into() }
    }

    #[test]
    fn parses_kernel_and_list() {
        assert_eq!(
            parse_args(["kernel", "k.elf", "out/k.bin"]),
            Ok(Command::Kernel { elf: "k.elf".into(), out: "out/k.bin".into() })
        );
        assert_eq!(parse_args(["list", "b.img"]), Ok(Command::List { image: "b.img".into() }));
        assert!(matches!(parse_args(["kernel", "k.elf"]), Err(UsageError::WrongArguments { .. })));
        assert!(matches!(parse_args(["list"]), Err(UsageError::WrongArguments { .. })));
    }

    #[test]
    fn parses_pack_with_flat_and_plain_members_in_order() {
        let command = parse_args(["pack", "out/boot.img", "--flat", "init=a/init", "shell=b/shell", "netd=c=d"]);
        assert_eq!(
            command,
            Ok(Command::Pack {
                out: "out/boot.img".into(),
                members: vec![
                    member("init", EntryKind::Flat, "a/init"),
                    member("shell", EntryKind::Elf, "b/shell"),
                    member("netd", EntryKind::Elf, "c=d"),
                ],
            })
        );
    }

    #[test]
    fn rejects_malformed_pack_arguments() {
        assert_eq!(parse_args(["pack", "b.img", "--flat"]), Err(UsageError::FlatWithoutMember));
        assert_eq!(parse_args(["pack", "b.img", "shell"]), Err(UsageError::NotAMember("shell".into())));
        assert_eq!(parse_args(["pack", "b.img", "=x"]), Err(UsageError::NotAMember("=x".into())));
        assert_eq!(parse_args(["pack", "b.img", "x="]), Err(UsageError::NotAMember("x=".into())));
        assert_eq!(parse_args(["pack", "b.img", "--fat", "x=y"]), Err(UsageError::UnknownOption("--fat".into())));
        assert_eq!(parse_args(["pack", "b.img"]), Err(UsageError::NoMembers));
        assert!(matches!(parse_args(["pack", "init=x"]), Err(UsageError::WrongArguments { .. })));
    }

    #[test]
    fn rejects_unknown_or_missing_command() {
        assert_eq!(parse_args(Vec::<String>::new()), Err(UsageError::NoCommand));
        assert_eq!(parse_args(["burn"]), Err(UsageError::UnknownCommand("burn".into())));
        assert_eq!(parse_args(["--help"]), Ok(Command::Help));
    }
}
