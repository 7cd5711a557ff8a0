"""AWS Lambda entry point: the same skill as the web service (same `build_skill`), built once
per container and reused by every warm invocation.

Alexa calls the function directly: the Alexa Skills Kit trigger (infra/aws/template.yaml) lets
only the configured skill invoke it, so there is no HTTPS edge and no request signature to
check. The application id is still checked against ALEXA_SKILL_ID, as defence in depth.
State goes to the store named by SKILL_DATABASE_URL, normally dynamodb://TABLE.
"""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from typing import Any, cast

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

from .alexa_api import TimersClient
from .build import build_skill
from .config import Config
from .content import load_content
from .persistence import Store, open_store
from .slots import load_catalogs
from .verify import check_application_id


@dataclass(frozen=True)
class LambdaSkill:
    """The built skill with what each invocation needs beside it."""

    skill: CustomSkill
    store: Store
    skill_id: str | None

    @classmethod
    def from_config(cls, config: Config) -> "LambdaSkill":
        """Content, interaction model, store and skill; any problem raises here, naming it."""
        logging.getLogger().setLevel(config.log_level)
        content = load_content(config.content_dir)
        store = open_store(config.database_url)
        skill = build_skill(content, store, load_catalogs(config.model_dir), TimersClient(timeout=config.alexa_api_timeout))
        return cls(skill, store, config.skill_id)

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """Event in, response envelope out, as the Alexa Skills Kit trigger expects.

        A request for another skill raises (the invocation fails) rather than being answered.
        """
        if self.skill_id is not None:
            check_application_id(event, self.skill_id)
        envelope = self.skill.serializer.deserialize(json.dumps(event), RequestEnvelope)
        response = self.skill.invoke(request_envelope=envelope, context=context)
        return cast(dict[str, Any], self.skill.serializer.serialize(response))


@functools.cache
def container_skill() -> LambdaSkill:
    """Built on the first invocation and kept for the container's life (from the environment)."""
    return LambdaSkill.from_config(Config.from_env())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's handler: `skill.lambda_handler.handler`."""
    return container_skill().handle(event, context)
