//! Web chat's runtime (issue "Every channel in one queue", item 2): a
//! visitor's chat becomes an interaction of channel `chat` that waits in
//! the company's chat queue ([`crate::acd::channel_queue`]) and is offered
//! on an operator's desk; what either side writes is stored first, then
//! pushed — to the visitor's open connections through [`ChatHub`], to the
//! operator's desk through the event bus. The hub only fans out: the
//! database holds the conversation, so a visitor who reconnects (or an
//! operator who reloads) reads it back whole.

use crate::bus::Event as BusEvent;
use crate::{Center, CenterError, CenterResult};
use centrala_acd::Channel;
use centrala_domain::{CompanyId, InteractionId, Role, StaffId};
use centrala_store::chats::{Author, Message, NewChat, Session};
use centrala_store::interactions::{Disposition, StoryKind};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a chat waits for its visitor to come back after the last
/// connection dropped (a reload, a network change) before it is given up.
pub const VISITOR_GRACE: Duration = Duration::from_secs(120);

/// The system messages a chat's transcript holds, by code.
pub const SYSTEM: &[&str] = &["agent_joined", "agent_closed", "visitor_left"];

/// What a visitor's connection is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToVisitor {
    Message {
        seq: i64,
        at: String,
        author: &'static str,
        body: String,
    },
    /// An operator took the chat (by first name).
    Joined {
        agent: String,
    },
    Typing,
    /// The operator read the visitor's messages up to `seq`.
    Read {
        seq: i64,
    },
    Closed,
}

/// One open connection of a visitor: its number and where to push.
type Connection = (u64, mpsc::UnboundedSender<ToVisitor>);

/// The visitors' open connections, by chat.
#[derive(Default)]
pub struct ChatHub {
    open: Mutex<HashMap<InteractionId, Vec<Connection>>>,
    next: std::sync::atomic::AtomicU64,
}

impl ChatHub {
    /// A visitor's connection to chat `id` opens: what is pushed to the
    /// chat from now on arrives on the receiver. Returns its number.
    pub fn attach(&self, id: InteractionId) -> (u64, mpsc::UnboundedReceiver<ToVisitor>) {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut m) = self.open.lock() {
            m.entry(id).or_default().push((n, tx));
        }
        (n, rx)
    }

    /// The connection closed; true when it was the chat's last.
    pub fn detach(&self, id: InteractionId, n: u64) -> bool {
        let Ok(mut m) = self.open.lock() else { return false };
        let Some(v) = m.get_mut(&id) else { return true };
        v.retain(|(x, _)| *x != n);
        if v.is_empty() {
            m.remove(&id);
            return true;
        }
        false
    }

    /// Whether any connection of the visitor is open.
    pub fn present(&self, id: InteractionId) -> bool {
        self.open.lock().is_ok_and(|m| m.contains_key(&id))
    }

    fn push(&self, id: InteractionId, msg: &ToVisitor) {
        if let Ok(mut m) = self.open.lock() {
            if let Some(v) = m.get_mut(&id) {
                v.retain(|(_, tx)| tx.send(msg.clone()).is_ok());
            }
        }
    }
}

/// The hash a visitor's resume token is kept by.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new resume token: 32 random bytes, hex.
fn new_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Where a chat stands, as its interaction tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Waiting,
    Talking,
    Closed,
}

/// A chat as either side reads it back.
#[derive(Debug, Clone)]
pub struct Chat {
    pub session: Session,
    pub phase: Phase,
    pub handled_by: Option<StaffId>,
    pub client: Option<centrala_domain::ClientId>,
    pub messages: Vec<Message>,
}

impl Center {
    /// A visitor starts a chat (checked by `centrala_desk::chat::visitor`):
    /// the client is found by phone, else by e-mail; the chat is kept with
    /// its first message and joins the company's chat queue. Returns the
    /// chat and the visitor's resume token.
    pub async fn start_chat(
        &self,
        company: CompanyId,
        v: &centrala_desk::chat::Visitor,
        origin: &str,
        text: &str,
    ) -> CenterResult<(InteractionId, String)> {
        let s = self.company(company);
        let phone = (!v.phone.is_empty()).then(|| {
            centrala_domain::normalize_phone(&v.phone, &self.config.default_country_code)
                .map_or_else(|_| v.phone.clone(), |n| n.as_str().to_owned())
        });
        let client = match &phone {
            Some(p) => s.client_by_phone(p).await?,
            None => None,
        };
        let client = match client {
            Some(c) => Some(c),
            None if !v.email.is_empty() => s.client_by_email(&v.email).await?,
            None => None,
        };
        let token = new_token();
        let hash = token_hash(&token);
        let chat = NewChat {
            token_hash: &hash,
            visitor_name: &v.name,
            phone: phone.as_deref().unwrap_or(""),
            email: &v.email,
            origin,
            client: client.as_ref().map(|c| c.id),
        };
        let id = s.start_chat(&chat, text).await?;
        let queue = crate::acd::channel_queue(Channel::Chat);
        s.add_interaction_event(id, StoryKind::Queued, None, queue).await?;
        self.acd.arrive_media(company, id, Channel::Chat).await;
        tracing::info!(company = company.0, interaction = id.0, client = ?client.map(|c| c.code), "a web chat started");
        Ok((id, token))
    }

    /// A chat as kept, with its transcript.
    pub async fn chat(&self, company: CompanyId, id: InteractionId) -> CenterResult<Chat> {
        let mut chat = self.chat_head(company, id).await?;
        chat.messages = self.company(company).chat_messages(id, 0).await?;
        Ok(chat)
    }

    /// A chat as kept, without its transcript: each message's way through
    /// needs only where the chat stands (reading the whole transcript for
    /// it cost 7 ms a message at 2,600 messages; benches/chat.rs).
    pub async fn chat_head(&self, company: CompanyId, id: InteractionId) -> CenterResult<Chat> {
        let s = self.company(company);
        let session = s.chat(id).await?.ok_or(CenterError::NotFound("chat"))?;
        let i = s.interaction(id).await?.ok_or(CenterError::NotFound("chat"))?;
        let phase = match (i.ended_at.is_some(), i.answered_at.is_some()) {
            (true, _) => Phase::Closed,
            (false, true) => Phase::Talking,
            (false, false) => Phase::Waiting,
        };
        Ok(Chat { session, phase, handled_by: i.handled_by, client: i.client_id, messages: Vec::new() })
    }

    /// The visitor writes (checked by `centrala_desk::chat::message`):
    /// kept, then shown to the operator who has the chat.
    pub async fn visitor_says(&self, company: CompanyId, id: InteractionId, text: &str) -> CenterResult<Message> {
        let chat = self.chat_head(company, id).await?;
        if chat.phase == Phase::Closed {
            return Err(CenterError::conflict("chat_closed", "this chat is closed"));
        }
        let m = self.company(company).add_chat_message(id, Author::Visitor, None, text).await?;
        self.hub_push(id, &m);
        if let Some(staff) = chat.handled_by {
            self.tell_agent(company, staff, "chat_message", message_json(id, &m));
        }
        Ok(m)
    }

    /// The visitor types: the operator sees it.
    pub async fn visitor_typing(&self, company: CompanyId, id: InteractionId) -> CenterResult<()> {
        if let Some(staff) = self.chat_head(company, id).await?.handled_by {
            self.tell_agent(company, staff, "chat_typing", serde_json::json!({ "interaction": id.0 }));
        }
        Ok(())
    }

    /// The visitor read the operator's messages up to `seq`.
    pub async fn visitor_read(&self, company: CompanyId, id: InteractionId, seq: i64) -> CenterResult<()> {
        let s = self.company(company);
        s.chat_read(id, Author::Visitor, seq).await?;
        if let Some(staff) = self.chat_head(company, id).await?.handled_by {
            self.tell_agent(company, staff, "chat_read", serde_json::json!({ "interaction": id.0, "seq": seq }));
        }
        Ok(())
    }

    /// The visitor leaves (or never came back): a waiting chat is
    /// abandoned, a talking one ends; the operator is told.
    pub async fn visitor_left(&self, company: CompanyId, id: InteractionId) -> CenterResult<()> {
        let chat = self.chat_head(company, id).await?;
        if chat.phase == Phase::Closed {
            return Ok(());
        }
        let s = self.company(company);
        let task = crate::acd::task_of(id);
        let disposition = if chat.phase == Phase::Waiting {
            self.acd.contact(centrala_acd::Event::Abandon { contact: task }).await;
            Disposition::Abandoned
        } else {
            self.acd.contact(centrala_acd::Event::End { contact: task }).await;
            Disposition::Answered
        };
        let m = s.add_chat_message(id, Author::System, None, "visitor_left").await?;
        s.end_interaction(id, disposition).await?;
        if let Some(staff) = chat.handled_by {
            self.tell_agent(company, staff, "chat_message", message_json(id, &m));
            self.tell_agent(company, staff, "chat_closed", serde_json::json!({ "interaction": id.0 }));
        }
        self.hub.push(id, &ToVisitor::Closed);
        Ok(())
    }

    /// An operator takes the chat offered to them: the visitor is told who
    /// joined. False when it was not theirs to take (no longer offered).
    pub async fn take_chat(&self, company: CompanyId, staff: StaffId, id: InteractionId) -> CenterResult<bool> {
        self.chat_head(company, id).await?;
        if !self.acd.take(id, staff).await {
            return Ok(false);
        }
        let s = self.company(company);
        s.answer_interaction(id, staff, None).await?;
        s.add_interaction_event(id, StoryKind::Answered, Some(staff), "").await?;
        let name = s.staff(staff).await?.map(|m| m.full_name).unwrap_or_default();
        let first = name.split_whitespace().next().unwrap_or_default().to_owned();
        let m = s.add_chat_message(id, Author::System, Some(staff), "agent_joined").await?;
        self.hub_push(id, &m);
        self.hub.push(id, &ToVisitor::Joined { agent: first });
        Ok(true)
    }

    /// The operator who has the chat writes.
    pub async fn agent_says(
        &self,
        company: CompanyId,
        staff: StaffId,
        id: InteractionId,
        text: &str,
    ) -> CenterResult<Message> {
        self.theirs(company, staff, id).await?;
        let m = self.company(company).add_chat_message(id, Author::Agent, Some(staff), text).await?;
        self.hub_push(id, &m);
        Ok(m)
    }

    /// The operator types, or read the visitor's messages up to `seq`.
    pub async fn agent_typing(&self, company: CompanyId, staff: StaffId, id: InteractionId) -> CenterResult<()> {
        self.theirs(company, staff, id).await?;
        self.hub.push(id, &ToVisitor::Typing);
        Ok(())
    }

    pub async fn agent_read(
        &self,
        company: CompanyId,
        staff: StaffId,
        id: InteractionId,
        seq: i64,
    ) -> CenterResult<()> {
        self.theirs(company, staff, id).await?;
        self.company(company).chat_read(id, Author::Agent, seq).await?;
        self.hub.push(id, &ToVisitor::Read { seq });
        Ok(())
    }

    /// The operator closes the chat: it ends in the ACD (the agent's room
    /// is free again) and for the visitor.
    pub async fn close_chat(&self, company: CompanyId, staff: StaffId, id: InteractionId) -> CenterResult<Chat> {
        self.theirs(company, staff, id).await?;
        self.acd.close(id, staff).await;
        let s = self.company(company);
        s.add_chat_message(id, Author::System, Some(staff), "agent_closed").await?;
        s.end_interaction(id, Disposition::Answered).await?;
        self.hub.push(id, &ToVisitor::Closed);
        self.chat(company, id).await
    }

    /// The chat is this operator's and still open.
    async fn theirs(&self, company: CompanyId, staff: StaffId, id: InteractionId) -> CenterResult<Chat> {
        let chat = self.chat_head(company, id).await?;
        if chat.handled_by != Some(staff) {
            return Err(CenterError::conflict("not_your_chat", "this chat is not yours"));
        }
        if chat.phase == Phase::Closed {
            return Err(CenterError::conflict("chat_closed", "this chat is closed"));
        }
        Ok(chat)
    }

    fn hub_push(&self, id: InteractionId, m: &Message) {
        self.hub.push(
            id,
            &ToVisitor::Message { seq: m.seq, at: m.at.clone(), author: m.author.as_str(), body: m.body.clone() },
        );
    }

    fn tell_agent(&self, company: CompanyId, staff: StaffId, kind: &'static str, data: serde_json::Value) {
        // Supervisors watch every chat of the company too.
        self.events.publish(BusEvent { company, staff: vec![staff], roles: vec![Role::Supervisor], kind, data });
    }

    /// After a visitor's last connection dropped: if nobody came back
    /// within the grace time, the chat is given up.
    pub fn watch_visitor(&self, company: CompanyId, id: InteractionId) {
        let center = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(VISITOR_GRACE).await;
            if center.hub.present(id) {
                return;
            }
            if let Err(e) = center.visitor_left(company, id).await {
                tracing::warn!(error = %e, interaction = id.0, "closing a chat whose visitor left failed");
            }
        });
    }
}

/// A message as the desk's event carries it.
pub fn message_json(id: InteractionId, m: &Message) -> serde_json::Value {
    serde_json::json!({ "interaction": id.0, "seq": m.seq, "at": m.at, "author": m.author.as_str(), "body": m.body })
}
