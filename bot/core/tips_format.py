"""The tips file's format: its keys, its limits and how its texts are measured.

The rules here and content/tips.schema.json describe the same format; a test keeps
them in step. Texts are measured as Slack receives them, after escaping and with
the words the rendering puts around them (see bot/core/render/).
"""

from __future__ import annotations

import re

from bot.core.catalogue import TIP_ID_MAX
from bot.core.render import blocks
from bot.core.render.tips import source_line

FORMAT_VERSION = 1

# What tip_blocks puts around the tip's own words.
TRY_PREFIX = ":point_right: *Your move:* "
QUOTE_WRAP = len("> “”")
QUOTE_SHOWN = 600  # tip_blocks clips the quote here; a longer one would be cut

# Raw limits, in characters as typed (the schema's maxLength); the rendered
# checks below are stricter when the text contains `&`, `<` or `>`.
ID_MAX = TIP_ID_MAX  # see bot.core.catalogue; the store's columns hold as much
SLUG_MAX = 60
# The Home tab shows each topic as a button reading "Title (N)": room for the count.
TOPIC_TITLE_MAX = blocks.BUTTON_TEXT_MAX - len(" (9999)")
DESCRIPTION_MAX = 300
WORD_MAX = 100  # each alias and tag
# Each of a topic's `words:`, a word or a short phrase a PM would type.
VOCABULARY_WORD_MAX = 60
# Written before a word of `words:` that two topics share on purpose (in both).
SHARED_MARK = "+"
SECTION_NAME_MAX = 300
FIELD_MAX = {
    "id": ID_MAX,
    "topic": SLUG_MAX,
    "title": blocks.HEADER_MAX,
    "body": blocks.SECTION_MAX,
    "try": blocks.SECTION_MAX - len(TRY_PREFIX),
    "quote": QUOTE_SHOWN,
    "section": SECTION_NAME_MAX,
}

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TIP_ID_PATTERN = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
SLUG = re.compile(SLUG_PATTERN)
TIP_ID = re.compile(TIP_ID_PATTERN)

TOP_KEYS = ("version", "topics", "tips")
TOPIC_KEYS = ("title", "description", "aliases", "words")
TIP_REQUIRED = ("id", "topic", "title", "body", "try", "quote", "section", "audience")
TIP_KEYS = (*TIP_REQUIRED, "tags")
TIP_TEXTS = ("id", "topic", "title", "body", "try", "quote", "section")

EMPTY_FILE = "the file is empty; it needs `topics:` and `tips:`"


def rendered_length(field_name: str, value: str, *, topic: str = "") -> int:
    """How long `value` is once bot.core.render has rendered it into its block."""
    match field_name:
        case "body":
            return len(blocks.escape(value))
        case "try":
            return len(TRY_PREFIX) + len(blocks.escape(value))
        case "quote":
            return QUOTE_WRAP + len(blocks.escape(value))
        case "section":
            return len(source_line(section=value, topic=topic))
    return len(value)


RENDERED_MAX = {
    "body": blocks.SECTION_MAX,
    "try": blocks.SECTION_MAX,
    "quote": blocks.CONTEXT_TEXT_MAX,
    "section": blocks.CONTEXT_TEXT_MAX,
}
