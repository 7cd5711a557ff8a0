"""The one Alexa API client (skill/conversation/alexa_api.py) against the loopback stand-in
`backtwitch chat` uses (skill/tools/devtools/local_skill.py): the exact requests each call
sends, what every failure becomes, and that the access token never reaches a log or a message."""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from skill.conversation.alexa_api import (
    AlexaApiClient,
    AlexaApiError,
    ApiAccess,
    NotPermitted,
    RateLimited,
    announcement_timer,
)
from skill.tools.devtools.local_skill import LocalAlexaApi

TOKEN = "Atza|secret-access-token-4f1c"
DEVICE = "amzn1.ask.device.AEXAMPLE/7"
REMINDER = {
    "requestTime": "2026-05-01T09:00:00.000",
    "trigger": {"type": "SCHEDULED_ABSOLUTE", "scheduledTime": "2026-05-01T21:00:00.000",
                "timeZoneId": "America/New_York"},
    "alertInfo": {"spokenInfo": {"content": [{"locale": "en-US", "text": "time to stretch"}]}},
    "pushNotification": {"status": "ENABLED"},
}


@pytest.fixture
def api() -> Iterator[LocalAlexaApi]:
    with LocalAlexaApi() as stand_in:
        yield stand_in


@pytest.fixture
def access(api: LocalAlexaApi) -> ApiAccess:
    return ApiAccess(api.endpoint, TOKEN)


client = AlexaApiClient(timeout=2.0)


def sent(call: dict, method: str, path: str, body: dict | None) -> None:
    """One recorded request is exactly this, with the bearer token and JSON headers."""
    headers = {name.lower(): value for name, value in call["headers"].items()}
    assert (call["method"], call["path"], call["body"]) == (method, path, body)
    assert call["authorization"] == f"Bearer {TOKEN}" and headers["accept"] == "application/json"
    assert headers.get("content-type") == ("application/json" if body is not None else None)


# --- each call, exactly -------------------------------------------------------------------------

def test_a_timer_is_posted_and_its_id_returned(api, access):
    timer = announcement_timer(15, "Heat or cold", "Time's up.", "en-US")
    timer_id = client.create_timer(access, timer)
    [call] = api.received
    sent(call, "POST", "/v1/alerts/timers", timer)
    assert timer_id and api.timers == [timer]


def test_a_reminder_is_created_listed_updated_and_deleted(api, access):
    token = client.create_reminder(access, REMINDER)
    assert list(api.reminders) == [token]
    sent(api.received[-1], "POST", "/v1/alerts/reminders", REMINDER)

    [alert] = client.list_reminders(access)
    sent(api.received[-1], "GET", "/v1/alerts/reminders", None)
    assert alert["alertToken"] == token and alert["status"] == "ON" and alert["version"] == "1"
    assert {name: alert[name] for name in REMINDER} == REMINDER and alert["createdTime"].endswith("Z")

    later = {**REMINDER, "trigger": {**REMINDER["trigger"], "scheduledTime": "2026-05-01T22:00:00.000"}}
    assert client.update_reminder(access, token, later) is None
    sent(api.received[-1], "PUT", f"/v1/alerts/reminders/{token}", later)
    assert api.reminders[token]["trigger"]["scheduledTime"] == "2026-05-01T22:00:00.000"
    assert api.reminders[token]["version"] == "2" and api.reminders[token]["alertToken"] == token

    assert client.delete_reminder(access, token) is None
    sent(api.received[-1], "DELETE", f"/v1/alerts/reminders/{token}", None)
    assert api.reminders == {} and client.list_reminders(access) == []


def test_an_alert_token_is_quoted_whole_into_the_path(api, access):
    odd = "a/b?c=d"
    api.reminders[odd] = {**REMINDER, "alertToken": odd, "status": "ON", "version": "1"}
    client.delete_reminder(access, odd)
    assert api.received[-1]["path"] == "/v1/alerts/reminders/a%2Fb%3Fc%3Dd" and api.reminders == {}


def test_the_device_time_zone_is_read_per_device(api, access):
    assert client.time_zone(access, "another-device") == "America/New_York"
    api.time_zones[DEVICE] = "Europe/London"
    assert client.time_zone(access, DEVICE) == "Europe/London"
    sent(api.received[-1], "GET", "/v2/devices/amzn1.ask.device.AEXAMPLE%2F7/settings/System.timeZone", None)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", ""])
def test_a_time_zone_that_is_not_an_iana_name_is_an_error(api, access, zone):
    api.time_zone = zone
    with pytest.raises(AlexaApiError, match="time zone"):
        client.time_zone(access, DEVICE)


@pytest.mark.parametrize("answer", [b'{"zone": "Europe/London"}', b"null"])
def test_a_time_zone_answer_that_is_not_a_string_is_an_error(api, access, answer):
    api.raw_answer = answer
    with pytest.raises(AlexaApiError):
        client.time_zone(access, DEVICE)


# --- failures -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status, error", [(401, NotPermitted), (403, NotPermitted), (429, RateLimited),
                                           (500, AlexaApiError), (503, AlexaApiError)])
def test_each_status_becomes_the_exception_a_handler_acts_on(api, access, status, error):
    api.status = status
    with pytest.raises(AlexaApiError) as raised:
        client.create_reminder(access, REMINDER)
    assert type(raised.value) is error and raised.value.status == status
    assert TOKEN not in str(raised.value) and api.reminders == {}


def test_reminders_can_fail_while_settings_work(api, access):
    api.fail["/v1/alerts/reminders"] = 403
    with pytest.raises(NotPermitted):
        client.list_reminders(access)
    assert client.time_zone(access, DEVICE) == "America/New_York"
    assert client.create_timer(access, announcement_timer(1, "x", "y", "en-US"))


def test_a_slow_answer_is_a_timeout_error(api):
    api.delay = 1.0
    with pytest.raises(AlexaApiError, match="timeout") as raised:
        AlexaApiClient(timeout=0.3).time_zone(ApiAccess(api.endpoint, TOKEN), DEVICE)
    assert type(raised.value) is AlexaApiError and raised.value.status is None


def test_nothing_listening_is_an_error():
    with LocalAlexaApi() as gone:
        endpoint = gone.endpoint
    with pytest.raises(AlexaApiError, match="unreachable") as raised:
        client.list_reminders(ApiAccess(endpoint, TOKEN))
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize("answer, call", [
    (b"<html>Service Unavailable</html>", "list_reminders"),
    (b'{"alerts": {"not": "a list"}}', "list_reminders"),
    (b'{"alerts": ["not an alert"]}', "list_reminders"),
    (b"", "list_reminders"),
    (b'{"status": "ON"}', "create_reminder"),
    (b'{"id": ""}', "create_timer"),
    (b'{"pad": "' + b"x" * 70_000 + b'"}', "list_reminders"),
])
def test_an_answer_of_the_wrong_shape_is_an_error(api, access, answer, call):
    api.raw_answer = answer
    with pytest.raises(AlexaApiError) as raised:
        if call == "list_reminders":
            client.list_reminders(access)
        else:
            getattr(client, call)(access, REMINDER)
    assert type(raised.value) is AlexaApiError and raised.value.status in (200, None)


def test_reminders_absent_from_the_answer_are_none(api, access):
    api.raw_answer = b'{"totalCount": "0"}'
    assert client.list_reminders(access) == []


@pytest.mark.parametrize("call", ["update", "delete"])
def test_an_unknown_alert_token_is_a_404_error(api, access, call):
    with pytest.raises(AlexaApiError) as raised:
        if call == "update":
            client.update_reminder(access, "no-such-token", REMINDER)
        else:
            client.delete_reminder(access, "no-such-token")
    assert type(raised.value) is AlexaApiError and raised.value.status == 404


# --- the token --------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", ["http://api.amazonalexa.com", "http://10.0.0.8:8080", "ftp://127.0.0.1",
                                      "not a url"])
def test_the_token_is_never_sent_in_clear_to_another_machine(endpoint, monkeypatch):
    def no_request(*args, **kwargs):
        raise AssertionError("a request was made")

    monkeypatch.setattr(urllib.request, "urlopen", no_request)
    with pytest.raises(AlexaApiError, match="refusing") as raised:
        client.list_reminders(ApiAccess(endpoint, TOKEN))
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize("token", ["", "Atza|secret\r\nX-Injected: 1"])
def test_an_empty_or_malformed_token_is_refused_before_sending(api, token):
    with pytest.raises(AlexaApiError) as raised:
        client.list_reminders(ApiAccess(api.endpoint, token))
    assert not api.received and (not token or token not in str(raised.value))


def test_the_token_alert_tokens_and_device_ids_are_never_logged(api, access, caplog):
    caplog.set_level(logging.DEBUG)
    token = client.create_reminder(access, REMINDER)
    client.list_reminders(access)
    client.update_reminder(access, token, REMINDER)
    client.time_zone(access, DEVICE)
    client.delete_reminder(access, token)
    for status in (401, 429, 500):
        api.status = status
        with pytest.raises(AlexaApiError):
            client.delete_reminder(access, token)
    api.status, api.delay = 200, 1.0
    with pytest.raises(AlexaApiError):
        AlexaApiClient(timeout=0.3).create_timer(access, {})

    lines = [record.getMessage() for record in caplog.records if record.name == "skill.conversation.alexa_api"]
    assert len(lines) == 9
    assert "alexa api DELETE /v1/alerts/reminders/… -> 200 in" in lines[4]
    assert "alexa api GET /v2/devices/…/settings/System.timeZone -> 200 in" in lines[3]
    assert [line.split(" -> ")[1].split(" in")[0] for line in lines[5:]] == ["401", "429", "500", "no answer"]
    everything = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    for secret in (TOKEN, "secret-access-token", token, "AEXAMPLE", "time to stretch"):
        assert secret not in everything


# --- the stand-in itself ----------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer ", "Basic abc"])
def test_the_stand_in_refuses_a_call_without_a_bearer_token(api, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    request = urllib.request.Request(api.endpoint + "/v1/alerts/reminders", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=2)
    assert raised.value.code == 401 and api.received[0]["authorization"] == authorization
    raised.value.close()


def test_the_stand_in_answers_a_created_reminder_as_alexa_does(api):
    request = urllib.request.Request(api.endpoint + "/v1/alerts/reminders", data=json.dumps(REMINDER).encode(),
                                     method="POST", headers={"Authorization": "Bearer x"})
    with urllib.request.urlopen(request, timeout=2) as response:
        answer = json.load(response)
    assert set(answer) == {"alertToken", "createdTime", "updatedTime", "status", "version", "href"}
    assert answer["href"] == f"/v1/alerts/reminders/{answer['alertToken']}" and answer["status"] == "ON"
    request = urllib.request.Request(api.endpoint + "/v1/alerts/reminders", headers={"Authorization": "Bearer x"})
    with urllib.request.urlopen(request, timeout=2) as response:
        listed = json.load(response)
    assert listed["totalCount"] == "1" and listed["alerts"] == [api.reminders[answer["alertToken"]]]
