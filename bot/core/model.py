"""What the catalogue is made of: topics and tips, as plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    title: str
    description: str
    aliases: tuple[str, ...] = ()
    # The words PMs use for the topic (the admins' `words:`): search reads them
    # like the topic's name.
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tip:
    id: str
    topic: str
    title: str
    body: str
    try_this: str
    quote: str
    section: str
    audience: tuple[str, ...]
    tags: tuple[str, ...] = ()
