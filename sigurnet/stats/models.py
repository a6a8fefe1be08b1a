"""The statistics app keeps no data of its own: each pillar's figures are selectors over that
pillar's data (``hotline.figures``). It declares the permissions of the figures pages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Figures(models.Model):
    """No table: the holder of the figures pages' permissions (``core.roles`` gives them)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_hotline_figures", _("Can view the hotline's figures"))]
        verbose_name = _("figures")
        verbose_name_plural = _("figures")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
