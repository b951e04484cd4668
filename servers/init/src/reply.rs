//! Init's answers, kept off the heap: every reply init sends fits in a few
//! bytes (a task id, an exit record, a program name), so building one never
//! asks for memory that may be gone.

use abi::TaskId;

/// Room for the longest answer: a boot-image program name (32 bytes).
pub const REPLY_MAX: usize = 32;

/// The bytes of one answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyBytes {
    bytes: [u8; REPLY_MAX],
    len: u8,
}

impl ReplyBytes {
    /// An empty answer.
    pub const EMPTY: ReplyBytes = ReplyBytes { bytes: [0; REPLY_MAX], len: 0 };

    /// The first `REPLY_MAX` bytes of `data`: every answer init builds is
    /// shorter, so nothing is ever cut.
    pub fn new(data: &[u8]) -> Self {
        let len = data.len().min(REPLY_MAX);
        let mut bytes = [0; REPLY_MAX];
        bytes[..len].copy_from_slice(&data[..len]);
        ReplyBytes { bytes, len: len as u8 }
    }

    pub fn id(id: TaskId) -> Self {
        Self::new(&id.raw().to_le_bytes())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_their_bytes() {
        assert_eq!(ReplyBytes::EMPTY.as_bytes(), &[] as &[u8]);
        assert_eq!(ReplyBytes::id(TaskId::new(5, 1)).as_bytes(), &TaskId::new(5, 1).raw().to_le_bytes());
        let name = [b'x'; REPLY_MAX];
        assert_eq!(ReplyBytes::new(&name).as_bytes(), &name);
        const { assert!(urt::proto::init::FINISHED_MAX <= REPLY_MAX) };
        const { assert!(urt::proto::init::CHILD_ENDED_LEN <= REPLY_MAX) };
    }
}
