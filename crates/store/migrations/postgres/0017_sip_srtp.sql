-- Whether a staff phone's media must be encrypted (SRTP, keyed in the SDP):
-- 1: calls to it offer only RTP/SAVP, and a plain answer is hung up on.
-- 0: its media is encrypted when the phone offers SRTP, plain otherwise.
ALTER TABLE sip_accounts ADD COLUMN srtp_required BIGINT NOT NULL DEFAULT 0;
