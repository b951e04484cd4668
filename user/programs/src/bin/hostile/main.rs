//! `hostile ATTACK [ARGS]`: programs that attack the system the way a hostile
//! user program would, so the tests can show that the attack holds no
//! further than the attacker's own job. Each attack lives in the module of
//! the part of the system it targets; `hostile` alone lists them.
#![no_std]
#![no_main]

extern crate alloc;

mod console;
mod fork;
mod ipc;
mod jobs;
mod kernel;
mod netd;
mod post;
mod prompt;
mod sockets;

urt::entry!(main);

/// One attack: its name, what it does, and the function that runs it with
/// the remaining arguments. Returns the program's exit status.
pub struct Attack {
    pub name: &'static str,
    pub about: &'static str,
    pub run: fn(&mut dyn Iterator<Item = &'static str>) -> i32,
}

/// Every attack, by module: each module of this program exports `ATTACKS`.
const MODULES: &[&[Attack]] = &[
    console::ATTACKS,
    fork::ATTACKS,
    ipc::ATTACKS,
    jobs::ATTACKS,
    kernel::ATTACKS,
    netd::ATTACKS,
    post::ATTACKS,
    prompt::ATTACKS,
    sockets::ATTACKS,
];

fn attacks() -> impl Iterator<Item = &'static Attack> {
    MODULES.iter().flat_map(|module| module.iter())
}

fn main() -> i32 {
    let mut args = urt::args().skip(1);
    let Some(name) = args.next() else {
        urt::println!("usage: hostile ATTACK [ARGS]; attacks:");
        for attack in attacks() {
            urt::println!("  {:<16} {}", attack.name, attack.about);
        }
        return 2;
    };
    match attacks().find(|a| a.name == name) {
        Some(attack) => (attack.run)(&mut args),
        None => {
            urt::println!("hostile: no attack named {name}");
            2
        }
    }
}
