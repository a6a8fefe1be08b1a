"""Reviewer wellness: nothing moves on an analyst's screen unasked. The hotline accepts no video,
and an animated picture (GIF, WebP) is kept as its first frame only, so nothing can play, with or
without sound, when an analyst reveals it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sigurnet.hotline.evidence import inspect


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format=fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert getattr(check, "n_frames", 1) == 3  # the sample really is animated
    return data


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animated_picture_is_kept_as_one_still_frame(fmt):
    clean = inspect(_animated(fmt))

    with Image.open(io.BytesIO(clean.content)) as kept:
        assert kept.format == fmt
        assert getattr(kept, "n_frames", 1) == 1
        assert not getattr(kept, "is_animated", False)
        red, green, blue = kept.convert("RGB").getpixel((5, 5))
        assert red > 200 and green < 60 and blue < 60  # the first frame
