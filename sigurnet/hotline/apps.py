from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "sigurnet.hotline"
    label = "hotline"
    verbose_name = _("Hotline")

    def ready(self) -> None:
        from sigurnet.core.selectors import register_audit_labels
        from sigurnet.hotline.forwarding.hosting import HOSTING_ACTION_LABELS
        from sigurnet.hotline.triage.services import TRIAGE_ACTION_LABELS

        register_audit_labels(dict(TRIAGE_ACTION_LABELS))
        register_audit_labels(dict(HOSTING_ACTION_LABELS))
