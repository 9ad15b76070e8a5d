"""The vocabulary of the data inventory: what a declaration says about a piece of stored data.

Every column of every model (``privacy.fields``), every session entry, cache key, queue payload
and cookie the project writes (``privacy.stores``) is declared once with

- its **kind** (``Kind``): ciphertext (and under which ``Key``), code, id, count, timestamp
  (with its ``Granularity``), operational secret, hash, …;
- its **category** (``Category``, in ``privacy.catalogue``), which says whose data it is, where
  it comes from, why it is kept, who may read it in plaintext and which ``Retention`` rule
  deletes it; a declaration may override the rule.

Who can read a value follows from the kind: a ciphertext is readable by the holders of its key,
anything else by the category's readers and always by the operator (who can read the database).
The documents in ``docs/privacy/`` are generated from these declarations (``privacy.documents``).
Texts are given in German and English (``Text``): the documents exist in both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True)
class Text:
    """A text in German (the authorities' language) and English."""

    de: str
    en: str

    def get(self, language: str) -> str:
        return self.de if language == "de" else self.en


T = Text


class Kind(Enum):
    """What a stored value is (its "class" in the inventory)."""

    CIPHERTEXT = "ciphertext"
    PUBLIC_KEY = "public_key"
    KEYED_HASH = "keyed_hash"
    HASH = "hash"
    MAC = "mac"
    CRYPTO_PARAMETER = "crypto_parameter"
    SECRET = "secret"  # noqa: S105 - a kind of data, not a password
    CODE = "code"
    ID = "id"
    COUNT = "count"
    TIMESTAMP = "timestamp"
    PERSONAL = "personal"
    CONFIG = "config"
    PUBLISHED = "published"
    CONTAINER = "container"
    DIAGNOSTIC = "diagnostic"

    @property
    def label(self) -> Text:
        return KIND_LABELS[self]

    @property
    def plaintext(self) -> bool:
        """Whether anyone who reads the storage reads the value itself."""
        return self is not Kind.CIPHERTEXT


KIND_LABELS: dict[Kind, Text] = {
    Kind.CIPHERTEXT: T("Chiffrat (verschlüsselt)", "ciphertext (encrypted)"),
    Kind.PUBLIC_KEY: T("öffentlicher Schlüssel", "public key"),
    Kind.KEYED_HASH: T("Hash mit Server-Schlüssel (HMAC)", "keyed hash (HMAC under a server key)"),
    Kind.HASH: T("Einweg-Hash", "one-way hash"),
    Kind.MAC: T("Integritäts-MAC / Prüfsumme", "integrity MAC / checksum"),
    Kind.CRYPTO_PARAMETER: T("kryptografischer Parameter (Salt, Version)", "crypto parameter (salt, version)"),
    Kind.SECRET: T("Betriebsgeheimnis im Klartext", "operational secret in plaintext"),
    Kind.CODE: T("Code aus fester Liste / Ja-Nein", "code from a fixed list / yes-no"),
    Kind.ID: T("Kennung / Verweis", "identifier / reference"),
    Kind.COUNT: T("Zahl", "count"),
    Kind.TIMESTAMP: T("Zeitpunkt", "timestamp"),
    Kind.PERSONAL: T("personenbezogenes Datum von Mitarbeitenden (Klartext)", "staff personal data (plaintext)"),
    Kind.CONFIG: T("Einstellung / Verzeichnisangabe", "setting / directory entry"),
    Kind.PUBLISHED: T("veröffentlicht", "published"),
    Kind.CONTAINER: T("Behälter (Einträge einzeln deklariert)", "container (entries declared one by one)"),
    Kind.DIAGNOSTIC: T("technische Fehlermeldung", "technical error text"),
}


class Granularity(Enum):
    """How precisely a timestamp is stored."""

    MICROSECOND = "microsecond"
    SECOND = "second"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"

    @property
    def label(self) -> Text:
        return GRANULARITY_LABELS[self]


GRANULARITY_LABELS: dict[Granularity, Text] = {
    Granularity.MICROSECOND: T("auf die Mikrosekunde", "to the microsecond"),
    Granularity.SECOND: T("auf die Sekunde", "to the second"),
    Granularity.HOUR: T("auf die Stunde", "to the hour"),
    Granularity.DAY: T("auf den Tag", "to the day"),
    Granularity.MONTH: T("auf den Monat", "to the month"),
    Granularity.YEAR: T("auf das Jahr", "to the year"),
}


class Role(Enum):
    """Who may read a value (SPEC §1), plus the running server and the public."""

    REPORTER = "reporter"
    MEMBER = "member"
    RECOVERY_SHEET = "recovery_sheet"
    COUNSELLOR = "counsellor"
    COPY_HOLDER = "copy_holder"
    PARTNER_ADMIN = "partner_admin"
    COORDINATOR = "coordinator"
    OPERATOR = "operator"
    SERVER = "server"
    PUBLIC = "public"

    @property
    def label(self) -> Text:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, Text] = {
    Role.REPORTER: T("meldende Person (mit Zugangscode)", "reporter (with the receipt code)"),
    Role.MEMBER: T("das Mitglied selbst (mit seinem Passwort)", "the member themself (with their password)"),
    Role.RECOVERY_SHEET: T("wer den gedruckten Wiederherstellungscode der Organisation hat",
                           "whoever holds the organisation's printed recovery code"),
    Role.COUNSELLOR: T("Beratende der zuständigen Organisation", "counsellors of the responsible organisation"),
    Role.COPY_HOLDER: T("Beratende einer Organisation, die nach Abgabe eine Kopie behielt",
                        "counsellors of an organisation that kept a copy after a transfer"),
    Role.PARTNER_ADMIN: T("Partner-Admin (eigene Organisation)", "partner admin (own organisation)"),
    Role.COORDINATOR: T("Landeskoordination", "state coordination"),
    Role.OPERATOR: T("Betrieb (Server, Datenbank, Sicherungen)", "operator (server, database, backups)"),
    Role.SERVER: T("die laufende Anwendung mit ihren Umgebungsgeheimnissen",
                   "the running application with its environment secrets"),
    Role.PUBLIC: T("Öffentlichkeit", "the public"),
}

# The order roles are listed in.
ROLE_ORDER = list(Role)


class Subject(Enum):
    """Whose data it is."""

    REPORTER = "reporter"
    STAFF = "staff"
    ORGANISATION = "organisation"
    NONE = "none"

    @property
    def label(self) -> Text:
        return SUBJECT_LABELS[self]


SUBJECT_LABELS: dict[Subject, Text] = {
    Subject.REPORTER: T("meldende Personen und in Meldungen genannte Personen",
                        "reporters and people named in reports"),
    Subject.STAFF: T("Mitarbeitende (Beratende, Admins, Koordination, Betrieb)",
                     "staff (counsellors, admins, coordination, operator)"),
    Subject.ORGANISATION: T("Partnerorganisationen (keine natürlichen Personen)",
                            "partner organisations (not natural persons)"),
    Subject.NONE: T("keine Person (anonym oder technisch)", "no person (anonymous or technical)"),
}


class Origin(Enum):
    """Where the data comes from."""

    REPORTER = "reporter"
    STAFF = "staff"
    SYSTEM = "system"

    @property
    def label(self) -> Text:
        return ORIGIN_LABELS[self]


ORIGIN_LABELS: dict[Origin, Text] = {
    Origin.REPORTER: T("von der meldenden Person (oder aus ihrer Meldung abgeleitet)",
                       "from the reporter (or derived from their report)"),
    Origin.STAFF: T("von Mitarbeitenden", "from staff"),
    Origin.SYSTEM: T("vom System erzeugt", "made by the system"),
}


@dataclass(frozen=True)
class Key:
    """A key of SPEC §3 (or a server secret) and who holds it."""

    name: Text
    holders: frozenset[Role]
    # How it is made and where it is kept, in plain words.
    explanation: Text
    # The setting that holds it, for server secrets from the environment.
    setting: str | None = None


@dataclass(frozen=True)
class Retention:
    """A deletion rule (a "Löschregel" in the sense of DIN 66398)."""

    name: Text
    # The event that starts the period ("Startzeitpunkt").
    trigger: Text
    # How long after the trigger ("Frist").
    period: Text
    # What deletes: dotted paths of the callables, "manage.py <command>" or "schedule:<name>";
    # each one is checked to exist (tests/privacy/test_inventory.py).
    mechanisms: tuple[str, ...] = ()
    # Tests that show the rule works ("tests/<file>.py::<test>"), checked to exist.
    evidence: tuple[str, ...] = ()
    # What the code does not do yet: listed as an open point in the deletion concept.
    gap: Text | None = None
    # What the organisation must decide itself (listed as a placeholder to complete).
    organisation_decides: Text | None = None


@dataclass(frozen=True)
class Activity:
    """A processing activity of the Art. 30 record."""

    name: Text
    purpose: Text
    # The legal basis as far as the system decides it; the organisation completes the rest.
    legal_basis: Text


@dataclass(frozen=True)
class Category:
    """A category of data: the unit of the Art. 30 record, the deletion concept and the notice."""

    name: Text
    description: Text
    activity: str
    subjects: frozenset[Subject]
    origin: Origin
    purpose: Text
    # Who reads plaintext values of this category (the operator always can: added by `readers`).
    readers: frozenset[Role]
    retention: str
    # May reveal special categories of personal data (GDPR Art. 9: ethnic origin, religion).
    special: bool = False

    @property
    def concerns_reporter(self) -> bool:
        """The reporters' privacy notice must mention it (templates/reporting/privacy.html)."""
        return self.origin is Origin.REPORTER or Subject.REPORTER in self.subjects


@dataclass(frozen=True)
class Field:
    """One column (or a session entry, cache key, …): declared once, in one line."""

    kind: Kind
    # The category; None: the model's category (``Model.category``).
    category: str | None = None
    # CIPHERTEXT: the key (``privacy.catalogue.KEYS``) it is encrypted under.
    key: str | None = None
    # TIMESTAMP: how precisely it is stored.
    granularity: Granularity | None = None
    # CIPHERTEXT / CONTAINER: further categories held inside the one value.
    contains: tuple[str, ...] = ()
    # A retention rule other than the category's.
    retention: str | None = None
    note: Text | None = None


@dataclass(frozen=True)
class Model:
    """The declarations of one model: its default category and one `Field` per column."""

    category: str
    fields: dict[str, Field] = field(default_factory=dict)
    note: Text | None = None


# Shorthands for the most common one-line declarations.
ID = Field(Kind.ID)
CODE = Field(Kind.CODE)
COUNT = Field(Kind.COUNT)
MOMENT = Field(Kind.TIMESTAMP, granularity=Granularity.MICROSECOND)
DAY = Field(Kind.TIMESTAMP, granularity=Granularity.DAY)


def ciphertext(key: str, *, contains: tuple[str, ...] = (), category: str | None = None,
               note: Text | None = None, retention: str | None = None) -> Field:
    return Field(Kind.CIPHERTEXT, key=key, contains=contains, category=category, note=note,
                 retention=retention)
