-- Who may act as a user (decision 30): the issuer and subject of the token that
-- registered them, as the identity provider gave them, and the key other services
-- know them by (shared.identity: SHA-256 of both). One user per identity. Users
-- registered before, or by an admin for nobody in particular, have none: only
-- admins may act on them.
ALTER TABLE users
    ADD COLUMN IF NOT EXISTS identity_issuer VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN IF NOT EXISTS identity_subject VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN IF NOT EXISTS identity_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    ADD UNIQUE KEY IF NOT EXISTS users_identity (identity_key);
