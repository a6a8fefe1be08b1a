# The figures page (hotline/figures.py): each report keeps its newest assessment's outcome and
# the time of its first assessment (filled here from the assessments; ``triage.services.assess``
# writes them from now on), an index that holds every column the figures count by, and
# ``DeletedReportFacts``, the anonymous facts retention keeps of the reports it deletes.
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def fill_from_assessments(apps, schema_editor):
    Report = apps.get_model("hotline", "Report")
    Assessment = apps.get_model("hotline", "Assessment")
    of_report = Assessment.objects.filter(report=OuterRef("pk"))
    # QuerySet.update leaves updated_at alone: retention counts from the last real change.
    Report.objects.filter(Exists(of_report)).update(
        outcome=Subquery(of_report.order_by("-created_at", "-id").values("outcome")[:1]),
        first_assessed_at=Subquery(of_report.order_by("created_at", "id").values("created_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0014_dispatches"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="outcome",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="report",
            name="first_assessed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill_from_assessments, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(
                fields=["received_at", "category", "channel", "outcome", "first_assessed_at"],
                name="report_figures",
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(
                condition=models.Q(("category", "csam"), ("outcome", "actionable")),
                fields=["received_at", "id"],
                name="report_actionable_csam",
            ),
        ),
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(
                condition=models.Q(("confirmed_at__isnull", False), ("needs_confirmation", True)),
                fields=["report", "created_at", "id", "confirmed_at"],
                name="assessment_confirmed",
            ),
        ),
        migrations.CreateModel(
            name="DeletedReportFacts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("received_on", models.DateField()),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("web", "Web form"),
                            ("email", "E-mail"),
                            ("api", "API"),
                            ("phone", "Phone"),
                            ("partner", "Partner"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("csam", "Sexual abuse of a child (pictures or videos)"),
                            ("grooming", "An adult trying to get close to a child sexually"),
                            ("sextortion", "Threats to share sexual pictures"),
                            ("ncii", "Intimate pictures shared without permission"),
                            ("cyberbullying", "Bullying online"),
                            ("hate_speech", "Hate speech"),
                            ("violent_content", "Violent or shocking content"),
                            ("phishing_fraud", "Phishing or fraud"),
                            ("impersonation", "Fake or stolen account"),
                            ("other", "Something else"),
                        ],
                        max_length=32,
                    ),
                ),
                ("outcome", models.CharField(blank=True, max_length=20)),
                ("assessment_delay", models.DurationField(blank=True, null=True)),
                ("confirmation_delay", models.DurationField(blank=True, null=True)),
                ("deleted_on", models.DateField()),
            ],
            options={
                "verbose_name": "deleted report's figures",
                "verbose_name_plural": "deleted reports' figures",
                "indexes": [
                    models.Index(
                        fields=["received_on", "category", "channel", "outcome"],
                        name="deleted_report_facts",
                    )
                ],
            },
        ),
    ]
