"""What the staff side does when the case core announces a change (``reporting.signals``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from reporting.models import Case
from reporting.signals import case_shredding


@receiver(case_shredding, sender=Case, dispatch_uid="counselling_case_shredding")
def _case_shredding(sender: type[Case], case_id: int, **kwargs: Any) -> list[type[Any]]:
    """The counselling records of a shredded case keep their codes (funder statistics) and
    lose their ciphertext in the shred's transaction."""
    from counselling.casework import casework_forget_text

    return casework_forget_text(case_id=case_id)
