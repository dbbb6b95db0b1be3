//! Centrala patch: an unbounded channel that carries its messages boxed.
//!
//! tokio's unbounded channel allocates its first block of 32 slots as it
//! opens, each slot the size of a message. A `DialogState` or a
//! `TransactionEvent` holds a whole SIP message (300–900 bytes), so every
//! dialog's state channel and every transaction's event channel cost
//! 10–28 kB before the first message was sent: about 40 kB of each call's
//! memory in Centrala's load runs (heaptrack). Boxed, a slot is a pointer,
//! and a message's box lives only while it waits in the channel.
//!
//! Even boxed, a tokio channel costs 800 bytes as it opens (its cache-padded
//! head and the first block), and a call keeps a dozen of them open for as
//! long as it lasts. flume's costs 152 bytes, its queue growing only as
//! messages wait (a few pointers), so the channel here is flume's. The
//! sending and receiving methods take and give the message itself, as the
//! plain channel's do; waiting in `recv` may be cancelled without losing a
//! message.

use super::mpsc::error::SendError;
use crate::prelude::Box;

/// The sending half; see the module's documentation.
pub struct BoxedSender<T>(flume::Sender<Box<T>>);

/// The receiving half; see the module's documentation.
pub struct BoxedReceiver<T>(flume::Receiver<Box<T>>);

/// A new boxed unbounded channel.
pub fn boxed_channel<T>() -> (BoxedSender<T>, BoxedReceiver<T>) {
    let (tx, rx) = flume::unbounded();
    (BoxedSender(tx), BoxedReceiver(rx))
}

impl<T> Clone for BoxedSender<T> {
    fn clone(&self) -> Self {
        BoxedSender(self.0.clone())
    }
}

impl<T> core::fmt::Debug for BoxedSender<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("BoxedSender")
    }
}

impl<T> core::fmt::Debug for BoxedReceiver<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("BoxedReceiver")
    }
}

impl<T> BoxedSender<T> {
    /// Sends `value`; gives it back if the receiver is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.0
            .send(Box::new(value))
            .map_err(|flume::SendError(value)| SendError(*value))
    }

    /// Whether the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.0.is_disconnected()
    }
}

impl<T> BoxedReceiver<T> {
    /// The next message, waiting for it; `None` once every sender is gone
    /// and no message is left.
    pub async fn recv(&mut self) -> Option<T> {
        self.0.recv_async().await.ok().map(|value| *value)
    }

    /// The next message if one is waiting.
    #[cfg(feature = "platform-tokio")]
    pub fn try_recv(&mut self) -> Result<T, tokio::sync::mpsc::error::TryRecvError> {
        use tokio::sync::mpsc::error::TryRecvError;
        self.0.try_recv().map(|value| *value).map_err(|e| match e {
            flume::TryRecvError::Empty => TryRecvError::Empty,
            flume::TryRecvError::Disconnected => TryRecvError::Disconnected,
        })
    }
}

#[cfg(all(test, feature = "platform-tokio"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_come_out_whole_and_in_order_and_a_closed_channel_gives_them_back() {
        let (tx, mut rx) = boxed_channel::<String>();
        tx.clone().send("first".to_owned()).unwrap();
        tx.send("second".to_owned()).unwrap();
        assert_eq!(rx.recv().await.as_deref(), Some("first"));
        assert_eq!(rx.try_recv().as_deref(), Ok("second"));
        assert!(rx.try_recv().is_err());
        tx.send("third".to_owned()).unwrap();
        drop(tx);
        assert_eq!(rx.recv().await.as_deref(), Some("third"));
        assert_eq!(rx.recv().await, None);
        let (tx, rx) = boxed_channel::<String>();
        assert!(!tx.is_closed());
        drop(rx);
        assert!(tx.is_closed());
        let SendError(back) = tx.send("fourth".to_owned()).unwrap_err();
        assert_eq!(back, "fourth");
    }

    #[tokio::test]
    async fn a_wait_given_up_loses_no_message() {
        let (tx, mut rx) = boxed_channel::<u32>();
        let waited = tokio::time::timeout(core::time::Duration::from_millis(5), rx.recv()).await;
        assert!(waited.is_err(), "nothing was sent yet");
        tx.send(7).unwrap();
        assert_eq!(rx.recv().await, Some(7));
    }
}
