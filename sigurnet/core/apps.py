from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sigurnet.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from sigurnet.core import checks, crypto, signals  # noqa: F401 - checks registers itself

        signals.connect()
        # Fail at start-up, not at the first encrypted read, when a key is malformed.
        crypto.check_keys()
