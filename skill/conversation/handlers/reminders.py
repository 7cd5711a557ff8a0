"""Habit reminders by voice: offered after the prevention checklist and the relief routine, or
asked for ("remind me to take breaks"); listed, deleted and changed through Alexa's Reminders API.

Amazon's rule is kept literally: a reminder is created only after "yes" to a question that says
exactly what will be set, in the same session (ReminderConfirm). Without the reminders
permission Alexa asks for it by voice; its answer (Connections.Response) carries what to set in
the token, so nothing needs storing. Every API failure is said plainly and the conversation goes
on; the skill keeps no record of reminders beyond what the API returns.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Intent, IntentConfirmationStatus, Response, Slot, SlotConfirmationStatus
from ask_sdk_model.dialog import ElicitSlotDirective

from ..alexa_api import REMINDERS_SCOPE, AlexaApiClient, AlexaApiError, NotPermitted, RateLimited
from ..flows import reminders as flow
from ..flows.pending import DeleteReminders, Offer, Pending, ReminderConfirm, ReminderOffer
from ..reply import Reply, Segment
from ..slots import SlotCatalog, SlotCatalogs, heard_value, resolved_id, slot_of
from .alexa_access import api_access, ask_for_permission, device_id, scope_granted
from .base import IntentHandler, Turn, intent_name

log = logging.getLogger(__name__)

SET, LIST, DELETE, CHANGE = "SetReminderIntent", "ListRemindersIntent", "DeleteRemindersIntent", "ChangeReminderIntent"
YES, NO = "AMAZON.YesIntent", "AMAZON.NoIntent"
HABIT_SLOT, HABIT_TYPE = "habit", "HABIT"
TIME_SLOT, FROM_SLOT, TO_SLOT = "time", "from_time", "to_time"
TOKEN_PREFIX = "reminder"
TURN_BUDGET_SECONDS = 6.0  # all Alexa API calls of one turn; Alexa gives up after about 8 s
MIN_CALL_SECONDS = 0.3
LAST_HABIT = "reminder_habit"  # session only: what "change it" means after a reminder was set
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReminderTurn:
    """One request about reminders: its content, habits, catalog and the API."""

    def __init__(self, handler_input: HandlerInput, catalog: SlotCatalogs | SlotCatalog, api: AlexaApiClient,
                 clock: Clock):
        self.turn = Turn(handler_input)
        self.content = self.turn.content
        self.catalog = catalog.for_locale(self.content.locale)
        self.habits = flow.habits(self.content)
        self.base_api = api
        self.clock = clock
        self.envelope = handler_input.request_envelope
        self.deadline = time.monotonic() + TURN_BUDGET_SECONDS

    @property
    def api(self) -> AlexaApiClient:
        """The client, its timeout cut to what is left of this turn's budget: a turn makes up to
        a list, a time zone and several updates or deletes, and Alexa waits about 8 s in all."""
        left = self.deadline - time.monotonic()
        if left < MIN_CALL_SECONDS:
            raise AlexaApiError("no time left in this turn for another Alexa API call")
        if left >= self.base_api.timeout:
            return self.base_api
        return AlexaApiClient(timeout=left)

    @property
    def intent(self) -> Intent | None:
        return getattr(self.envelope.request, "intent", None)

    def phrase(self, key: str, **values: object) -> str:
        return flow.phrase(self.content, key, **values)

    def heard_habit(self) -> flow.Habit | None:
        habit_id = resolved_id(slot_of(self.intent, HABIT_SLOT), HABIT_TYPE, self.catalog)
        return self.habits.get(habit_id or "")

    def heard_time(self, slot: str) -> Any:
        return flow.heard_time(heard_value(slot_of(self.intent, slot)))

    def respond(self, reply: Reply, pending: Pending = None) -> Response:
        return self.turn.respond(reply, pending)

    def carry_on(self, said: list[Segment], then: str | None = None, card_scope: bool = False) -> Response:
        """Say ``said``, then the question that was due (``then``'s follow-up) or "what else?"."""
        question, reprompt, pending = self.after(then)
        reply = Reply(speech=[*said, question], reprompt=[reprompt])
        if card_scope:
            reply.permission_scopes = (REMINDERS_SCOPE,)
        return self.respond(reply, pending)

    def after(self, then: str | None) -> tuple[str, str, Pending]:
        content = self.content
        if then == content.routine.id:
            routine = content.routine
            return content.say(routine.follow_up_ask), content.say(routine.follow_up_reprompt), Offer(routine.offer)
        topic = content.topics.get(then or "")
        if topic is not None:
            return content.say(topic.follow_up_ask), content.say(topic.follow_up_reprompt), Offer(topic.offer)
        return self.phrase("what_else"), self.phrase("what_else_reprompt"), None

    def failure_words(self, error: AlexaApiError) -> tuple[str, bool]:
        """What to say about a failed call, and whether to send the permission card."""
        if isinstance(error, NotPermitted):  # never allowed, or allowed once and since revoked
            granted = scope_granted(self.envelope, REMINDERS_SCOPE)
            return self.phrase("failed_permission" if granted else "not_permitted"), True
        if isinstance(error, RateLimited):
            return self.phrase("failed_busy"), False
        return self.phrase("failed"), False

    def reminders(self) -> list[dict[str, Any]]:
        """This skill's reminders for the user (the API lists only the calling skill's)."""
        access = api_access(self.envelope)
        if access is None:
            raise AlexaApiError("the request carries no apiEndpoint or apiAccessToken")
        if not scope_granted(self.envelope, REMINDERS_SCOPE):
            raise NotPermitted("the reminders permission is not granted")
        return self.api.list_reminders(access)


# --------------------------------------------------------------------------- setting one up


def setup(rt: ReminderTurn, habit: flow.Habit, then: str | None, asked: bool) -> Response:
    """Ask what is missing (the time, or the hours for breaks) once, then say exactly what will
    be set and wait for "yes"."""
    if habit.kind == flow.DAILY:
        at = rt.heard_time(TIME_SLOT)
        if at is None and not asked:
            return elicit(rt, habit, then, TIME_SLOT, rt.phrase("ask_time", habit=habit.name),
                          rt.phrase("ask_time_reprompt"))
        schedule = flow.daily_schedule(at or habit.first)
    elif habit.kind == flow.HOURLY:
        start, end = rt.heard_time(FROM_SLOT), rt.heard_time(TO_SLOT)
        if start is None and end is None and not asked:
            return elicit(rt, habit, then, FROM_SLOT, rt.phrase("ask_hours"), rt.phrase("ask_hours_reprompt"))
        schedule = (flow.hourly_schedule(*flow.sitting_hours(start, end, habit))
                    or flow.hourly_schedule(habit.first, habit.last) or flow.Schedule((habit.first.hour,)))
    else:
        schedule = flow.times_schedule(habit)
    question = flow.confirm_question(rt.content, habit, schedule)
    pending = ReminderConfirm(habit.id, schedule.hours, schedule.minute, schedule.weekdays_only, then)
    return rt.respond(Reply(speech=[question], reprompt=[rt.phrase("confirm_reprompt")]), pending)


def elicit(rt: ReminderTurn, habit: flow.Habit, then: str | None, slot: str, ask: str, reprompt: str) -> Response:
    """Ask for one slot of SetReminderIntent (the habit already filled), keeping the offer pending."""
    reply = Reply(speech=[ask], reprompt=[reprompt])
    reply.directives.append(ElicitSlotDirective(updated_intent=_set_intent(habit.name), slot_to_elicit=slot))
    return rt.respond(reply, ReminderOffer(habit.id, then, asked=True))


def _set_intent(habit_words: str) -> Intent:
    """SetReminderIntent with the habit filled by words the HABIT slot type knows (its name)."""
    slots = {name: Slot(name=name, confirmation_status=SlotConfirmationStatus.NONE)
             for name in (HABIT_SLOT, TIME_SLOT, FROM_SLOT, TO_SLOT)}
    if habit_words:
        slots[HABIT_SLOT] = Slot(name=HABIT_SLOT, value=habit_words, confirmation_status=SlotConfirmationStatus.NONE)
    return Intent(name=SET, slots=slots, confirmation_status=IntentConfirmationStatus.NONE)


def create(rt: ReminderTurn, confirmed: ReminderConfirm, just_granted: bool = False) -> Response:
    """Set the confirmed reminder (asking Alexa for the permission first if needed; not again
    right after the person granted it, even if this request does not list the scope yet)."""
    habit = rt.habits.get(confirmed.habit)
    access = api_access(rt.envelope)
    if habit is None or access is None:
        return rt.carry_on([rt.phrase("no_access")], confirmed.then)
    if not just_granted and not scope_granted(rt.envelope, REMINDERS_SCOPE):
        reply = Reply(speech=[rt.phrase("permission_needed")])
        reply.directives.append(ask_for_permission(REMINDERS_SCOPE, encode_token(confirmed)))
        return rt.respond(reply)
    schedule = flow.Schedule(confirmed.hours, confirmed.minute, confirmed.weekdays_only)
    locale = getattr(rt.envelope.request, "locale", None) or rt.content.locale
    try:
        body = flow.reminder_body(habit.says, schedule, time_zone(rt), locale, rt.clock())
        existing = same_habit(rt, access, habit)
        if existing:  # one reminder per habit: asking again moves it rather than doubling it
            rt.api.update_reminder(access, existing, body)
        else:
            rt.api.create_reminder(access, body)
    except AlexaApiError as error:
        log.warning("reminder not set: %s", error)
        words, card = rt.failure_words(error)
        return rt.carry_on([words], confirmed.then, card_scope=card)
    rt.turn.session[LAST_HABIT] = habit.id
    return rt.carry_on([rt.phrase("replaced" if existing else "created", habit=habit.name)], confirmed.then)


def same_habit(rt: ReminderTurn, access: Any, habit: flow.Habit) -> str | None:
    """The alert token of this habit's reminder if one exists; None when there is none or the
    list can't be read (then a new one is created: a duplicate beats a lost reminder)."""
    try:
        found = rt.api.list_reminders(access)
    except AlexaApiError as error:
        log.info("reminders not listed before creating: %s", error)
        return None
    token = next((reminder.get("alertToken") for reminder in found if flow.habit_of(reminder, rt.habits) == habit), None)
    return token if isinstance(token, str) and token else None


def time_zone(rt: ReminderTurn) -> str | None:
    """The device's time zone from the Settings API; None (the device's own setting applies)
    when it cannot be read."""
    access, device = api_access(rt.envelope), device_id(rt.envelope)
    if access is None or device is None:
        return None
    try:
        return rt.api.time_zone(access, device)
    except AlexaApiError as error:
        log.info("time zone not read: %s", error)
        return None


def encode_token(confirmed: ReminderConfirm) -> str:
    hours = ",".join(str(hour) for hour in confirmed.hours)
    return ":".join([TOKEN_PREFIX, confirmed.habit, hours, str(confirmed.minute), "1" if confirmed.weekdays_only else "0",
                     confirmed.then or ""])


def decode_token(token: object, habits: dict[str, flow.Habit]) -> ReminderConfirm | None:
    """What the permission request was for, from its token; None for anything the skill didn't write."""
    parts = str(token or "").split(":")
    if len(parts) != 6 or parts[0] != TOKEN_PREFIX or parts[1] not in habits:
        return None
    try:
        hours = tuple(int(hour) for hour in parts[2].split(","))
        minute = int(parts[3])
    except ValueError:
        return None
    if not hours or not all(0 <= hour < 24 for hour in hours) or not 0 <= minute < 60 or parts[4] not in ("0", "1"):
        return None
    confirmed = ReminderConfirm(parts[1], hours, minute, parts[4] == "1", parts[5] or None)
    return confirmed if fits_habit(confirmed, habits[parts[1]]) else None


def fits_habit(confirmed: ReminderConfirm, habit: flow.Habit) -> bool:
    """A schedule the skill could have offered for this habit: breaks on consecutive weekday
    hours, water at its content times, the others once a day."""
    if habit.kind == flow.HOURLY:
        hours = confirmed.hours
        return (confirmed.weekdays_only and confirmed.minute == 0
                and list(hours) == list(range(hours[0], hours[0] + len(hours))))
    if habit.kind == flow.TIMES:
        usual = flow.times_schedule(habit)
        return not confirmed.weekdays_only and (confirmed.hours, confirmed.minute) == (usual.hours, usual.minute)
    return not confirmed.weekdays_only and len(confirmed.hours) == 1


# --------------------------------------------------------------------------- handlers


class ReminderHandler(IntentHandler):
    """Base: builds the ReminderTurn; subclasses implement ``reply``."""

    def __init__(self, catalog: SlotCatalogs | SlotCatalog, api: AlexaApiClient, clock: Clock = utc_now):
        self.catalog = catalog
        self.api = api
        self.clock = clock
        self.dispatch_keys = self.intent_names  # only these intents reach it (skill/runtime/dispatch.py's index)

    answers: type | None = None  # set: a "yes"/"no" handler, only while this follow-up is pending

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if self.answers is not None:
            pending = handler_input.attributes_manager.request_attributes.get("pending")
            if not isinstance(pending, self.answers):
                return False
        return super().can_handle(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.reply(ReminderTurn(handler_input, self.catalog, self.api, self.clock))

    def reply(self, rt: ReminderTurn) -> Response:
        raise NotImplementedError


class SetReminderHandler(ReminderHandler):
    """"Remind me to take breaks", "remind me to stretch at 7 pm", or the answer to "what time?"."""

    intent_names = (SET,)

    def reply(self, rt: ReminderTurn) -> Response:
        offer = rt.turn.pending if isinstance(rt.turn.pending, ReminderOffer) else None
        habit = rt.heard_habit() or (rt.habits.get(offer.habit) if offer else None)
        if habit is None:
            reply = Reply(speech=[rt.phrase("which_habit")], reprompt=[rt.phrase("which_habit_reprompt")])
            reply.directives.append(ElicitSlotDirective(updated_intent=_set_intent(""), slot_to_elicit=HABIT_SLOT))
            return rt.respond(reply)
        return setup(rt, habit, offer.then if offer else None, asked=bool(offer and offer.asked))


class ReminderOfferHandler(ReminderHandler):
    """"Yes" or "no" to "would you like a reminder to ...?" (or to "what time?" asked once: a
    yes then takes the usual time)."""

    intent_names = (YES, NO)

    answers: type | None = ReminderOffer

    def reply(self, rt: ReminderTurn) -> Response:
        offer = rt.turn.pending
        assert isinstance(offer, ReminderOffer)  # can_handle let nothing else through
        habit = rt.habits.get(offer.habit)
        if intent_name(rt.turn.handler_input) == NO or habit is None:
            return rt.carry_on([rt.phrase("declined")], offer.then)
        return setup(rt, habit, offer.then, offer.asked)


class ReminderConfirmHandler(ReminderHandler):
    """"Yes" to "shall I set ...?" creates it; "no" leaves it."""

    intent_names = (YES, NO)

    answers: type | None = ReminderConfirm

    def reply(self, rt: ReminderTurn) -> Response:
        confirmed = rt.turn.pending
        assert isinstance(confirmed, ReminderConfirm)  # can_handle let nothing else through
        if intent_name(rt.turn.handler_input) == NO:
            return rt.carry_on([rt.phrase("declined")], confirmed.then)
        return create(rt, confirmed)


class ReminderPermissionResponseHandler(AbstractRequestHandler):
    """Alexa's answer to our voice request for the reminders permission: set the reminder the
    token names, or carry on without it."""

    dispatch_keys = ("Connections.Response",)

    def __init__(self, catalog: SlotCatalogs | SlotCatalog, api: AlexaApiClient, clock: Clock = utc_now):
        self.catalog, self.api, self.clock = catalog, api, clock

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        return (is_request_type("Connections.Response")(handler_input) and getattr(request, "name", None) == "AskFor"
                and str(getattr(request, "token", "") or "").startswith(TOKEN_PREFIX + ":"))

    def handle(self, handler_input: HandlerInput) -> Response:
        rt = ReminderTurn(handler_input, self.catalog, self.api, self.clock)
        request = handler_input.request_envelope.request
        confirmed = decode_token(getattr(request, "token", None), rt.habits)
        if confirmed is None:
            return rt.carry_on([rt.phrase("permission_declined")])
        code = str(getattr(request.status, "code", "")) if request.status else ""
        answer = (request.payload or {}).get("status")
        if code == "200" and answer == "ACCEPTED":
            return create(rt, confirmed, just_granted=True)
        if code != "200":
            log.warning("voice permission request failed: %s", code)
            return rt.carry_on([rt.phrase("failed")], confirmed.then)
        card = not (request.payload or {}).get("isCardThrown")
        return rt.carry_on([rt.phrase("permission_declined")], confirmed.then, card_scope=card)


class ListRemindersHandler(ReminderHandler):
    """"What reminders do I have?": read from the API, never from a store of ours."""

    intent_names = (LIST,)

    def reply(self, rt: ReminderTurn) -> Response:
        try:
            found = rt.reminders()
        except AlexaApiError as error:
            return failed(rt, error)
        if not found:
            return rt.carry_on([rt.phrase("list_none")])
        items = [flow.describe(rt.content, reminder, rt.habits) for reminder in found]
        intro = rt.phrase("list_intro_one") if len(items) == 1 else rt.phrase("list_intro_many", count=len(items))
        return rt.carry_on([intro, *items])


class DeleteRemindersHandler(ReminderHandler):
    """"Stop my break reminders" deletes that habit's; "delete all my reminders" asks first."""

    intent_names = (DELETE,)

    def reply(self, rt: ReminderTurn) -> Response:
        habit = rt.heard_habit()
        try:
            found = rt.reminders()
            if habit is None:
                return confirm_delete_all(rt, found)
            mine = [reminder for reminder in found if flow.habit_of(reminder, rt.habits) == habit]
            if not mine:
                return rt.carry_on([rt.phrase("delete_none", habits=habit.plural)])
            delete(rt, mine)
        except AlexaApiError as error:
            return failed(rt, error)
        return rt.carry_on([rt.phrase("deleted", habits=habit.plural)])


def confirm_delete_all(rt: ReminderTurn, found: list[dict[str, Any]]) -> Response:
    if not found:
        return rt.carry_on([rt.phrase("list_none")])
    question = (rt.phrase("delete_all_confirm_one") if len(found) == 1
                else rt.phrase("delete_all_confirm", count=len(found)))
    return rt.respond(Reply(speech=[question], reprompt=[rt.phrase("delete_all_reprompt")]), DeleteReminders())


def delete(rt: ReminderTurn, reminders: list[dict[str, Any]]) -> None:
    access = api_access(rt.envelope)
    if access is None:
        raise AlexaApiError("the request carries no apiEndpoint or apiAccessToken")
    for reminder in reminders:
        token = reminder.get("alertToken")
        if isinstance(token, str) and token:
            rt.api.delete_reminder(access, token)


def failed(rt: ReminderTurn, error: AlexaApiError) -> Response:
    log.warning("reminders API: %s", error)
    words, card = rt.failure_words(error)
    return rt.carry_on([words], card_scope=card)


class DeleteRemindersConfirmHandler(ReminderHandler):
    """"Yes" to "shall I delete all your reminders?"."""

    intent_names = (YES, NO)

    answers: type | None = DeleteReminders

    def reply(self, rt: ReminderTurn) -> Response:
        if intent_name(rt.turn.handler_input) == NO:
            return rt.carry_on([rt.phrase("kept")])
        try:
            delete(rt, rt.reminders())
        except AlexaApiError as error:
            return failed(rt, error)
        return rt.carry_on([rt.phrase("deleted_all")])


class ChangeReminderHandler(ReminderHandler):
    """"Change it to 8 pm", "move my stretching reminder to 9": a new time for a daily habit, new
    hours for the breaks; the reminder keeps its words."""

    intent_names = (CHANGE,)

    def reply(self, rt: ReminderTurn) -> Response:
        habit = rt.heard_habit() or rt.habits.get(str(rt.turn.session.get(LAST_HABIT) or ""))
        try:
            found = rt.reminders()
            ours = [(reminder, flow.habit_of(reminder, rt.habits)) for reminder in found]
            ours = [(reminder, known) for reminder, known in ours if known is not None]
            if habit is None and len({known.id for _, known in ours if known}) == 1:
                habit = ours[0][1]
            if habit is None:
                return rt.carry_on([rt.phrase("change_which")])
            targets = [reminder for reminder, known in ours if known == habit]
            if not targets:
                return rt.carry_on([rt.phrase("change_none", habit=habit.name)])
            if habit.kind == flow.TIMES:
                return rt.carry_on([rt.phrase("change_water")])
            return self.change(rt, habit, targets)
        except AlexaApiError as error:
            return failed(rt, error)

    def change(self, rt: ReminderTurn, habit: flow.Habit, targets: list[dict[str, Any]]) -> Response:
        if habit.kind == flow.DAILY:
            at = rt.heard_time(TIME_SLOT)
            if at is None:
                return self.ask(rt, habit, TIME_SLOT, rt.phrase("change_needs_time"), rt.phrase("ask_time_reprompt"))
            schedule = flow.daily_schedule(at)
            words = rt.phrase("changed_daily", habit=habit.name, time=flow.said_time(at, rt.content.locale))
        else:
            start, end = rt.heard_time(FROM_SLOT), rt.heard_time(TO_SLOT)
            hours = flow.hourly_schedule(*flow.sitting_hours(start, end, habit)) if start or end else None
            if hours is None:
                return self.ask(rt, habit, FROM_SLOT, rt.phrase("ask_hours"), rt.phrase("ask_hours_reprompt"))
            schedule = hours
            words = rt.phrase("changed_hourly", **flow.hours_words(schedule, rt.content.locale))
        access = api_access(rt.envelope)
        if access is None:
            raise AlexaApiError("the request carries no apiEndpoint or apiAccessToken")
        zone = time_zone(rt)
        for reminder in targets:
            rt.api.update_reminder(access, str(reminder.get("alertToken")),
                                   flow.with_schedule(reminder, schedule, zone, rt.clock()))
        rt.turn.session[LAST_HABIT] = habit.id
        return rt.carry_on([words])

    @staticmethod
    def ask(rt: ReminderTurn, habit: flow.Habit, slot: str, ask: str, reprompt: str) -> Response:
        """Ask for the new time (or hours) as a slot of ChangeReminderIntent, the habit filled."""
        reply = Reply(speech=[ask], reprompt=[reprompt])
        intent = _set_intent(habit.name)
        intent.name = CHANGE
        reply.directives.append(ElicitSlotDirective(updated_intent=intent, slot_to_elicit=slot))
        return rt.respond(reply)
