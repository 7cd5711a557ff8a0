"""Handlers for the guided relief routine: start, next/back/go to, where am I, pause and resume,
stop with the place kept, the heat-or-cold timer, and the offer to pick up next visit.

Routing rule: "next", "yes", "no", "help" and "stop" mean routine things only while the routine
is in the session (or its follow-up is pending); each `can_handle` decides that from session
and pending state alone and never writes. The routine itself is pure (flows/routine.py).

Progress is kept in the session while the routine runs and saved per user after every move
(persistent attribute "routine"), so a later visit can offer to continue. A store that fails
never costs the user their answer: it is logged and, once a session, said out loud.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from ask_sdk_core.dispatch_components import AbstractRequestHandler, AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type, is_request_type
from ask_sdk_model import RequestEnvelope, Response
from ask_sdk_model.interfaces.connections import SendRequestDirective

from ...persistence import StoreError, user_id_of
from ..alexa_api import TIMERS_SCOPE, AlexaApiClient, AlexaApiError, NotPermitted, announcement_timer
from ..flows import routine as flow
from ..flows.answers import goodbye, welcome
from ..flows.pending import CONTINUED_BY_MORE, NEXT_MEANS_ROUTINE, Offer, Pending, ResumeOffer, RoutineNext, TimerOffer
from ..flows.routine import Progress
from ..reply import Reply, Segment
from ..slots import number_value, slot_of, whole_number
from .alexa_access import api_access, ask_for_permission, scope_granted
from .base import IntentHandler, Turn, intent_name
from .interceptors import NOT_A_VISIT

log = logging.getLogger(__name__)

ROUTINE_KEY = "routine"  # session and persistent: the progress record
UNSAVED_TOLD = "routine_unsaved_told"  # session: the user already heard that progress can't be saved
TIMER_TOKEN = "timer"  # Connections.SendRequest token prefix: "timer:<step>"
YES, NO, NEXT, MORE = "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.NextIntent", "AMAZON.MoreIntent"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- pure predicates over this request's state (for can_handle) -------------------------------

def pending_of(handler_input: HandlerInput) -> Pending:
    return handler_input.attributes_manager.request_attributes.get("pending")


def routine_record(handler_input: HandlerInput) -> dict | None:
    """The progress record in the session, running or paused, if any."""
    if handler_input.request_envelope.session is None:
        return None
    record = handler_input.attributes_manager.session_attributes.get(ROUTINE_KEY)
    return record if isinstance(record, dict) else None  # SavedProgressInterceptor dropped a malformed one


def routine_running(handler_input: HandlerInput) -> bool:
    record = routine_record(handler_input)
    return record is not None and not record.get("paused")


def intent_is(handler_input: HandlerInput, *names: str) -> bool:
    return intent_name(handler_input) in names


def routine_offered(handler_input: HandlerInput) -> bool:
    """The last answer offered the routine ("would you like some ways to ease it?")."""
    pending = pending_of(handler_input)
    content = handler_input.attributes_manager.request_attributes.get("content")
    return isinstance(pending, Offer) and content is not None and pending.topic == content.routine.id


# --- loading, keeping and forgetting progress -------------------------------------------------

class SavedProgressInterceptor(AbstractRequestInterceptor):
    """At the start of a session, bring back progress saved in the last seven days (paused).

    Older or unreadable progress is deleted rather than offered. On every request, a progress
    record in the session that this skill could not have written (odd types, a step that isn't
    there) is dropped first, so the handlers see a routine in the session or none. Runs after
    the content is bound.
    """

    def __init__(self, clock: Clock = utc_now):
        self.clock = clock

    def process(self, handler_input: HandlerInput) -> None:
        envelope = handler_input.request_envelope
        if envelope.session is None:
            return
        manager = handler_input.attributes_manager
        session, routine = manager.session_attributes, manager.request_attributes["content"].routine
        if ROUTINE_KEY in session and Progress.from_dict(session[ROUTINE_KEY], routine) is None:
            del session[ROUTINE_KEY]
        if not envelope.session.new or user_id_of(envelope) is None or get_request_type(handler_input) in NOT_A_VISIT:
            return
        try:
            raw = manager.persistent_attributes.get(ROUTINE_KEY)
        except StoreError as exc:
            log.warning("store unavailable, no saved routine progress this time: %s", exc)
            return
        if raw is None:
            return
        progress = Progress.from_dict(raw, manager.request_attributes["content"].routine)
        if progress is not None and flow.is_fresh(progress, self.clock()):
            manager.session_attributes[ROUTINE_KEY] = replace(progress, paused=True).to_dict()
            return
        _drop_saved(handler_input)


def _drop_saved(handler_input: HandlerInput) -> None:
    manager = handler_input.attributes_manager
    try:
        manager.persistent_attributes.pop(ROUTINE_KEY, None)
        manager.save_persistent_attributes()
    except StoreError as exc:
        log.warning("could not drop old routine progress: %s", exc)


class RoutineTurn(Turn):
    """A Turn that also knows the routine, where the user is in it, and the time."""

    def __init__(self, handler_input: HandlerInput, clock: Clock):
        super().__init__(handler_input)
        self.clock = clock
        self.routine = self.content.routine
        self.progress = Progress.from_dict(self.session.get(ROUTINE_KEY), self.routine)

    def now(self) -> datetime:
        return self.clock()

    def save_progress(self, progress: Progress) -> list[Segment]:
        """Make `progress` current and save it; a failing store is said once, never fatal."""
        self.progress = progress
        self.session[ROUTINE_KEY] = progress.to_dict()
        if user_id_of(self.handler_input.request_envelope) is None:
            return []
        manager = self.handler_input.attributes_manager
        try:
            manager.persistent_attributes[ROUTINE_KEY] = progress.to_dict()
            manager.save_persistent_attributes()
        except StoreError as exc:
            log.warning("could not save routine progress: %s", exc)
            if not self.session.get(UNSAVED_TOLD):
                self.session[UNSAVED_TOLD] = True
                return [flow.phrase(self.content, "progress_not_saved")]
        return []

    def forget(self) -> None:
        """The routine is finished: nothing left to offer next time."""
        self.progress = None
        self.session.pop(ROUTINE_KEY, None)
        if user_id_of(self.handler_input.request_envelope) is not None:
            _drop_saved(self.handler_input)

    def save_and_say(self, progress: Progress, lead: list[Segment] | None = None) -> tuple[Reply, Pending]:
        """Move to `progress`, save it, and speak that turn of the routine."""
        notices = self.save_progress(progress)
        return flow.step_reply(self.content, progress, [*(lead or []), *notices])

    def begin(self) -> tuple[Reply, Pending]:
        """"How do I relieve it?": the routine from the top, or an offer to continue saved progress."""
        opening = self.opening()
        if self.progress is not None and self.progress.paused:
            return flow.resume_offer_reply(self.content, self.progress, opening)
        if self.progress is not None:
            return self.save_and_say(self.progress, opening)
        progress = flow.start(self.routine, self.now())
        notices = self.save_progress(progress)
        return flow.start_reply(self.content, progress, [*opening, *notices])

    def go_on(self) -> tuple[Reply, Pending]:
        """"Next": the following turn, the saved place after a break, or the end."""
        if self.progress is None:
            return flow.no_routine_reply(self.content)
        if self.progress.paused:
            return self.save_and_say(flow.resumed(self.progress, self.now()), self.opening())
        following = flow.advance(self.routine, self.progress, self.now())
        if following is None:
            self.forget()
            return flow.finished_reply(self.content)
        return self.save_and_say(following)

    def put_aside(self, reply: Callable[..., Reply]) -> Reply:
        """Pause or stop: save the place as paused and say where it is kept."""
        if self.progress is None:
            return goodbye(self.content)
        paused = flow.paused(self.progress, self.now())
        notices = self.save_progress(paused)
        said = reply(self.content, paused)
        said.speech = [*notices, *said.speech]
        return said


class RoutineIntentHandler(IntentHandler):
    """Handles the listed intents with a RoutineTurn; subclasses implement `reply_to`."""

    def __init__(self, clock: Clock = utc_now):
        self.clock = clock

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = RoutineTurn(handler_input, self.clock)
        reply, pending = self.reply_to(turn)
        return turn.respond(reply, pending)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        raise NotImplementedError


# --- launch and starting ----------------------------------------------------------------------

class ResumeOfferOnLaunchHandler(AbstractRequestHandler):
    """"Open back twitch helper" with progress from the last week: offer to continue or start over."""

    def __init__(self, clock: Clock = utc_now):
        self.clock = clock

    dispatch_keys = ("LaunchRequest",)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input) and routine_record(handler_input) is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = RoutineTurn(handler_input, self.clock)
        if turn.progress is None:
            return turn.respond(*welcome(turn.content, turn.opening()))
        lead = [turn.content.phrase("welcome_returning"), *turn.opening()]
        return turn.respond(*flow.resume_offer_reply(turn.content, turn.progress, lead))


class RoutineStartHandler(RoutineIntentHandler):
    """"How do I relieve it?", or "yes" to an offer of ways to ease it: the guided routine."""

    intent_names = ("ReliefIntent",)
    dispatch_keys = (*intent_names, YES, MORE, NEXT)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) or (intent_is(handler_input, YES, MORE, NEXT)
                                                     and routine_offered(handler_input))

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        return turn.begin()


class ResumeOfferAnswerHandler(RoutineIntentHandler):
    """"Yes" or "no" to "continue from step four, or start over?"."""

    dispatch_keys = (YES, NO)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_is(handler_input, YES, NO) and isinstance(pending_of(handler_input), ResumeOffer)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        if turn.progress is None:
            return turn.begin()
        if intent_is(turn.handler_input, NO):
            return flow.resume_declined_reply(turn.content)
        return turn.save_and_say(flow.resumed(turn.progress, turn.now()))


# --- moving through the routine ---------------------------------------------------------------

class RoutineNextHandler(RoutineIntentHandler):
    """"Next" while the routine is in the session, or "yes" to "ready for the next one?"."""

    intent_names = (NEXT,)
    dispatch_keys = (YES, MORE, NEXT)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        pending = pending_of(handler_input)
        if intent_is(handler_input, YES, MORE):
            return isinstance(pending, RoutineNext)
        if intent_is(handler_input, NEXT):  # after "anything else?" too: nothing else is open
            return routine_record(handler_input) is not None and (pending is None or isinstance(pending, NEXT_MEANS_ROUTINE))
        return False

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        return turn.go_on()


class NextWithoutRoutineHandler(IntentHandler):
    """"Next" with no routine and no list to continue: say how to start the routine."""

    intent_names = (NEXT,)
    dispatch_keys = intent_names

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (intent_is(handler_input, NEXT) and routine_record(handler_input) is None
                and not isinstance(pending_of(handler_input), CONTINUED_BY_MORE))  # MoreHandler carries these on

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return flow.no_routine_reply(turn.content)


class RoutineNoHandler(RoutineIntentHandler):
    """"No" to "ready for the next one?": no rush, the place is kept."""

    dispatch_keys = (NO,)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_is(handler_input, NO) and isinstance(pending_of(handler_input), RoutineNext)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        if turn.progress is None:
            return flow.no_routine_reply(turn.content)
        return flow.not_now_reply(turn.content, turn.progress)


class RoutinePreviousHandler(RoutineIntentHandler):
    """"Go back": the turn before (from the first step, that step again)."""

    intent_names = ("AMAZON.PreviousIntent",)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        if turn.progress is None:
            return flow.no_routine_reply(turn.content)
        earlier = flow.back(turn.routine, turn.progress, turn.now())
        if earlier is None:
            return turn.save_and_say(flow.resumed(turn.progress, turn.now()), [flow.phrase(turn.content, "already_first")])
        return turn.save_and_say(earlier, [flow.phrase(turn.content, "going_back")])


class RoutineStartOverHandler(RoutineIntentHandler):
    """"Start over" with the routine in the session (running or offered to continue)."""

    intent_names = ("AMAZON.StartOverIntent",)
    dispatch_keys = intent_names

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and routine_record(handler_input) is not None

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        progress = flow.start(turn.routine, turn.now())
        notices = turn.save_progress(progress)
        return flow.start_reply(turn.content, progress, [*turn.opening(), *notices])


class GoToStepHandler(RoutineIntentHandler):
    """"Go to step four": that step, or how many steps there are when it doesn't exist."""

    intent_names = ("GoToStepIntent",)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        number = number_value(slot_of(turn.handler_input.request_envelope.request.intent, "number"))
        target = flow.go_to(turn.routine, number, turn.now()) if number is not None else None
        if target is None:
            return flow.out_of_range_reply(turn.content, turn.progress)
        return turn.save_and_say(target, turn.opening())


class WhereAmIHandler(RoutineIntentHandler):
    """"What step am I on?"."""

    intent_names = ("WhereAmIIntent",)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        if turn.progress is None:
            return flow.no_routine_reply(turn.content)
        return flow.where_reply(turn.content, turn.progress)


class StepsLeftHandler(RoutineIntentHandler):
    """"How many steps are left?"."""

    intent_names = ("StepsLeftIntent",)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        if turn.progress is None:
            return flow.no_routine_reply(turn.content)
        return flow.steps_left_reply(turn.content, turn.progress)


# --- pausing, resuming, stopping, help ----------------------------------------------------------

class RoutinePauseHandler(RoutineIntentHandler):
    """"Pause": keep the place and end the visit; next time the skill offers to pick up."""

    intent_names = ("AMAZON.PauseIntent",)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        if turn.progress is None:
            return flow.no_routine_reply(turn.content, "nothing_to_pause")
        return turn.put_aside(flow.paused_reply), None


class RoutineResumeHandler(RoutineIntentHandler):
    """"Resume" or "continue": the kept place, spoken again."""

    intent_names = ("AMAZON.ResumeIntent",)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        if turn.progress is None:
            return flow.no_routine_reply(turn.content, "nothing_to_resume")
        return turn.save_and_say(flow.resumed(turn.progress, turn.now()), turn.opening())


class RoutineStopHandler(RoutineIntentHandler):
    """Stop or cancel mid-routine: goodbye, with the place kept for next time."""

    dispatch_keys = ("AMAZON.StopIntent", "AMAZON.CancelIntent")

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_is(handler_input, *self.dispatch_keys) and routine_running(handler_input)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        return turn.put_aside(flow.stopped_reply), None


class RoutineHelpHandler(RoutineIntentHandler):
    """Help mid-routine: what can be said here, then carry on."""

    dispatch_keys = ("AMAZON.HelpIntent",)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_is(handler_input, *self.dispatch_keys) and routine_running(handler_input)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        return flow.help_reply(turn.content, cast(Progress, turn.progress))  # can_handle: routine_running


class RoutineFallbackHandler(RoutineIntentHandler):
    """Something unrecognised mid-routine: a short pointer, keeping "next" working."""

    dispatch_keys = ("AMAZON.FallbackIntent",)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_is(handler_input, *self.dispatch_keys) and routine_running(handler_input)

    def reply_to(self, turn: RoutineTurn) -> tuple[Reply, Pending]:
        return flow.fallback_reply(turn.content, cast(Progress, turn.progress))  # can_handle: routine_running


# --- the heat-or-cold timer ---------------------------------------------------------------------

def timers_allowed(envelope: RequestEnvelope) -> bool:
    return scope_granted(envelope, TIMERS_SCOPE)


def ask_for_timers_permission(step: int) -> SendRequestDirective:
    return ask_for_permission(TIMERS_SCOPE, f"{TIMER_TOKEN}:{step}")


class TimerSetter:
    """Sets the step's timer and says how it went; every failure still carries on with the routine."""

    def __init__(self, timers: AlexaApiClient):
        self.timers = timers

    def set_and_report(self, turn: RoutineTurn, progress: Progress) -> tuple[Reply, Pending]:
        timer = turn.routine.step(progress.step).timer
        if timer is None:
            return flow.step_reply(turn.content, progress)
        envelope = turn.handler_input.request_envelope
        locale = getattr(envelope.request, "locale", None) or turn.content.locale
        permission_card = False
        try:
            access = api_access(envelope)
            if access is None:
                raise AlexaApiError("the request carries no apiEndpoint or apiAccessToken")
            self.timers.create_timer(access, announcement_timer(timer.minutes, timer.label, timer.announce, locale))
            key = "timer_set"
        except NotPermitted as exc:
            log.info("timer not permitted: %s", exc)
            key, permission_card = "timer_not_permitted", True
        except AlexaApiError as exc:
            log.warning("timer not set: %s", exc)
            key = "timer_failed"
        reply, pending = flow.timer_result_reply(turn.content, progress, key, turn.save_progress(progress))
        if permission_card:
            reply.permission_scopes = (TIMERS_SCOPE,)
        return reply, pending


class TimerOfferHandler(RoutineIntentHandler):
    """"Yes" or "no" to "would you like a 15-minute timer?"."""

    def __init__(self, timers: AlexaApiClient, clock: Clock = utc_now):
        super().__init__(clock)
        self.setter = TimerSetter(timers)

    dispatch_keys = (YES, NO)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_is(handler_input, YES, NO) and isinstance(pending_of(handler_input), TimerOffer)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = RoutineTurn(handler_input, self.clock)
        if turn.progress is None:
            return turn.respond(*flow.no_routine_reply(turn.content))
        if intent_is(handler_input, NO):
            return turn.respond(*flow.timer_result_reply(turn.content, turn.progress, "timer_declined"))
        if timers_allowed(handler_input.request_envelope):
            return turn.respond(*self.setter.set_and_report(turn, turn.progress))
        reply = flow.timer_permission_reply(turn.content)
        reply.directives.append(ask_for_timers_permission(turn.progress.step))
        return turn.respond(reply)


class TimerPermissionResponseHandler(AbstractRequestHandler):
    """Alexa's answer to our voice permission request: set the timer, or carry on without it."""

    def __init__(self, timers: AlexaApiClient, clock: Clock = utc_now):
        self.clock = clock
        self.setter = TimerSetter(timers)

    dispatch_keys = ("Connections.Response",)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        return is_request_type("Connections.Response")(handler_input) and getattr(request, "name", None) == "AskFor"

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = RoutineTurn(handler_input, self.clock)
        request = handler_input.request_envelope.request
        progress = self._progress(turn, getattr(request, "token", None))
        if progress is None:
            return turn.respond(*flow.no_routine_reply(turn.content))
        code = str(getattr(request.status, "code", "")) if request.status else ""
        answer = (request.payload or {}).get("status")
        if code == "200" and answer == "ACCEPTED":
            return turn.respond(*self.setter.set_and_report(turn, progress))
        if code != "200":
            log.warning("voice permission request failed: %s %s", code, getattr(request.status, "message", ""))
            return turn.respond(*flow.timer_result_reply(turn.content, progress, "timer_failed", turn.save_progress(progress)))
        notices = turn.save_progress(progress)
        reply, pending = flow.timer_result_reply(turn.content, progress, "timer_permission_declined", notices)
        if not (request.payload or {}).get("isCardThrown"):
            reply.permission_scopes = (TIMERS_SCOPE,)
        return turn.respond(reply, pending)

    def _progress(self, turn: RoutineTurn, token: object) -> Progress | None:
        """Where to carry on: the step named in our token (the session may be new), else the session's."""
        prefix, _, named = str(token or "").partition(":")
        step = whole_number(named)
        if prefix == TIMER_TOKEN and step is not None and 1 <= step <= turn.routine.total:
            last_part = turn.routine.step(step).part_count
            return Progress(turn.routine.id, step, last_part, False, flow.stamp(turn.now()))
        if turn.progress is not None:
            return flow.resumed(turn.progress, turn.now())
        return None
