"""A leaner ``CustomSkill.invoke`` for the web edge: same handlers, same order, less per-request work.

``CustomSkill.invoke`` spends about a third of its time on things this skill does not need
per request: a deep copy of the session attributes, a linear ``can_handle`` walk over ~45
handlers (most of which only compare the intent name), and factories for features the skill
does not use.  ``LeanInvoker`` runs the very same interceptors, handler chains, adapters and
exception handlers of the built ``CustomSkill``, in the same order, with ask-sdk-core's own
``HandlerInput``, ``AttributesManager`` and ``ResponseFactory``; it only

* narrows the walk by intent name (or, for other requests, request type): a handler whose
  ``can_handle`` is exactly ``IntentHandler.can_handle`` answers "yes" only for its
  ``intent_names``, and a handler that declares ``dispatch_keys`` (state-gated ones,
  request-type handlers) only for those, so it is skipped for any other request without
  being asked.  Every other handler (catch-alls) is still asked, in its original place, so
  the first handler that says yes is the one the SDK would have picked;
* lets the attributes manager own the envelope's session attributes instead of deep-copying
  them: the web edge parses a fresh envelope for every request and nothing reads
  ``envelope.session.attributes`` after dispatch (the response carries the manager's dict).

Anything it does not cover (an API client, a skill id check) falls back to ``skill.invoke``.
"""
from __future__ import annotations

from typing import Any

from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.utils import RESPONSE_FORMAT_VERSION
from ask_sdk_core.view_resolvers import TemplateFactory
from ask_sdk_model import IntentRequest, RequestEnvelope, Response, ResponseEnvelope
from ask_sdk_runtime.dispatch_components.request_components import AbstractRequestHandlerChain
from ask_sdk_runtime.exceptions import DispatchException
from ask_sdk_runtime.utils import UserAgentManager

from ..conversation.handlers.base import IntentHandler

Chains = tuple[AbstractRequestHandlerChain, ...]


class OwnedSessionAttributesManager(AttributesManager):
    """An ``AttributesManager`` that uses the envelope's session attributes dict as its own.

    The SDK deep-copies them so the envelope keeps the original values; the web edge's
    envelope is made for this one request and never read again, so the copy (10+ µs for a
    screening in progress) buys nothing there.  Everything else is the SDK's class.
    """

    def __init__(self, request_envelope: RequestEnvelope, persistence_adapter: Any = None) -> None:
        session = request_envelope.session
        attributes = None if session is None else session.attributes
        if session is not None:  # the copy is skipped by handing the parent no attributes to copy
            session.attributes = None
        try:
            super().__init__(request_envelope=request_envelope, persistence_adapter=persistence_adapter)
        finally:
            if session is not None:
                session.attributes = attributes
        if attributes is not None:
            self._session_attributes = attributes


class LeanInvoker:
    """``invoke(envelope)``: what ``CustomSkill.invoke`` returns, for the skill's own handlers."""

    def __init__(self, skill: CustomSkill) -> None:
        self.skill = skill
        dispatcher = skill.request_dispatcher
        self.request_interceptors = tuple(dispatcher.request_interceptors)
        self.response_interceptors = tuple(dispatcher.response_interceptors)
        self.exception_mapper = dispatcher.exception_mapper
        self.adapters = tuple(dispatcher.handler_adapters)
        # Mappers are tried in order and each returns its first match: one flat list is the same.
        self.chains: Chains = tuple(chain for mapper in dispatcher.request_mappers
                                    for chain in mapper.request_handler_chains)
        self.by_key, self.others = _index(self.chains)
        self.simple = skill.api_client is None and skill.skill_id is None

    def invoke(self, request_envelope: RequestEnvelope) -> ResponseEnvelope:
        if not self.simple:
            return self.skill.invoke(request_envelope=request_envelope, context=None)
        handler_input = self.handler_input(request_envelope)
        response = self._dispatch(handler_input)
        session_attributes = None
        if request_envelope.session is not None:
            session_attributes = handler_input.attributes_manager.session_attributes
        return ResponseEnvelope(response=response, version=RESPONSE_FORMAT_VERSION,
                                session_attributes=session_attributes,
                                user_agent=UserAgentManager.get_user_agent())

    def handler_input(self, request_envelope: RequestEnvelope) -> HandlerInput:
        """What ``CustomSkill.invoke`` hands its dispatcher (the session attributes not copied)."""
        skill = self.skill
        return HandlerInput(
            request_envelope=request_envelope,
            attributes_manager=OwnedSessionAttributesManager(request_envelope, skill.persistence_adapter),
            context=None,
            service_client_factory=None,
            template_factory=TemplateFactory(template_loaders=skill.loaders, template_renderer=skill.renderer),
        )

    def prepare(self, handler_input: HandlerInput) -> None:
        """The global request interceptors, as the dispatcher runs them before choosing."""
        for interceptor in self.request_interceptors:
            interceptor.process(handler_input=handler_input)

    def chosen(self, handler_input: HandlerInput) -> AbstractRequestHandlerChain | None:
        """The first chain whose handler says yes, asking only those the index names: the
        chain the SDK's walk over every handler would choose (tests/test_dispatch.py)."""
        candidates = self._candidates(handler_input.request_envelope.request)
        return next((chain for chain in candidates if chain.request_handler.can_handle(handler_input=handler_input)), None)

    def _dispatch(self, handler_input: HandlerInput) -> Response | None:
        """``GenericRequestDispatcher.dispatch``, step for step."""
        try:
            self.prepare(handler_input)
            output = self._handle(handler_input)
            for interceptor in self.response_interceptors:
                interceptor.process(handler_input=handler_input, response=output)
            return output
        except Exception as exc:
            if self.exception_mapper is None:
                raise
            handler = self.exception_mapper.get_handler(handler_input, exc)
            if handler is None:
                raise
            return handler.handle(handler_input, exc)

    def _handle(self, handler_input: HandlerInput) -> Response | None:
        chain = self.chosen(handler_input)
        if chain is None:
            raise DispatchException("Unable to find a suitable request handler")
        handler = chain.request_handler
        adapter = next((adapter for adapter in self.adapters if adapter.supports(handler)), None)
        if adapter is None:
            raise DispatchException("Unable to find a suitable request adapter")
        for interceptor in chain.request_interceptors:
            interceptor.process(handler_input=handler_input)
        output = adapter.execute(handler_input=handler_input, handler=handler)
        for interceptor in chain.response_interceptors:
            interceptor.process(handler_input=handler_input, response=output)
        return output

    def _candidates(self, request: Any) -> Chains:
        """The chains whose handler might say yes, in registration order."""
        if not isinstance(request, IntentRequest):
            object_type: Any = getattr(request, "object_type", None)
            return self.by_key.get(object_type, self.others)
        if request.intent is None:
            return self.chains  # let every handler see it (and fail) exactly as in the SDK
        return self.by_key.get(request.intent.name, self.others)


def dispatch_keys(handler: Any) -> frozenset[str] | None:
    """The intent names and request types ``handler`` can ever say yes to; None: it may say
    yes to anything, so it is always asked."""
    declared = getattr(handler, "dispatch_keys", None)
    if declared is not None:
        return frozenset(declared)
    if isinstance(handler, IntentHandler) and type(handler).can_handle is IntentHandler.can_handle:
        return frozenset(handler.intent_names)
    return None


def _index(chains: Chains) -> tuple[dict[str, Chains], Chains]:
    """Per intent name or request type: the chains to ask, in order; and the chains asked
    for anything else (the catch-alls)."""
    keys = [dispatch_keys(chain.request_handler) for chain in chains]
    known = {key for handler_keys in keys if handler_keys for key in handler_keys}
    by_key = {key: tuple(chain for chain, handler_keys in zip(chains, keys)
                         if handler_keys is None or key in handler_keys)
              for key in known}
    others = tuple(chain for chain, handler_keys in zip(chains, keys) if handler_keys is None)
    return by_key, others
