"""`filler ui` end to end in a real headless Chromium (Debian's `chromium` and `chromium-driver`,
driven by Selenium): an idea becomes a checked spec with the replay provider, is rendered,
filled with live updates and reviewed, and the project comes back as a zip.

The server is the real `filler ui` command in a subprocess, stopped by its PID with SIGINT (as
Ctrl-C stops it). The screenshots of the Fill and Review pages that the README shows are taken
here, into docs/images/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.projects import CHECKOUT
from tests.helpers.replies import STRKIT, write_replies
from tests.ui.conftest import SPEC, plan_replies

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.timeout(420), pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
IMAGES = CHECKOUT / "docs" / "images"
_WAIT_S = 120
_URL = re.compile(r"http://127\.0\.0\.1:\d+/\?token=\S+")

needs_browser = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no Chromium here: install Debian's chromium and chromium-driver "
    "(`make browser-tools` does it as root)",
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`filler ui` on a fresh folder: its URL and the folder; stopped by PID with SIGINT."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    log = tmp_path / "ui.log"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "filler", "ui", str(workspace), "--no-browser"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**env, "FILLER_PROVIDER": ""},
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := _URL.search(log.read_text())):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no URL printed: {log.read_text()}"
            time.sleep(0.05)
        yield found.group(0), workspace
    finally:
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
            raise
    assert code == 130, log.read_text()  # Ctrl-C's exit code, after a clean stop
    assert "interrupted" in log.read_text()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, until: Callable[[Any], Any], what: str) -> Any:
    error = driver.find_element(By.ID, "error")
    return WebDriverWait(driver, _WAIT_S, poll_frequency=0.1).until(
        lambda d: until(d) or (error.is_displayed() and pytest.fail(f"{what}: {error.text}")),
        message=what,
    )


def type_into(driver: Any, field: str, text: str) -> None:
    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(text)


@needs_browser
def test_from_an_idea_to_a_filled_reviewed_downloaded_package(
    served: tuple[str, Path], browser: Any, tmp_path: Path
) -> None:
    url, workspace = served
    plan_replies(workspace / "plan.json", SPEC.read_text())
    clamp = ["no code in this reply", STRKIT["strkit.arith:clamp"]]
    write_replies(workspace / "fill.json", {**STRKIT, "strkit.arith:clamp": clamp})
    driver = browser
    by_id = driver.find_element

    # Spec: an idea, drafted by the replay provider, checked as it is edited, rendered.
    driver.get(url)
    assert driver.current_url.endswith("/spec") and "token" not in driver.current_url
    type_into(driver, "idea", "tiny number and string helpers")
    type_into(driver, "features", "arithmetic\nstring helpers")
    type_into(driver, "output", "strkit.yml")
    Select(by_id(By.ID, "provider")).select_by_value("replay")
    type_into(driver, "replies", "plan.json")
    by_id(By.ID, "plan").click()
    wait(driver, lambda d: by_id(By.ID, "spec-valid").is_displayed(), "a valid draft")
    assert "package_name: strkit" in by_id(By.ID, "spec-text").get_attribute("value")
    assert (workspace / "strkit.yml").is_file()

    by_id(By.ID, "spec-text").send_keys("\nbogus: 1")
    problems = wait(
        driver,
        lambda d: by_id(By.ID, "spec-problems").text,
        "the problem of the edit, as it is typed",
    )
    assert "bogus: is not a known key" in problems
    by_id(By.ID, "spec-text").send_keys("\b" * len("\nbogus: 1"))
    wait(driver, lambda d: by_id(By.ID, "spec-valid").is_displayed(), "valid again")

    type_into(driver, "dest", "strkit")
    by_id(By.ID, "render").click()
    wait(driver, lambda d: d.find_elements(By.ID, "rendered"), "the render")
    by_id(By.ID, "rendered").click()

    # Fill: every unit's row changes as its event arrives.
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#units tbody tr")) == 8, "rows")
    assert by_id(By.ID, "project").get_attribute("value") == "strkit"
    assert Select(by_id(By.ID, "provider")).first_selected_option.text == "replay"
    type_into(driver, "replies", "fill.json")
    driver.execute_script(
        """window.seenStates = new Set();
        new MutationObserver(() => document.querySelectorAll('#units td.state')
            .forEach((td) => window.seenStates.add(td.textContent)))
          .observe(document.getElementById('units'),
                   {subtree: true, childList: true, characterData: true});"""
    )
    by_id(By.ID, "start").click()
    summary = wait(driver, lambda d: by_id(By.ID, "summary").text, "the fill's summary")
    assert summary.startswith("8 filled and verified, 0 left as stubs, 9 calls")
    seen = set(driver.execute_script("return [...window.seenStates]"))
    assert {"queued", "asking", "testing", "repairing", "filled"} <= seen
    rows = [tr.text for tr in driver.find_elements(By.CSS_SELECTOR, "#units tbody tr")]
    assert rows[0].startswith("strkit.arith:add filled 2/2 1 ")
    assert rows[2].startswith("strkit.arith:clamp filled 3/3 2 ")  # a refused reply, then one
    assert all(" filled " in row for row in rows)
    IMAGES.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(IMAGES / "ui-fill.png"))

    # Review: a unit's diff against its stub, and the candidate a gate refused.
    by_id(By.ID, "nav-review").click()
    wait(driver, lambda d: d.find_elements(By.ID, "review-strkit.arith:clamp"), "the units")
    by_id(By.ID, "review-strkit.arith:clamp").click()
    diff = by_id(By.ID, "detail-diff").text
    assert "-    raise NotImplementedError" in diff
    assert "+    return max(low, min(high, value))" in diff
    (refused,) = driver.find_elements(By.CSS_SELECTOR, "#detail-rejections li")
    assert refused.text.startswith("extract: ")  # the gate that refused it, then why
    assert "replay/replay" in by_id(By.ID, "run-summary").text
    driver.set_window_size(1280, 1160)  # the diff and the refused candidate, in one picture
    driver.save_screenshot(str(IMAGES / "ui-review.png"))

    # Download: the project as a zip, without its git, caches or run records.
    by_id(By.ID, "nav-update").click()
    by_id(By.ID, "download").click()
    zipped = tmp_path / "downloads" / "strkit.zip"
    deadline = time.monotonic() + 60
    while not zipped.is_file() or list(zipped.parent.glob("*.crdownload")):
        assert time.monotonic() < deadline, "the zip never arrived"
        time.sleep(0.1)
    names = set(zipfile.ZipFile(zipped).namelist())
    assert "strkit/src/strkit/arith.py" in names and "strkit/.filler/lock.json" in names
    assert not [n for n in names if "/.git/" in n or "__pycache__" in n]
    assert "strkit/.filler/last-run.json" not in names
    filled = zipfile.ZipFile(zipped).read("strkit/src/strkit/arith.py").decode()
    assert "return a + b" in filled
