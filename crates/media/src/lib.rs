//! The media core of Centrala's telephony (issue "Telephony core"): what
//! the RTP relay, the IVR and the recorder need, with no sockets and no
//! clock. The socket drivers feed it packets and take packets out.

pub mod dtmf;
pub mod g711;
pub mod latch;
pub mod record;
pub mod rtp;
pub mod sdp_neg;
pub mod srtp;

/// The media crate's one error type.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaError {
    #[error("RTP packet too short ({0} bytes)")]
    Short(usize),
    #[error("not RTP version 2 (version {0})")]
    Version(u8),
    #[error("RTP header claims {0} bytes but the packet has {1}")]
    Truncated(usize, usize),
    #[error("bad SDP: {0}")]
    Sdp(String),
    #[error("no common codec: the offer has {0:?}, we take PCMU (0) and PCMA (8)")]
    NoCommonCodec(Vec<u8>),
    #[error("the offer has no audio stream")]
    NoAudio,
    #[error(
        "the offer asks for encrypted media ({0}) without SDES keys we can use (AES_CM_128_HMAC_SHA1_80 or _32): \
         refused, not answered unencrypted"
    )]
    Encrypted(String),
    #[error("SRTP is required here, and the other side offered or answered plain RTP")]
    Unencrypted,
    #[error("SRTP: {0}")]
    Srtp(String),
    #[error("recording failed: {0}")]
    Record(String),
}
