"""Field-level encryption (AES-256-GCM) and blind indexes (keyed HMAC-SHA256).

Ciphertexts are stored as text: ``enc1:<key id>:<base64url(nonce || ciphertext || tag)>``.
The first key of ``SIGURNET_DATA_KEYS`` encrypts; every key in the list decrypts, so keys can be
rotated by putting a new key first and running ``python -m sigurnet reencrypt``. Blind indexes
use the separate ``SIGURNET_INDEX_KEY``: they must stay stable across data-key rotations.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value could not be decrypted: unknown key or tampered ciphertext."""


class UnknownKeyError(DecryptionError):
    """The value was sealed under a key that is no longer in ``SIGURNET_DATA_KEYS``.

    Typically a value that ``reencrypt`` did not reach before its key was removed (a browser
    session that came back later, or a backup restored under newer keys).
    """


@dataclass(frozen=True)
class DataKey:
    key_id: str
    aead: AESGCM


def _decode_key(text: str, setting: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{setting} holds a key that is not base64") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{setting} keys must be 32 bytes (256 bits), base64-encoded")
    return raw


def key_id_for(raw: bytes) -> str:
    return hashlib.sha256(b"sigurnet-key-id:" + raw).hexdigest()[:8]


@cache
def _keyring(keys: tuple[str, ...]) -> tuple[DataKey, ...]:
    if not keys:
        raise ImproperlyConfigured("SIGURNET_DATA_KEYS is empty")
    ring = []
    for text in keys:
        raw = _decode_key(text, "SIGURNET_DATA_KEYS")
        ring.append(DataKey(key_id=key_id_for(raw), aead=AESGCM(raw)))
    return tuple(ring)


def keyring() -> tuple[DataKey, ...]:
    return _keyring(tuple(settings.SIGURNET_DATA_KEYS))


def current_key_id() -> str:
    return keyring()[0].key_id


def encrypt(plaintext: str) -> str:
    key = keyring()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.aead.encrypt(nonce, plaintext.encode("utf-8"), None)
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{key.key_id}:{body}"


BYTES_MAGIC = b"SGE1"


def encrypt_bytes(data: bytes) -> bytes:
    """Encrypt a file's content: magic, key id, nonce, then ciphertext and tag."""
    key = keyring()[0]
    nonce = os.urandom(NONCE_BYTES)
    return BYTES_MAGIC + key.key_id.encode("ascii") + nonce + key.aead.encrypt(nonce, data, None)


def decrypt_bytes(blob: bytes) -> bytes:
    if not blob.startswith(BYTES_MAGIC):
        raise DecryptionError("not an encrypted file")
    key_id = blob[4:12].decode("ascii", "replace")
    nonce, sealed = blob[12 : 12 + NONCE_BYTES], blob[12 + NONCE_BYTES :]
    for key in keyring():
        if key.key_id == key_id:
            try:
                return key.aead.decrypt(nonce, sealed, None)
            except Exception as exc:
                raise DecryptionError("file was altered or is damaged") from exc
    raise UnknownKeyError(f"no key with id {key_id} in SIGURNET_DATA_KEYS")


def is_ciphertext(value: str) -> bool:
    return value.startswith(PREFIX + ":")


def key_id_of(ciphertext: str) -> str:
    return ciphertext.split(":", 2)[1]


def decrypt(ciphertext: str) -> str:
    try:
        prefix, key_id, body = ciphertext.split(":", 2)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    if prefix != PREFIX:
        raise DecryptionError("not an encrypted value")
    for key in keyring():
        if key.key_id == key_id:
            try:
                blob = base64.urlsafe_b64decode(body)
                opened = key.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], None)
            except Exception as exc:  # InvalidTag, bad padding: treated alike
                raise DecryptionError("ciphertext was altered or is damaged") from exc
            return opened.decode("utf-8")
    raise UnknownKeyError(f"no key with id {key_id} in SIGURNET_DATA_KEYS")


def check_keys() -> None:
    """Raise ImproperlyConfigured unless every configured key is well-formed."""
    keyring()
    _index_key(settings.SIGURNET_INDEX_KEY)


@cache
def _index_key(text: str) -> bytes:
    return _decode_key(text, "SIGURNET_INDEX_KEY")


def blind_index(value: str, purpose: str) -> str:
    """A keyed hash of ``value`` for equality look-ups on encrypted data.

    ``purpose`` separates domains (a URL and a receipt with the same text hash differently).
    Normalise ``value`` before calling; equal inputs give equal indexes, nothing else does.
    """
    key = _index_key(settings.SIGURNET_INDEX_KEY)
    message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
