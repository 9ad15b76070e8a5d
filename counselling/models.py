"""Staff: members of partner organisations and the state coordinator, with their key wraps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reporting.models import Organisation


class Membership(models.Model):
    class Role(models.TextChoices):
        COUNSELLOR = "counsellor", _("Counsellor")
        PARTNER_ADMIN = "partner_admin", _("Partner admin")
        COORDINATOR = "coordinator", _("Coordinator")

    class Notify(models.TextChoices):
        IMMEDIATE = "immediate", _("An e-mail for each new report, message and transfer")
        DIGEST = "digest", _("One summary e-mail a day")
        NONE = "none", _("No e-mails")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COUNSELLOR)
    # Content-free e-mail notices: one per event, a daily digest, or none (counselling.notifications).
    notify = models.CharField(max_length=10, choices=Notify.choices, default=Notify.IMMEDIATE)
    # End of the window the member's last daily digest covered (None: no digest yet).
    last_digest_at = models.DateTimeField(null=True, blank=True)
    # Per-member keypair: lets an admin grant the organisation key without knowing the
    # member's password (sealed to `member_public_key`, opened at the member's next login).
    kek_salt = models.BinaryField(null=True, blank=True)
    member_public_key = models.BinaryField(null=True, blank=True)
    # MAC under KEY_AUTH_KEY over the membership id and the key (crypto.public_key_mac):
    # nothing is sealed to a member key without it.
    member_public_key_mac = models.CharField(max_length=64, blank=True, default="")
    # Member private key under Argon2id(password, kek_salt). Who can decrypt: the member.
    wrapped_member_key = models.BinaryField(null=True, blank=True)
    # Organisation private key under Argon2id(password, kek_salt). Who can decrypt: the member.
    wrapped_org_key = models.BinaryField(null=True, blank=True)
    org_key_version = models.PositiveIntegerField(null=True, blank=True)
    # Organisation private key HPKE-sealed to the member key, waiting for the next login.
    pending_org_key = models.BinaryField(null=True, blank=True)
    pending_key_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_coordinator(self) -> bool:
        return self.role == self.Role.COORDINATOR

    @property
    def is_partner_admin(self) -> bool:
        return self.role == self.Role.PARTNER_ADMIN

    @property
    def has_key_access(self) -> bool:
        return bool(self.wrapped_org_key) or bool(self.pending_org_key)
