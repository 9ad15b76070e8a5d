"""System checks of the case core that need the outside world, run by `manage.py check --deploy`
(and before the web and task units start, deploy/*.service)."""

from __future__ import annotations

from typing import Any

from django.core import checks


@checks.register(checks.Tags.files, deploy=True)
def attachment_store_reachable(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The attachment store answers and the bucket exists: otherwise no report with a file
    could be stored, and it is better to know at start-up than from a reporter's 503."""
    from reporting.blobs import storage_problem, uses_s3

    problem = storage_problem()
    if problem is None:
        return []
    return [
        checks.Error(
            f"Attachments cannot be stored: {problem}.",
            hint="Check S3_ENDPOINT_URL, S3_BUCKET and the credentials (docs/deployment.md, "
            "'Attachments on S3'); the bucket is not created by the application."
            if uses_s3() else "Check MEDIA_ROOT and its owner.",
            id="meldestelle.E020",
        )
    ]
