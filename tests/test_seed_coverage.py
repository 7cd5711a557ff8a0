"""Every fact in the seed article (shared/seed/back-twitching-article.txt), and the emergency
signs in shared/docs/safety.md, can be heard by voice.

The whole skill is walked once through the signed HTTP endpoint: every topic read to its end
and every cause. A fact is a few keywords or phrases that must all be heard in one response
(so a red flag's sign, meaning and action come together). Matching ignores case and hyphens,
and "a|b" accepts either wording.
"""
from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conversation import SKILL_ID, Conversation
from pki import DEFAULT_URL, signed_headers
from skill import build
from skill.app import create_app
from skill.config import REPO_ROOT, Config
from skill.content import load_content

CONTENT = load_content(REPO_ROOT / "content").for_locale("en-US")
DISCLAIMER = "not medical advice"
