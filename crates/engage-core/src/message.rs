//! Message status rules: `queued → sent → delivered → read`, and `failed` from any
//! non-terminal status. Statuses never move backwards; out-of-order reports (a `delivered`
//! arriving after `read`) are ignored rather than refused, because providers deliver
//! status callbacks out of order.

use crate::error::CoreError;
use crate::wire::MessageStatus;

/// What applying a reported status to a message in some status does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Move to the new status.
    Advance,
    /// Keep the current status: a repeated or late report (`read` then `delivered`).
    Ignore,
    /// Not a possible change (leaving `failed`, failing after `read`, going back to `queued`).
    Reject,
}

/// Status rules as methods on [`MessageStatus`].
pub trait MessageStatusExt: Sized {
    /// `read` and `failed`: nothing happens after them.
    fn is_terminal(&self) -> bool;
    /// What reporting `to` does to a message in status `self`.
    fn transition_to(self, to: MessageStatus) -> Transition;
    /// `Ok(Some(to))` to advance, `Ok(None)` for a no-op, `Err` when impossible.
    fn apply(self, to: MessageStatus) -> Result<Option<MessageStatus>, CoreError>;
}

/// Position along the delivery chain; `failed` is outside it.
fn rank(status: MessageStatus) -> Option<u8> {
    match status {
        MessageStatus::Queued => Some(0),
        MessageStatus::Sent => Some(1),
        MessageStatus::Delivered => Some(2),
        MessageStatus::Read => Some(3),
        MessageStatus::Failed => None,
    }
}

impl MessageStatusExt for MessageStatus {
    fn is_terminal(&self) -> bool {
        matches!(*self, MessageStatus::Read | MessageStatus::Failed)
    }

    fn transition_to(self, to: MessageStatus) -> Transition {
        use MessageStatus::*;
        match (self, to) {
            (Failed, Failed) => Transition::Ignore,
            (Failed, _) => Transition::Reject,
            (Read, Failed) => Transition::Reject,
            (_, Failed) => Transition::Advance,
            // Nothing but a new message starts queued.
            (from, Queued) if from != Queued => Transition::Reject,
            // Only the provider's acceptance moves a message out of the queue.
            (Queued, Delivered | Read) => Transition::Reject,
            (from, to) => match (rank(from), rank(to)) {
                (Some(a), Some(b)) if b > a => Transition::Advance,
                _ => Transition::Ignore,
            },
        }
    }

    fn apply(self, to: MessageStatus) -> Result<Option<MessageStatus>, CoreError> {
        match self.transition_to(to) {
            Transition::Advance => Ok(Some(to)),
            Transition::Ignore => Ok(None),
            Transition::Reject => Err(CoreError::InvalidStatusTransition { from: self, to }),
        }
    }
}

/// Whether a message in status `from` moves to `to` (a real forward move).
pub fn can_transition(from: MessageStatus, to: MessageStatus) -> bool {
    from.transition_to(to) == Transition::Advance
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageStatus::*;

    const ALL: [MessageStatus; 5] = [Queued, Sent, Delivered, Read, Failed];

    #[test]
    fn the_delivery_chain_moves_forward() {
        assert!(can_transition(Queued, Sent));
        assert!(can_transition(Sent, Delivered));
        assert!(can_transition(Delivered, Read));
        // A provider may report `read` without `delivered`.
        assert!(can_transition(Sent, Read));
    }

    #[test]
    fn any_non_terminal_status_can_fail() {
        for from in [Queued, Sent, Delivered] {
            assert!(can_transition(from, Failed), "{from:?}");
        }
    }

    #[test]
    fn statuses_never_move_backwards() {
        for (i, from) in ALL.iter().enumerate() {
            for to in &ALL[..i] {
                assert!(!can_transition(*from, *to), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn late_delivered_after_read_is_a_no_op() {
        assert_eq!(Read.transition_to(Delivered), Transition::Ignore);
        assert_eq!(Read.apply(Delivered), Ok(None));
        assert_eq!(Delivered.apply(Sent), Ok(None));
        assert_eq!(Sent.apply(Sent), Ok(None));
    }

    #[test]
    fn terminal_statuses_cannot_be_left() {
        assert!(Read.is_terminal() && Failed.is_terminal());
        for to in [Queued, Sent, Delivered, Read] {
            assert_eq!(Failed.transition_to(to), Transition::Reject, "{to:?}");
        }
        assert_eq!(
            Read.apply(Failed),
            Err(CoreError::InvalidStatusTransition {
                from: Read,
                to: Failed
            })
        );
    }

    #[test]
    fn queued_messages_must_be_sent_before_delivered() {
        assert_eq!(Queued.transition_to(Delivered), Transition::Reject);
        assert_eq!(Sent.transition_to(Queued), Transition::Reject);
        assert_eq!(Queued.transition_to(Queued), Transition::Ignore);
    }
}
