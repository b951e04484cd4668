//! What each `image-builder` command does with files.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use bootimg::{BootImage, Builder, EntryKind, FlatProgram};

use crate::cli::{Command, Member, USAGE};
use crate::elf::read_executable;
use crate::flatten::{flatten_kernel, flatten_program};
use crate::multiboot::check_flat_kernel;

/// Runs `command`; returns the text to print on success.
pub fn run(command: &Command) -> Result<String> {
    match command {
        Command::Kernel { elf, out } => build_kernel(elf, out),
        Command::Pack { out, members } => pack(out, members),
        Command::List { image } => {
            let bytes = read(image)?;
            list(&bytes).with_context(|| format!("{}", image.display()))
        }
        Command::Help => Ok(format!("{USAGE}\n")),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        fs::create_dir_all(parent).with_context(|| format!("cannot create directory {}", parent.display()))?;
    }
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn build_kernel(elf_path: &Path, out: &Path) -> Result<String> {
    let elf = read(elf_path)?;
    let context = || format!("kernel {}", elf_path.display());
    let image = flatten_kernel(&elf).with_context(context)?;
    let header = check_flat_kernel(&image.bytes, image.base).with_context(context)?;
    write(out, &image.bytes)?;
    Ok(format!(
        "{}: {} bytes at physical {:#x}, memory up to {:#x}, multiboot entry {:#x}\n",
        out.display(),
        image.bytes.len(),
        image.base,
        image.mem_end,
        header.entry_addr
    ))
}

/// Builds the boot image bytes for `members` (reads their files).
pub fn pack_members(members: &[Member]) -> Result<Vec<u8>> {
    let mut builder = Builder::new();
    for member in members {
        let elf = read(&member.elf)?;
        let context = || format!("member '{}' ({})", member.name, member.elf.display());
        let data = match member.kind {
            EntryKind::Flat => flatten_program(&elf).with_context(context)?,
            EntryKind::Elf => {
                // Stored verbatim, but a file init cannot load should fail the build, not the boot.
                read_executable(&elf).with_context(context)?;
                elf
            }
        };
        builder = builder.add(&member.name, member.kind, data)?;
    }
    Ok(builder.build())
}

fn pack(out: &Path, members: &[Member]) -> Result<String> {
    let image = pack_members(members)?;
    write(out, &image)?;
    Ok(format!("{}: {} bytes, {} entries\n", out.display(), image.len(), members.len()))
}

/// A table of the entries of the boot image in `bytes`.
pub fn list(bytes: &[u8]) -> Result<String> {
    let image = BootImage::parse(bytes)?;
    let mut text = format!("{:<32} {:<5} {:>10} {:>10}  crc32\n", "name", "kind", "offset", "size");
    for entry in image.iter() {
        write!(
            text,
            "{:<32} {:<5} {:>#10x} {:>10}  {:08x}",
            entry.name,
            entry.kind,
            entry.offset,
            entry.data.len(),
            entry.crc32
        )?;
        if entry.kind == EntryKind::Flat {
            let program = FlatProgram::parse(entry.data)?;
            write!(text, "  load {:#x} entry {:#x} mem {:#x}", program.load_addr, program.entry, program.mem_size)?;
        }
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse_args;
    use crate::elf::test_elf::{Segment, executable};

    fn program(vaddr: u64) -> Vec<u8> {
        executable(vaddr, &[Segment { vaddr, paddr: 0, bytes: vec![0xf4; 10], mem_size: 0x2000 }])
    }

    #[test]
    fn pack_then_list_through_the_command_line() {
        let dir = std::env::temp_dir().join(format!("image-builder-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("init.elf"), program(0x40_0000)).unwrap();
        fs::write(dir.join("shell.elf"), program(0x80_0000)).unwrap();
        let out = dir.join("out/boot.img");
        let arg = |name: &str| dir.join(name).display().to_string();
        let command = parse_args([
            "pack".to_string(),
            out.display().to_string(),
            "--flat".into(),
            format!("init={}", arg("init.elf")),
            format!("shell={}", arg("shell.elf")),
        ])
        .unwrap();
        run(&command).unwrap();

        let bytes = fs::read(&out).unwrap();
        let image = BootImage::parse(&bytes).unwrap();
        let init = FlatProgram::parse(image.find("init").unwrap().data).unwrap();
        assert_eq!((init.load_addr, init.entry, init.mem_size), (0x40_0000, 0x40_0000, 0x2000));
        assert_eq!(image.find("shell").unwrap().data, program(0x80_0000));

        let listing = run(&parse_args(["list".to_string(), out.display().to_string()]).unwrap()).unwrap();
        assert!(listing.contains("init"), "{listing}");
        assert!(listing.contains("flat"), "{listing}");
        assert!(listing.contains("load 0x400000 entry 0x400000 mem 0x2000"), "{listing}");
        assert!(listing.lines().any(|line| line.starts_with("shell") && line.contains("elf")));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pack_refuses_non_elf_members_and_names_the_member() {
        let dir = std::env::temp_dir().join(format!("image-builder-bad-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("notes.txt"), b"not an executable").unwrap();
        let members = [Member { name: "notes".into(), kind: EntryKind::Elf, elf: dir.join("notes.txt") }];
        let error = format!("{:#}", pack_members(&members).unwrap_err());
        assert!(error.contains("member 'notes'"), "{error}");
        assert!(error.contains("not a valid ELF64 file"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn list_reports_damage() {
        let error = list(b"MKBOOTIM").unwrap_err().to_string();
        assert_eq!(error, "boot image truncated: header needs 32 bytes, image has 8");
    }
}
