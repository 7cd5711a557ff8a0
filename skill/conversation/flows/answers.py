"""Pure conversation logic for the answers: which words to say next, and what is pending.

No ASK types here: a function takes content (and where the user is) and returns a Reply plus
the follow-up the next "yes" should act on, so the flow is testable without envelopes.

The follow-ups these set (flows/pending.py): MoreOfTopic, Offer (after a topic marked
`emergency`, an Offer of the emergency signs whose `then` names that topic, so that "yes" speaks
the signs and then asks that topic's follow-up), NextCause and AnythingElse.
"""
from __future__ import annotations

from typing import cast

from ..content import Cause, LocaleContent, Text, Topic
from ..reply import Pause, Reply, Segment
from ..screens import short_answer_screen, topic_screen, welcome_screen
from .pending import AnythingElse, MoreOfTopic, NextCause, Offer, Pending, ReminderOffer

ITEM_PAUSE = Pause(0.4)
EMERGENCY_TOPIC = "emergency_signs"  # offered, never appended, after a topic marked `emergency`


def topic_reply(content: LocaleContent, topic: Topic, start: int = 0, opening: list[Segment] | None = None,
                then: str | None = None) -> tuple[Reply, Pending]:
    """Speak a topic from item `start`: intro on the first turn, a chunk of items, then a question.

    A topic marked `emergency` ends by offering the emergency signs (a topic of their own);
    `then` names the topic whose follow-up those signs end with, so the conversation goes on
    where it was."""
    speech: list[Segment] = list(opening or [])
    then = then if then in content.topics and then != topic.id else None
    if start == 0:
        speech.append(content.say(topic.intro))
    items, next_start = topic.chunk(start)
    for item in items:
        speech += [ITEM_PAUSE, content.say(item.speech)]
    if next_start is not None:
        question = content.say(cast(Text, topic.more))  # content checks: a chunked topic has `more`
        reprompt = content.phrase("more_reprompt")
        pending: Pending = MoreOfTopic(topic.id, next_start, then)
    else:
        if topic.outro:
            speech.append(content.say(topic.outro))
        if topic.emergency and EMERGENCY_TOPIC in content.topics:
            question = content.phrase("emergency_offer")
            reprompt = content.phrase("emergency_offer_reprompt")
            pending = Offer(EMERGENCY_TOPIC, then=topic.id)
        elif (offered := reminder_offer(content, topic.id)) is not None:
            question, reprompt, pending = offered
        else:
            follow = content.topics[then] if then else topic
            question = content.say(follow.follow_up_ask)
            reprompt = content.say(follow.follow_up_reprompt)
            pending = Offer(follow.offer)
    speech.append(question)
    reply = Reply(speech=speech, reprompt=[reprompt])
    if start == 0:
        reply.card_title = topic.title
        reply.card_text = topic_card(content, topic)
    reply.screen = topic_screen(content, reply, pending, topic, items, start)
    return reply, pending


def reminder_offer(content: LocaleContent, after: str) -> tuple[str, str, Pending] | None:
    """The habit reminder offered at the end of ``after`` (a topic or the routine), if any:
    its question, reprompt and follow-up; "no" goes on to ``after``'s own follow-up."""
    reminders = content.reminders
    habit = reminders["offers"].get(after)
    if habit is None:
        return None
    return (content.say(reminders["phrases"][f"offer_{habit}"]), content.say(reminders["phrases"][f"offer_{habit}_reprompt"]),
            ReminderOffer(habit, then=after))


def topic_card(content: LocaleContent, topic: Topic) -> str:
    """The whole topic as short text for the Alexa app, whatever chunk the voice is on."""
    lines = [content.say(topic.card)] if topic.card else []
    if topic.items:
        lines += [content.say(item.card) for item in topic.items]
    if not lines:
        lines = [content.say(topic.intro)]
    return "\n".join(lines)


def cause_reply(content: LocaleContent, cause: Cause, opening: list[Segment] | None = None) -> tuple[Reply, Pending]:
    """One cause in full, then offer the next cause (or, after the last, ways to ease it)."""
    speech: list[Segment] = [*(opening or []), content.say(cause.full)]
    following = content.next_cause(cause.id)
    if following is not None:
        question = content.phrase("another_cause", cause_name=following.name)
        reprompt = content.phrase("another_cause_reprompt", cause_name=following.name)
        pending: Pending = NextCause(following.id)
    else:
        overview = content.topics["why_twitching"]
        question = content.say(overview.follow_up_ask)
        reprompt = content.say(overview.follow_up_reprompt)
        pending = Offer(overview.offer)
    speech.append(question)
    reply = Reply(
        speech=speech,
        reprompt=[reprompt],
        card_title=content.phrase("cause_card_title", cause_name=cause.name.capitalize()),
        card_text=content.say(cause.full),
    )
    reply.screen = short_answer_screen(content, reply, pending, reply.card_title or cause.name, content.say(cause.card))
    return reply, pending


def which_cause_reply(content: LocaleContent, heard: str | None) -> tuple[Reply, Pending]:
    """The cause slot was empty or unknown: list what we know and ask again (unknown words are
    treated like the fallback: not repeated, not answered as a cause)."""
    if heard:
        question = content.phrase("unknown_cause")
    else:
        question = content.phrase("ask_which_cause")
    return Reply(speech=[question], reprompt=[content.phrase("ask_which_cause_reprompt")]), None


def continue_pending(content: LocaleContent, pending: Pending) -> tuple[Reply, Pending] | None:
    """What "yes" (or "more"/"next") does for a pending follow-up; None when nothing fits."""
    if isinstance(pending, MoreOfTopic) and pending.topic in content.topics:
        return topic_reply(content, content.topics[pending.topic], start=pending.next, then=pending.then)
    if isinstance(pending, Offer) and pending.topic in content.topics:
        return topic_reply(content, content.topics[pending.topic], then=pending.then)
    if isinstance(pending, NextCause) and (cause := content.cause(pending.cause)):
        return cause_reply(content, cause)
    if isinstance(pending, AnythingElse):
        return ask(content, "sure_what", "what_else_reprompt")
    return None


def decline_pending(content: LocaleContent, pending: Pending) -> tuple[Reply, Pending]:
    """What "no" does: after "anything else?" it ends politely; otherwise it asks that question."""
    if isinstance(pending, AnythingElse) or (isinstance(pending, Offer) and pending.no_ends):
        return goodbye(content), None
    if pending:
        question = content.phrase("anything_else")
        reply = Reply(speech=[content.phrase("declined"), question], reprompt=[content.phrase("anything_else_reprompt")])
        return reply, AnythingElse()
    question = content.phrase("no_without_question")
    return Reply(speech=[question], reprompt=[content.phrase("anything_else_reprompt")]), AnythingElse()


def ask(content: LocaleContent, speech_key: str, reprompt_key: str,
        opening: list[Segment] | None = None) -> tuple[Reply, Pending]:
    """A reply that is just a question from the phrases, keeping the microphone open."""
    return Reply(speech=[*(opening or []), content.phrase(speech_key)], reprompt=[content.phrase(reprompt_key)]), None


def goodbye(content: LocaleContent) -> Reply:
    return Reply(speech=[content.phrase("goodbye")])


def welcome(content: LocaleContent, opening: list[Segment]) -> tuple[Reply, Pending]:
    """First visit: welcome, the disclaimer (the opening), what to ask. Later visits: a short hello."""
    if opening:
        speech: list[Segment] = [content.phrase("welcome_first"), *opening, content.phrase("launch_question")]
    else:
        speech = [content.phrase("welcome_returning"), content.phrase("returning_question")]
    return Reply(speech=speech, reprompt=[content.phrase("launch_reprompt")], screen=welcome_screen(content, "welcome")), None
