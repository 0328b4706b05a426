"""A headless Chromium driven by Selenium for the admin's end-to-end tests, and the screenshots of each step.

Debian's ``chromium`` and ``chromium-driver`` are used from fixed paths, so Selenium Manager never looks for (or
downloads) a browser or a driver; the browser is told to stay off the network beyond the live server on loopback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SKIP_REASON = (
    f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); "
    "`apt-get install chromium chromium-driver`, as .ci/run does"
)
REPO_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS_ENV = "CAUSELOOP_SCREENSHOTS"
WAIT_SECONDS = 15
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    # Names resolve to nothing but the live server's: the browser cannot reach beyond loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    "--window-size=1600,1000",
)


def available() -> bool:
    """Return whether both the browser and its driver are installed."""
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def start_chromium(user_data_dir: Path) -> WebDriver:
    """Start a headless Chromium with a fresh profile in ``user_data_dir``; the caller quits it."""
    os.environ.setdefault("SE_OFFLINE", "true")  # belt and braces: both paths are given, nothing to resolve
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


def screenshot_dir() -> Path:
    """Return (and create) the folder of screenshots: ``$CAUSELOOP_SCREENSHOTS`` or ``artifacts/browser``."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or REPO_ROOT / "artifacts" / "browser").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Steps:
    """Name the steps of one story and save a PNG of the page after each: ``<story>-<NN>-<step>.png``."""

    def __init__(self, driver: WebDriver, story: str) -> None:
        self.driver = driver
        self.story = re.sub(r"[^a-z0-9]+", "-", story.lower()).strip("-")
        self.taken: list[Path] = []

    def shot(self, step: str) -> Path:
        """Save the page as it is now under the step's name and return the file."""
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = screenshot_dir() / f"{self.story}-{len(self.taken) + 1:02d}-{slug}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot saved at {path}"
        self.taken.append(path)
        return path


def wait_for(driver: WebDriver, css: str) -> WebElement:
    """Return the element matching ``css`` once it is visible, failing after ``WAIT_SECONDS``."""
    return WebDriverWait(driver, WAIT_SECONDS).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)), f"nothing visible matches {css!r}"
    )


def type_into(driver: WebDriver, css: str, text: str) -> None:
    """Replace the text of the input matching ``css`` with ``text``, as a user types it."""
    field = wait_for(driver, css)
    field.clear()
    field.send_keys(text)


def choose(driver: WebDriver, css: str, value: str) -> None:
    """Pick the option whose value is ``value`` in the select matching ``css``."""
    Select(wait_for(driver, css)).select_by_value(value)


def tick(driver: WebDriver, css: str) -> None:
    """Tick the checkbox matching ``css`` unless it is ticked already."""
    box = wait_for(driver, css)
    if not box.is_selected():
        box.click()


def submit(driver: WebDriver, css: str) -> None:
    """Click the button matching ``css`` and wait until the browser has left the page it was on."""
    page = driver.find_element(By.TAG_NAME, "html")
    wait_for(driver, css).click()
    WebDriverWait(driver, WAIT_SECONDS).until(expected_conditions.staleness_of(page), f"{css!r} did not load a page")


def admin_login(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    """Sign in through the admin's login form, leaving the browser on the page the form sent it to."""
    driver.get(f"{base_url}/admin/login/?next=/admin/")
    type_into(driver, "#id_username", username)
    type_into(driver, "#id_password", password)
    submit(driver, "#login-form [type=submit]")
