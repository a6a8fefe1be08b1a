"""Evidence files: type checked from content, image metadata stripped, stored encrypted."""

from __future__ import annotations

import io
import secrets
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from sigurnet.core import crypto

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}

# Bytes of memory a decoded picture takes per pixel, about: 4 for most (Pillow keeps RGB as
# four bytes), but Pillow's WebP decoder and libwebp's encoder hold three or four more copies.
# So WebP pictures get a quarter of the pixel limit, and every format stays under about the
# same memory (measured in tests/hotline/test_limits.py).
WEBP_PIXEL_SHARE = 4
# A baseline JPEG (what cameras and phones write) of up to four times the limit is decoded at half
# its width and height: libjpeg scales while it decodes, so the memory is that of the smaller
# picture. A progressive JPEG is not: libjpeg keeps all its coefficients (about 3 bytes a pixel of
# the full picture) whatever the scale.
JPEG_HALF_SIZE_SHARE = 4

# Pillow's own check for decompression bombs (in ``Image.open``, for any code in the process) lets
# through the largest picture we may decode (a baseline JPEG at half size); ``_strip_image``
# checks each picture's size from its header before decoding it.
Image.MAX_IMAGE_PIXELS = JPEG_HALF_SIZE_SHARE * settings.SIGURNET_IMAGE_MAX_PIXELS

# What the reporter reads for the refusals that are not about the file itself.
MESSAGES = {
    "pixels": _(
        "This picture is too large for us to open. Send a smaller copy or a screenshot of it."
    ),
    "busy": _("Many pictures are being checked right now. Please try again in a minute."),
    "client_limit": _(
        "You have sent many files in a short time. Please wait an hour, or send the report "
        "without a file."
    ),
    "draft_count": _("You cannot add more files to this report. Send it as it is."),
    "draft_size": _(
        "The files of this report are too big together. Send it as it is, without this file."
    ),
}


class EvidenceRejected(ValueError):
    """The file cannot be accepted; ``code`` says why: "too_big", "type", "damaged", or one of
    ``MESSAGES`` ("pixels", "busy", and the upload limits of ``services.store_upload``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def message_for(code: str) -> str | None:
    """The reporter's message for a refusal in ``MESSAGES``, in the active language."""
    message = MESSAGES.get(code)
    return str(message) if message is not None else None


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


_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


def decode_slots() -> threading.BoundedSemaphore:
    """The process's permits to decode a picture: ``SIGURNET_IMAGE_DECODES_AT_ONCE``."""
    global _slots
    if _slots is None:
        with _slots_lock:
            if _slots is None:
                _slots = threading.BoundedSemaphore(max(1, settings.SIGURNET_IMAGE_DECODES_AT_ONCE))
    return _slots


def max_pixels(fmt: str) -> int:
    limit: int = settings.SIGURNET_IMAGE_MAX_PIXELS
    return limit // WEBP_PIXEL_SHARE if fmt == "WEBP" else limit


def _strip_image(data: bytes) -> CleanFile:
    """Re-encode the picture from its pixels: EXIF, GPS position and comments are left behind.

    Memory is bounded twice: a picture whose header announces more than ``max_pixels`` is
    refused before it is decoded, and at most ``SIGURNET_IMAGE_DECODES_AT_ONCE`` pictures are
    decoded at once in a process; the others wait up to ``SIGURNET_IMAGE_DECODE_WAIT_SECONDS``,
    then are refused with "busy" (try again).
    """
    slots = decode_slots()
    if not slots.acquire(timeout=settings.SIGURNET_IMAGE_DECODE_WAIT_SECONDS):
        raise EvidenceRejected("busy", "too many pictures are being decoded at once")
    try:
        return _reencode(data)
    finally:
        slots.release()


def _reencode(data: bytes) -> CleanFile:
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                size = probe.size
                if fmt not in IMAGE_FORMATS:
                    raise EvidenceRejected("type", "unsupported picture format")
                pixels = size[0] * size[1]
                halve = (
                    fmt == "JPEG"
                    and pixels > max_pixels(fmt)
                    and pixels <= JPEG_HALF_SIZE_SHARE * max_pixels(fmt)
                    and not probe.info.get("progressive")
                    and not probe.info.get("progression")
                )
                if pixels > max_pixels(fmt) and not halve:
                    raise EvidenceRejected("pixels", "the picture has too many pixels")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.format != fmt or image.size != size:
                    raise EvidenceRejected("damaged", "the picture changed between reads")
                if halve:
                    image.draft(image.mode, (size[0] // 2, size[1] // 2))
                    if image.size[0] * image.size[1] > max_pixels(fmt):
                        raise EvidenceRejected("pixels", "the picture has too many pixels")
                image.load()
                # No copy: one decoded picture at a time in memory (a JPEG in CMYK or another
                # mode is converted, which is the one copy made).
                clean: Image.Image = image
                if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                    clean = image.convert("RGB")
                clean.info = {}
                out = io.BytesIO()
                # Without save_all: an animated GIF or WebP keeps its first frame only, so
                # nothing moves or plays when an analyst reveals it (reviewer wellness).
                clean.save(out, format=fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise EvidenceRejected("pixels", "the picture has too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise EvidenceRejected("damaged", "the picture could not be read") from exc
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
