"""The one place where the skill is assembled: handlers in priority order, then the rest."""
from __future__ import annotations

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from .alexa_api import AlexaApiClient
from .content import Content
from .handlers.answers import CauseHandler, TopicHandler
from .handlers.builtin import (
    FallbackHandler,
    HelpHandler,
    LaunchHandler,
    MoreHandler,
    NavigateHomeHandler,
    NoHandler,
    OtherRequestHandler,
    RepeatHandler,
    SessionEndedHandler,
    SkillDisabledHandler,
    StopHandler,
    UnknownIntentHandler,
    YesHandler,
)
from .handlers.errors import ApologiseOnErrorHandler
from .handlers.interceptors import (
    BindContentInterceptor,
    DisclaimerDueInterceptor,
    DisclaimerHeardInterceptor,
    PendingFollowUpInterceptor,
    RememberReplyInterceptor,
)
from .handlers.name_free import CanFulfillHandler
from .handlers.reminders import (
    ChangeReminderHandler,
    DeleteRemindersConfirmHandler,
    DeleteRemindersHandler,
    ListRemindersHandler,
    ReminderConfirmHandler,
    ReminderOfferHandler,
    ReminderPermissionResponseHandler,
    SetReminderHandler,
)
from .handlers.routine import (
    GoToStepHandler,
    NextWithoutRoutineHandler,
    ResumeOfferAnswerHandler,
    ResumeOfferOnLaunchHandler,
    RoutineFallbackHandler,
    RoutineHelpHandler,
    RoutineNextHandler,
    RoutineNoHandler,
    RoutinePauseHandler,
    RoutinePreviousHandler,
    RoutineResumeHandler,
    RoutineStartHandler,
    RoutineStartOverHandler,
    RoutineStopHandler,
    SavedProgressInterceptor,
    StepsLeftHandler,
    TimerOfferHandler,
    TimerPermissionResponseHandler,
    WhereAmIHandler,
)
from .handlers.screening import (
    BareAnswerInterceptor,
    ChangeAnswerHandler,
    EmergencyHandler,
    ExplainOutsideScreeningHandler,
    OutcomeFollowUpHandler,
    PrivacyHandler,
    ScreeningCommandHandler,
    ScreeningHandler,
    ShowAnswersHandler,
)
from .handlers.touch import TouchInterceptor
from .handlers.user_data import DeleteDataAnswerHandler, DeleteDataHandler
from .slots import SlotCatalog, SlotCatalogs

# Intent name -> content topic that answers it.
TOPIC_INTENTS = {
    "WhyTwitchingIntent": "why_twitching",
    "RedFlagsIntent": "serious",
    "SeeDoctorIntent": "see_doctor",
    "PreventionIntent": "prevention",
    "ConditionsIntent": "conditions",
    "BfsIntent": "bfs",
    "AlsIntent": "als",
    "DehydrationIntent": "dehydration",
    "HowLongIntent": "how_long",
    "ExampleIntent": "example",
}


# Intents answered in full for someone who didn't say the skill's name (CanFulfillIntentRequest).
NAME_FREE_INTENTS = frozenset({*TOPIC_INTENTS, "CauseIntent", "IsItSeriousIntent", "ScreeningIntent", "ReliefIntent"})
# Custom intents deliberately left to Alexa or to a running session: an emergency said without
# our name stays with Alexa's own answer; the rest mean something only inside a conversation.
NOT_NAME_FREE_INTENTS = frozenset({"EmergencyIntent", "ExplainQuestionIntent", "GoToStepIntent", "WhereAmIIntent",
                                   "StepsLeftIntent", "DeleteDataIntent", "ChangeAnswerIntent",
                                   "PrivacyIntent", "ShowAnswersIntent", "SetReminderIntent",
                                   "ListRemindersIntent", "DeleteRemindersIntent", "ChangeReminderIntent"})


def build_skill(content: Content, store: AbstractPersistenceAdapter, catalog: SlotCatalogs | SlotCatalog,
                timers: AlexaApiClient | None = None) -> CustomSkill:
    """Register everything in order: earlier handlers win when several could answer."""
    builder = CustomSkillBuilder(persistence_adapter=store)
    for interceptor in (
        BindContentInterceptor(content),
        PendingFollowUpInterceptor(),
        TouchInterceptor(),
        BareAnswerInterceptor(catalog),
        DisclaimerDueInterceptor(),
        SavedProgressInterceptor(),
    ):
        builder.add_global_request_interceptor(interceptor)
    builder.add_global_response_interceptor(RememberReplyInterceptor())
    builder.add_global_response_interceptor(DisclaimerHeardInterceptor())

    for handler in request_handlers(catalog, timers):
        builder.add_request_handler(handler)
    builder.add_exception_handler(ApologiseOnErrorHandler(content))
    return builder.create()


def request_handlers(catalog: SlotCatalogs | SlotCatalog, timers: AlexaApiClient | None = None) -> list[AbstractRequestHandler]:
    """The routing list, in priority order: specific handlers first, catch-alls last.
    ``timers``: the one Alexa API client (timers, reminders, settings)."""
    timers = timers or AlexaApiClient()
    return [
        CanFulfillHandler(catalog, NAME_FREE_INTENTS),
        ResumeOfferOnLaunchHandler(),
        LaunchHandler(),
        SessionEndedHandler(),
        SkillDisabledHandler(),
        EmergencyHandler(),
        ScreeningCommandHandler(catalog),
        ScreeningHandler(catalog),
        OutcomeFollowUpHandler(),
        ChangeAnswerHandler(catalog),
        PrivacyHandler(catalog),
        ShowAnswersHandler(catalog),
        # Habit reminders: answers to their own questions first (handlers/reminders.py).
        ReminderPermissionResponseHandler(catalog, timers),
        ReminderOfferHandler(catalog, timers),
        ReminderConfirmHandler(catalog, timers),
        DeleteRemindersConfirmHandler(catalog, timers),
        SetReminderHandler(catalog, timers),
        ListRemindersHandler(catalog, timers),
        DeleteRemindersHandler(catalog, timers),
        ChangeReminderHandler(catalog, timers),
        # The relief routine: answers to its own questions first, then its commands, which
        # mean routine things only while it is in the session (see handlers/routine.py).
        TimerPermissionResponseHandler(timers),
        ResumeOfferAnswerHandler(),
        TimerOfferHandler(timers),
        DeleteDataAnswerHandler(),
        RoutineStartHandler(),
        RoutineNextHandler(),
        NextWithoutRoutineHandler(),
        RoutineNoHandler(),
        RoutinePreviousHandler(),
        RoutineStartOverHandler(),
        GoToStepHandler(),
        WhereAmIHandler(),
        StepsLeftHandler(),
        RoutinePauseHandler(),
        RoutineResumeHandler(),
        RoutineStopHandler(),
        RoutineHelpHandler(),
        RoutineFallbackHandler(),
        DeleteDataHandler(),
        *(TopicHandler(intent, topic) for intent, topic in TOPIC_INTENTS.items()),
        CauseHandler(catalog),
        YesHandler(),
        NoHandler(),
        MoreHandler(),
        RepeatHandler(),
        HelpHandler(),
        StopHandler(),
        NavigateHomeHandler(),
        FallbackHandler(),
        ExplainOutsideScreeningHandler(),
        UnknownIntentHandler(),
        OtherRequestHandler(),
    ]


def handled_intents(catalog: SlotCatalogs | SlotCatalog) -> set[str]:
    """Every intent name some handler answers by name (for the consistency test)."""
    return {name for handler in request_handlers(catalog) for name in getattr(handler, "intent_names", ())}


def known_intents(catalog: SlotCatalogs | SlotCatalog) -> frozenset[str]:
    """The intents of the interaction models and those a handler answers: the metrics' intent
    label takes these names, any other is "other"."""
    return frozenset(catalog.intents) | handled_intents(catalog)
