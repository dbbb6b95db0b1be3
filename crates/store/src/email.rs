//! E-mail: each company's mailbox (where to read it, where its reading
//! stands) and every message of its e-mail conversations, in and out, with
//! attachments. A conversation is an interaction of channel `email`. The
//! rules (threading, replies) are `centrala_desk::email`'s.

use crate::{now_rfc3339, Result, Returned, Scoped, StoreError};
use centrala_domain::{ClientId, InteractionId, StaffId};

/// Where a company's mail is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: String,
    pub imap_host: String,
    pub imap_port: u16,
    /// `none`, `starttls` (upgraded on the plain port) or `tls` (implicit,
    /// port 993).
    pub imap_tls: String,
    /// A PEM file of the CA(s) the server's certificate chains to, besides
    /// the public roots (a company's own CA); empty: the public roots.
    pub imap_ca_file: String,
    pub username: String,
    pub password_env: String,
    pub password_file: String,
    pub folder: String,
    pub max_bytes: u64,
    pub uid_validity: u32,
    pub last_uid: u32,
    /// `new`, `ok` or `failing`.
    pub state: String,
    pub last_error: String,
    pub failures: u32,
    pub checked_at: Option<String>,
}

/// A message that came in, as parsed.
#[derive(Debug, Clone, Default)]
pub struct Inbound {
    pub message_id: String,
    pub in_reply_to: String,
    pub refs: Vec<String>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub note: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// What became of a message taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakenIn {
    /// A new conversation began.
    New(InteractionId),
    /// It joined this conversation (reopened if it had ended).
    Joined(InteractionId),
    /// It was taken before (the same message id): nothing kept twice.
    Again,
}

/// A message of a conversation, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub id: i64,
    pub direction: String,
    pub message_id: String,
    pub in_reply_to: String,
    pub refs: Vec<String>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub note: String,
    pub at: String,
    pub staff: Option<StaffId>,
    /// (id, name, content type, size)
    pub attachments: Vec<(i64, String, String, i64)>,
}

/// A reply that goes out.
#[derive(Debug, Clone)]
pub struct Reply<'a> {
    pub message_id: &'a str,
    pub in_reply_to: &'a str,
    pub refs: &'a [String],
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

type MailboxRow = (
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    String,
    i64,
    Option<String>,
    String,
);

const MAILBOX_COLS: &str = "address, imap_host, imap_port, imap_tls, username, password_env, password_file, folder, \
                            max_bytes, uid_validity, last_uid, state, last_error, failures, checked_at, imap_ca_file";

impl Scoped<'_> {
    /// The company's mailbox, if it has one.
    pub async fn mailbox(&self) -> Result<Option<Mailbox>> {
        let row: Option<MailboxRow> =
            sqlx::query_as(&format!("SELECT {MAILBOX_COLS} FROM company_mailboxes WHERE company_id = $1"))
                .bind(self.company_id().0)
                .fetch_optional(self.pool())
                .await?;
        let Some(r) = row else { return Ok(None) };
        let bad = |what: &str| StoreError::Corrupt(format!("company mailbox: {what}"));
        Ok(Some(Mailbox {
            address: r.0,
            imap_host: r.1,
            imap_port: u16::try_from(r.2).map_err(|_| bad("port"))?,
            imap_tls: r.3,
            username: r.4,
            password_env: r.5,
            password_file: r.6,
            folder: r.7,
            max_bytes: u64::try_from(r.8).map_err(|_| bad("max bytes"))?,
            uid_validity: u32::try_from(r.9).map_err(|_| bad("uid validity"))?,
            last_uid: u32::try_from(r.10).map_err(|_| bad("last uid"))?,
            state: r.11,
            last_error: r.12,
            failures: u32::try_from(r.13).unwrap_or(u32::MAX),
            checked_at: r.14,
            imap_ca_file: r.15,
        }))
    }

    /// Sets where the mailbox is read (checked by the caller). Reading
    /// starts over (from the folder's first message; messages taken before
    /// are known by their ids) when the server, the user or the folder
    /// changed.
    pub async fn set_mailbox(&self, m: &Mailbox) -> Result<()> {
        let same = self.mailbox().await?.is_some_and(|o| {
            o.imap_host == m.imap_host && o.imap_port == m.imap_port && o.username == m.username && o.folder == m.folder
        });
        sqlx::query(&format!(
            "INSERT INTO company_mailboxes (company_id, {MAILBOX_COLS}) VALUES
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, 'new', '', 0, NULL, $11)
             ON CONFLICT (company_id) DO UPDATE SET address = excluded.address, imap_host = excluded.imap_host,
             imap_port = excluded.imap_port, imap_tls = excluded.imap_tls, imap_ca_file = excluded.imap_ca_file,
             username = excluded.username,
             password_env = excluded.password_env, password_file = excluded.password_file, folder = excluded.folder,
             max_bytes = excluded.max_bytes, state = 'new', last_error = '', failures = 0{}",
            if same { "" } else { ", uid_validity = 0, last_uid = 0" }
        ))
        .bind(self.company_id().0)
        .bind(&m.address)
        .bind(&m.imap_host)
        .bind(i64::from(m.imap_port))
        .bind(&m.imap_tls)
        .bind(&m.username)
        .bind(&m.password_env)
        .bind(&m.password_file)
        .bind(&m.folder)
        .bind(i64::try_from(m.max_bytes).unwrap_or(i64::MAX))
        .bind(&m.imap_ca_file)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A reading of the mailbox ended: well, or failing with `error`.
    pub async fn mailbox_checked(&self, error: Option<&str>) -> Result<()> {
        let sql = match error {
            None => "UPDATE company_mailboxes SET state = 'ok', last_error = '', failures = 0, checked_at = $2 WHERE company_id = $1",
            Some(_) => "UPDATE company_mailboxes SET state = 'failing', last_error = $3, failures = failures + 1, checked_at = $2 WHERE company_id = $1",
        };
        sqlx::query(sql)
            .bind(self.company_id().0)
            .bind(now_rfc3339())
            .bind(error.unwrap_or(""))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The folder was recreated (its UIDVALIDITY changed): read it again
    /// from its first message.
    pub async fn mailbox_validity(&self, uid_validity: u32) -> Result<()> {
        sqlx::query("UPDATE company_mailboxes SET uid_validity = $2, last_uid = 0 WHERE company_id = $1")
            .bind(self.company_id().0)
            .bind(i64::from(uid_validity))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The conversation that holds the message with this id (in or out).
    pub async fn email_thread(&self, message_id: &str) -> Result<Option<InteractionId>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT interaction_id FROM email_messages WHERE company_id = $1 AND message_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(self.company_id().0)
        .bind(message_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| InteractionId(r.0)))
    }

    /// Takes in message `uid` of the mailbox: a new conversation (for
    /// `client`, when known) or one more message of `thread` (reopened if
    /// it had ended), its attachments, and the mailbox's mark past it — in
    /// one transaction, so a message is never lost nor taken twice.
    pub async fn take_email(
        &self,
        m: &Inbound,
        thread: Option<InteractionId>,
        client: Option<ClientId>,
        uid: u32,
    ) -> Result<TakenIn> {
        let company = self.company_id().0;
        let now = now_rfc3339();
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE company_mailboxes SET last_uid = $2 WHERE company_id = $1 AND last_uid < $2")
            .bind(company)
            .bind(i64::from(uid))
            .execute(&mut *tx)
            .await?;
        let seen: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM email_messages WHERE company_id = $1 AND message_id = $2 AND direction = 'in'",
        )
        .bind(company)
        .bind(&m.message_id)
        .fetch_optional(&mut *tx)
        .await?;
        if seen.is_some() {
            tx.commit().await?;
            return Ok(TakenIn::Again);
        }
        let (interaction, taken) = match thread {
            Some(i) => {
                sqlx::query(
                    "UPDATE interactions SET ended_at = NULL, disposition = 'in_progress'
                     WHERE company_id = $1 AND id = $2",
                )
                .bind(company)
                .bind(i.0)
                .execute(&mut *tx)
                .await?;
                (i, TakenIn::Joined(i))
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO interactions (company_id, channel, direction, caller, called, client_id, arrived_at,
                     disposition, caller_verified) VALUES ($1, 'email', 'inbound', $2, $3, $4, $5, 'in_progress', 0)
                     RETURNING id",
                )
                .bind(company)
                .bind(&m.from)
                .bind(&m.to)
                .bind(client.map(|c| c.0))
                .bind(&now)
                .fetch_all(&mut *tx)
                .await?
                .returned()?;
                (InteractionId(id), TakenIn::New(InteractionId(id)))
            }
        };
        let (email,): (i64,) = sqlx::query_as(
            "INSERT INTO email_messages (company_id, interaction_id, direction, message_id, in_reply_to, refs,
             from_address, to_address, subject, body, note, at, staff_id)
             VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL) RETURNING id",
        )
        .bind(company)
        .bind(interaction.0)
        .bind(&m.message_id)
        .bind(&m.in_reply_to)
        .bind(m.refs.join("\n"))
        .bind(&m.from)
        .bind(&m.to)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(&m.note)
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        for a in &m.attachments {
            sqlx::query(
                "INSERT INTO email_attachments (company_id, email_id, name, content_type, size, data)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(company)
            .bind(email)
            .bind(&a.name)
            .bind(&a.content_type)
            .bind(i64::try_from(a.data.len()).unwrap_or(i64::MAX))
            .bind(&a.data)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(taken)
    }

    /// Keeps a reply of the conversation and puts it into the outbox with
    /// its threading headers, in one transaction.
    pub async fn send_email_reply(&self, interaction: InteractionId, staff: StaffId, r: &Reply<'_>) -> Result<()> {
        let company = self.company_id().0;
        let now = now_rfc3339();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO email_messages (company_id, interaction_id, direction, message_id, in_reply_to, refs,
             from_address, to_address, subject, body, note, at, staff_id)
             VALUES ($1, $2, 'out', $3, $4, $5, $6, $7, $8, $9, '', $10, $11)",
        )
        .bind(company)
        .bind(interaction.0)
        .bind(r.message_id)
        .bind(r.in_reply_to)
        .bind(r.refs.join("\n"))
        .bind(r.from)
        .bind(r.to)
        .bind(r.subject)
        .bind(r.body)
        .bind(&now)
        .bind(staff.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO mail_outbox (company_id, to_address, subject, body, about, created_at, state, next_at,
             message_id, in_reply_to, refs) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6, $7, $8, $9)",
        )
        .bind(company)
        .bind(r.to)
        .bind(r.subject)
        .bind(r.body)
        .bind(format!("email:{}", interaction.0))
        .bind(&now)
        .bind(r.message_id)
        .bind(r.in_reply_to)
        .bind(r.refs.join("\n"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The conversation's messages, oldest first, with their attachments.
    pub async fn email_messages(&self, interaction: InteractionId) -> Result<Vec<EmailMessage>> {
        type Row = (i64, String, String, String, String, String, String, String, String, String, String, Option<i64>);
        let company = self.company_id().0;
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, direction, message_id, in_reply_to, refs, from_address, to_address, subject, body, note, at,
             staff_id FROM email_messages WHERE company_id = $1 AND interaction_id = $2 ORDER BY id",
        )
        .bind(company)
        .bind(interaction.0)
        .fetch_all(self.pool())
        .await?;
        let files: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT a.email_id, a.id, a.name, a.content_type, a.size FROM email_attachments a
             JOIN email_messages m ON m.id = a.email_id AND m.company_id = a.company_id
             WHERE a.company_id = $1 AND m.interaction_id = $2 ORDER BY a.id",
        )
        .bind(company)
        .bind(interaction.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| EmailMessage {
                attachments: files
                    .iter()
                    .filter(|f| f.0 == r.0)
                    .map(|f| (f.1, f.2.clone(), f.3.clone(), f.4))
                    .collect(),
                id: r.0,
                direction: r.1,
                message_id: r.2,
                in_reply_to: r.3,
                refs: r.4.lines().map(str::to_owned).collect(),
                from: r.5,
                to: r.6,
                subject: r.7,
                body: r.8,
                note: r.9,
                at: r.10,
                staff: r.11.map(StaffId),
            })
            .collect())
    }

    /// One attachment: its name, content type and bytes.
    pub async fn email_attachment(&self, id: i64) -> Result<Option<(String, String, Vec<u8>)>> {
        Ok(sqlx::query_as("SELECT name, content_type, data FROM email_attachments WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }
}
