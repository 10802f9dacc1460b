"""Checks of a chart file: a real PNG of a useful size that is not blank."""

from __future__ import annotations

from pathlib import Path

MIN_WIDTH, MIN_HEIGHT = 600, 300


def assert_chart(path: Path) -> None:
    from PIL import Image

    assert path.exists() and path.stat().st_size > 5_000, f"{path} missing or tiny"
    with Image.open(path) as img:
        assert img.format == "PNG"
        width, height = img.size
        assert width >= MIN_WIDTH and height >= MIN_HEIGHT, img.size
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=1_000_000) or []
        # A blank image has one colour; axes and a title alone give a handful; data adds many more.
        assert len(colours) > 50, f"{path} looks blank ({len(colours)} colours)"
        # Something other than background covers a visible share of the plot.
        background = max(colours)[0]
        assert background < 0.97 * width * height, f"{path} is almost all background"
