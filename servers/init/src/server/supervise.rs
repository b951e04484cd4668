//! Starting the services, restarting them when they end, and the shell's
//! `restart` and `crash` requests.
//!
//! A service's end is noticed like any task's: the kernel's exit record.
//! Init then asks its [`Supervision`](init::supervision::Supervision)
//! whether to start a new incarnation, binds the registry name to it (the
//! kernel dropped the old binding when the old task died) and answers the
//! callers that wait for the outcome.
//!
//! `crash` is one IPC call from init to netd, which never calls init, so
//! the call cannot deadlock; netd answers it at once (a refusal) or faults,
//! and the call returns `PeerDied`. Until then init serves nothing else.

use abi::{JobId, KernelError, TaskId};
use init::supervision::Decision;
use init::tasks::{Name, Record};
use libsock::proto::{self as sock, Request, Response};
use libsock::SockError;
use urt::ipc::{call, reply};
use urt::proto::console::{COM1_BASE, COM1_IRQ, COM1_IRQ_BIT, COM1_PORTS};
use urt::proto::error_code;
use urt::proto::init::{CRASH_ALWAYS, CRASH_AT_START};
use urt::{println, task};

use super::{id_bytes, Answer, Init};
use crate::loader::load;
use crate::services::Kind;

/// Room for the argument blob of a service: its name and one flag.
const SERVICE_ARGS_MAX: usize = 64;

impl Init<'_> {
    /// Starts service `index` and records it.
    pub(super) fn start_service(&mut self, index: usize) -> Result<TaskId, KernelError> {
        let service = &self.services[index];
        let (name, kind) = (service.name, service.kind);
        let with_flag = [name, CRASH_AT_START];
        let argv = if service.supervision.crash_at_start() { &with_flag[..] } else { &with_flag[..1] };
        let mut blob = [0u8; SERVICE_ARGS_MAX];
        let len = urt::args::encode(argv.iter().copied(), &mut blob).map_err(|_| KernelError::BadArgument)?;
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
                    println!("init: {} restarted as task {id} (restart {})", service.name, service.supervision.restarts());
                }
                Answer::Now(result.map(id_bytes))
            }
        }
    }

    /// `CRASH`: asks the service (netd, with libsock's `Request::Crash`) to
    /// fault for real; the fault is then handled like any crash.
    pub(super) fn crash(&mut self, caller: TaskId, request: &[u8]) -> Answer {
        let Some((&flags, name)) = request.split_first() else {
            return Answer::Now(Err(KernelError::BadArgument));
        };
        let Some(index) = self.service_named(name) else {
            return Answer::Now(Err(KernelError::NotFound));
        };
        let service = &self.services[index];
        if service.kind != Kind::Server {
            // Only netd's protocol has a crash request.
            return Answer::Now(Err(KernelError::BadArgument));
        }
        let Some(running) = service.current else {
            return Answer::Now(Err(KernelError::NotFound));
        };
        match ask_to_crash(running) {
            Err(KernelError::PeerDied) => {
                let service = &mut self.services[index];
                if flags & CRASH_ALWAYS != 0 {
                    service.supervision.crash_at_every_start();
                }
                service.waiting.push(caller);
                self.reap_all();
                Answer::Later
            }
            Err(err) => Answer::Now(Err(err)),
            Ok(()) => Answer::Now(Err(KernelError::BadArgument)),
        }
    }

    fn service_named(&self, name: &[u8]) -> Option<usize> {
        self.services.iter().position(|s| s.name.as_bytes() == name)
    }
}

/// Sends netd its crash request. `PeerDied` means it faulted as asked;
/// `Denied` that it refused (it does not know init as its supervisor).
fn ask_to_crash(netd: TaskId) -> Result<(), KernelError> {
    let mut message = [0u8; 8];
    let request = sock::encode_request(&Request::Crash, &mut message).map_err(|_| KernelError::BadArgument)?;
    let mut answer = [0u8; abi::MAX_MESSAGE];
    let got = call(netd, sock::op::CRASH, request, &mut answer, &[])?;
    match sock::decode_response(got.code, &answer[..got.len.min(answer.len())]) {
        Ok(Response::Error(SockError::AccessDenied)) => Err(KernelError::Denied),
        _ => Ok(()),
    }
}
