"""The report in a real browser: headless Chromium renders every image, offline, and the page is not blank.

Skipped only where no chromium binary exists; CI installs Debian's chromium (.ci/run) and sets
IOPSIM_REQUIRE_CHROMIUM=1 so that a missing browser fails there instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

TIMEOUT_S = 60
# Load this after the report: it records, for every <img>, whether the browser decoded it.
IMAGE_PROBE = """<script>
window.addEventListener("load", function () {
  var seen = Array.prototype.map.call(document.images, function (img) {
    return img.complete && img.naturalWidth > 0 && img.naturalHeight > 0 ? "1" : "0";
  });
  document.body.setAttribute("data-images-rendered", seen.join(""));
});
</script>"""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")  # session, like the report fixture, so a skip comes before building it
def chromium() -> str:
    binary = _chromium()
    if binary is None:
        if os.environ.get("IOPSIM_REQUIRE_CHROMIUM") == "1":
            pytest.fail("IOPSIM_REQUIRE_CHROMIUM=1 but no chromium or chromium-browser on PATH")
        pytest.skip("no chromium or chromium-browser on PATH")
    return binary


def headless(chromium: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    """Chromium with a fresh profile, no network at all (every host unresolvable), bounded in time."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        f"--user-data-dir={profile}", "--no-first-run", "--disable-component-update", "--disable-sync",
        "--disable-quic", "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
        "--virtual-time-budget=5000", *args,
    ]
    return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=False)


def test_every_image_renders_offline(chromium, multi_html, tmp_path):
    n_images = len(re.findall(r"<img\b", multi_html))
    assert n_images > 10
    probe = tmp_path / "report-probe.html"
    probe.write_text(multi_html.replace("</body>", IMAGE_PROBE + "</body>"))
    result = headless(chromium, tmp_path, "--dump-dom", probe.as_uri())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    dom = result.stdout.decode()
    match = re.search(r'data-images-rendered="([01]*)"', dom)
    assert match, "the page did not finish loading"
    assert match.group(1) == "1" * n_images, f"images not rendered: {match.group(1)}"


def test_screenshot_is_not_blank(chromium, multi_html, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(multi_html)
    shot = tmp_path / "report.png"
    # tall enough to reach the charts below the key results, budget and indicator tables
    result = headless(chromium, tmp_path, "--window-size=1280,10000", f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0 and shot.exists(), result.stderr.decode(errors="replace")[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1280, 10000)
        grey = np.asarray(im.convert("L"), dtype=float)
    assert grey.std() > 25  # text, tables and charts, not an empty page
    assert (grey < 100).mean() > 0.01
    # charts are colour: a page of text only would be (nearly) grey everywhere
    with Image.open(shot) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=float)
    assert (np.ptp(rgb, axis=2) > 60).mean() > 0.02
