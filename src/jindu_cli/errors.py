"""Errors that jindu expects and explains. No typer, no rich: every layer may raise these."""


class JinduError(Exception):
    """An expected failure with a message for the clerk (Chinese) and an exit code."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class InvalidInput(JinduError):
    """A value given by the user is wrong; the message names the field and the reason."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}：{reason}")
        self.field = field
        self.reason = reason


class NotFound(JinduError):
    pass


class Conflict(JinduError):
    pass


class DatabaseError(JinduError):
    """The database cannot be used: newer schema, not a jindu file, busy, read-only, disk full."""
