"""Encrypted fields, blind indexes and key rotation."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from sigurnet.core import crypto
from sigurnet.core.models import ContactPerson, Institution

MARKER_EMAIL = "marker-7f3a9@example.org"
MARKER_PHONE = "+381 11 7f3a9"


@pytest.fixture
def contact(db) -> ContactPerson:
    institution = Institution.objects.create(name="Test ustanova", kind="police", country="RS")
    return ContactPerson.objects.create(
        institution=institution, name="Ana Test", email=MARKER_EMAIL, phone=MARKER_PHONE
    )


def raw_columns(contact: ContactPerson) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, phone FROM core_contactperson WHERE id = %s", [contact.pk])
        return cursor.fetchone()


def test_raw_column_holds_no_plaintext(contact):
    email, phone = raw_columns(contact)
    for raw, plain in [(email, MARKER_EMAIL), (phone, MARKER_PHONE)]:
        assert raw.startswith("enc1:")
        assert "7f3a9" not in raw
        assert plain not in raw
    fresh = ContactPerson.objects.get(pk=contact.pk)
    assert (fresh.email, fresh.phone) == (MARKER_EMAIL, MARKER_PHONE)


def test_same_value_encrypts_differently_each_time():
    assert crypto.encrypt("same") != crypto.encrypt("same")


def test_tampered_ciphertext_is_refused():
    sealed = crypto.encrypt("secret")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


def test_filtering_on_encrypted_field_is_refused_not_silently_empty(contact):
    with pytest.raises(TypeError, match="blind index"):
        ContactPerson.objects.filter(email=MARKER_EMAIL).count()
    assert contact.institution.contacts.filter(email__isnull=False).count() == 1


def test_blind_index_matches_equal_values_only_and_separates_purposes():
    assert crypto.blind_index("http://example.com/b", "url") == crypto.blind_index(
        "http://example.com/b", "url"
    )
    assert crypto.blind_index("http://example.com/b", "url") != crypto.blind_index(
        "http://example.com/c", "url"
    )
    assert crypto.blind_index("x", "url") != crypto.blind_index("x", "receipt")


def test_reencrypt_moves_every_value_to_the_newest_key(contact, settings, tmp_path):
    # Its own evidence folder: the files it rewrites end under a key no later test knows.
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"
    old_first, old_second = settings.SIGURNET_DATA_KEYS
    # Rotate: a new key goes first; the old ones still decrypt.
    from sigurnet.config import new_data_key

    settings.SIGURNET_DATA_KEYS = [new_data_key(), old_first, old_second]
    new_id = crypto.current_key_id()
    assert crypto.key_id_of(raw_columns(contact)[0]) != new_id

    call_command("reencrypt", stdout=open("/dev/null", "w"))  # noqa: SIM115

    email, phone = raw_columns(contact)
    assert crypto.key_id_of(email) == new_id and crypto.key_id_of(phone) == new_id
    # With the old keys removed, the data is still readable.
    settings.SIGURNET_DATA_KEYS = settings.SIGURNET_DATA_KEYS[:1]
    fresh = ContactPerson.objects.get(pk=contact.pk)
    assert (fresh.email, fresh.phone) == (MARKER_EMAIL, MARKER_PHONE)


def test_value_under_an_unknown_key_is_an_error_not_garbage(contact, settings):
    from sigurnet.config import new_data_key

    settings.SIGURNET_DATA_KEYS = [new_data_key()]
    with pytest.raises(crypto.DecryptionError, match="no key"):
        ContactPerson.objects.get(pk=contact.pk)
