"""Per-incident anonymised exports for monitoring networks (SPEC §6), through a versioned
crosswalk file (``stats/crosswalks/<network>-v<version>.json``) that maps our codes to the
network's categories.

Only incidents whose every report consents to passing an anonymised record to a monitoring
network (``Incident.consent_network``, SPEC §5.1) and that count are exported; a withdrawal
takes the incident out of every later export. A row holds codes only: the random
``incident_key`` (never the case id), year and month, district, the network's incident type
and forms, area of life, the two RIAS additions (targeted, assembly) and the crosswalk version.
An export without a consented incident is the header alone: an empty, valid file.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction

from reporting.audit import AuditAction, audit_log
from stats.models import StatisticsRecord

CROSSWALK_DIR = Path(__file__).resolve().parent / "crosswalks"
COLUMNS = ("incident_key", "year", "month", "district", "network_incident_type", "network_forms",
           "area_of_life", "rias_targeted", "rias_assembly", "demo", "crosswalk")


class UnknownNetwork(LookupError):
    pass


@dataclass(frozen=True)
class Crosswalk:
    network: str
    version: int
    mapping: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.network}-v{self.version}"


@cache
def crosswalk(network: str) -> Crosswalk:
    """The newest crosswalk file of the network."""
    files = sorted(CROSSWALK_DIR.glob(f"{network}-v*.json"),
                   key=lambda p: int(p.stem.rsplit("-v", 1)[1]))
    if not network.isidentifier() or not files:
        raise UnknownNetwork(network)
    data = json.loads(files[-1].read_text(encoding="utf-8"))
    return Crosswalk(network=data["network"], version=int(data["version"]), mapping=data)


def networks() -> list[str]:
    return sorted({p.stem.rsplit("-v", 1)[0] for p in CROSSWALK_DIR.glob("*-v*.json")})


def consented_records(*, year: int, organisation_id: int | None = None) -> Any:
    qs = StatisticsRecord.objects.filter(year=year, incident__counts=True, incident__consent_network=True)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.order_by("month", "incident_key")


def export_rows(walk: Crosswalk, records: Any) -> list[list[str]]:
    mapping = walk.mapping
    include = set(mapping.get("include_motives") or ())
    rows = []
    for record in records:
        if include and not include & set(record.motives):
            continue
        network_type = mapping["incident_type"].get(record.incident_type)
        targeted = "unknown" if record.targeted is None else ("yes" if record.targeted else "no")
        if record.incident_type == "property_damage" and record.targeted is False:
            network_type = mapping.get("untargeted_property_damage", network_type)
        if network_type is None:
            continue  # no category in this network (e.g. discrimination for RIAS)
        if record.incident_type != "property_damage":
            targeted = ""
        forms = ";".join(sorted(mapping["antisemitism_form"][form] for form in record.antisemitism_forms
                                if mapping["antisemitism_form"].get(form)))
        rows.append([str(record.incident_key), str(record.year), str(record.month), record.district,
                     network_type, forms, record.area_of_life, targeted,
                     "yes" if record.assembly else "no", "yes" if record.is_demo else "no", walk.label])
    return rows


def network_export(*, actor: Any, network: str, year: int, organisation_id: int | None = None) -> str:
    """The CSV for ``network`` and ``year`` (one organisation's incidents, or all); audited."""
    walk = crosswalk(network)
    rows = export_rows(walk, consented_records(year=year, organisation_id=organisation_id))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    with transaction.atomic():
        audit_log(actor=actor, action=AuditAction.NETWORK_EXPORTED, organisation_id=organisation_id,
                  data={"network": walk.label, "year": year, "incidents": len(rows)})
    return out.getvalue()
