-- replaces: user_service:0004_idempotency_claim_held, order_service:0005_idempotency_claim_held
-- A claim is never empty (decision 25): a request whose claim was taken over meanwhile
-- writes an empty one as it completes, and this check stops the batch before its COMMIT.
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_claim_held CHECK (claim <> '');
