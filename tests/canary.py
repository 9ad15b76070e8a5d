"""Search everything at rest for markers: every column of every table, media, mail, cache, logs.

Also the canary journey itself (SPEC §9, issue 6), shared by the tests that check what it
leaves behind: tests/test_canary_journey.py (nothing anywhere) and
tests/privacy/test_inventory_journey.py (declared ciphertext holds no plaintext; everything
stored outside the models is declared).
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_q.models import Task

from reporting import abuse
from reporting.models import Attachment, Case, CaseGrant, Message, Note
from reporting.services import help_service_save
from stats.models import StatisticsRecord
from tests.helpers import PASSWORD, make_jpeg, make_pdf, totp_code


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def _variants(marker: str) -> list[bytes]:
    raw = marker.encode()
    # JSON escaping of non-ASCII and a base64 look-alike would also count as plaintext at rest.
    return [raw, marker.lower().encode(), marker.encode("unicode_escape")]


def markers_in(value: Any, markers: Iterable[str]) -> list[str]:
    """The markers a stored value holds in plaintext (also lower-cased or JSON-escaped)."""
    data = _as_bytes(value)
    return [marker for marker in markers if any(v and v in data for v in _variants(marker))]


def scan_database(markers: Iterable[str]) -> list[str]:
    """Every (table.column) whose any value contains a marker."""
    wanted = [(m, v) for m in markers for v in _variants(m)]
    hits: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    data = _as_bytes(value)
                    for marker, variant in wanted:
                        if variant and variant in data:
                            hits.append(f"{table}.{column}: {marker}")
    return sorted(set(hits))


def scan_tree(root: Path, markers: Iterable[str]) -> list[str]:
    hits = []
    if not root.exists():
        return hits
    wanted = [(m, v) for m in markers for v in _variants(m)]
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            name = str(path).encode()
            for marker, variant in wanted:
                if variant in data or variant in name:
                    hits.append(f"{path}: {marker}")
    return sorted(set(hits))


def scan_media(markers: Iterable[str]) -> list[str]:
    return scan_tree(Path(settings.MEDIA_ROOT), markers)


def scan_mail(markers: Iterable[str]) -> list[str]:
    from django.core import mail

    hits = []
    for message in getattr(mail, "outbox", []):
        text = str(message.message().as_bytes())
        for marker in markers:
            if marker in text or marker in str(message.body) or marker in str(message.subject):
                hits.append(f"mail to {message.to}: {marker}")
    return hits


def scan_cache(markers: Iterable[str]) -> list[str]:
    from django.core.cache import cache

    store = getattr(cache, "_cache", None)
    hits = []
    if isinstance(store, dict):
        for key, value in store.items():
            blob = _as_bytes(key) + _as_bytes(value)
            for marker in markers:
                if marker.encode() in blob:
                    hits.append(f"cache {key}: {marker}")
    return hits


def scan_text(text: str, markers: Iterable[str]) -> list[str]:
    return [marker for marker in markers if marker in text]


# --------------------------------------------------------------------------------------------
# The journey

CLASSIFICATION = {
    "incident_type": "threat", "motives": ["racism"], "antisemitism_forms": [],
    "area_of_life": "transport", "district": "online", "year": 2025, "month": 3,
    "channel": "online_form", "people_affected": 2,
}


def journey_markers() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10].upper()
    names = (
        "description", "place", "email", "phone", "notify", "filename", "pdfname", "author", "agent",
        "message", "reply", "note", "staffagent",
        "contact", "intervention", "justice", "deadline", "referral", "wishes", "summary",
    )
    marked = {name: f"CANARYJOURNEY{name.upper()}{tag}" for name in names}
    marked["phone"] = "0511 " + "".join(random.choice("0123456789") for _ in range(9))
    octet = random.randint(10, 250)
    marked["address"] = f"198.51.100.{octet}"
    marked["forwarded"] = f"203.0.113.{octet}"
    marked["staffaddress"] = f"192.0.2.{octet}"
    marked["day"] = "2019-07-13"  # the day of the incident (only the classified month may stay)
    return marked


def report_form(**fields: Any) -> dict[str, Any]:
    """A complete, valid submission of the report page (as tests/reporting/conftest.form_data)."""
    return {
        "form_ts": abuse.form_timestamp(time.time() - 60), "challenge": "", "nonce": "", "homepage": "",
        "incident_type": "offensive_behaviour", "district": "03241", "area_of_life": "transport",
        "motives": ["racism", "xenophobia"], "role": "affected", "consent": "on", **fields,
    }


def staff_login(member: Any, marked: dict[str, str]) -> Client:
    """Log in through the staff API with password and TOTP; CSRF enforced as in a browser."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en",
                    REMOTE_ADDR=marked["staffaddress"], HTTP_USER_AGENT=marked["staffagent"])
    user = member.membership.user
    response = client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD,
                                                   "otp": totp_code(user)}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["key_access"] is True
    client.defaults["HTTP_X_CSRFTOKEN"] = response.json()["csrf_token"]
    return client


def post_json(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


def decoded_sessions() -> str:
    """The session store decoded: its rows are signed, compressed base64 a plain scan cannot read."""
    assert "django_session" in connection.introspection.table_names()
    sessions = list(Session.objects.all())
    return "\n".join(repr(session.get_decoded()) for session in sessions)


def decoded_tasks() -> str:
    """django-q's task records: arguments and results are pickled, so decode them."""
    return "\n".join(
        f"{task.func} {task.args!r} {task.kwargs!r} {task.result!r}" for task in Task.objects.all()
    )


@dataclass
class Journey:
    marked: dict[str, str]
    code: str
    case_id: int
    reference: str
    reporter: Client
    staff: list[Client]

    @property
    def markers(self) -> list[str]:
        """Every marker, the client addresses and the receipt code in the forms it is typed in."""
        return [*self.marked.values(), self.code, self.code.replace("-", ""), self.code.lower()]


def journey_until_deletion(make_org: Any, make_member: Any, on_commit: Callable[..., Any]) -> Journey:
    """The whole life of a report up to its deletion, every field and file holding a marker.

    The report goes in through the HTML page, from a marked client address and user agent; the
    reporter writes through the follow-up API; a counsellor logs in with TOTP, reads the case,
    replies, writes an internal note, downloads the file and transfers the case; the receiving
    organisation's counsellor reads and classifies it; the reporter reads the reply.
    `on_commit` is pytest-django's ``django_capture_on_commit_callbacks``.
    """
    home = make_org("home", is_fallback=True)
    other = make_org("other", statewide=False, districts=["03403"])
    counsellor = make_member(home, username="counsellor")
    receiver = make_member(other, username="receiver")
    marked = journey_markers()
    reporter = Client(HTTP_ACCEPT_LANGUAGE="de", REMOTE_ADDR=marked["address"],
                      HTTP_X_FORWARDED_FOR=marked["forwarded"], HTTP_USER_AGENT=marked["agent"])
    jpeg = make_jpeg(gps=True)

    # 1. The report, through the HTML page.
    with on_commit(execute=True):
        assert reporter.get("/de/report/").status_code == 200
        response = reporter.post("/de/report/", report_form(
            description=f"Es geschah: {marked['description']}",
            date_known="day", occurred_on=marked["day"],
            place_details=marked["place"],
            contact="email", contact_email=f"{marked['email']}@example.org",
            contact_phone=marked["phone"],  # dropped with contact=email; must not stay either
            notify_email=f"{marked['notify']}@example.org",
            people_affected="3",
            files=[
                SimpleUploadedFile(f"{marked['filename']}.jpg", jpeg, "image/jpeg"),
                SimpleUploadedFile(f"{marked['pdfname']}.pdf", make_pdf(author=marked["author"]),
                                   "application/pdf"),
            ],
        ))
    assert response.status_code == 200, response.content[:2000]
    found = re.search(rb'data-code="([0-9A-Z-]+)"', response.content)
    assert found is not None
    code = found.group(1).decode()
    case = Case.objects.get()
    assert case.organisation == home.organisation
    assert case.attachments.count() == 2

    # 2. The reporter writes through the follow-up page (post/redirect/get: the code waits,
    #    encrypted, for the page after it) and reads that page.
    with on_commit(execute=True):
        response = reporter.post("/de/followup/reply/", {"receipt": code, "body": marked["message"]}, follow=True)
    assert response.redirect_chain[0][1] == 303 and response.status_code == 200, response.content[:300]
    assert marked["message"] in response.content.decode()

    # 3. A counsellor logs in (password + TOTP), reads, replies, notes, downloads, transfers.
    staff = staff_login(counsellor, marked)
    listing = staff.get("/api/v1/cases/")
    assert listing.status_code == 200
    detail = staff.get(f"/api/v1/cases/{case.pk}/")
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert marked["description"] in body["report"]["description"]
    assert body["report"]["place_details"] == marked["place"]
    assert [m["text"] for m in body["messages"]] == [marked["message"]]
    names = {a["name"]: a["uuid"] for a in body["attachments"]}
    assert set(names) == {f"{marked['filename']}.jpg", f"{marked['pdfname']}.pdf"}
    with on_commit(execute=True):
        assert post_json(staff, f"/api/v1/cases/{case.pk}/messages/", {"body": marked["reply"]}).status_code == 201
        assert post_json(staff, f"/api/v1/cases/{case.pk}/notes/", {"body": marked["note"]}).status_code == 201
    download = staff.get(f"/staff/cases/{case.pk}/files/{names[marked['pdfname'] + '.pdf']}/")
    assert download.status_code == 200
    pdf = b"".join(download.streaming_content)
    assert pdf.startswith(b"%PDF") and marked["author"].encode() not in pdf  # metadata removed
    with on_commit(execute=True):
        response = post_json(staff, f"/api/v1/cases/{case.pk}/transfer/", {"organisation": "other"})
    assert response.status_code == 200, response.content
    assert list(CaseGrant.objects.values_list("organisation__slug", flat=True)) == ["other"]
    assert staff.get(f"/api/v1/cases/{case.pk}/").status_code == 404

    # 4. The receiving organisation's counsellor reads and classifies the case.
    staff2 = staff_login(receiver, marked)
    body = staff2.get(f"/api/v1/cases/{case.pk}/").json()
    assert [n["text"] for n in body["notes"]] == [marked["note"]]
    assert [m["text"] for m in body["messages"]] == [marked["message"], marked["reply"]]
    response = post_json(staff2, f"/api/v1/cases/{case.pk}/classification/", CLASSIFICATION)
    assert response.status_code == 201, response.content

    # 4b. The counselling work (SPEC §5.1), every text holding a marker; the reporter agrees
    # to a public summary, which then waits for their answer (never approved here: a published
    # summary is public text on purpose).
    legal_aid = help_service_save(actor=None, name="Legal aid (Demo)", kind="legal_advice", referral_only=True)
    response = post_json(reporter, "/api/v1/followup/consent/", {
        "receipt": code, "contact": True, "statistics": True, "network": True, "publication": True})
    assert response.status_code == 200, response.content
    with on_commit(execute=True):
        for path, payload in (
            ("contacts", {"mode": "phone", "duration_minutes": 30, "who": marked["contact"],
                          "note": marked["contact"]}),
            ("interventions", {"code": "complaint_letter", "note": marked["intervention"]}),
            ("justice", {"reported_to_police": "yes", "politically_motivated": "unknown",
                         "proceedings": "investigation", "outcome": "pending", "note": marked["justice"]}),
            ("deadlines", {"kind": "agg_claim", "due_on": "2099-01-31", "label": marked["deadline"]}),
            ("referrals", {"service": legal_aid.pk, "reason": "legal", "note": marked["referral"]}),
            ("summary", {"text": marked["summary"]}),
            ("close", {"outcome": "partly_resolved", "wishes": marked["wishes"]}),
        ):
            response = post_json(staff2, f"/api/v1/cases/{case.pk}/{path}/", payload)
            assert response.status_code in (200, 201), (path, response.content)
    work = staff2.get(f"/api/v1/cases/{case.pk}/casework/").json()
    assert work["contacts"][0]["who"] == marked["contact"] and work["outcome"]["wishes"] == marked["wishes"]

    # 5. The reporter reads the reply.
    response = post_json(reporter, "/api/v1/followup/", {"receipt": code})
    assert [m["body"] for m in response.json()["messages"]] == [marked["message"], marked["reply"]]
    return Journey(marked=marked, code=code, case_id=case.pk, reference=case.reference,
                   reporter=reporter, staff=[staff, staff2])


def journey_deletion(journey: Journey, on_commit: Callable[..., Any]) -> None:
    """The end of the journey: the reporter deletes the report; only its statistics record stays."""
    with on_commit(execute=True):
        response = journey.reporter.post("/de/followup/delete/", {"receipt": journey.code, "confirm": "yes"})
    assert response.status_code == 200
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert not Message.objects.exists() and not Note.objects.exists() and not CaseGrant.objects.exists()
    assert StatisticsRecord.objects.count() == 1  # the classified record, without content, stays
