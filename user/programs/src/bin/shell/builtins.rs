//! The shell's builtins that talk to the kernel or to init.

use abi::{MAX_TASKS, TaskId, task_state};
use programs::command::{BUILTINS, KillTarget};
use urt::sys::{task_info, task_name};
use urt::{print, println, supervisor};

pub fn help() {
    println!("commands:");
    for (usage, what) in BUILTINS {
        println!("  {usage:<20} {what}");
    }
    println!("  PROGRAM ARGS         run a program from the boot image (see ls)");
    println!("  PROGRAM ARGS &       run it in the background");
    println!("keys: Ctrl-C kills the foreground program, Ctrl-D ends its input");
    println!("      arrows, Home, End, Delete, Ctrl-A/E/U/K/W/L edit the line; Up, Down: history;");
    println!("      Tab completes a command (twice: lists the choices)");
}

pub fn ls() {
    let mut index = 0;
    while let Ok(name) = supervisor::program(index) {
        println!("{name}");
        index += 1;
    }
}

pub fn ps() {
    let mut table = alloc::string::String::from("ID   NAME             STATE  PRIO  RESTARTS\n");
    for index in 0..MAX_TASKS {
        let Ok(info) = task_info(index) else { continue };
        let restarts = supervisor::restarts(TaskId::from_raw(info.id)).unwrap_or(0);
        let line = alloc::format!(
            "{:<4} {:<16} {:<6} {:<5} {}\n",
            index,
            task_name(&info),
            task_state::name(info.state),
            info.priority,
            restarts
        );
        table.push_str(&line);
    }
    print!("{table}");
}

pub fn kill(targets: &[KillTarget]) {
    for target in targets {
        match target {
            KillTarget::Index(index) => match task_info(*index) {
                Ok(info) if info.state != task_state::DEAD => kill_one(&info),
                _ => println!("kill: {index}: no such task"),
            },
            KillTarget::Name(name) => {
                let mut found = false;
                for index in 0..MAX_TASKS {
                    if let Ok(info) = task_info(index)
                        && task_name(&info) == name
                        && info.state != task_state::DEAD
                    {
                        found = true;
                        kill_one(&info);
                    }
                }
                if !found {
                    println!("kill: {name}: no such task");
                }
            }
        }
    }
}

fn kill_one(info: &abi::TaskInfo) {
    let id = TaskId::from_raw(info.id);
    if let Err(err) = supervisor::kill(id) {
        println!("kill: {} ({}): {}", id, task_name(info), err);
    }
}

pub fn mem() {
    match urt::sys::stats() {
        Ok(s) => println!("free frames: {}, used frames: {}, tasks: {}", s.free_frames, s.used_frames, s.tasks),
        Err(err) => println!("mem: {err}"),
    }
}

pub fn dmesg() {
    let mut offset = 0;
    let mut buf = [0u8; 1024];
    loop {
        match urt::sys::read_log(&mut buf, offset) {
            Ok((0, _)) | Err(_) => break,
            Ok((copied, next)) => {
                urt::io::write_bytes(&buf[..copied.min(buf.len())]);
                offset = next;
            }
        }
    }
}
