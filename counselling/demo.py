"""The demo data set for `make run`: fictional organisations, clearly marked as demo."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from counselling.models import Membership
from counselling.services import member_create
from reporting import places
from reporting.models import HelpService, Organisation
from reporting.services import help_service_save, organisation_create
from reporting.taxonomy import REPORTER_LANGUAGES


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    name: str
    regions: tuple[str, ...]  # statistical regions covered; empty = statewide
    motives: tuple[str, ...]  # empty = all
    languages: tuple[str, ...]
    fallback: bool = False


DEMO_ORGS = (
    DemoOrg("demo-nord", "Demo-Beratungsstelle Nord (Demo)", ("Lüneburg", "Weser-Ems"), (), ("de", "en", "ar", "fa")),
    DemoOrg("demo-sued", "Demo-Beratungsstelle Süd (Demo)", ("Braunschweig", "Hannover"), (), ("de", "en", "tr", "uk", "ru")),
    DemoOrg("demo-antisem", "Demo-Fachstelle Antisemitismus (Demo)", (), ("antisemitism",), ("de", "en", "ru", "uk")),
    DemoOrg("demo-land", "Demo-Landesstelle (Demo)", (), (), REPORTER_LANGUAGES, fallback=True),
)


# The one help directory (coordinator's page "Help directory"): the real emergency numbers, and
# fictional services clearly marked as demo, two of them kept for counsellors' referrals only.
DEMO_HELP = (
    {"name": "Polizei / Police", "kind": HelpService.Kind.EMERGENCY, "phone": "110",
     "description": "Notruf, kostenlos, Tag und Nacht / Emergency, free of charge, day and night",
     "region": "Deutschland / Germany", "position": 1},
    {"name": "Rettungsdienst und Feuerwehr / Ambulance and fire brigade", "kind": HelpService.Kind.EMERGENCY,
     "phone": "112", "description": "Notruf, kostenlos, Tag und Nacht / Emergency, free of charge, day and night",
     "region": "Europa / Europe", "position": 2},
    {"name": "Demo-Opferberatung Niedersachsen (Demo)", "kind": HelpService.Kind.VIOLENCE_COUNSELLING,
     "phone": "0800 000 0001", "web": "https://example.org/opferberatung", "languages": ["de", "en", "ar", "tr"],
     "region": "Niedersachsen", "description": "Fiktiver Eintrag für die Demo / A fictional entry for the demo"},
    {"name": "Demo-Antidiskriminierungsberatung (Demo)", "kind": HelpService.Kind.ANTI_DISCRIMINATION,
     "phone": "0800 000 0002", "web": "https://example.org/antidiskriminierung", "languages": ["de", "en", "fa"],
     "region": "Niedersachsen", "description": "Fiktiver Eintrag für die Demo / A fictional entry for the demo"},
    {"name": "Demo-Sorgentelefon (Demo)", "kind": HelpService.Kind.PHONE_COUNSELLING,
     "phone": "0800 000 0003", "languages": ["de", "uk", "ru"], "region": "bundesweit / nationwide",
     "description": "Fiktiver Eintrag für die Demo / A fictional entry for the demo"},
    {"name": "Demo-Kanzlei für Antidiskriminierungsrecht (Demo)", "kind": HelpService.Kind.LEGAL_ADVICE,
     "phone": "0800 000 0004", "languages": ["de", "en"], "region": "Niedersachsen", "referral_only": True,
     "description": "Fiktiver Eintrag, nur für Weitervermittlungen / A fictional entry, for referrals only"},
    {"name": "Demo-Traumaambulanz (Demo)", "kind": HelpService.Kind.PSYCHOLOGICAL,
     "phone": "0800 000 0005", "languages": ["de", "ar"], "region": "Hannover", "referral_only": True,
     "description": "Fiktiver Eintrag, nur für Weitervermittlungen / A fictional entry, for referrals only"},
)


def load_demo_help() -> None:
    if HelpService.objects.exists():
        return  # the coordinator's entries are never touched
    for entry in DEMO_HELP:
        help_service_save(actor=None, is_demo="(Demo)" in str(entry["name"]), **entry)


def demo_logins_path():  # type: ignore[no-untyped-def]
    return settings.LOCAL_DIR / "demo_logins.txt"


def load_demo() -> list[str]:
    """Create what is missing; returns the login lines to print (only for new accounts)."""
    lines: list[str] = []
    with transaction.atomic():
        for spec in DEMO_ORGS:
            if Organisation.objects.filter(slug=spec.slug).exists():
                continue
            regions = {d.ags: d.statistical_region for d in places.districts()}
            districts = [ags for ags, _name in places.districts_by_name() if regions[ags] in spec.regions]
            created = organisation_create(
                actor=None, slug=spec.slug, name=spec.name, statewide=not spec.regions, districts=districts,
                all_motives=not spec.motives, motives=spec.motives, languages=spec.languages,
                is_fallback=spec.fallback, is_demo=True,
                public_contact="demo@example.org",
            )
            for suffix, role in (("admin", Membership.Role.PARTNER_ADMIN), ("berater", Membership.Role.COUNSELLOR)):
                username = f"{spec.slug}-{suffix}"
                password = secrets.token_urlsafe(12)
                member_create(
                    actor=None, organisation=created.organisation, username=username, password=password,
                    email=f"{username}@example.org", role=role, org_private_key=created.private_key,
                )
                lines.append(f"{spec.name:45} {username:22} {password}")
            lines.append(f"{spec.name:45} recovery code: {created.recovery_code}")
        if not Membership.objects.filter(role=Membership.Role.COORDINATOR, user__username="demo-koordination").exists():
            password = secrets.token_urlsafe(12)
            member_create(
                actor=None, organisation=None, username="demo-koordination", password=password,
                email="koordination@example.org", role=Membership.Role.COORDINATOR,
            )
            lines.append(f"{'Koordinierungsstelle (Demo)':45} {'demo-koordination':22} {password}")
        load_demo_help()
    from stats.demo import load_demo_statistics

    load_demo_statistics()  # example statistics: two earlier years, published, marked as demo
    return lines
