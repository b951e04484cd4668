//! Init's event loop: task exits (reap, report, restart) and requests.

use abi::{notify, ExitReason, ExitRecord, KernelError, MessageHeader, Received, TaskId, MAX_MESSAGE};
use alloc::string::String;
use bootimg::{BootImage, EntryKind};
use init::policy::{may_kill, KillRequest};
use init::report::FaultLine;
use init::tasks::{Record, Tasks};
use urt::ipc::{recv, reply};
use urt::proto::console::{COM1_BASE, COM1_IRQ, COM1_IRQ_BIT, COM1_PORTS};
use urt::proto::error_code;
use urt::proto::init::*;
use urt::{println, task};

use crate::loader::{load, task_name};
use crate::services::{self, Kind, Service, PROGRAM_PRIORITY};

pub struct Init<'a> {
    image: BootImage<'a>,
    me: TaskId,
    tasks: Tasks,
    services: [Service; 3],
}

/// What a request handler answers: nothing yet (deferred), or a reply.
enum Answer {
    Later,
    Now(Result<alloc::vec::Vec<u8>, KernelError>),
}

fn id_bytes(id: TaskId) -> alloc::vec::Vec<u8> {
    id.raw().to_le_bytes().to_vec()
}

impl<'a> Init<'a> {
    pub fn new(image: BootImage<'a>, me: TaskId) -> Self {
        Init { image, me, tasks: Tasks::new(), services: services::all() }
    }

    pub fn run(mut self) -> ! {
        for index in 0..self.services.len() {
            let name = self.services[index].name;
            if self.image.find(name).is_none() {
                if self.services[index].kind != Kind::Server {
                    println!("init: the boot image has no {name}");
                }
                continue;
            }
            if let Err(err) = self.start_service(index) {
                println!("init: cannot start {name}: {err}");
            }
        }
        let mut buf = [0u8; MAX_MESSAGE];
        loop {
            match recv(&mut buf, notify::TASK_EXIT) {
                Ok(Received::Notification(_)) => self.reap_all(),
                Ok(Received::Message(header)) => {
                    let len = header.len.min(buf.len());
                    self.serve(header, &buf[..len]);
                }
                Err(_) => urt::sys::yield_now(),
            }
        }
    }

    fn service_task(&self, kind: Kind) -> Option<TaskId> {
        self.services.iter().find(|s| s.kind == kind).and_then(|s| s.current)
    }

    /// Starts service `index` and records it.
    fn start_service(&mut self, index: usize) -> Result<TaskId, KernelError> {
        let service = &self.services[index];
        let (name, kind) = (service.name, service.kind);
        let mut blob = [0u8; 64];
        let len = urt::args::encode([name], &mut blob).map_err(|_| KernelError::BadArgument)?;
        let id = load(&self.image, &blob[..len], service.priority, |id| {
            if kind == Kind::Console {
                task::grant_ports(id, COM1_BASE, COM1_PORTS)?;
                task::grant_irq(id, COM1_IRQ, COM1_IRQ_BIT)?;
            }
            if service.is_named() {
                task::bind(name, id)?;
            }
            if kind == Kind::Shell {
                let _ = urt::io::set_foreground(id, true);
            }
            Ok(())
        })?;
        self.services[index].current = Some(id);
        let foreground = kind == Kind::Shell;
        self.tasks.add(Record { id, name: String::from(name), parent: None, foreground, background: false, ended: None });
        if kind == Kind::Console {
            // A restarted console knows nothing: tell it the foreground again.
            for task in self.tasks.foreground() {
                let _ = urt::io::set_foreground(task, true);
            }
        }
        let mut note = urt::fmtbuf::FixedBuf::<64>::new();
        let _ = core::fmt::Write::write_fmt(&mut note, format_args!("init: {name} is task {id}\n"));
        let _ = urt::sys::log(note.as_bytes());
        Ok(id)
    }

    fn reap_all(&mut self) {
        while let Ok(record) = task::reap() {
            self.ended(record);
        }
    }

    fn ended(&mut self, record: ExitRecord) {
        let id = TaskId::from_raw(record.task);
        let reason = record.reason();
        let service = self.services.iter().position(|s| s.current == Some(id));
        if let ExitReason::Fault(fault) = reason {
            let name = self.tasks.get(id).map(|r| r.name.as_str()).unwrap_or("?");
            println!("{}", FaultLine { task_index: id.index(), name, fault });
        }
        if let Some(waiter) = self.tasks.ended(id, reason.into()) {
            let _ = reply(waiter, 0, &Ended::from(reason).encode());
        }
        if let Some(index) = service {
            self.service_ended(index);
        }
    }

    /// A service ended: restart it if that was asked for or the budget allows.
    fn service_ended(&mut self, index: usize) {
        let service = &mut self.services[index];
        service.current = None;
        let requested = service.restart_requested.take();
        if requested.is_none() && !service.budget.crash(urt::now_ns()) {
            println!(
                "init: {} crashed more than {} times in 10 s; not restarting it",
                service.name,
                init::budget::MAX_CRASHES
            );
            return;
        }
        let name = service.name;
        let result = self.start_service(index);
        let service = &mut self.services[index];
        match result {
            Ok(id) => {
                service.restarts += 1;
                println!("init: {name} restarted as task {id} (restart {})", service.restarts);
            }
            Err(err) => println!("init: cannot restart {name}: {err}"),
        }
        if let Some(Some(caller)) = requested {
            let _ = match result {
                Ok(id) => reply(caller, 0, &id.raw().to_le_bytes()),
                Err(err) => reply(caller, error_code(err), &[]),
            };
        }
    }

    fn serve(&mut self, header: MessageHeader, request: &[u8]) {
        let caller = header.sender;
        let from_shell = Some(caller) == self.service_task(Kind::Shell);
        let answer = match header.operation {
            SPAWN => Answer::Now(self.spawn(caller, request).map(id_bytes)),
            WAIT => match decode_id(request).and_then(|child| self.tasks.wait(caller, child)) {
                Ok(Some(how)) => Answer::Now(Ok(how.encode().to_vec())),
                Ok(None) => Answer::Later,
                Err(err) => Answer::Now(Err(err)),
            },
            POLL => Answer::Now(self.poll(caller)),
            KILL => Answer::Now(decode_id(request).and_then(|target| self.kill(caller, target)).map(|()| alloc::vec![])),
            RESTART if from_shell => self.restart(caller, request),
            POWEROFF if from_shell => Answer::Now(Err(task::poweroff())),
            RESTART | POWEROFF => Answer::Now(Err(KernelError::Denied)),
            PROGRAM => Answer::Now(self.program(request)),
            RESTARTS => Answer::Now(decode_id(request).map(|task| {
                let count = self.services.iter().find(|s| s.current == Some(task)).map_or(0, |s| s.restarts);
                count.to_le_bytes().to_vec()
            })),
            _ => Answer::Now(Err(KernelError::BadArgument)),
        };
        if let Answer::Now(result) = answer {
            let _ = match result {
                Ok(bytes) => reply(caller, 0, &bytes),
                Err(err) => reply(caller, error_code(err), &[]),
            };
        }
    }

    fn spawn(&mut self, caller: TaskId, request: &[u8]) -> Result<TaskId, KernelError> {
        let (&flags, blob) = request.split_first().ok_or(KernelError::BadArgument)?;
        let name = task_name(urt::args::Args::new(blob).program());
        // The shell chooses; a foreground program's children stay in the
        // foreground; a background task's never are.
        let foreground = if Some(caller) == self.service_task(Kind::Shell) {
            flags & FOREGROUND != 0
        } else {
            self.tasks.is_foreground(caller)
        };
        let id = load(&self.image, blob, PROGRAM_PRIORITY, |id| {
            if foreground {
                let _ = urt::io::set_foreground(id, true);
            }
            Ok(())
        })?;
        let background = flags & FOREGROUND == 0;
        self.tasks.add(Record { id, name: String::from(name), parent: Some(caller), foreground, background, ended: None });
        Ok(id)
    }

    fn poll(&mut self, caller: TaskId) -> Result<alloc::vec::Vec<u8>, KernelError> {
        let record = self.tasks.poll(caller).ok_or(KernelError::NotFound)?;
        let ended = record.ended.ok_or(KernelError::NotFound)?;
        let mut out = [0u8; FINISHED_MAX];
        let len = Finished { task: record.id, ended, name: &record.name }.encode(&mut out);
        Ok(out[..len].to_vec())
    }

    fn kill(&mut self, caller: TaskId, target: TaskId) -> Result<(), KernelError> {
        let mut protected = [self.me; 2];
        if let Some(console) = self.service_task(Kind::Console) {
            protected[1] = console;
        }
        may_kill(&KillRequest {
            caller,
            target,
            shell: self.service_task(Kind::Shell),
            protected: &protected,
            target_parent: self.tasks.get(target).and_then(|r| r.parent),
        })?;
        task::task_kill(target)
    }

    fn restart(&mut self, caller: TaskId, request: &[u8]) -> Answer {
        let Some(index) = self.services.iter().position(|s| s.name.as_bytes() == request) else {
            return Answer::Now(Err(KernelError::NotFound));
        };
        let service = &mut self.services[index];
        match service.current {
            Some(running) => {
                service.restart_requested = Some(Some(caller));
                if let Err(err) = task::task_kill(running)
                    && err != KernelError::PeerDied
                {
                    service.restart_requested = None;
                    return Answer::Now(Err(err));
                }
                // The answer goes out once the old incarnation is reaped.
                self.reap_all();
                Answer::Later
            }
            None => {
                // Stopped (crashed too often) or never started: a fresh start.
                service.budget.reset();
                let result = self.start_service(index);
                if result.is_ok() {
                    self.services[index].restarts += 1;
                }
                Answer::Now(result.map(id_bytes))
            }
        }
    }

    fn program(&self, request: &[u8]) -> Result<alloc::vec::Vec<u8>, KernelError> {
        let index = decode_id(request)?.raw() as usize;
        let entry = self.image.iter().filter(|e| e.kind == EntryKind::Elf).nth(index).ok_or(KernelError::NotFound)?;
        Ok(entry.name.as_bytes().to_vec())
    }
}

fn decode_id(request: &[u8]) -> Result<TaskId, KernelError> {
    let bytes: [u8; 4] = request.get(..4).and_then(|b| b.try_into().ok()).ok_or(KernelError::BadArgument)?;
    Ok(TaskId::from_raw(u32::from_le_bytes(bytes)))
}
