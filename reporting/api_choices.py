"""Public API twins of the reporter's choices (SPEC §5.1, §7): consent by purpose, the answer
to a public summary, the answer to the outcome question. Each carries the receipt code and is
throttled like every follow-up request (reporting.api_views._open)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from meldestelle.api import invalid
from meldestelle.errors import ApplicationError
from reporting.api_views import FOLLOWUP_ERRORS, PublicAPIView, ReceiptIn, _open
from reporting.models import Case, OutcomeQuestion
from reporting.services import ReporterAccess
from reporting.services.consent import (
    consent_set,
    outcome_answer,
    outcome_question_open,
    summaries_waiting,
    summary_answer,
    summary_text,
)


class ConsentOut(serializers.Serializer):
    contact = serializers.BooleanField()
    statistics = serializers.BooleanField()
    network = serializers.BooleanField()
    publication = serializers.BooleanField()


class SummaryOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class ChoicesOut(serializers.Serializer):
    consent = ConsentOut()
    summaries = SummaryOut(many=True, help_text="Summaries waiting for your approval or veto.")
    outcome_question = serializers.BooleanField(help_text="Whether a question waits for your answer.")
    outcome_answers = serializers.ListField(child=serializers.CharField())


def _choices(access: ReporterAccess) -> dict[str, Any]:
    case: Case = Case.objects.get(pk=access.case.pk)
    return {
        "consent": {"contact": case.consent_contact, "statistics": case.consent_statistics,
                    "network": case.consent_network, "publication": case.consent_publication},
        "summaries": [{"id": s.pk, "text": summary_text(summary=s, case_key=access.case_key)}
                      for s in summaries_waiting(case)],
        "outcome_question": outcome_question_open(case) is not None,
        "outcome_answers": list(OutcomeQuestion.Answer.values),
    }


class FollowupChoicesView(PublicAPIView):
    @extend_schema(operation_id="followup_choices", request=ReceiptIn,
                   responses={200: ChoicesOut, **FOLLOWUP_ERRORS},
                   description="Your consent by purpose, summaries and the question waiting for you.")
    def post(self, request: Request) -> Response:
        data, access = _open(request, ReceiptIn)
        return Response(_choices(access))


class ConsentIn(ReceiptIn):
    contact = serializers.BooleanField(help_text="The counselling service may contact me.")
    statistics = serializers.BooleanField(help_text="Count it in the anonymous statistics.")
    network = serializers.BooleanField(help_text="Pass an anonymised record to a monitoring network (RIAS).")
    publication = serializers.BooleanField(help_text="I may be asked to approve an anonymised public summary.")


class FollowupConsentView(PublicAPIView):
    @extend_schema(operation_id="followup_consent", request=ConsentIn,
                   responses={200: ChoicesOut, **FOLLOWUP_ERRORS},
                   description="Change your consent by purpose; a withdrawal applies to every later "
                   "release, export and publication.")
    def post(self, request: Request) -> Response:
        data, access = _open(request, ConsentIn)
        consent_set(case=access.case, contact=data["contact"], statistics=data["statistics"],
                    network=data["network"], publication=data["publication"])
        return Response(_choices(access))


class SummaryAnswerIn(ReceiptIn):
    summary = serializers.IntegerField()
    answer = serializers.ChoiceField(choices=["approve", "veto"])


class FollowupSummaryView(PublicAPIView):
    @extend_schema(operation_id="followup_summary", request=SummaryAnswerIn,
                   responses={200: ChoicesOut, **FOLLOWUP_ERRORS},
                   description="Approve (published) or veto (never published) a summary.")
    def post(self, request: Request) -> Response:
        data, access = _open(request, SummaryAnswerIn)
        try:
            summary_answer(case=access.case, case_key=access.case_key, summary_id=data["summary"],
                           approve=data["answer"] == "approve")
        except ApplicationError as exc:
            raise invalid({"summary": [exc.message]}) from exc
        return Response(_choices(access))


class OutcomeAnswerIn(ReceiptIn):
    answer = serializers.ChoiceField(choices=OutcomeQuestion.Answer.choices)


class FollowupOutcomeView(PublicAPIView):
    @extend_schema(operation_id="followup_outcome", request=OutcomeAnswerIn,
                   responses={200: ChoicesOut, **FOLLOWUP_ERRORS},
                   description="Answer whether you got what you needed (anonymous: counted only).")
    def post(self, request: Request) -> Response:
        data, access = _open(request, OutcomeAnswerIn)
        try:
            outcome_answer(case=access.case, answer=data["answer"])
        except ApplicationError as exc:
            raise invalid({"answer": [exc.message]}) from exc
        return Response(_choices(access))
