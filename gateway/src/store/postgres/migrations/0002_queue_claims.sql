-- 0002_queue_claims: which replica pushes a queued message, until when (issue 16 point 5).
-- 0001's queue has only the message id; 0001 is not edited (its checksum is recorded in
-- every database it was applied to). push_queue.rs claims rows with FOR UPDATE SKIP LOCKED
-- and sets both columns in the same statement; a claim whose time has passed is free again.
ALTER TABLE ketenpoort_queue
    ADD COLUMN claimed_by       uuid,
    ADD COLUMN claimed_until_ms bigint,
    ADD CONSTRAINT ketenpoort_queue_claim_whole
        CHECK ((claimed_by IS NULL) = (claimed_until_ms IS NULL));
