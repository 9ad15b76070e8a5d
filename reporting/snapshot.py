"""The organisations as the submission path reads them: a per-process snapshot (issue 16).

Every report needs the coverage table (routing), the partner directory (the form's choices)
and the receiving organisation's verified public key (sealing). They change when a coordinator
edits an organisation or a key epoch rotates, a few times a year, yet reading them cost four
queries and the key's MAC check per report. The snapshot keeps them in the process:

- a change made in this process (`post_save`/`post_delete` of Organisation and
  OrganisationKey) clears it at once;
- a change made in another process (another web worker, another host) is seen after
  `ORGANISATION_SNAPSHOT_SECONDS` at the latest;
- what must never be stale is checked again inside the submission's transaction, under the
  hold on the organisation's row (`reporting.services.keys.organisation_key_hold`): whether the
  organisation is still active, and which key epoch is the active one. A report routed on a
  stale snapshot to an organisation paused since is routed again on a fresh read, and a grant
  sealed to an epoch retired since is sealed again; the least-recently-served tie-break reads
  the marks fresh whenever it decides (`reporting.services.submission._route`).

Only public data is kept: coverage, names and public keys, never a private key.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save

_lock = threading.Lock()
_organisations: list[Any] | None = None
_read_at = 0.0
_keys: dict[int, Any] = {}  # organisation id -> its verified active OrganisationKey
_generation = 0


def _fresh_enough() -> bool:
    return _organisations is not None and time.monotonic() - _read_at < settings.ORGANISATION_SNAPSHOT_SECONDS


def organisations() -> list[Any]:
    """Every organisation (active or not), as read at most ORGANISATION_SNAPSHOT_SECONDS ago.

    The rows are shared by the process's threads: read them, never change or save them.
    """
    global _organisations, _read_at
    if _fresh_enough():
        assert _organisations is not None
        return _organisations
    from reporting.models import Organisation

    with _lock:
        generation = _generation
    rows = list(Organisation.objects.order_by("pk"))
    with _lock:
        if generation == _generation:  # nothing changed while we read
            _organisations, _read_at = rows, time.monotonic()
            _keys.clear()
    return rows


def sealing_key(organisation: Any) -> Any:
    """The organisation's active key epoch, verified (`organisation_sealing_key`) at most once
    per snapshot; the transaction's hold checks the epoch again."""
    from reporting.services.keys import organisation_sealing_key

    organisations()  # a snapshot past its age takes its keys with it
    with _lock:
        key = _keys.get(organisation.pk)
        generation = _generation
    if key is not None:
        return key
    key = organisation_sealing_key(organisation)
    with _lock:
        if generation == _generation:
            _keys[organisation.pk] = key
    return key


def clear(**_kwargs: Any) -> None:
    """Forget the snapshot (a change in this process, or a hold that found it stale)."""
    global _organisations, _generation
    with _lock:
        _organisations = None
        _keys.clear()
        _generation += 1


def connect() -> None:
    """Called once from ReportingConfig.ready()."""
    from reporting.models import Organisation, OrganisationKey

    for model in (Organisation, OrganisationKey):
        post_save.connect(clear, sender=model, dispatch_uid=f"reporting.snapshot.save.{model.__name__}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"reporting.snapshot.delete.{model.__name__}")
