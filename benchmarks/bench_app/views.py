"""The baseline for the submission benchmark: parse JSON, insert one row, answer 201.

It runs behind the same middleware, server and database as `POST /api/v1/reports/`, so the
difference between the two is what submitting a report costs on top of a plain write.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from benchmarks.bench_app.models import BenchRow


@csrf_exempt
@require_POST
def insert_one_row(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body or b"{}")
    with transaction.atomic():
        row = BenchRow.objects.create(payload=str(data.get("description", ""))[:200])
    return JsonResponse({"id": row.pk}, status=201)
