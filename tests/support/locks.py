"""Do the lock files (requirements*.txt) agree with pyproject.toml?

A lock agrees when every requirement in pyproject.toml is pinned at a version it
allows, and nothing else is pinned but what those requirements pull in (their
dependencies, read from the installed distributions' metadata). Markers are
evaluated for this interpreter, as pip evaluates them when it installs the lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

Requires = Callable[[str], list[str] | None]  # a distribution's Requires-Dist; None if unknown


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    applies: bool  # its marker holds for this interpreter
    hashes: int


def read_lock(text: str) -> tuple[dict[str, Pin], list[str]]:
    """The pins of a requirements file, and the problems of lines that are not pins."""
    pins: dict[str, Pin] = {}
    problems: list[str] = []
    for line in _logical_lines(text):
        spec, *options = re.split(r"\s+(?=--)", line)
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as error:
            problems.append(f"not a requirement: {spec!r} ({error})")
            continue
        versions = [s.version for s in requirement.specifier if s.operator == "=="]
        if len(requirement.specifier) != 1 or not versions:
            problems.append(f"{spec!r} is not pinned to one version with ==")
            continue
        name = canonicalize_name(requirement.name)
        applies = requirement.marker is None or requirement.marker.evaluate()
        if name in pins and pins[name].applies and applies:
            problems.append(f"{name} is pinned twice")
        if name not in pins or applies:
            hashes = sum(o.startswith("--hash=sha256:") for o in options)
            pins[name] = Pin(name, versions[0], applies, hashes)
    return pins, problems


def _logical_lines(text: str) -> Iterable[str]:
    joined = re.sub(r"\\\n", " ", text)
    for raw in joined.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line:
            yield line


def installed_requires(name: str) -> list[str] | None:
    try:
        return metadata.distribution(name).requires or []
    except metadata.PackageNotFoundError:
        return None


def lock_problems(
    requirements: Iterable[str],
    pins: dict[str, Pin],
    *,
    requires: Requires = installed_requires,
) -> list[str]:
    """How the pins disagree with `requirements` (pyproject.toml's, extras included)."""
    problems: list[str] = []
    needed: set[str] = set()
    queue = [(Requirement(r), "pyproject.toml") for r in requirements]
    while queue:
        requirement, wanted_by = queue.pop()
        name = canonicalize_name(requirement.name)
        extras = requirement.extras
        pin = pins.get(name)
        if pin is None or not pin.applies:
            problems.append(f"{name} ({wanted_by}) is not pinned in the lock")
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{name}=={pin.version} does not satisfy {requirement} ({wanted_by})")
        key = name + "[" + ",".join(sorted(extras)) + "]"
        if key in needed:
            continue
        needed.add(key)
        dependencies = requires(name)
        if dependencies is None:
            problems.append(f"{name} is pinned but not installed here: run `make setup`")
        for dependency in dependencies or []:
            parsed = Requirement(dependency)
            if _applies(parsed, extras):
                queue.append((Requirement(_without_marker(parsed)), name))
    used = {key.split("[", 1)[0] for key in needed}
    stale = sorted(n for n, pin in pins.items() if pin.applies and n not in used)
    problems += [f"{name} is pinned but nothing in pyproject.toml needs it" for name in stale]
    return problems


def _applies(requirement: Requirement, extras: frozenset[str] | set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": e}) for e in (*extras, ""))


def _without_marker(requirement: Requirement) -> str:
    bare = Requirement(str(requirement))
    bare.marker = None
    return str(bare)
