//! Who may kill whom. The shell may kill any task except the protected
//! ones (init and the console refuse); any task may kill its descendants
//! (the tasks it spawned or forked, and theirs); nobody else may.

use abi::{KernelError, TaskId};

/// What init knows about a kill request.
#[derive(Clone, Copy, Debug)]
pub struct KillRequest<'a> {
    pub caller: TaskId,
    pub target: TaskId,
    /// The task running the shell, if any.
    pub shell: Option<TaskId>,
    /// Tasks that refuse to be killed.
    pub protected: &'a [TaskId],
    /// The caller started the target, or an ancestor of it.
    pub caller_is_ancestor: bool,
}

pub fn may_kill(req: &KillRequest<'_>) -> Result<(), KernelError> {
    if req.protected.contains(&req.target) {
        return Err(KernelError::Denied);
    }
    if Some(req.caller) == req.shell || req.caller_is_ancestor {
        return Ok(());
    }
    Err(KernelError::Denied)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INIT: TaskId = TaskId::new(1, 0);
    const CONSOLE: TaskId = TaskId::new(2, 0);
    const SHELL: TaskId = TaskId::new(3, 0);
    const PROG: TaskId = TaskId::new(4, 0);
    const CHILD: TaskId = TaskId::new(5, 0);

    fn ask(caller: TaskId, target: TaskId, ancestor: Option<TaskId>) -> Result<(), KernelError> {
        let caller_is_ancestor = ancestor == Some(caller);
        may_kill(&KillRequest { caller, target, shell: Some(SHELL), protected: &[INIT, CONSOLE], caller_is_ancestor })
    }

    #[test]
    fn the_shell_kills_anything_but_init_and_console() {
        assert_eq!(ask(SHELL, PROG, None), Ok(()));
        assert_eq!(ask(SHELL, INIT, None), Err(KernelError::Denied));
        assert_eq!(ask(SHELL, CONSOLE, None), Err(KernelError::Denied));
    }

    #[test]
    fn others_kill_only_their_descendants() {
        assert_eq!(ask(PROG, CHILD, Some(PROG)), Ok(()));
        assert_eq!(ask(PROG, CHILD, Some(SHELL)), Err(KernelError::Denied));
        assert_eq!(ask(PROG, INIT, None), Err(KernelError::Denied));
        assert_eq!(ask(PROG, SHELL, None), Err(KernelError::Denied));
    }
}
