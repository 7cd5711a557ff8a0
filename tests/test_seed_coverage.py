"""Every fact in the seed article (shared/seed/back-twitching-article.txt), and the emergency
signs in shared/docs/safety.md, can be heard by voice.

The whole skill is walked once, as one user, through the signed HTTP endpoint: launch first
(so the disclaimer's "911" is heard there and cannot make an emergency fact pass later), then
every topic read to its end ("yes" through each "more", and to the offer of the emergency signs
that some topics end with, "no" to the habit reminder that some offer, until the topic's
follow-up offer), then every cause. A fact is a few keywords or phrases that must all be heard
in ONE response (so a red flag's sign, meaning and action come together). Matching ignores case
and hyphens, keywords match whole words, and "a|b" accepts either wording.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from skill.tools.devtools.conversation import SKILL_ID, Conversation, Exchange
from support.pki import DEFAULT_URL
from skill.conversation import build
from skill.runtime.app import create_app
from skill.config import Config
from support import repository
from skill.conversation.flows.answers import EMERGENCY_TOPIC
from support.pki import poster

CONTENT = repository.content().for_locale("en-US")
DISCLAIMER = "not medical advice"
NAMED_PERSON = re.compile(r"\bMark\b|\bReyes\b|\bDr\.", re.IGNORECASE)
MAX_MORE = 10
MAX_ROUTINE_TURNS = 20
EMERGENCY = ["911", "use your phone"]


def normal(text: str) -> str:
    """Lower case, hyphens and dashes as spaces, straight apostrophes, single spaces."""
    text = re.sub(r"[-\u2010\u2011\u2013\u2014]", " ", text.lower()).replace("\u2019", "'")
    return " ".join(text.split())


def heard(keyword: str, text: str) -> bool:
    """One keyword ("a|b" = either wording) heard as whole words in normalised text."""
    return any(re.search(rf"(?<!\w){re.escape(normal(option))}(?!\w)", text) for option in keyword.split("|"))


def cause_slot(cause_id: str) -> dict[str, Any]:
    return {"value": CONTENT.cause(cause_id).name, "id": cause_id}


def pending(turn: Exchange) -> dict[str, Any]:
    return turn.session_attributes.get("pending") or {}


def reads_on(turn: Exchange) -> bool:
    """More of the same answer follows a yes: the next chunk, or the emergency signs it offers."""
    waiting = pending(turn)
    return waiting.get("kind") == "more" or (waiting.get("kind") == "offer" and waiting.get("topic") == EMERGENCY_TOPIC)


def offers_reminder(turn: Exchange) -> bool:
    """The answer's end offers a habit reminder; a "no" goes on to its follow-up offer."""
    return pending(turn).get("kind") == "reminder_offer"


# --- the walk: one user, the whole skill ------------------------------------------------------

@pytest.fixture(scope="module")
def walk(pki, ca_file, tmp_path_factory) -> dict[str, list[Exchange]]:
    """Label -> responses: "launch", each topic intent (its whole more-chain), each cause, the routine."""
    chains = {DEFAULT_URL: pki.chain_pem()}
    app = create_app(Config(
        skill_id=SKILL_ID, ca_file=ca_file, cert_fetcher=lambda url: chains[url],
        database_url=f"sqlite:///{tmp_path_factory.mktemp('walk') / 'skill.db'}",
        content_dir=repository.CONTENT_DIR, model_dir=repository.MODEL_DIR), words=repository.words())
    user = Conversation(poster(app, pki))
    turns: dict[str, list[Exchange]] = {"launch": [user.launch()]}
    for intent in build.TOPIC_INTENTS:
        chain = turns[intent] = [user.ask(intent)]
        while (reads_on(chain[-1]) or offers_reminder(chain[-1])) and len(chain) < MAX_MORE:
            chain.append(user.ask("AMAZON.NoIntent" if offers_reminder(chain[-1]) else "AMAZON.YesIntent"))
    for cause in CONTENT.causes:
        turns[f"CauseIntent {cause.id}"] = [user.ask("CauseIntent", cause=cause_slot(cause.id))]
    routine = turns["ReliefIntent (the guided routine)"] = [user.ask("ReliefIntent")]
    while routine[-1].session_attributes.get("routine") and len(routine) < MAX_ROUTINE_TURNS:
        routine.append(user.ask("AMAZON.NextIntent"))
    return turns


def all_turns(walk: dict[str, list[Exchange]]) -> list[tuple[str, Exchange]]:
    return [(label, turn) for label, chain in walk.items() for turn in chain]


# --- the facts ----------------------------------------------------------------------------------

FACTS: dict[str, list[str]] = {
    # What causes back twitching?
    "called fasciculations": ["fasciculations", "muscle fibers"],
    "usually painless": ["usually painless"],
    "tired muscles from workouts or physical work": ["workouts|workout", "physical work|physical labor", "nerve endings"],
    "stress raises cortisol": ["stress", "cortisol", "nervous system"],
    "low potassium, magnesium, calcium or sodium": ["potassium", "magnesium", "calcium", "sodium", "signals|signaling"],
    "caffeine and stimulants overstimulate nerves": ["caffeine", "stimulants", "overexcite|overstimulate"],
    "twitches can be distracting or uncomfortable": ["painless", "distracting", "uncomfortable"],
    "from a fleeting annoyance to a sign of stress or neurological imbalance": [
        "fleeting annoyance", "underlying stress", "neurological imbalance"],
    "dehydration impairs muscles and nerves": ["dehydration", "muscles and nerves|muscle and nerve"],
    "poor posture strains back muscles": ["posture", "strain", "back muscles"],
    "herniated disc": ["herniated disc|herniated discs"],
    "sciatica": ["sciatica"],
    # Normal or worrying?
    "isolated twitches without weakness are not concerning": [
        "without weakness", "not a worry|not concerning|nothing to worry"],
    "twitching for weeks, spreading or with numbness needs checking": [
        "weeks", "spreads", "numbness", "check your nerves|neurologic|neurologist"],
    "watch frequency, duration and accompanying symptoms": [
        "how often|frequency", "how long|duration", "what comes with it|accompanying symptoms"],
    "benign fasciculation syndrome goes with anxiety": ["benign fasciculation syndrome", "anxiety"],
    "benign fasciculation syndrome: no disease behind it": ["benign fasciculation syndrome", "no disease"],
    "benign fasciculation syndrome and body awareness": ["benign fasciculation syndrome", "aware of your body|physical awareness"],
    "peripheral neuropathy": ["peripheral neuropathy"],
    "multiple sclerosis": ["multiple sclerosis"],
    "Lyme disease": ["lyme disease"],
    "muscular dystrophy": ["muscular dystrophy"],
    "ALS is rare and comes with weakness": ["A L S|ALS", "rare", "weakness"],
    # The four red flags: sign, what it may indicate, action.
    "red flag: over two weeks": [
        "two weeks|2 weeks", "nerve irritation", "benign fasciculation syndrome|B F S",
        "keep an eye|monitor", "primary care provider"],
    "red flag: weakness or shrinking": [
        "weakness", "shrinking", "nerves and muscles|neuromuscular", "A L S|ALS",
        "neurologist|neurology", "immediately"],
    "red flag: numbness, tingling or spreading pain": [
        "numbness", "tingling", "pain that spreads|spreading pain|radiating pain", "nerve root|radiculopathy",
        "M R I|MRI", "E M G|EMG"],
    "red flag: many muscle groups": [
        "many muscle groups|multiple muscle groups", "mineral imbalance|electrolyte imbalance", "autoimmune",
        "blood tests", "specialist"],
    # Six relief steps, and what they are for.
    "relief: the aim is hydration, nutrition and stress management": [
        "nerves and muscles|neuromuscular", "hydration", "nutrition", "stress management"],
    "relief: 8 to 10 glasses of water": ["8 to 10|eight to ten", "glasses", "water", "exercise", "hot"],
    "relief: mineral foods": [
        "spinach", "almonds", "magnesium", "bananas", "sweet potatoes", "potassium", "yogurt", "kale", "calcium"],
    "relief: stretch 20 to 30 seconds": ["stretch|stretches", "lower", "upper back", "20 to 30 seconds|twenty to thirty seconds"],
    "relief: heat or cold 15 minutes": [
        "heating pad", "tight muscles", "ice pack", "inflammation", "15 minutes|fifteen minutes"],
    "relief: one caffeinated drink, no energy drinks": [
        "caffeine", "alcohol", "one caffeinated drink|one caffeinated beverage", "energy drinks"],
    "relief: relax 10 minutes a day": [
        "10 minutes|ten minutes", "deep breathing", "meditation", "progressive muscle relaxation"],
    # Eight prevention items.
    "prevention: hydration through the day": ["water|hydrated|hydration", "through the day|throughout the day"],
    "prevention: balanced diet": ["balanced diet", "mineral rich|electrolyte"],
    "prevention: move every 60 minutes": ["60 minutes|sixty minutes", "move|movement", "sit|sedentary"],
    "prevention: posture sitting and lifting": ["posture", "sit|sitting", "lift|lifting"],
    "prevention: limit stimulants": ["stimulants", "coffee", "nicotine", "energy drinks"],
    "prevention: stretching or yoga": ["stretch|stretching", "yoga", "every day|daily"],
    "prevention: mindfulness or therapy": ["stress", "mindfulness", "therapy"],
    "prevention: 7 to 8 hours sleep": ["7 to 8 hours|seven to eight hours", "sleep"],
    # FAQs.
    "FAQ: dehydration upsets sodium and potassium": ["dehydration", "sodium", "potassium", "mild", "active"],
    "FAQ: ALS brings progressive weakness, walking and gripping trouble": [
        "A L S|ALS", "rarely", "weakness that gets worse|progressive weakness|progressive muscle weakness",
        "walking", "gripping", "shrink|atrophy", "extremely unlikely", "neurologist"],
    "FAQ: lasts a few days to a couple of weeks, check beyond three weeks": [
        "few days to a couple of weeks", "over two weeks", "always get checked", "beyond three weeks|beyond 3 weeks",
        "spreading", "doctor|healthcare provider|care provider"],
    # The office worker's story, in its two parts.
    "story: 34-year-old developer, 10-hour days, numb right leg": [
        "34|thirty four", "software developer", "working from home|remote work", "10 hour|ten hour", "laptop", "right lower back", "stress",
        "numbness", "right leg"],
    "story: L5, four cups, spinach smoothie, six weeks": [
        "physical therapist", "posture", "L5|L 5|L five", "four cups|4 cups", "vegetables", "core",
        "desk set up|ergonomic|ergonomics", "spinach smoothie", "six weeks|6 weeks",
        "small habits|minor habits"],
    # Final thoughts.
    "closing: daily life, weakness, numbness or pain, early checks help": [
        "daily life", "weakness", "numbness", "pain", "early", "better outcomes", "treated|treatable"],
    "closing: stress, tiredness or diet, harmless": ["harmless", "stress", "tiredness|fatigue", "diet|nutrition"],
    # Emergency signs (safety.md), each with the number and "use your phone".
    "emergency: bladder or bowels": ["bladder", "bowels", *EMERGENCY],
    "emergency: numb groin or inner thighs": ["numb", "groin", "inner thighs", *EMERGENCY],
    "emergency: weakness in both legs": ["weakness", "both legs", *EMERGENCY],
    "emergency: after an accident or fall": ["accident", "fall", *EMERGENCY],
    "emergency: face, arm or slurred speech": ["face", "arm", "slurred speech", *EMERGENCY],
    "emergency: trouble breathing or swallowing": ["breathing", "swallowing", *EMERGENCY],
    "emergency: chest pain": ["chest pain", *EMERGENCY],
    "emergency: collapse": ["collapse", *EMERGENCY],
    # Guard-rails inside the relief steps (safety.md).
    "guard-rail: pharmacist before supplements": ["pharmacist", "supplements"],
    "guard-rail: never sleep on a heating pad": ["heating pad", "never fall asleep|never sleep"],
    "guard-rail: never stretch into pain, no bouncing": [
        "never into pain|not into pain|stop if it hurts", "don't bounce|do not bounce|never bounce"],
    "guard-rail: don't stop a prescribed medicine": ["prescribed medicine|prescription", "don't stop|do not stop|never stop"],
}


@pytest.mark.parametrize("fact", FACTS, ids=str)
def test_every_seed_fact_is_heard_in_one_response(walk, fact):
    keywords = FACTS[fact]
    scored = []
    for label, turn in all_turns(walk):
        text = normal(turn.speech)
        missing = [keyword for keyword in keywords if not heard(keyword, text)]
        if not missing:
            return
        scored.append((len(missing), label, missing, turn.speech))
    scored.sort(key=lambda item: item[0])
    closest = "\n".join(f"  {label} (missing {missing}): {speech!r}" for _, label, missing, speech in scored[:2])
    pytest.fail(f"no single response says all of {keywords}; the closest the user heard:\n{closest}")


def test_the_matching_is_whole_words_and_ignores_case_and_hyphens():
    assert heard("10 hour|ten hour", normal("spent 10-hour days"))
    assert heard("A L S|ALS", normal("is it als?"))
    assert not heard("A L S|ALS", normal("it also helps"))
    assert not heard("911", normal("call 9110"))


# --- the walk itself, and what is never said ---------------------------------------------------

def test_the_walk_reads_every_topic_to_its_follow_up_offer(walk):
    """Every topic ends on its follow-up offer; one that offers a habit reminder (content
    reminders.offers) gets there through a "no" to that offer, which came right after the
    topic's last words and nowhere else."""
    offers = CONTENT.reminders["offers"]
    for intent, topic_id in build.TOPIC_INTENTS.items():
        chain = walk[intent]
        last = chain[-1]
        expected = {"kind": "offer", "topic": CONTENT.topics[topic_id].offer}
        assert pending(last) == expected, (
            f"{intent} after {len(chain)} turns is pending {pending(last)}, not {expected}; "
            f"last heard: {last.speech!r}")
        offered = [pending(turn) for turn in chain if offers_reminder(turn)]
        if topic_id in offers:
            assert offered == [{"kind": "reminder_offer", "habit": offers[topic_id], "then": topic_id}], (
                f"{intent} should offer the {offers[topic_id]} reminder once before its follow-up; offered {offered}")
            declined = CONTENT.say(CONTENT.reminders["phrases"]["declined"])
            assert offers_reminder(chain[-2]) and last.speech.startswith(declined), last.speech
        else:
            assert offered == [], f"{intent} offered a reminder it has none of: {offered}"


def test_the_disclaimer_is_heard_at_launch_and_not_again_in_the_walk(walk):
    launch = walk["launch"][0]
    assert DISCLAIMER in normal(launch.speech), f"the first launch said: {launch.speech!r}"
    again = [(label, turn.speech) for label, turn in all_turns(walk)[1:] if DISCLAIMER in normal(turn.speech)]
    assert not again, f"the disclaimer came again after launch: {again}"


def test_no_response_names_a_person_from_the_article(walk):
    named = []
    for label, turn in all_turns(walk):
        card = turn.card or {}
        said = " ".join([turn.speech, turn.reprompt, card.get("title") or "", card.get("content") or ""])
        if NAMED_PERSON.search(said):
            named.append(f"{label}: {NAMED_PERSON.search(said)[0]!r} in {said!r}")
    assert not named, "\n".join(named)


# Softened urgency and reassurance neither the seed nor shared/docs/safety.md supports.
NEVER_SAID = ["promptly", "within days", "within the next few days", "put your mind at rest",
              "no disease behind it", "most long lasting twitching"]


@pytest.mark.parametrize("words", NEVER_SAID, ids=str)
def test_no_response_softens_urgency_or_overstates_reassurance(walk, words):
    said = [(label, turn.speech) for label, turn in all_turns(walk) if heard(words, normal(turn.speech))]
    assert not said, f"{words!r} was said: {said}"


def test_three_weeks_is_only_ever_said_after_the_two_week_threshold(walk):
    """The red-flag table's 2 weeks comes first; the FAQ's 3 weeks only as 'always get checked beyond it'."""
    wrong = []
    for label, turn in all_turns(walk):
        text = normal(turn.speech)
        if "three weeks" in text and not ("two weeks" in text and text.index("two weeks") < text.index("three weeks")):
            wrong.append(f"{label}: {turn.speech!r}")
    assert not wrong, "\n".join(wrong)


def test_slurred_speech_and_swallowing_are_said_as_sudden_or_gradual_never_both_ways(walk):
    """Gradual: see a doctor. Sudden: an emergency. Every sentence naming them says which."""
    unqualified = []
    for label, turn in all_turns(walk):
        for sentence in re.split(r"(?<=[.!?])\s+", turn.speech):
            text = normal(sentence)
            if heard("slurred speech|swallowing", text) and not heard("sudden|suddenly|gradually", text):
                unqualified.append(f"{label}: {sentence!r}")
    assert not unqualified, "\n".join(unqualified)


# --- the disclaimer for new and returning users -------------------------------------------------

ONE_SHOTS = {**{intent: {} for intent in build.TOPIC_INTENTS},
             "CauseIntent": {"cause": cause_slot(CONTENT.causes[0].id)}}


def test_the_disclaimer_is_heard_on_first_launch_and_not_on_a_returning_launch(talk):
    first = talk()
    opened = first.launch()
    assert DISCLAIMER in normal(opened.speech), f"a first launch said: {opened.speech!r}"
    first.ask("AMAZON.StopIntent")
    back = talk(user_id=first.user_id).launch()
    assert DISCLAIMER not in normal(back.speech), f"a returning user's launch said: {back.speech!r}"


@pytest.mark.parametrize("intent", ONE_SHOTS, ids=str)
def test_the_disclaimer_is_heard_on_a_first_time_one_shot(talk, intent):
    turn = talk().ask(intent, **ONE_SHOTS[intent])
    assert DISCLAIMER in normal(turn.speech), f"a first-time one-shot {intent} said: {turn.speech!r}"


def test_a_first_time_user_starting_with_help_hears_the_disclaimer_once(talk):
    user = talk()
    session = [user.ask("AMAZON.HelpIntent"), user.ask("WhyTwitchingIntent"), user.ask("AMAZON.YesIntent")]
    said = [turn.speech for turn in session]
    count = sum(normal(speech).count(DISCLAIMER) for speech in said)
    assert count == 1, f"heard the disclaimer {count} times in help, a question, yes: {said}"
    user.ask("AMAZON.StopIntent")
    back = talk(user_id=user.user_id).launch()
    assert DISCLAIMER not in normal(back.speech), f"the later launch said: {back.speech!r}"
