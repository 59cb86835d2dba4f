-- Facts about a user arrive in any order: a user.deactivated can be handled before
-- the user.registered that carries the email. The customer row is then created
-- inactive without an email, and the registration fills it in later.
ALTER TABLE customers MODIFY email VARCHAR(254) NULL;
