"""Settings for the test suite: the real settings, with fixed test keys.

DATABASE_URL decides the database (CI points it at PostgreSQL); without it, SQLite in memory.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
# Two keys: the first encrypts, both decrypt (rotation is tested with these).
os.environ.setdefault(
    "SIGURNET_DATA_KEYS",
    "dGVzdC1kYXRhLWtleS1udW1iZXItb25lLTMyYnl0ZXM=,dGVzdC1kYXRhLWtleS1udW1iZXItdHdvLTMyYnl0ZXM=",
)
os.environ.setdefault("SIGURNET_INDEX_KEY", "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtb2s=")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# Never the system resolver in tests: hosting look-ups fail at once unless a test points them
# at its own DNS server on loopback (tests/hotline/test_hosting_lookup.py).
os.environ.setdefault("SIGURNET_DNS_RESOLVERS", "off")
# Evidence files of one test run in a folder of its own, never the checkout's var/evidence: a
# key-rotation test leaves files under a key that the next run does not know.
os.environ.setdefault("SIGURNET_EVIDENCE_ROOT", tempfile.mkdtemp(prefix="sigurnet-test-evidence-"))

from sigurnet.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = ""
