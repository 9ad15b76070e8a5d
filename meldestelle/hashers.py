"""Django password hasher on Argon2id from `cryptography` (the project's one crypto library)."""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare

from reporting import crypto

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Argon2idHasher(BasePasswordHasher):
    algorithm = "argon2id_c"
    time_cost = 3
    memory_kib = 64 * 1024
    lanes = 4

    def salt(self) -> str:
        return base64.b64encode(secrets.token_bytes(16)).decode().rstrip("=")

    def _derive(self, password: str, salt: str, t: int, m: int, p: int) -> str:
        raw = crypto.password_kek(
            password, salt.encode(), crypto.Argon2Params(time_cost=t, memory_kib=m, lanes=p)
        )
        return base64.b64encode(raw).decode().rstrip("=")

    def encode(self, password: str, salt: str) -> str:
        # django-stubs omit BasePasswordHasher._check_encode_args (present in Django 5.2).
        self._check_encode_args(password, salt)  # type: ignore[attr-defined]
        t, m, p = self.time_cost, self.memory_kib, self.lanes
        return f"{self.algorithm}${t}${m}${p}${salt}${self._derive(password, salt, t, m, p)}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, t, m, p, salt, digest = encoded.split("$", 5)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "t": int(t), "m": int(m), "p": int(p), "salt": salt, "hash": digest}

    def verify(self, password: str, encoded: str) -> bool:
        d = self.decode(encoded)
        return constant_time_compare(self._derive(password, d["salt"], d["t"], d["m"], d["p"]), d["hash"])

    def safe_summary(self, encoded: str) -> dict[StrOrPromise, Any]:
        d = self.decode(encoded)
        return {"algorithm": d["algorithm"], "salt": mask_hash(d["salt"]), "hash": mask_hash(d["hash"])}

    def must_update(self, encoded: str) -> bool:
        d = self.decode(encoded)
        return (d["t"], d["m"], d["p"]) != (self.time_cost, self.memory_kib, self.lanes)

    def harden_runtime(self, password: str, encoded: str) -> None:
        return None


class FastTestHasher(Argon2idHasher):
    """Cheap parameters for the test suite only."""

    algorithm = "argon2id_test"
    time_cost = 1
    memory_kib = 1024
    lanes = 1
