-- When the current delivery attempt began: set, and committed, before the
-- message is handed to the transport. An invitation whose delivery is still
-- 'pending' with an attempt on record is 'sending': a process was killed
-- before it could record the outcome, and the message may have gone out.
ALTER TABLE invitations ADD COLUMN attempted_at TEXT;
