"""The skill's store icon, drawn from a small vector design: a calm spine with a pulse beside it.

Amazon wants a 108x108 and a 512x512 PNG per locale. Keeping the design as shapes on a 0..1
canvas (instead of committed bitmaps) means one source for both sizes and no binary files to
review; each size is drawn at four times its size and scaled down, which antialiases the edges.
The art stays inside the middle circle, as the Alexa app may crop icons round; no text, since
at 108 px it would be unreadable.
"""
from __future__ import annotations

from io import BytesIO

from PIL import Image, ImageDraw

SUPERSAMPLE = 4
BACKGROUND = (18, 71, 90)  # deep teal
BONE = (246, 241, 231)  # warm white: high contrast on the teal
PULSE = (244, 185, 66)  # amber: the twitch

# Vertebrae top to bottom as (centre x, centre y, width, height), along a gentle S-curve.
VERTEBRAE = (
    (0.355, 0.215, 0.150, 0.075),
    (0.340, 0.315, 0.170, 0.080),
    (0.335, 0.420, 0.185, 0.085),
    (0.345, 0.530, 0.200, 0.090),
    (0.365, 0.645, 0.210, 0.095),
    (0.385, 0.765, 0.215, 0.095),
)
# A short pulse to the right of the middle vertebra: flat, a beat, flat.
PULSE_LINE = ((0.50, 0.475), (0.57, 0.475), (0.61, 0.395), (0.66, 0.56), (0.70, 0.475), (0.77, 0.475))
PULSE_WIDTH = 0.032


def draw_icon(size: int) -> Image.Image:
    """The icon at `size` x `size` pixels (RGB, no transparency)."""
    canvas = size * SUPERSAMPLE
    image = Image.new("RGB", (canvas, canvas), BACKGROUND)
    draw = ImageDraw.Draw(image)

    def px(value: float) -> int:
        return round(value * canvas)

    for x, y, width, height in VERTEBRAE:
        box = (px(x - width / 2), px(y - height / 2), px(x + width / 2), px(y + height / 2))
        draw.rounded_rectangle(box, radius=px(height * 0.45), fill=BONE)
    points = [(px(x), px(y)) for x, y in PULSE_LINE]
    draw.line(points, fill=PULSE, width=px(PULSE_WIDTH), joint="curve")
    for x, y in (points[0], points[-1]):  # round caps
        radius = px(PULSE_WIDTH) / 2
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=PULSE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def icon_png(size: int) -> bytes:
    """The icon as PNG bytes, the same bytes every time for the same Pillow."""
    buffer = BytesIO()
    draw_icon(size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
