//! Starting a program from the boot image: check its ELF file, create the
//! task, map its segments, stack and argument page, then start it.

use abi::{ARGS_VADDR, JobId, KernelError, PAGE_SIZE, STACK_SIZE, STACK_TOP, TASK_NAME_MAX, TaskId, map_flags};
use bootimg::{BootImage, EntryKind};
use init::layout::plan;
use urt::args::{ARGS_MAX, Args};
use urt::task;

/// Loads and starts the program named by the first argument in `blob` as a
/// task of `job`, whose frames its memory counts against.
/// `prepare` runs after everything is mapped and before the task runs (to
/// grant devices, bind a name or give it the foreground).
pub fn load(
    image: &BootImage<'_>,
    blob: &[u8],
    priority: u8,
    job: JobId,
    prepare: impl FnOnce(TaskId) -> Result<(), KernelError>,
) -> Result<TaskId, KernelError> {
    let name = Args::new(blob).program();
    if name.is_empty() || blob.len() > ARGS_MAX {
        return Err(KernelError::BadArgument);
    }
    let entry = image.find(name).filter(|entry| entry.kind == EntryKind::Elf).ok_or(KernelError::NotFound)?;
    let program = elfload::parse(entry.data).map_err(|_| KernelError::BadArgument)?;
    let id = task::task_create(task_name(name), priority, job)?;
    let started = fill(id, &program, blob)
        .and_then(|()| prepare(id))
        .and_then(|()| task::task_start(id, program.entry, STACK_TOP, ARGS_VADDR, blob.len() as u64));
    if let Err(err) = started {
        // It never ran; its exit record is reaped like any other.
        let _ = task::task_kill(id);
        return Err(err);
    }
    Ok(id)
}

/// Maps the program's memory, its stack and its arguments into `id`.
fn fill(id: TaskId, program: &elfload::Program<'_>, blob: &[u8]) -> Result<(), KernelError> {
    for region in plan(program.segments()) {
        let mut flags = 0;
        if region.writable {
            flags |= map_flags::WRITE;
        }
        if region.executable {
            flags |= map_flags::EXEC;
        }
        for (at, len) in region.steps() {
            let contents = region.contents(at, len).ok_or(KernelError::NoMemory)?;
            task::task_map(id, at, len, &contents, flags)?;
        }
    }
    task::task_map(id, STACK_TOP - STACK_SIZE, STACK_SIZE, &[], map_flags::WRITE)?;
    task::task_map(id, ARGS_VADDR, PAGE_SIZE as u64, blob, 0)
}

/// The program name cut to what the kernel stores, on a character boundary.
pub fn task_name(name: &str) -> &str {
    let mut end = name.len().min(TASK_NAME_MAX);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}
