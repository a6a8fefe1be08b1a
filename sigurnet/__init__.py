"""Sigurnet: a self-hostable platform for a national Safer Internet Centre."""

from sigurnet.celery import app as celery_app

__all__ = ["celery_app"]
