//! Web chat and channel settings: each company's capacities, service
//! level, widget origins and canned answers; each chat's session (who the
//! visitor said they are, the resume token's hash) and its transcript.

use crate::{now_rfc3339, Result, Returned, Scoped, StoreError};
use centrala_domain::{ClientId, CompanyId, InteractionId, StaffId};

/// A company's channel settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    /// Chats an agent holds at once (0: agents take no chats).
    pub chat_capacity: u8,
    /// E-mails an agent holds at once.
    pub email_capacity: u8,
    /// A chat answered within this many seconds is in service level.
    pub chat_service_level_seconds: u32,
    /// Origins (`https://shop.example`) whose pages may carry the widget.
    pub chat_origins: Vec<String>,
    /// Answers the operators pick from.
    pub chat_canned: Vec<String>,
}

impl Default for Channels {
    fn default() -> Self {
        Channels {
            chat_capacity: 3,
            email_capacity: 5,
            chat_service_level_seconds: 60,
            chat_origins: Vec::new(),
            chat_canned: Vec::new(),
        }
    }
}

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Visitor,
    Agent,
    /// Centrala itself ("waiting", "an operator joined", "closed").
    System,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
            Author::System => "system",
        }
    }
    fn parse(s: &str) -> Option<Author> {
        [Author::Visitor, Author::Agent, Author::System].into_iter().find(|a| a.as_str() == s)
    }
}

/// One message of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub seq: i64,
    pub at: String,
    pub author: Author,
    pub staff: Option<StaffId>,
    pub body: String,
}

/// A chat's session as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub interaction: InteractionId,
    pub company: CompanyId,
    pub visitor_name: String,
    pub phone: String,
    pub email: String,
    pub origin: String,
    pub agent_read: i64,
    pub visitor_read: i64,
}

/// A chat that starts.
#[derive(Debug, Clone)]
pub struct NewChat<'a> {
    pub token_hash: &'a str,
    pub visitor_name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub origin: &'a str,
    pub client: Option<ClientId>,
}

type SessionRow = (i64, i64, String, String, String, String, i64, i64);

fn session(
    (interaction, company, visitor_name, phone, email, origin, agent_read, visitor_read): SessionRow,
) -> Session {
    Session {
        interaction: InteractionId(interaction),
        company: CompanyId(company),
        visitor_name,
        phone,
        email,
        origin,
        agent_read,
        visitor_read,
    }
}

const SESSION_COLS: &str = "interaction_id, company_id, visitor_name, phone, email, origin, agent_read, visitor_read";

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

impl Scoped<'_> {
    /// The company's chat whose visitor holds the token with this hash.
    pub async fn chat_by_token(&self, token_hash: &str) -> Result<Option<Session>> {
        let row: Option<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLS} FROM chat_sessions WHERE company_id = $1 AND token_hash = $2"
        ))
        .bind(self.company_id().0)
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(session))
    }

    /// The company's channel settings (the defaults until it sets its own).
    pub async fn channels(&self) -> Result<Channels> {
        let row: Option<(i64, i64, i64, String, String)> = sqlx::query_as(
            "SELECT chat_capacity, email_capacity, chat_service_level_seconds, chat_origins, chat_canned
             FROM company_channels WHERE company_id = $1",
        )
        .bind(self.company_id().0)
        .fetch_optional(self.pool())
        .await?;
        let Some((chat, email, sl, origins, canned)) = row else { return Ok(Channels::default()) };
        let small = |v: i64, what: &str| {
            u8::try_from(v).map_err(|_| StoreError::Corrupt(format!("company channels: {what} {v}")))
        };
        Ok(Channels {
            chat_capacity: small(chat, "chat capacity")?,
            email_capacity: small(email, "e-mail capacity")?,
            chat_service_level_seconds: u32::try_from(sl)
                .map_err(|_| StoreError::Corrupt(format!("company channels: service level {sl}")))?,
            chat_origins: lines(&origins),
            chat_canned: lines(&canned),
        })
    }

    /// Replaces them (checked by the caller).
    pub async fn set_channels(&self, c: &Channels) -> Result<()> {
        sqlx::query(
            "INSERT INTO company_channels (company_id, chat_capacity, email_capacity, chat_service_level_seconds,
             chat_origins, chat_canned) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (company_id) DO UPDATE SET chat_capacity = excluded.chat_capacity,
             email_capacity = excluded.email_capacity, chat_service_level_seconds = excluded.chat_service_level_seconds,
             chat_origins = excluded.chat_origins, chat_canned = excluded.chat_canned",
        )
        .bind(self.company_id().0)
        .bind(i64::from(c.chat_capacity))
        .bind(i64::from(c.email_capacity))
        .bind(i64::from(c.chat_service_level_seconds))
        .bind(c.chat_origins.join("\n"))
        .bind(c.chat_canned.join("\n"))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Registers a chat: its interaction (channel `chat`, from the phone or
    /// e-mail given), its session, and the visitor's greeting as its first
    /// message, in one transaction.
    pub async fn start_chat(&self, chat: &NewChat<'_>, greeting: &str) -> Result<InteractionId> {
        if let Some(c) = chat.client {
            if self.client(c).await?.is_none() {
                return Err(StoreError::Invalid(format!("client {c} does not exist")));
            }
        }
        let company = self.company_id().0;
        let now = now_rfc3339();
        let from = if chat.phone.is_empty() { chat.email } else { chat.phone };
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO interactions (company_id, channel, direction, caller, called, client_id, arrived_at, disposition,
             caller_verified) VALUES ($1, 'chat', 'inbound', $2, '', $3, $4, 'in_progress', 0) RETURNING id",
        )
        .bind(company)
        .bind(from)
        .bind(chat.client.map(|c| c.0))
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        sqlx::query(
            "INSERT INTO chat_sessions (interaction_id, company_id, token_hash, visitor_name, phone, email, origin)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(company)
        .bind(chat.token_hash)
        .bind(chat.visitor_name)
        .bind(chat.phone)
        .bind(chat.email)
        .bind(chat.origin)
        .execute(&mut *tx)
        .await?;
        if !greeting.is_empty() {
            sqlx::query(
                "INSERT INTO chat_messages (company_id, interaction_id, seq, at, author, staff_id, body)
                 VALUES ($1, $2, 1, $3, 'visitor', NULL, $4)",
            )
            .bind(company)
            .bind(id)
            .bind(&now)
            .bind(greeting)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(InteractionId(id))
    }

    /// The chat's session, if the interaction is one of this company's chats.
    pub async fn chat(&self, id: InteractionId) -> Result<Option<Session>> {
        let row: Option<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLS} FROM chat_sessions WHERE company_id = $1 AND interaction_id = $2"
        ))
        .bind(self.company_id().0)
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(session))
    }

    /// Adds a message; its number is the next of the chat's.
    pub async fn add_chat_message(
        &self,
        id: InteractionId,
        author: Author,
        staff: Option<StaffId>,
        body: &str,
    ) -> Result<Message> {
        let company = self.company_id().0;
        let at = now_rfc3339();
        let mut tx = self.begin().await?;
        let (seq,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM chat_messages WHERE company_id = $1 AND interaction_id = $2",
        )
        .bind(company)
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO chat_messages (company_id, interaction_id, seq, at, author, staff_id, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(company)
        .bind(id.0)
        .bind(seq)
        .bind(&at)
        .bind(author.as_str())
        .bind(staff.map(|s| s.0))
        .bind(body)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Message { seq, at, author, staff, body: body.to_owned() })
    }

    /// The transcript, in order (from message `after` on).
    pub async fn chat_messages(&self, id: InteractionId, after: i64) -> Result<Vec<Message>> {
        let rows: Vec<(i64, String, String, Option<i64>, String)> = sqlx::query_as(
            "SELECT seq, at, author, staff_id, body FROM chat_messages
             WHERE company_id = $1 AND interaction_id = $2 AND seq > $3 ORDER BY seq",
        )
        .bind(self.company_id().0)
        .bind(id.0)
        .bind(after)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(seq, at, author, staff, body)| {
                let author = Author::parse(&author)
                    .ok_or_else(|| StoreError::Corrupt(format!("chat {id}: message {seq} by {author:?}")))?;
                Ok(Message { seq, at, author, staff: staff.map(StaffId), body })
            })
            .collect()
    }

    /// One side has read the other's messages up to `seq` (never back).
    pub async fn chat_read(&self, id: InteractionId, by: Author, seq: i64) -> Result<()> {
        let column = match by {
            Author::Agent => "agent_read",
            Author::Visitor => "visitor_read",
            Author::System => return Ok(()),
        };
        sqlx::query(&format!(
            "UPDATE chat_sessions SET {column} = $3 WHERE company_id = $1 AND interaction_id = $2 AND {column} < $3"
        ))
        .bind(self.company_id().0)
        .bind(id.0)
        .bind(seq)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
