-- Who may act as a customer (decision 30): the identity key that user.registered
-- carries (shared.identity, a SHA-256 of the identity provider's issuer and subject;
-- the raw subject stays in the user-service). Customers known before, or registered by
-- an admin for nobody in particular, have none: only admins may act for them.
ALTER TABLE customers
    ADD COLUMN IF NOT EXISTS identity_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL;
