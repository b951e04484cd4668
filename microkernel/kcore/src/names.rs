//! The name registry: which task currently answers to a service name such as
//! "netd".
//!
//! Only init may change it (the kernel checks that before calling `bind`),
//! so no task can take over another's name. Binding a name that exists
//! replaces its task: that is how a restarted server takes its name back.
//! When a task dies its names are dropped, so a lookup never returns a dead
//! id. Fixed capacity `N`, names of 1 to `abi::SERVICE_NAME_MAX` bytes.

use abi::{SERVICE_NAME_MAX, TaskId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryError {
    EmptyName,
    NameTooLong,
    /// Every slot holds another name.
    Full,
}

impl RegistryError {
    /// The syscall error this turns into.
    pub fn kernel_error(self) -> abi::KernelError {
        match self {
            RegistryError::EmptyName | RegistryError::NameTooLong => abi::KernelError::BadArgument,
            RegistryError::Full => abi::KernelError::NoMemory,
        }
    }
}

impl core::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RegistryError::EmptyName => "empty service name",
            RegistryError::NameTooLong => "service name too long",
            RegistryError::Full => "name registry full",
        })
    }
}

#[derive(Clone, Copy)]
struct Binding {
    name: [u8; SERVICE_NAME_MAX],
    name_len: u8,
    task: TaskId,
}

impl Binding {
    fn name(&self) -> &[u8] {
        &self.name[..self.name_len as usize]
    }
}

pub struct Registry<const N: usize> {
    slots: [Option<Binding>; N],
}

impl<const N: usize> Registry<N> {
    pub const fn new() -> Self {
        Registry { slots: [None; N] }
    }

    /// Binds `name` to `task`, replacing any earlier binding of the same
    /// name.
    pub fn bind(&mut self, name: &[u8], task: TaskId) -> Result<(), RegistryError> {
        if name.is_empty() {
            return Err(RegistryError::EmptyName);
        }
        if name.len() > SERVICE_NAME_MAX {
            return Err(RegistryError::NameTooLong);
        }
        if let Some(existing) = self.slots.iter_mut().flatten().find(|b| b.name() == name) {
            existing.task = task;
            return Ok(());
        }
        let free = self.slots.iter_mut().find(|slot| slot.is_none()).ok_or(RegistryError::Full)?;
        let mut binding = Binding { name: [0; SERVICE_NAME_MAX], name_len: name.len() as u8, task };
        binding.name[..name.len()].copy_from_slice(name);
        *free = Some(binding);
        Ok(())
    }

    /// The task bound to `name`.
    pub fn lookup(&self, name: &[u8]) -> Option<TaskId> {
        self.slots.iter().flatten().find(|b| b.name() == name).map(|b| b.task)
    }

    /// Removes `name`; returns whether it was bound.
    pub fn unbind(&mut self, name: &[u8]) -> bool {
        match self.slots.iter_mut().find(|slot| slot.is_some_and(|b| b.name() == name)) {
            Some(slot) => {
                *slot = None;
                true
            }
            None => false,
        }
    }

    /// Removes every name bound to `task` (it died); returns how many.
    pub fn unbind_task(&mut self, task: TaskId) -> usize {
        let mut removed = 0;
        for slot in &mut self.slots {
            if slot.is_some_and(|b| b.task == task) {
                *slot = None;
                removed += 1;
            }
        }
        removed
    }

    /// Every binding as (name, task), in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], TaskId)> {
        self.slots.iter().flatten().map(|b| (b.name(), b.task))
    }

    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<const N: usize> Default for Registry<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_lookup_and_rebind() {
        let mut registry = Registry::<4>::new();
        registry.bind(b"netd", TaskId::from_raw(0x0001_0003)).unwrap();
        registry.bind(b"console", TaskId::from_raw(2)).unwrap();
        assert_eq!(registry.lookup(b"netd"), Some(TaskId::from_raw(0x0001_0003)));
        assert_eq!(registry.lookup(b"net"), None);
        assert_eq!(registry.lookup(b"netd2"), None);
        registry.bind(b"netd", TaskId::from_raw(0x0002_0003)).unwrap();
        assert_eq!(registry.lookup(b"netd"), Some(TaskId::from_raw(0x0002_0003)), "restart rebinds");
        assert_eq!(registry.len(), 2);
    }

    #[test]
    fn rejects_bad_names() {
        let mut registry = Registry::<4>::new();
        assert_eq!(registry.bind(b"", TaskId::from_raw(1)), Err(RegistryError::EmptyName));
        assert_eq!(registry.bind(&[b'a'; SERVICE_NAME_MAX + 1], TaskId::from_raw(1)), Err(RegistryError::NameTooLong));
        assert_eq!(registry.bind(&[b'a'; SERVICE_NAME_MAX], TaskId::from_raw(1)), Ok(()));
        assert_eq!(registry.lookup(&[b'a'; SERVICE_NAME_MAX]), Some(TaskId::from_raw(1)));
        assert!(registry.lookup(b"").is_none());
        assert_eq!(RegistryError::NameTooLong.kernel_error(), abi::KernelError::BadArgument);
    }

    #[test]
    fn full_table_refuses_new_names_but_allows_rebinding() {
        let mut registry = Registry::<2>::new();
        registry.bind(b"a", TaskId::from_raw(1)).unwrap();
        registry.bind(b"b", TaskId::from_raw(2)).unwrap();
        assert_eq!(registry.bind(b"c", TaskId::from_raw(3)), Err(RegistryError::Full));
        assert_eq!(registry.bind(b"a", TaskId::from_raw(4)), Ok(()));
        assert!(registry.unbind(b"b"));
        assert!(!registry.unbind(b"b"));
        assert_eq!(registry.bind(b"c", TaskId::from_raw(3)), Ok(()));
        assert_eq!(registry.lookup(b"c"), Some(TaskId::from_raw(3)));
    }

    #[test]
    fn dead_task_loses_all_its_names() {
        let mut registry = Registry::<4>::new();
        registry.bind(b"netd", TaskId::from_raw(7)).unwrap();
        registry.bind(b"sockets", TaskId::from_raw(7)).unwrap();
        registry.bind(b"console", TaskId::from_raw(2)).unwrap();
        assert_eq!(registry.unbind_task(TaskId::from_raw(7)), 2);
        assert_eq!(registry.lookup(b"netd"), None);
        assert_eq!(registry.lookup(b"sockets"), None);
        assert_eq!(registry.iter().collect::<Vec<_>>(), vec![(&b"console"[..], TaskId::from_raw(2))]);
        assert_eq!(registry.unbind_task(TaskId::from_raw(7)), 0);
    }
}
