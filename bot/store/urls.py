"""DATABASE_URL: which URLs pmtip can use, checked before anything connects.

`bot.settings` checks the value at start (so a typo is one message and exit 2,
whatever the mode), and `open_store` turns it into the URL SQLAlchemy connects to.
Messages never repeat the URL: it may carry a password.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SQLITE_PATH = Path("data") / "pmtip.sqlite3"
# What each accepted scheme means to SQLAlchemy. Heroku's `postgres://` and plain
# `postgresql://` both mean psycopg 3, the only PostgreSQL driver pmtip ships.
_SCHEMES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
}
_FORM = "postgresql://USER:PASSWORD@HOST:5432/NAME (or sqlite:///PATH)"


class DatabaseUrlError(ValueError):
    """DATABASE_URL cannot be used; the message names the part and shows no secret."""


def database_url(raw: str | None, *, default_sqlite: Path = DEFAULT_SQLITE_PATH) -> str:
    """The SQLAlchemy URL for a DATABASE_URL value (unset: the SQLite file under data/).

    Raises DatabaseUrlError when the value is not one pmtip can connect with.
    """
    if not raw:
        return f"sqlite:///{default_sqlite}"
    scheme, _, rest = raw.partition("://")
    check_database_url(raw)
    return f"{_SCHEMES[scheme.lower()]}://{rest}"


def check_database_url(raw: str) -> URL:
    """The parsed URL, or DatabaseUrlError saying what is wrong with it."""
    scheme, sep, rest = raw.partition("://")
    driver = _SCHEMES.get(scheme.lower()) if sep else None
    if driver is None:
        shown = f"'{scheme}://'" if sep and len(scheme) <= 30 else "no scheme pmtip knows"
        raise DatabaseUrlError(
            f"DATABASE_URL has {shown}: pmtip connects with psycopg 3 or SQLite, so use {_FORM}."
        )
    try:
        url = make_url(f"{driver}://{rest}")
    except ArgumentError:
        message = f"DATABASE_URL is not a database URL; the form is {_FORM}."
        raise DatabaseUrlError(message) from None
    except ValueError:  # SQLAlchemy reads the port with int()
        raise DatabaseUrlError(
            "DATABASE_URL has a port that is not a number; the form is "
            f"{_FORM}. Percent-encode any '@', ':' or '/' in the password (%40, %3A, %2F)."
        ) from None
    if url.port is not None and not 1 <= url.port <= 65535:
        raise DatabaseUrlError("DATABASE_URL has a port outside 1 to 65535; PostgreSQL's is 5432.")
    if url.host and "@" in url.host:
        raise DatabaseUrlError(
            "DATABASE_URL has an '@' in its password or user name; percent-encode it as %40."
        )
    return url


def safe_url(url: str) -> str:
    """The URL with any password masked, fit for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparseable database URL>"
