"""Sessions end (SPEC §3.9; review F-10): a password change, a reset and a revoked membership end
every session of that member, and expired sessions are purged daily.

A staff session holds one half of the unlocked organisation key, so ending it means removing it
from the session store, not only refusing it at the next request. How depends on the configured
engine (`SESSION_ENGINE`):

- database-backed engines (``db``, ``cached_db``; this project uses ``db``) can be searched: every
  session of the user is deleted through the engine's own store, which also drops a cached copy;
- engines that cannot be listed by user (``cache``, ``file``, ``signed_cookies``) keep the rows
  until they expire. Those sessions still end at their next request: Django drops a session whose
  password hash no longer matches (change, reset) or whose user is inactive (revocation), and
  `counselling.access` never opens an unlock for a membership without key access.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_USER_SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase


def _store_class() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore  # type: ignore[no-any-return]


def member_sessions_end(*, user: Any) -> int:
    """Delete every stored session of `user`; returns how many (0 where the engine cannot list them).

    The caller's own session is deleted too: a view that wants to go on (after the member's own
    password change) re-keys it with `update_session_auth_hash`, which stores it again.
    """
    store_class = _store_class()
    get_model_class = getattr(store_class, "get_model_class", None)
    if get_model_class is None:
        return 0
    decoder = store_class()
    user_id = str(user.pk)
    ended = 0
    for session_key, session_data in get_model_class().objects.values_list("session_key", "session_data").iterator():
        if str(decoder.decode(session_data).get(AUTH_USER_SESSION_KEY, "")) == user_id:
            store_class(session_key=session_key).delete()
            ended += 1
    return ended
