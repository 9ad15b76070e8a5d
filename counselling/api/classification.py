"""`/api/v1/cases/{id}/classification/`: classify a case for the statistics (SPEC §6, §7).

GET returns what the classification page shows in its form: the values suggested by the
decrypted report, and the incident's current classification if it has one; POST saves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from counselling.access import get_case_for_action, key_required, request_case_keys
from counselling.decorators import is_staff_session
from counselling.views.classification import incident_record, suggestion_from_report
from meldestelle.api import ERROR
from meldestelle.errors import ApplicationError
from reporting.services import report_decrypt
from reporting.taxonomy import AntisemitismForm, AreaOfLife, Channel, IncidentType, Motive
from stats.models import StatisticsRecord
from stats.services import classification_save, district_choices


class ClassificationInput(serializers.Serializer):
    """The documented shape of a classification. Input is not validated here: the one set of
    rules is the service's (stats.services.classification_clean), for page and API alike."""

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
    targeted = serializers.BooleanField(required=False, allow_null=True, default=None,
                                        help_text="damage to property: targeted at people or institutions")
    assembly = serializers.BooleanField(required=False, default=False,
                                        help_text="offensive behaviour: at an assembly or demonstration")

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
            "targeted", "assembly", "counts", "classified_at",
        ]


class ClassificationSuggestion(serializers.Serializer):
    """Values suggested by the report; null (or an empty list) where the report gives no valid code."""

    incident_type = serializers.ChoiceField(choices=IncidentType.choices, allow_null=True)
    motives = serializers.ListField(child=serializers.ChoiceField(choices=Motive.choices))
    antisemitism_forms = serializers.ListField(child=serializers.ChoiceField(choices=AntisemitismForm.choices))
    area_of_life = serializers.ChoiceField(choices=AreaOfLife.choices, allow_null=True)
    district = serializers.ChoiceField(
        choices=[], allow_null=True, help_text="A district AGS key, `online` or `unknown`."
    )
    year = serializers.IntegerField(
        allow_null=True, help_text="Of the reported day or month; of the day received if the report has no date."
    )
    month = serializers.IntegerField(allow_null=True, min_value=1, max_value=12)
    channel = serializers.ChoiceField(choices=Channel.choices, allow_null=True)
    people_affected = serializers.IntegerField(allow_null=True, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(serializers.ChoiceField, self.fields["district"]).choices = district_choices()


class ClassificationProposal(serializers.Serializer):
    suggestion = ClassificationSuggestion()
    current = ClassificationOutput(
        allow_null=True, help_text="The incident's statistics record, null while it is unclassified."
    )


class CaseClassificationView(APIView):
    @extend_schema(
        summary="The classification suggested by the report",
        operation_id="case_classification_suggest",
        description=(
            "What the classification page prefills: the values suggested by the decrypted report "
            "(incident year and month from the reported date, the day received only when the "
            "report has none) and the incident's current classification, if any. Needs a staff "
            "session whose organisation key is unlocked."
        ),
        responses={200: ClassificationProposal, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=["cases"],
    )
    @key_required
    def get(self, request: Request, case_id: int) -> Response:
        if not is_staff_session(request._request):
            raise ApplicationError("not_authenticated", _("Please log in."))
        case = get_case_for_action(request.user, case_id)
        keys = request_case_keys(request, case)
        report = report_decrypt(case=case, case_key=keys.case_key)
        return Response(ClassificationProposal({
            "suggestion": suggestion_from_report(case, report), "current": incident_record(case),
        }).data)

    @extend_schema(
        summary="Classify a case for the statistics",
        operation_id="case_classify",
        description=(
            "Writes or updates the statistics record of the case's incident (duplicates share it). "
            "Staff session with TOTP and CSRF token."
        ),
        request=ClassificationInput,
        responses={200: ClassificationOutput, 201: ClassificationOutput, 400: ERROR, 401: ERROR, 404: ERROR},
        tags=["cases"],
    )
    def post(self, request: Request, case_id: int) -> Response:
        if not is_staff_session(request._request):
            raise ApplicationError("not_authenticated", _("Please log in."))
        case = get_case_for_action(request.user, case_id)
        if not isinstance(request.data, Mapping):
            raise ApplicationError("malformed", _("The request body must be a JSON object."))
        existed = incident_record(case) is not None
        record = classification_save(actor=request.user, case=case, data=request.data)
        return Response(
            ClassificationOutput(record).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
