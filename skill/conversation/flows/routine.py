"""Pure logic of the guided relief routine: where the user is, where "next", "go back" and
"go to step four" lead, and what each turn says. No ASK types here.

Where the user is, a small progress record, kept in the session while the routine runs and
stored per user so a later visit can offer to pick up (only progress, never symptoms):
  {"routine": id, "step": 1-based step, "part": 1-based part of that step,
   "paused": bool, "updated": ISO-8601 UTC}
A step with parts (three stretches, say) takes one turn per part, so no turn runs past about
90 seconds of listening.

The follow-ups this flow sets (flows/pending.py): RoutineNext ("yes" or "next" goes on from
there), TimerOffer ("yes" sets the step's timer), ResumeOffer ("yes" or "continue" picks up saved
progress) and, after the last step, an Offer of the routine's follow-up topic. The answers offer
the routine itself as an Offer of the routine's id.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from ..content import LocaleContent
from ..reply import Pause, Reply, Segment
from ..routine import Hold, Pacing, Part, Routine, Step
from ..screen import Countdown
from ..screens import routine_screen
from .answers import reminder_offer
from .pending import Offer, Pending, ResumeOffer, RoutineNext, TimerOffer

MAX_AGE = timedelta(days=7)
WORDS_PER_SECOND = 2.5  # Alexa's normal speaking rate, about 150 words a minute
MAX_LISTENING_SECONDS = 90.0
SETTLE = Pause(3.0)  # time to get into position between the instructions and the hold
BETWEEN = Pause(0.5)

Position = tuple[int, int]


@dataclass(frozen=True)
class Progress:
    routine: str
    step: int
    part: int = 1
    paused: bool = False
    updated: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The record as stored (``asdict`` without its recursive deep copy: every field is a
        plain value)."""
        return {"routine": self.routine, "step": self.step, "part": self.part, "paused": self.paused,
                "updated": self.updated}

    @classmethod
    def from_dict(cls, raw: object, routine: Routine) -> Progress | None:
        """A stored or session record, or None when it is malformed or names a place that no longer exists."""
        if not isinstance(raw, dict) or raw.get("routine") != routine.id:
            return None
        step, part, updated = raw.get("step"), raw.get("part", 1), raw.get("updated", "")
        if not _whole(step) or not _whole(part) or not isinstance(updated, str):
            return None
        if not 1 <= step <= routine.total or not 1 <= part <= routine.step(step).part_count:
            return None
        return cls(routine.id, step, part, bool(raw.get("paused", False)), updated)

    @property
    def position(self) -> Position:
        return self.step, self.part


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --- navigation ------------------------------------------------------------------------------

def positions(routine: Routine) -> list[Position]:
    """Every turn of the routine in order, as (step, part)."""
    return [(number, part) for number, step in enumerate(routine.steps, start=1)
            for part in range(1, step.part_count + 1)]


def stamp(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


def start(routine: Routine, now: datetime) -> Progress:
    return Progress(routine.id, 1, 1, False, stamp(now))


def go_to(routine: Routine, step: int, now: datetime) -> Progress | None:
    """The first part of step `step`, or None when there is no such step."""
    if not 1 <= step <= routine.total:
        return None
    return Progress(routine.id, step, 1, False, stamp(now))


def advance(routine: Routine, progress: Progress, now: datetime) -> Progress | None:
    """One turn on; None when the routine is finished."""
    order = positions(routine)
    index = order.index(progress.position) + 1
    if index >= len(order):
        return None
    step, part = order[index]
    return Progress(routine.id, step, part, False, stamp(now))


def back(routine: Routine, progress: Progress, now: datetime) -> Progress | None:
    """One turn back; None when already at the very start."""
    order = positions(routine)
    index = order.index(progress.position) - 1
    if index < 0:
        return None
    step, part = order[index]
    return Progress(routine.id, step, part, False, stamp(now))


def resumed(progress: Progress, now: datetime) -> Progress:
    return replace(progress, paused=False, updated=stamp(now))


def paused(progress: Progress, now: datetime) -> Progress:
    return replace(progress, paused=True, updated=stamp(now))


def is_fresh(progress: Progress, now: datetime) -> bool:
    """Saved within the last seven days (an unreadable date counts as stale)."""
    try:
        updated = datetime.fromisoformat(progress.updated)
    except ValueError:
        return False
    if updated.tzinfo is None:
        return False
    return now - updated <= MAX_AGE


def is_last(routine: Routine, progress: Progress) -> bool:
    return progress.position == positions(routine)[-1]


def steps_left(routine: Routine, progress: Progress) -> int:
    """Whole steps after the current one."""
    return routine.total - progress.step


# --- pacing ----------------------------------------------------------------------------------

def hold_segments(content: LocaleContent, hold: Hold) -> list[Segment]:
    """A timed hold: settle, start cue, half the time, "halfway", the rest, "release"."""
    first_half = hold.seconds / 2
    return [SETTLE, content.say(hold.start), Pause(first_half), content.say(hold.halfway),
            Pause(hold.seconds - first_half), content.say(hold.release)]


def pacing_segments(content: LocaleContent, pacing: Pacing) -> list[Segment]:
    """Each beat's cue followed by its silence, the whole sequence `repeat` times."""
    segments: list[Segment] = [SETTLE]
    for _ in range(pacing.repeat):
        for beat in pacing.beats:
            segments += [content.say(beat.say), Pause(beat.pause_seconds)]
    return segments


def listening_seconds(segments: list[Segment]) -> float:
    """About how long a reply takes to hear: words at Alexa's pace plus every pause."""
    pauses = sum(segment.seconds for segment in segments if isinstance(segment, Pause))
    words = sum(len(segment.split()) for segment in segments if isinstance(segment, str))
    return pauses + words / WORDS_PER_SECOND


# --- what each turn says ---------------------------------------------------------------------

def phrase(content: LocaleContent, key: str, **values: object) -> str:
    """A routine phrase with its placeholders filled."""
    return content.say(content.routine.phrases[key], **{name: str(value) for name, value in values.items()})


def step_body(content: LocaleContent, progress: Progress) -> list[Segment]:
    """The words and pauses of one turn: the step (with its safety note) on its first part, then the part."""
    routine = content.routine
    step = routine.step(progress.step)
    body: list[Segment] = []
    if progress.part == 1:
        body += [phrase(content, "step_heading", number=progress.step, total=routine.total, title=step.title),
                 content.say(step.speech)]
        if step.safety:
            body.append(content.say(step.safety.speech))
    if step.parts:
        body += [BETWEEN, *part_body(content, step.parts[progress.part - 1])]
    return body


def part_body(content: LocaleContent, part: Part) -> list[Segment]:
    body: list[Segment] = [phrase(content, "part_heading", name=part.name), content.say(part.speech)]
    if part.hold:
        body += hold_segments(content, part.hold)
    if part.pacing:
        body += pacing_segments(content, part.pacing)
    return body


def step_reply(content: LocaleContent, progress: Progress, lead: list[Segment] | None = None) -> tuple[Reply, Pending]:
    """One turn of the routine, ending with the question that "yes" or "next" answers."""
    routine = content.routine
    step = routine.step(progress.step)
    speech = [*(lead or []), *step_body(content, progress)]
    if step.timer and progress.part == step.part_count:
        question = phrase(content, "timer_offer", minutes=step.timer.minutes)
        reprompt = phrase(content, "timer_offer_reprompt", minutes=step.timer.minutes)
        pending: Pending = TimerOffer(progress.step)
    else:
        question = phrase(content, "ready_finish" if is_last(routine, progress) else "ready_next")
        reprompt = phrase(content, "step_reprompt")
        pending = routine_pending(progress)
    part = step.parts[progress.part - 1] if step.parts else None
    countdown = hold_countdown(content, speech, part.hold) if part and part.hold else None
    reply = Reply(speech=[*speech, question], reprompt=[reprompt],
                  card_title=phrase(content, "step_heading", number=progress.step, total=routine.total,
                                    title=step.title).rstrip("."),
                  card_text=step_card(content, step),
                  screen=routine_screen(content, progress.step, progress.part, countdown,
                                        timer_offer=isinstance(pending, TimerOffer)))
    return reply, pending


def hold_countdown(content: LocaleContent, speech: list[Segment], hold: Hold) -> Countdown | None:
    """The screen's countdown for the hold in ``speech``: it starts where the first half's
    silence does (after the settle pause and the start cue), at the pace ``listening_seconds``
    assumes for the words before it."""
    first_half = Pause(hold.seconds / 2)
    for index in range(2, len(speech)):
        if speech[index - 2] == SETTLE and speech[index] == first_half:
            texts = content.screen
            return Countdown(listening_seconds(speech[:index]), hold.seconds, content.say(texts["hold"]),
                             content.say(texts["halfway"]), content.say(texts["release"]))
    return None


def routine_pending(progress: Progress) -> Pending:
    return RoutineNext(progress.step, progress.part)


def step_card(content: LocaleContent, step: Step) -> str:
    """The whole step as short text, whichever part the voice is on."""
    safety = [content.say(step.safety.card)] if step.safety else []
    return "\n".join([step.card, *(part.card for part in step.parts), *safety])


def start_reply(content: LocaleContent, progress: Progress, lead: list[Segment] | None = None) -> tuple[Reply, Pending]:
    """The routine's introduction, then its first step; the card lists every step."""
    routine = content.routine
    reply, pending = step_reply(content, progress, [*(lead or []), content.say(routine.intro)])
    reply.card_title = routine.title
    reply.card_text = routine_card(content)
    return reply, pending


def routine_card(content: LocaleContent) -> str:
    routine = content.routine
    lines = [routine.card]
    lines += [f"{number}. {step.title}: {step.card}" for number, step in enumerate(routine.steps, start=1)]
    return "\n".join(lines)


def finished_reply(content: LocaleContent, lead: list[Segment] | None = None) -> tuple[Reply, Pending]:
    """After the last step: the closing advice, then the follow-up offer."""
    routine = content.routine
    offered = reminder_offer(content, routine.id)
    if offered is not None:  # a daily stretch reminder; "no" goes on to the follow-up below
        question, reprompt, pending = offered
    else:
        question, reprompt = content.say(routine.follow_up_ask), content.say(routine.follow_up_reprompt)
        pending = Offer(routine.offer)
    speech = [*(lead or []), content.say(routine.outro), question]
    reply = Reply(speech=speech, reprompt=[reprompt], card_title=routine.title, card_text=routine_card(content))
    return reply, pending


def resume_offer_reply(content: LocaleContent, progress: Progress, lead: list[Segment] | None = None) -> tuple[Reply, Pending]:
    """"Continue from step 4, or start over?" for progress kept from before."""
    step = content.routine.step(progress.step)
    values = {"number": progress.step, "title": step.title}
    return Reply(speech=[*(lead or []), phrase(content, "resume_offer", **values)],
                 reprompt=[phrase(content, "resume_offer_reprompt", **values)]), ResumeOffer()


def where_reply(content: LocaleContent, progress: Progress) -> tuple[Reply, Pending]:
    """"What step am I on?": the step (and part), how many are left, then carry on."""
    routine = content.routine
    step = routine.step(progress.step)
    values: dict[str, object] = {"number": progress.step, "total": routine.total, "title": step.title}
    if step.parts:
        where = phrase(content, "where_am_i_part", part=progress.part, parts=step.part_count,
                       name=step.parts[progress.part - 1].name, **values)
    else:
        where = phrase(content, "where_am_i", **values)
    return _carry_on(content, progress, [where, left_phrase(content, progress)])


def steps_left_reply(content: LocaleContent, progress: Progress) -> tuple[Reply, Pending]:
    return _carry_on(content, progress, [left_phrase(content, progress)])


def left_phrase(content: LocaleContent, progress: Progress) -> str:
    left = steps_left(content.routine, progress)
    if left == 0:
        return phrase(content, "steps_left_none")
    return phrase(content, "steps_left_one" if left == 1 else "steps_left_many", left=left)


def help_reply(content: LocaleContent, progress: Progress) -> tuple[Reply, Pending]:
    return _carry_on(content, progress, [phrase(content, "routine_help", number=progress.step,
                                                total=content.routine.total)])


def fallback_reply(content: LocaleContent, progress: Progress) -> tuple[Reply, Pending]:
    return _carry_on(content, progress, [phrase(content, "routine_fallback")])


def not_now_reply(content: LocaleContent, progress: Progress) -> tuple[Reply, Pending]:
    """"No" to "ready for the next one?": no rush, the place is kept."""
    return Reply(speech=[phrase(content, "not_now")], reprompt=[phrase(content, "step_reprompt")]), routine_pending(progress)


def _carry_on(content: LocaleContent, progress: Progress, said: list[Segment]) -> tuple[Reply, Pending]:
    """Answer a side question inside the routine, then ask whether to go on."""
    question = phrase(content, "ready_finish" if is_last(content.routine, progress) else "ready_next")
    return Reply(speech=[*said, question], reprompt=[phrase(content, "step_reprompt")]), routine_pending(progress)


def timer_result_reply(content: LocaleContent, progress: Progress, key: str,
                       lead: list[Segment] | None = None) -> tuple[Reply, Pending]:
    """What happened to the timer (set, declined, failed...), then on with the routine."""
    timer = content.routine.step(progress.step).timer
    minutes = timer.minutes if timer else 0
    return _carry_on(content, progress, [*(lead or []), phrase(content, key, minutes=minutes)])


def timer_permission_reply(content: LocaleContent) -> Reply:
    """Spoken before Alexa's own permission question; the session hands over to Alexa."""
    return Reply(speech=[phrase(content, "timer_permission_needed")])


def out_of_range_reply(content: LocaleContent, progress: Progress | None) -> tuple[Reply, Pending]:
    """"Go to step nine" of six: say how many there are and ask again, keeping the place."""
    total = content.routine.total
    reply = Reply(speech=[phrase(content, "step_out_of_range", total=total)],
                  reprompt=[phrase(content, "step_out_of_range_reprompt", total=total)])
    return reply, routine_pending(progress) if progress and not progress.paused else None


def no_routine_reply(content: LocaleContent, key: str = "no_routine") -> tuple[Reply, Pending]:
    """"Next", "go back" or "what step am I on" with no routine running."""
    return Reply(speech=[phrase(content, key)], reprompt=[phrase(content, "no_routine_reprompt")]), None


def resume_declined_reply(content: LocaleContent) -> tuple[Reply, Pending]:
    return Reply(speech=[phrase(content, "resume_declined")], reprompt=[phrase(content, "resume_declined_reprompt")]), None


def paused_reply(content: LocaleContent, progress: Progress) -> Reply:
    """Pause ends the visit with the place kept; the next visit offers to pick up."""
    return Reply(speech=[phrase(content, "paused", number=progress.step)])


def stopped_reply(content: LocaleContent, progress: Progress) -> Reply:
    return Reply(speech=[phrase(content, "stopped", number=progress.step)])
