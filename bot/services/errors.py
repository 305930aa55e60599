"""Errors that are expected: their message is written for the person who caused them."""


class UserFacingError(Exception):
    """Shown to the user as is (ephemerally in Discord); never a bug."""
