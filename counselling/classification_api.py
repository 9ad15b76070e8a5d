"""`POST /api/v1/cases/{id}/classification/`: classify a case for the statistics (SPEC §6, §7)."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from counselling.access import get_case_for_action
from counselling.api_views import ERROR
from counselling.decorators import is_staff_session
from meldestelle.api import error_response
from reporting.taxonomy import AntisemitismForm, AreaOfLife, Channel, IncidentType, Motive
from stats.models import StatisticsRecord
from stats.selectors import record_for_case
from stats.services import ClassificationInvalid, classification_save, district_choices


class ClassificationInput(serializers.Serializer):
    """Shape and choices; the full rules (dates, forms only with antisemitism) are the
    service's, so page and API refuse the same input."""

    incident_type = serializers.ChoiceField(choices=IncidentType.choices)
    motives = serializers.ListField(child=serializers.ChoiceField(choices=Motive.choices), min_length=1)
    antisemitism_forms = serializers.ListField(
        child=serializers.ChoiceField(choices=AntisemitismForm.choices), required=False, default=list
    )
    area_of_life = serializers.ChoiceField(choices=AreaOfLife.choices)
    district = serializers.ChoiceField(choices=[])
    year = serializers.IntegerField()
    month = serializers.IntegerField(min_value=1, max_value=12)
    channel = serializers.ChoiceField(choices=Channel.choices)
    people_affected = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(serializers.ChoiceField, self.fields["district"]).choices = district_choices()


class ClassificationOutput(serializers.ModelSerializer):
    counts = serializers.BooleanField(source="incident.counts", read_only=True)

    class Meta:
        model = StatisticsRecord
        fields = [
            "incident_key", "year", "month", "district", "incident_type",
            "motives", "antisemitism_forms", "area_of_life", "channel", "people_affected",
            "counts", "classified_at",
        ]


class CaseClassificationView(APIView):
    @extend_schema(
        summary="Classify a case for the statistics",
        operation_id="case_classify",
        description=(
            "Writes or updates the incident's statistics record. A duplicate updates its "
            "original's record. Staff session with TOTP and CSRF token."
        ),
        request=ClassificationInput,
        responses={200: ClassificationOutput, 201: ClassificationOutput, 400: ERROR, 401: ERROR, 404: ERROR},
        tags=["cases"],
    )
    def post(self, request: Request, case_id: int) -> Response:
        if not is_staff_session(request._request):
            return error_response(
                "not_authenticated", _("Please log in."), http_status=status.HTTP_401_UNAUTHORIZED
            )
        case = get_case_for_action(request.user, case_id)
        serializer = ClassificationInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        existed = record_for_case(case) is not None
        try:
            record = classification_save(actor=request.user, case=case, data=serializer.validated_data)
        except ClassificationInvalid as exc:
            return error_response(
                "invalid", _("Some answers need another look."), http_status=400, fields=exc.fields
            )
        return Response(
            ClassificationOutput(record).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
