"""Which tip each person saw last, so `/pmtip <topic>` does not repeat itself.

It must cost next to nothing on the request path and hold across the gunicorn
workers of one start, which do not share Python objects. So it is a fixed-size
table in an anonymous shared memory map, made before the fork and inherited by
every worker, guarded by a process-shared lock. Each (workspace, person, scope)
hashes to
one slot holding a digest of the key and the tip id; a collision overwrites the
older entry, which at worst allows one repeat. Bounded: 16,384 slots of 256
bytes, 4 MiB in all, whatever the traffic.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing

from bot.core.workspace import Workspace

_SLOT = 256  # 8 bytes of key digest, 1 byte of length, the tip id (ids are ASCII, <= 200)
_ID_MAX = _SLOT - 9
_LOCK_WAIT = 0.05  # seconds; the lock is held for a 256-byte copy


def _key(workspace: Workspace, user_id: str, scope: str) -> bytes:
    # A user id names a person in one workspace (or Enterprise Grid); keep them apart.
    text = f"{workspace}\x00{user_id}\x00{scope}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=8).digest()


class RecentTips:
    def __init__(self, *, slots: int = 16_384) -> None:
        self._slots = slots
        self._table = mmap.mmap(-1, slots * _SLOT)  # MAP_SHARED: forks see one table
        self._lock = multiprocessing.get_context("fork").Lock()

    def _where(self, key: bytes) -> int:
        return int.from_bytes(key[:4], "little") % self._slots * _SLOT

    def last(self, workspace: Workspace, user_id: str, scope: str) -> str | None:
        """The tip this person saw last in this scope, if remembered."""
        key = _key(workspace, user_id, scope)
        at = self._where(key)
        if not self._lock.acquire(timeout=_LOCK_WAIT):
            return None  # advisory memory: never let a stuck worker stall a reply
        try:
            entry = self._table[at : at + _SLOT]
        finally:
            self._lock.release()
        if entry[:8] != key or not entry[8]:
            return None
        return entry[9 : 9 + entry[8]].decode("utf-8", "replace")

    def remember(self, workspace: Workspace, user_id: str, scope: str, tip_id: str) -> None:
        encoded = tip_id.encode("utf-8", "replace")
        if len(encoded) > _ID_MAX:
            return  # the validator keeps ids far shorter; never store a truncated id
        key = _key(workspace, user_id, scope)
        at = self._where(key)
        if not self._lock.acquire(timeout=_LOCK_WAIT):
            return  # a worker killed while holding the lock must not freeze the others
        try:
            self._table[at : at + 9 + len(encoded)] = key + bytes([len(encoded)]) + encoded
        finally:
            self._lock.release()
