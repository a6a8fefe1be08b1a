"""Evidence files: type checked from content, image metadata stripped, stored encrypted."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from sigurnet.core import crypto

# A picture larger than this (in pixels) is refused rather than decoded: decompression bombs.
Image.MAX_IMAGE_PIXELS = 40_000_000

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


class EvidenceRejected(ValueError):
    """The file cannot be accepted; ``code`` says why ("too_big", "type", "damaged")."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str


def _sniff(head: bytes) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        return "image"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return "text"


def _strip_image(data: bytes) -> CleanFile:
    """Re-encode the picture from its pixels: EXIF, GPS position and comments are left behind."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or ""
                if fmt not in IMAGE_FORMATS:
                    raise EvidenceRejected("type", "unsupported picture format")
                image.load()
                clean = image.copy()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise EvidenceRejected("damaged", "the picture could not be read") from exc
    out = io.BytesIO()
    if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    clean.info = {}
    clean.save(out, format=fmt)
    return CleanFile(out.getvalue(), IMAGE_FORMATS[fmt])


def inspect(data: bytes) -> CleanFile:
    """Decide what the file really is (never by its name) and return a clean copy."""
    if len(data) > settings.SIGURNET_EVIDENCE_MAX_BYTES:
        raise EvidenceRejected("too_big", "the file is too big")
    if not data:
        raise EvidenceRejected("damaged", "the file is empty")
    kind = _sniff(data[:16])
    if kind == "image":
        return _strip_image(data)
    if kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            raise EvidenceRejected("damaged", "the PDF is incomplete")
        return CleanFile(data, "application/pdf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EvidenceRejected("type", "only pictures, PDF and text files") from exc
    if "\x00" in text or any(ord(ch) < 32 and ch not in "\t\r\n\f" for ch in text):
        raise EvidenceRejected("type", "only pictures, PDF and text files")
    return CleanFile(data, "text/plain")


def evidence_root() -> Path:
    root = Path(settings.SIGURNET_EVIDENCE_ROOT)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def write_encrypted(clean: CleanFile) -> str:
    """Store the file encrypted under a random name; return that name."""
    name = secrets.token_hex(20)
    path = evidence_root() / name
    tmp = path.with_suffix(".part")
    tmp.write_bytes(crypto.encrypt_bytes(clean.content))
    tmp.replace(path)
    return name


def read_decrypted(storage_name: str) -> bytes:
    return crypto.decrypt_bytes((evidence_root() / storage_name).read_bytes())


def reencrypt_files() -> tuple[int, int]:
    """Rewrite every evidence file under the newest data key; return (rewritten, current)."""
    current_id = crypto.current_key_id().encode("ascii")
    rewritten = current = 0
    root = evidence_root()
    for path in sorted(root.iterdir()):
        if not path.is_file() or path.suffix == ".part":
            continue
        blob = path.read_bytes()
        if blob[4:12] == current_id:
            current += 1
            continue
        tmp = path.with_suffix(".part")
        tmp.write_bytes(crypto.encrypt_bytes(crypto.decrypt_bytes(blob)))
        tmp.replace(path)
        rewritten += 1
    return rewritten, current
