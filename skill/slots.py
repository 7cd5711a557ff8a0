"""Safe slot reading: what the user said, and which canonical value id it means.

Alexa's entity resolution normally supplies the id. When it doesn't (no resolutions in the
request, or a timeout), we fall back to the interaction model's own values and synonyms, so
the same words work whether or not the platform resolved them.
"""
from __future__ import annotations

import json
from pathlib import Path

from ask_sdk_model import Intent, Slot
from ask_sdk_model.slu.entityresolution import StatusCode

MAX_HEARD_CHARS = 60


class SlotCatalog:
    """Synonym -> value id, per slot type, read from an interaction model file."""

    def __init__(self, types: dict[str, dict[str, str]]):
        self.types = types

    @classmethod
    def from_model(cls, model_path: Path) -> "SlotCatalog":
        model = json.loads(Path(model_path).read_text(encoding="utf-8"))
        types: dict[str, dict[str, str]] = {}
        for slot_type in model["interactionModel"]["languageModel"].get("types", []):
            lookup = types.setdefault(slot_type["name"], {})
            for value in slot_type.get("values", []):
                name = value["name"]
                value_id = value.get("id") or name["value"]
                for word in [name["value"], *name.get("synonyms", [])]:
                    lookup[_normal(word)] = value_id
        return cls(types)

    def lookup(self, slot_type: str, heard: str) -> str | None:
        return self.types.get(slot_type, {}).get(_normal(heard))


def _normal(text: str) -> str:
    return " ".join(text.lower().replace(".", " ").split())


def slot_of(intent: Intent | None, name: str) -> Slot | None:
    if intent is None or not intent.slots:
        return None
    return intent.slots.get(name)


def heard_value(slot: Slot | None) -> str | None:
    """The words the user said for a slot, trimmed to a safe length, or None."""
    if slot is None or not slot.value or not slot.value.strip():
        return None
    return " ".join(slot.value.split())[:MAX_HEARD_CHARS]


def resolved_id(slot: Slot | None, slot_type: str, catalog: SlotCatalog) -> str | None:
    """The canonical value id: entity resolution's match first, then the model's synonyms."""
    if slot is None:
        return None
    resolutions = slot.resolutions.resolutions_per_authority if slot.resolutions else None
    for resolution in resolutions or []:
        code = resolution.status.code if resolution.status else None
        if code == StatusCode.ER_SUCCESS_MATCH and resolution.values:
            value_id = resolution.values[0].value.id
            if value_id:
                return value_id
    heard = heard_value(slot)
    return catalog.lookup(slot_type, heard) if heard else None
