//! Init's event loop: task exits (reap, report, restart) and requests.
//! Starting and restarting the services is in `supervise.rs`.

mod supervise;

use abi::{ExitReason, ExitRecord, JobId, KernelError, MAX_MESSAGE, MessageHeader, Received, TaskId, notify};
use bootimg::{BootImage, EntryKind};
use init::policy::{KillRequest, may_kill};
use init::reply::ReplyBytes;
use init::report::FaultLine;
use init::tasks::{Name, Record, Tasks};
use urt::ipc::{recv, reply};
use urt::proto::error_code;
use urt::proto::init::*;
use urt::{println, task};

use crate::loader::{load, task_name};
use crate::services::{self, Kind, PROGRAM_PRIORITY, Service};

pub struct Init<'a> {
    image: BootImage<'a>,
    me: TaskId,
    tasks: Tasks,
    services: [Service; 3],
}

/// What a request handler answers: nothing yet (deferred), or a reply.
enum Answer {
    Later,
    Now(Result<ReplyBytes, KernelError>),
}

fn id_bytes(id: TaskId) -> ReplyBytes {
    ReplyBytes::id(id)
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

    fn reap_all(&mut self) {
        while let Ok(record) = task::reap() {
            self.ended(record);
        }
    }

    fn ended(&mut self, record: ExitRecord) {
        let id = TaskId::from_raw(record.task);
        let reason = record.reason();
        let service = self.services.iter().position(|s| s.current == Some(id));
        let name = self.tasks.get(id).map(|r| r.name).unwrap_or(Name::new("?"));
        let name = name.as_str();
        match reason {
            ExitReason::Fault(fault) => println!("{}", FaultLine { task_index: id.index(), name, fault }),
            // Nobody waits for a service: say how it ended before it restarts.
            _ if service.is_some() => println!("init: {name} (task {id}) exited ({})", Ended::from(reason)),
            _ => {}
        }
        let after = self.tasks.ended(id, reason.into());
        if after.console_back {
            // Before the shell hears of the end, so that its next read, and
            // no read of the finished job's other tasks, gets the input.
            let _ = urt::io::set_foreground(JobId::SYSTEM);
        }
        if let Some(shell) = after.to_poll.filter(|&parent| Some(parent) == self.service_task(Kind::Shell)) {
            // The shell reports its background jobs' ends: the console ends
            // its read at the prompt so that it polls now (the console never
            // calls init, so this call cannot deadlock).
            let _ = urt::io::job_ended(shell);
        }
        if let Some(waiter) = after.waiter {
            let how = Ended::from(reason);
            let _ = if after.any_child {
                reply(waiter, 0, &encode_child_ended(id, how))
            } else {
                reply(waiter, 0, &how.encode())
            };
        }
        if let Some(index) = service {
            self.service_ended(index);
        }
    }

    fn serve(&mut self, header: MessageHeader, request: &[u8]) {
        let caller = header.sender;
        let from_shell = Some(caller) == self.service_task(Kind::Shell);
        let answer = match header.operation {
            SPAWN => Answer::Now(self.spawn(caller, request).map(id_bytes)),
            WAIT => match decode_id(request).and_then(|child| self.tasks.wait(caller, child)) {
                Ok(Some(how)) => Answer::Now(Ok(ReplyBytes::new(&how.encode()))),
                Ok(None) => Answer::Later,
                Err(err) => Answer::Now(Err(err)),
            },
            WAIT_ANY => match self.tasks.wait_any(caller) {
                Ok(Some((child, how))) => Answer::Now(Ok(ReplyBytes::new(&encode_child_ended(child, how)))),
                Ok(None) => Answer::Later,
                Err(err) => Answer::Now(Err(err)),
            },
            FORK => Answer::Now(self.fork(caller).map(id_bytes)),
            TASK_ID => Answer::Now(Ok(id_bytes(caller))),
            POLL => Answer::Now(self.poll(caller)),
            KILL => {
                Answer::Now(decode_id(request).and_then(|target| self.kill(caller, target)).map(|()| ReplyBytes::EMPTY))
            }
            RESTART if from_shell => self.restart(caller, request),
            POWEROFF if from_shell => Answer::Now(Err(task::poweroff())),
            CRASH if from_shell => self.crash(caller, request),
            KILL_JOB if from_shell => {
                Answer::Now(decode_id(request).and_then(|task| self.kill_job(task)).map(|()| ReplyBytes::EMPTY))
            }
            RESTART | POWEROFF | CRASH | KILL_JOB => Answer::Now(Err(KernelError::Denied)),
            PROGRAM => Answer::Now(self.program(request)),
            RESTARTS => Answer::Now(decode_id(request).map(|task| {
                let service = self.services.iter().find(|s| s.current == Some(task));
                let count = service.map_or(0, |s| s.supervision.restarts());
                ReplyBytes::new(&count.to_le_bytes())
            })),
            _ => Answer::Now(Err(KernelError::BadArgument)),
        };
        if let Answer::Now(result) = answer {
            let _ = match result {
                Ok(bytes) => reply(caller, 0, bytes.as_bytes()),
                Err(err) => reply(caller, error_code(err), &[]),
            };
        }
    }

    /// A program the shell starts makes a new job, in the foreground if
    /// the shell asks; a task started by any other task joins its job (and
    /// so reads the console exactly when its job does).
    fn spawn(&mut self, caller: TaskId, request: &[u8]) -> Result<TaskId, KernelError> {
        let (&flags, blob) = request.split_first().ok_or(KernelError::BadArgument)?;
        let name = task_name(urt::args::Args::new(blob).program());
        let caller_job = self.tasks.job_of(caller).ok_or(KernelError::Denied)?;
        let from_shell = Some(caller) == self.service_task(Kind::Shell);
        let leads_job = from_shell || caller_job.is_system();
        let job = if leads_job { self.tasks.new_job() } else { caller_job };
        self.tasks.admit(job)?;
        let takes_console = from_shell && flags & FOREGROUND != 0;
        let id = load(&self.image, blob, PROGRAM_PRIORITY, job, |_| {
            if takes_console {
                urt::io::set_foreground(job)?;
            }
            Ok(())
        })?;
        if takes_console {
            self.tasks.set_foreground(job);
        }
        let background = flags & FOREGROUND == 0;
        let record =
            Record { id, name: Name::new(name), parent: Some(caller), job, leads_job, background, ended: None };
        // `admit` saw room, and nothing was added since.
        self.tasks.add(record)?;
        Ok(id)
    }

    /// A copy of the caller, in its job, recorded as its child. Tasks of
    /// the system job do not fork: they have no quota to hold the copies.
    fn fork(&mut self, caller: TaskId) -> Result<TaskId, KernelError> {
        let parent = *self.tasks.get(caller).ok_or(KernelError::Denied)?;
        if parent.job.is_system() {
            return Err(KernelError::Denied);
        }
        self.tasks.admit(parent.job)?;
        let child = task::task_fork(caller)?;
        let record = Record { id: child, parent: Some(caller), leads_job: false, background: false, ..parent };
        if let Err(err) = self.tasks.add(record) {
            // `admit` saw room, and nothing was added since: not reached.
            let _ = task::task_kill(child);
            return Err(err);
        }
        Ok(child)
    }

    fn poll(&mut self, caller: TaskId) -> Result<ReplyBytes, KernelError> {
        let record = self.tasks.poll(caller).ok_or(KernelError::NotFound)?;
        let ended = record.ended.ok_or(KernelError::NotFound)?;
        let mut out = [0u8; FINISHED_MAX];
        let len = Finished { task: record.id, ended, name: record.name.as_str() }.encode(&mut out);
        Ok(ReplyBytes::new(&out[..len]))
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
            caller_is_ancestor: self.tasks.is_descendant(target, caller),
        })?;
        task::task_kill(target)?;
        if let Some(service) = self.services.iter_mut().find(|s| s.current == Some(target)) {
            // Killed on request: not a crash. The restart follows at once.
            service.supervision.stop_requested();
        }
        // Reap now, so that the end (and a service's restart) is reported
        // before the caller's next prompt.
        self.reap_all();
        Ok(())
    }

    /// Kills every running task of `task`'s job. The system job is never
    /// killed this way: its tasks are the services.
    fn kill_job(&mut self, task: TaskId) -> Result<(), KernelError> {
        let job = self.tasks.job_of(task).ok_or(KernelError::NotFound)?;
        if job.is_system() {
            return Err(KernelError::Denied);
        }
        let mut members = [TaskId::KERNEL; init::tasks::JOB_TASKS_MAX];
        let count = self.tasks.running_in(job, &mut members);
        for &member in &members[..count] {
            // PeerDied: it ended meanwhile and is not reaped yet.
            let _ = task::task_kill(member);
        }
        self.reap_all();
        Ok(())
    }

    fn program(&self, request: &[u8]) -> Result<ReplyBytes, KernelError> {
        let index = decode_id(request)?.raw() as usize;
        let entry = self.image.iter().filter(|e| e.kind == EntryKind::Elf).nth(index).ok_or(KernelError::NotFound)?;
        Ok(ReplyBytes::new(entry.name.as_bytes()))
    }
}

fn decode_id(request: &[u8]) -> Result<TaskId, KernelError> {
    let bytes: [u8; 4] = request.get(..4).and_then(|b| b.try_into().ok()).ok_or(KernelError::BadArgument)?;
    Ok(TaskId::from_raw(u32::from_le_bytes(bytes)))
}
