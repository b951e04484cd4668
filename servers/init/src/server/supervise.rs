//! Starting the services, restarting them when they end, and the shell's
//! `restart` and `crash` requests.
//!
//! A service's end is noticed like any task's: the kernel's exit record.
//! Init then asks its [`Supervision`](init::supervision::Supervision)
//! whether to start a new incarnation, binds the registry name to it (the
//! kernel dropped the old binding when the old task died) and answers the
//! callers that wait for the outcome.
//!
//! `crash` never calls the service: the kernel ends it with an injected
//! fault (`task_fault`), wherever it is, so a service that spins or answers
//! nothing cannot hold init up; init is never a client of a task it
//! supervises.

use abi::{JobId, KernelError, TaskId};
use init::supervision::Decision;
use init::tasks::{Name, Record};
use urt::ipc::reply;
use urt::proto::console::{COM1_BASE, COM1_IRQ, COM1_IRQ_BIT, COM1_PORTS};
use urt::proto::error_code;
use urt::proto::init::{CRASH_ALWAYS, CRASH_AT_START, CRASH_HANG, HANG_AT_START};
use urt::{println, task};

use super::{Answer, Init, id_bytes};
use crate::loader::load;
use crate::services::Kind;

/// Room for the argument blob of a service: its name and two flags.
const SERVICE_ARGS_MAX: usize = 64;

impl Init<'_> {
    /// Starts service `index` and records it.
    pub(super) fn start_service(&mut self, index: usize) -> Result<TaskId, KernelError> {
        let service = &self.services[index];
        let (name, kind) = (service.name, service.kind);
        let crash = service.supervision.crash_at_start().then_some(CRASH_AT_START);
        let hang = self.services[index].supervision.take_hang_at_start().then_some(HANG_AT_START);
        let argv = [Some(name), crash, hang];
        let mut blob = [0u8; SERVICE_ARGS_MAX];
        let len = urt::args::encode(argv.iter().flatten().copied(), &mut blob).map_err(|_| KernelError::BadArgument)?;
        let service = &self.services[index];
        let id = load(&self.image, &blob[..len], service.priority, JobId::SYSTEM, |id| {
            if kind == Kind::Console {
                task::grant_ports(id, COM1_BASE, COM1_PORTS)?;
                task::grant_irq(id, COM1_IRQ, COM1_IRQ_BIT)?;
            }
            if service.is_named() {
                task::bind(name, id)?;
            }
            Ok(())
        })?;
        self.services[index].current = Some(id);
        let record = Record {
            id,
            name: Name::new(name),
            parent: None,
            job: JobId::SYSTEM,
            leads_job: false,
            background: false,
            ended: None,
        };
        if let Err(err) = self.tasks.add(record) {
            // The table holds a record for every task slot: not reached.
            println!("init: no record for {name}: {err}");
        }
        if kind == Kind::Console {
            // A restarted console knows nothing: tell it the foreground again.
            let _ = urt::io::set_foreground(self.tasks.foreground());
        }
        let mut note = urt::fmtbuf::FixedBuf::<64>::new();
        let _ = core::fmt::Write::write_fmt(&mut note, format_args!("init: {name} is task {id}\n"));
        let _ = urt::sys::log(note.as_bytes());
        Ok(id)
    }

    /// Service `index` ended: restart it unless it crashed too often, then
    /// answer whoever waits for the outcome.
    pub(super) fn service_ended(&mut self, index: usize) {
        let service = &mut self.services[index];
        service.current = None;
        let name = service.name;
        let outcome = match service.supervision.ended(urt::now_ns()) {
            Decision::Restart => Some(self.start_service(index)),
            Decision::GiveUp => {
                println!(
                    "init: {name} crashed more than {} times in 10 s; not restarting it (`restart {name}` does)",
                    init::budget::MAX_CRASHES
                );
                None
            }
        };
        let service = &mut self.services[index];
        match outcome {
            Some(Ok(id)) => {
                service.supervision.restarted();
                println!("init: {name} restarted as task {id} (restart {})", service.supervision.restarts());
            }
            Some(Err(err)) => println!("init: cannot restart {name}: {err}"),
            None => {}
        }
        for caller in core::mem::take(&mut service.waiting) {
            // A caller that died meanwhile cannot be answered; nothing to do.
            let _ = match outcome {
                Some(Ok(id)) => reply(caller, 0, id_bytes(id).as_bytes()),
                Some(Err(err)) => reply(caller, error_code(err), &[]),
                None => reply(caller, 0, &[]),
            };
        }
    }

    /// `RESTART`: stops the running incarnation (answered once the next one
    /// runs), or starts a stopped service afresh.
    pub(super) fn restart(&mut self, caller: TaskId, request: &[u8]) -> Answer {
        let Some(index) = self.service_named(request) else {
            return Answer::Now(Err(KernelError::NotFound));
        };
        let service = &mut self.services[index];
        match service.current {
            Some(running) => {
                match task::task_kill(running) {
                    // PeerDied: it is already dead and its record not yet reaped.
                    Ok(()) | Err(KernelError::PeerDied) => {}
                    Err(err) => return Answer::Now(Err(err)),
                }
                service.supervision.restart_requested();
                service.waiting.push(caller);
                self.reap_all();
                Answer::Later
            }
            None => {
                // Stopped (crashed too often) or never started.
                service.supervision.fresh_start();
                let result = self.start_service(index);
                let service = &mut self.services[index];
                if let Ok(id) = result {
                    service.supervision.restarted();
                    println!(
                        "init: {} restarted as task {id} (restart {})",
                        service.name,
                        service.supervision.restarts()
                    );
                }
                Answer::Now(result.map(id_bytes))
            }
        }
    }

    /// `CRASH`: ends the service with an injected fault, handled like any
    /// crash (it counts against the restart budget); `CRASH_ALWAYS` makes
    /// every later incarnation fault at start, `CRASH_HANG` the next one spin.
    pub(super) fn crash(&mut self, caller: TaskId, request: &[u8]) -> Answer {
        let Some((&flags, name)) = request.split_first() else {
            return Answer::Now(Err(KernelError::BadArgument));
        };
        let Some(index) = self.service_named(name) else {
            return Answer::Now(Err(KernelError::NotFound));
        };
        let service = &self.services[index];
        if service.kind != Kind::Server {
            // The console and the shell are not crashed on request: they are
            // how the person reaches the system.
            return Answer::Now(Err(KernelError::BadArgument));
        }
        let Some(running) = service.current else {
            return Answer::Now(Err(KernelError::NotFound));
        };
        // An injected fault, not a request: a service that spins or answers
        // nothing crashes all the same, and init never waits on it.
        if let Err(err) = task::task_fault(running) {
            return Answer::Now(Err(err));
        }
        let service = &mut self.services[index];
        if flags & CRASH_ALWAYS != 0 {
            service.supervision.crash_at_every_start();
        }
        if flags & CRASH_HANG != 0 {
            service.supervision.hang_at_next_start();
        }
        service.waiting.push(caller);
        self.reap_all();
        Answer::Later
    }

    fn service_named(&self, name: &[u8]) -> Option<usize> {
        self.services.iter().position(|s| s.name.as_bytes() == name)
    }
}
