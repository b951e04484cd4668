//! Physical memory: the global frame allocator and the kernel heap.

use crate::arch::paging::{FrameSource, phys_to_virt};
use abi::{JOB_FRAME_SHARE, JobId, MAX_TASKS, SYSTEM_RESERVE_FRAMES};
use kcore::frames::{FrameAllocator, bitmap_words};
use kcore::jobs::JobAccounts;
use kcore::multiboot::BootInfo;
use linked_list_allocator::LockedHeap;
use spin::Mutex;

/// Highest physical address the allocator manages.
const MAX_PHYS: u64 = 4 << 30;
const HEAP_FRAMES: usize = 1024; // 4 MiB
const LOW_MEMORY_END: u64 = 1 << 20;

static mut BITMAP: [u64; bitmap_words(MAX_PHYS)] = [0; bitmap_words(MAX_PHYS)];
static FRAMES: Mutex<Option<FrameAllocator<'static>>> = Mutex::new(None);
/// Frames held per job; set up once the kernel has taken its own memory.
static JOBS: Mutex<Option<JobAccounts<MAX_TASKS>>> = Mutex::new(None);

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

unsafe extern "C" {
    static __kernel_phys_start: u8;
    static __bss_end_phys: u8;
}

/// Builds the allocator from the memory map, keeping out low memory, the
/// kernel image, the boot modules and the Multiboot info.
pub fn init_frames(info: &BootInfo) {
    // SAFETY: called once at boot; this is the only reference ever made.
    let bitmap = unsafe { &mut *core::ptr::addr_of_mut!(BITMAP) };
    let mut frames = FrameAllocator::new(bitmap);
    for region in info.regions() {
        frames.add_free_range(region.start, region.end);
    }
    frames.reserve_range(0, LOW_MEMORY_END);
    // SAFETY: linker symbols; only their addresses are used.
    let (start, end) = unsafe { (&__kernel_phys_start as *const u8 as u64, &__bss_end_phys as *const u8 as u64) };
    frames.reserve_range(start, end);
    for module in info.modules() {
        frames.reserve_range(module.start, module.end);
    }
    let (info_start, info_end) = info.info_range();
    frames.reserve_range(info_start, info_end);
    *FRAMES.lock() = Some(frames);
}

/// Carves the kernel heap out of physical memory (reached via the direct map).
pub fn init_heap() {
    let base = with_frames(|f| f.alloc_contiguous(HEAP_FRAMES)).expect("no memory for the kernel heap");
    // SAFETY: the frames were just allocated for the heap alone and are
    // mapped writable through the direct map.
    unsafe { HEAP.lock().init(phys_to_virt(base) as *mut u8, HEAP_FRAMES * abi::PAGE_SIZE) };
    let usable = frame_counts().0 as u64;
    *JOBS.lock() = Some(JobAccounts::new(usable, SYSTEM_RESERVE_FRAMES, JOB_FRAME_SHARE));
}

pub fn with_frames<R>(f: impl FnOnce(&mut FrameAllocator<'static>) -> R) -> R {
    f(FRAMES.lock().as_mut().expect("frame allocator initialised at boot"))
}

/// (free, used) frame counts.
pub fn frame_counts() -> (usize, usize) {
    with_frames(|f| (f.free_frames(), f.used_frames()))
}

/// The frame allocator as a page-table frame source.
pub struct Frames;

impl FrameSource for Frames {
    fn alloc(&mut self) -> Option<u64> {
        with_frames(|f| f.alloc())
    }

    fn free(&mut self, phys: u64) {
        if let Err(e) = with_frames(|f| f.free(phys)) {
            panic!("freeing frame {phys:#x}: {e:?}");
        }
    }
}

/// Most frames one job other than the system job may hold.
pub fn job_frame_limit() -> u64 {
    JOBS.lock().as_ref().map_or(0, |jobs| jobs.job_limit())
}

/// Whether `job` could take `frames` more frames now (its share, the
/// system reserve, the free frames), so a large copy can be refused before
/// it starts rather than part-way.
pub fn job_has_room(job: JobId, frames: u64) -> bool {
    let free = frame_counts().0 as u64;
    JOBS.lock().as_ref().is_some_and(|jobs| jobs.has_room(job, frames, free))
}

/// Frames a job holds.
pub fn job_frames(job: JobId) -> u64 {
    JOBS.lock().as_ref().map_or(0, |jobs| jobs.held(job))
}

/// The frame allocator as the source of a task's frames: each frame is
/// charged to the task's job, within the job's share and outside the
/// system reserve (see `kcore::jobs`), and credited back when freed.
pub struct JobFrames(pub JobId);

impl FrameSource for JobFrames {
    fn alloc(&mut self) -> Option<u64> {
        let mut jobs = JOBS.lock();
        let jobs = jobs.as_mut().expect("job accounts initialised at boot");
        with_frames(|f| {
            jobs.charge(self.0, f.free_frames() as u64).ok()?;
            let frame = f.alloc();
            if frame.is_none() {
                jobs.credit(self.0);
            }
            frame
        })
    }

    fn free(&mut self, phys: u64) {
        Frames.free(phys);
        let credited = JOBS.lock().as_mut().is_some_and(|jobs| jobs.credit(self.0));
        debug_assert!(credited, "job {} freed a frame it was never charged", self.0);
    }
}

/// A fresh zeroed frame.
pub fn alloc_zeroed() -> Option<u64> {
    zeroed(&mut Frames)
}

/// A fresh zeroed frame from `frames`.
pub fn zeroed(frames: &mut impl FrameSource) -> Option<u64> {
    let phys = frames.alloc()?;
    // SAFETY: the frame was just allocated and is mapped by the direct map.
    unsafe { core::ptr::write_bytes(phys_to_virt(phys) as *mut u8, 0, abi::PAGE_SIZE) };
    Some(phys)
}
