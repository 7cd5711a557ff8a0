"""A small client for the Alexa Timers API, called while the user waits for an answer.

Alexa gives the whole request about 8 seconds, so the call has a short timeout and every way it
can fail (refused, slow, 5xx, unreadable answer) becomes one of two exceptions the handler can
speak about plainly: the user hasn't allowed timers, or the service didn't work this time.
The endpoint and the token come from the (signature-checked) request itself.
"""
from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

TIMERS_SCOPE = "alexa::alerts:timers:skill:readwrite"
DEFAULT_TIMEOUT = 3.0
MAX_ANSWER_BYTES = 64 * 1024


class AlexaApiError(RuntimeError):
    """The Alexa API could not do it this time (unreachable, slow, server error, odd answer)."""


class NotPermitted(AlexaApiError):
    """The user has not (or no longer) allowed this skill to do it: 401 or 403."""


@dataclass(frozen=True)
class ApiAccess:
    """Where to call and with what token, from context.System of the request."""

    endpoint: str
    token: str


def announcement_timer(minutes: int, label: str, announce: str, locale: str) -> dict[str, Any]:
    """The body of a timer that, when it ends, has Alexa say `announce` aloud."""
    return {
        "duration": f"PT{int(minutes)}M",
        "timerLabel": label,
        "creationBehavior": {"displayExperience": {"visibility": "VISIBLE"}},
        "triggeringBehavior": {
            "operation": {"type": "ANNOUNCE", "textToAnnounce": [{"locale": locale, "text": announce}]},
            "notificationConfig": {"playAudible": True},
        },
    }


class TimersClient:
    """POST {apiEndpoint}/v1/alerts/timers with the request's bearer token."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout

    def create_timer(self, access: ApiAccess, timer: dict[str, Any]) -> str:
        """Create the timer and return its id; raise NotPermitted or AlexaApiError."""
        request = urllib.request.Request(
            _timers_url(access.endpoint),
            data=json.dumps(timer).encode("utf-8"),
            method="POST",
            headers={"Authorization": f"Bearer {access.token}", "Content-Type": "application/json",
                     "Accept": "application/json"},
        )
        answer = self._send(request)
        timer_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(timer_id, str) or not timer_id:
            raise AlexaApiError("timer created, but the answer carries no id")
        return timer_id

    def _send(self, request: urllib.request.Request) -> object:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise NotPermitted(f"timers API answered {exc.code}") from exc
            raise AlexaApiError(f"timers API answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise AlexaApiError(f"timers API unreachable: {exc}") from exc
        if len(body) > MAX_ANSWER_BYTES:
            raise AlexaApiError("timers API answer is too large")
        try:
            return json.loads(body or b"{}")
        except ValueError as exc:
            raise AlexaApiError("timers API answer is not JSON") from exc


def _timers_url(endpoint: str) -> str:
    """The timers URL under the request's endpoint: https, or plain http to this machine only (tests)."""
    parts = urlsplit(endpoint)
    if parts.scheme == "https" and parts.hostname:
        return endpoint.rstrip("/") + "/v1/alerts/timers"
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return endpoint.rstrip("/") + "/v1/alerts/timers"
    raise AlexaApiError(f"refusing to send the access token to {parts.scheme}://{parts.hostname}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
