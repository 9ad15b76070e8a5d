"""The staff API (SPEC §7): `views` (login, cases and their actions), `classification` (a case's
statistics classification), wired in `urls`. Errors are meldestelle.api's one error body."""
