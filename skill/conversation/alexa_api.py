"""One client for the Alexa APIs the skill calls while the user waits: timers, reminders, settings.

Alexa gives the whole request about 8 seconds, so every call has one short timeout, and every
way it can fail becomes one of three exceptions a handler can speak about plainly: the user
hasn't allowed it (NotPermitted), Alexa asks us to slow down (RateLimited), or the service
didn't work this time (AlexaApiError). The endpoint and the token come from the
(signature-checked) request itself; the token goes only over https (or to this machine, for
tests) and never into a log line or an exception message.
"""
from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TIMERS_SCOPE = "alexa::alerts:timers:skill:readwrite"
REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"
DEFAULT_TIMEOUT = 3.0
MAX_ANSWER_BYTES = 64 * 1024

TIMERS_PATH = "/v1/alerts/timers"
REMINDERS_PATH = "/v1/alerts/reminders"
# The fixed words of the paths we call; any other segment is an id (alert token, device id)
# that could tell users apart, so the log shows "…" instead.
_PATH_WORDS = frozenset({"v1", "v2", "alerts", "timers", "reminders", "devices", "settings", "System.timeZone"})

log = logging.getLogger(__name__)


class AlexaApiError(RuntimeError):
    """The Alexa API could not do it this time (unreachable, slow, server error, odd answer).
    ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class NotPermitted(AlexaApiError):
    """The user has not (or no longer) allowed this skill to do it: 401 or 403."""


class RateLimited(AlexaApiError):
    """Alexa answered 429: too many calls; try again later, not now (the user is waiting)."""


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


class AlexaApiClient:
    """Calls under the request's apiEndpoint with its bearer token; one timeout for every call."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout

    # ------------------------------------------------------------------ timers

    def create_timer(self, access: ApiAccess, timer: dict[str, Any]) -> str:
        """Create the timer and return its id."""
        answer = self.call(access, "POST", TIMERS_PATH, timer)
        return _text_field(answer, "id", "timer created, but the answer carries no id")

    # ------------------------------------------------------------------ reminders

    def create_reminder(self, access: ApiAccess, reminder: dict[str, Any]) -> str:
        """Create the reminder and return its alertToken (what update and delete need)."""
        answer = self.call(access, "POST", REMINDERS_PATH, reminder)
        return _text_field(answer, "alertToken", "reminder created, but the answer carries no alertToken")

    def list_reminders(self, access: ApiAccess) -> list[dict[str, Any]]:
        """This skill's reminders for this user, as Alexa describes them ([] when there are none)."""
        answer = self.call(access, "GET", REMINDERS_PATH)
        alerts = answer.get("alerts", []) if isinstance(answer, dict) else None
        if not isinstance(alerts, list) or not all(isinstance(alert, dict) for alert in alerts):
            raise AlexaApiError("reminders answer is not a list of alerts")
        return alerts

    def update_reminder(self, access: ApiAccess, alert_token: str, reminder: dict[str, Any]) -> None:
        """Replace the reminder with this alertToken by `reminder`."""
        self.call(access, "PUT", _reminder_path(alert_token), reminder)

    def delete_reminder(self, access: ApiAccess, alert_token: str) -> None:
        """Delete the reminder with this alertToken."""
        self.call(access, "DELETE", _reminder_path(alert_token))

    # ------------------------------------------------------------------ settings

    def time_zone(self, access: ApiAccess, device_id: str) -> str:
        """The device's IANA time zone (e.g. "America/Los_Angeles"), checked to be one we can use,
        so a reminder's local time is never computed in a zone we made up."""
        answer = self.call(access, "GET", f"/v2/devices/{quote(device_id, safe='')}/settings/System.timeZone")
        if isinstance(answer, str) and answer:
            try:
                ZoneInfo(answer)
                return answer
            except (ZoneInfoNotFoundError, ValueError):
                pass
        raise AlexaApiError("time zone answer is not a known time zone name")

    # ------------------------------------------------------------------ every call

    def call(self, access: ApiAccess, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request and return its parsed JSON answer (None for an empty one).
        Raises NotPermitted (401/403), RateLimited (429) or AlexaApiError (anything else)."""
        url = _api_url(access.endpoint, path)  # refuses before anything is sent
        if not access.token or not access.token.isprintable():  # else http.client's error quotes it
            raise AlexaApiError("the request's access token is empty or malformed")
        headers = {"Authorization": f"Bearer {access.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        started, status = time.monotonic(), None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
                answer = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            raise _error_for(exc.code) from exc
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets, garbled answers
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                raise AlexaApiError(f"Alexa API did not answer within the {self.timeout:g} s timeout") from exc
            raise AlexaApiError(f"Alexa API unreachable: {reason!r}") from exc
        finally:
            log.debug("alexa api %s %s -> %s in %d ms", method, _loggable(path), status or "no answer",
                      (time.monotonic() - started) * 1000)
        if len(answer) > MAX_ANSWER_BYTES:
            raise AlexaApiError("Alexa API answer is too large", status)
        if not answer.strip():
            return None
        try:
            return json.loads(answer)
        except ValueError as exc:
            raise AlexaApiError("Alexa API answer is not JSON", status) from exc


def _error_for(status: int) -> AlexaApiError:
    """The exception a handler acts on for this HTTP status."""
    message = f"Alexa API answered {status}"
    if status in (401, 403):
        return NotPermitted(message, status)
    if status == 429:
        return RateLimited(message, status)
    return AlexaApiError(message, status)


def _text_field(answer: object, name: str, complaint: str) -> str:
    value = answer.get(name) if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value:
        raise AlexaApiError(complaint)
    return value


def _reminder_path(alert_token: str) -> str:
    """Quoted whole: a token with "/" or "?" must not reach another path."""
    return f"{REMINDERS_PATH}/{quote(alert_token, safe='')}"


def _api_url(endpoint: str, path: str) -> str:
    """`path` under the request's endpoint: https, or plain http to this machine only (tests)."""
    parts = urlsplit(endpoint)
    if parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname))):
        return endpoint.rstrip("/") + path
    raise AlexaApiError(f"refusing to send the access token to {parts.scheme}://{parts.hostname}")


def _loggable(path: str) -> str:
    """The path without its query and with every id segment as "…": "/v1/alerts/reminders/…"."""
    segments = urlsplit(path).path.split("/")
    return "/".join(s if not s or s in _PATH_WORDS else "…" for s in segments)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
