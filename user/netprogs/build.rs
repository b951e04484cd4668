//! Links this package's binaries as freestanding user programs.
fn main() {
    user_link::freestanding_program();
}
