"""report.html in a real browser: Debian's chromium, headless (.ci/run installs it).

The page has no script and loads nothing from elsewhere, so chromium must log no console
message at all while loading it. Chromium logs every console message (console.error and
uncaught exceptions alike) as an INFO "CONSOLE" line, so the check is "no CONSOLE line",
not "no line saying ERROR"; the first test proves that the check does catch a broken page.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cxtext.config import load_config
from cxtext.run import run_nightly

from .conftest import FIXED_NOW, FIXTURES

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else shutil.which("chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it with apt-get)"),
]


def open_in_chromium(page: Path, work: Path, *mode: str) -> subprocess.CompletedProcess:
    """Load `page` headless; `mode` is --screenshot=… or --dump-dom. Console messages go to stderr."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--window-size=1200,2400", "--enable-logging=stderr", "--v=0",
               f"--user-data-dir={work / 'profile'}",  # own profile: parallel runs do not collide
               *mode, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def distinct_colours(png: Path, min_pixels: int = 20) -> int:
    """Colours covering at least `min_pixels` pixels: anti-aliasing alone adds many colours
    of a few pixels each, so a page of plain text scores about 10 and the report hundreds."""
    from PIL import Image  # Pillow comes with matplotlib

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        counts = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    return sum(1 for count, _ in counts if count >= min_pixels)


@pytest.fixture(scope="module")
def report_page(tmp_path_factory, tiny_model_dir) -> Path:
    out = tmp_path_factory.mktemp("report")
    run_nightly([FIXTURES / "survey_small_sjis.csv"], out, load_config(FIXTURES / "survey_small.toml"),
                model_dir=tiny_model_dir, now=FIXED_NOW)
    return out / "report.html"


def test_the_console_check_catches_a_broken_page(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><p>x</p>"
                      "<script>console.error('boom'); notDefined();</script></body></html>", encoding="utf-8")
    proc = open_in_chromium(broken, tmp_path, "--dump-dom")
    messages = console_messages(proc.stderr)
    assert any("boom" in m for m in messages) and any("notDefined" in m for m in messages), proc.stderr[-2000:]


def test_report_loads_without_console_messages_and_is_not_blank(report_page, tmp_path):
    shot = tmp_path / "report.png"
    proc = open_in_chromium(report_page, tmp_path, f"--screenshot={shot}")
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    colours = distinct_colours(shot)
    assert colours > 100, f"{colours} colours: a blank or text-only page, not charts"


def test_report_dom_has_the_japanese_sections_and_charts(report_page, tmp_path):
    proc = open_in_chromium(report_page, tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert "NPSコメント分析レポート" in dom and "批判者の理由" in dom
    assert dom.count("<svg") >= 2  # at least the trend and the Pareto chart
