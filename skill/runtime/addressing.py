"""Rule 7 of the request checks (verify.py), on its own: the request is addressed to this skill.

The web edge runs it after the signature and timestamp rules. The Lambda entry runs only this
one (the Alexa Skills Kit trigger already lets only the configured skill invoke the function),
and it imports it from here so that a cold start does not load the X.509 and RSA machinery the
other rules need. ``VerificationError`` lives here too, as both paths raise it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class VerificationError(Exception):
    """The request must be refused with HTTP 400; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_application_id(envelope: Mapping[str, Any], skill_id: str) -> None:
    """Rule 7: the request is addressed to this skill, not merely signed by Alexa.

    ``context.System.application`` is present on every request type (skill events
    included); ``session.application`` is the older location and only a fallback.
    """
    application_id = _application_id(envelope)
    if application_id is None:
        raise VerificationError("missing application id")
    if application_id != skill_id:
        raise VerificationError("application id mismatch")


def _application_id(envelope: Mapping[str, Any]) -> str | None:
    for path in (
        ("context", "System", "application", "applicationId"),
        ("session", "application", "applicationId"),
    ):
        value = _dig(envelope, path)
        if isinstance(value, str) and value:
            return value
    return None


def _dig(document: object, path: tuple[str, ...]) -> object:
    for key in path:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document
