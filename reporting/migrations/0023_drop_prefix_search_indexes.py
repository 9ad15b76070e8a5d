"""PostgreSQL: drop the prefix-search copies of five unique indexes (issue 16).

For a unique or indexed text column Django adds, on PostgreSQL, a second index with
`varchar_pattern_ops`, which only a `LIKE 'prefix%'` query uses. Nothing here searches case
references, receipt look-ups, seal bindings, audit hashes or rate-limit keys by prefix (they
are found by equality, which the unique index serves), and every report paid for writing them.
Django drops such an index with IF EXISTS when it alters the column later, so leaving them out
is safe for later migrations. SQLite never had them.
"""

from django.db import migrations

PREFIX_INDEXES = [
    ("reporting_case", "reference"),
    ("reporting_case", "receipt_lookup"),
    ("reporting_case", "seal_binding"),
    ("reporting_auditentry", "entry_hash"),
    ("reporting_ratecounter", "key"),
]


def _names(cursor, table, column):
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s "
        "AND indexdef LIKE %s",
        [table, f"{table}_{column}_%_like", "%varchar_pattern_ops%"],
    )
    return [row[0] for row in cursor.fetchall()]


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table, column in PREFIX_INDEXES:
            for name in _names(cursor, table, column):
                schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table, column in PREFIX_INDEXES:
        name = schema_editor._create_index_name(table, [column], suffix="_like")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote(column)} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0022_case_stamps_and_pending_notice"),
    ]

    operations = [migrations.RunPython(drop, restore)]
