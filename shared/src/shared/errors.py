"""Error types that decide what the consumer loop does with a message."""

from __future__ import annotations


class PermanentError(Exception):
    """Retrying cannot help: the message goes to the dead-letter destination at once."""


class TransientError(Exception):
    """A condition that may clear: the message is retried with backoff, bounded."""


class MessageTooLargeError(PermanentError):
    """A body over ``EDA_MAX_MESSAGE_BYTES``: dead-lettered without being parsed."""


class NotJsonError(PermanentError):
    pass


class NotACloudEventError(PermanentError):
    pass


class UnknownEventTypeError(PermanentError):
    pass


class SchemaViolationError(PermanentError):
    pass


class UnexpectedSourceError(PermanentError):
    """An event whose CloudEvents ``source`` is not its type's producer."""
