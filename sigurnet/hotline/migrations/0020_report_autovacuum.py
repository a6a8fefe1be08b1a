"""Keep the visibility map of hotline_report current (PostgreSQL), for the queue's counts.

The counts beside the queue's filters are an index-only scan of ``report_queue_facets``. It
stays index-only only for heap pages marked all-visible, and every changed report clears its
page's mark until the next VACUUM. With PostgreSQL's defaults autovacuum comes after 20 % of
the rows changed (20,000 of 100,000 reports: weeks at a centre's pace), so the counts would
read most of the table again: measured, 5 % of the reports changed made 37 % of the index
entries need the table and the grouped count three times slower. Here autovacuum comes after
1 % (about 1,000 changed or new reports at 100,000); such a VACUUM skips the pages still marked
and takes well under a second. docs/performance.md says how to check it.
"""

from django.db import migrations

SET = """
ALTER TABLE hotline_report SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02
);
"""

RESET = """
ALTER TABLE hotline_report RESET (
    autovacuum_vacuum_scale_factor,
    autovacuum_vacuum_insert_scale_factor,
    autovacuum_analyze_scale_factor
);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SET, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESET, params=None)


class Migration(migrations.Migration):
    dependencies = [("hotline", "0019_queue_count_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
