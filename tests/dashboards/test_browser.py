"""A person's view: headless Chromium logs in, opens each dashboard, waits for every chart,
finds no error message and saves a screenshot under var/screenshots/.

Needs Debian's `chromium` and `chromium-driver` (and `fonts-noto-cjk` so Chinese renders).
"""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash_stack import ROOT

from dashboards import bundle_build

SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,2400",
    "--lang=zh-CN",
)
# A dashboard that never settles is a hang, not a slow page; this bound only stops a stuck run.
SETTLE_BOUND_SECONDS = 600
ERROR_SELECTORS = ('[data-test="chart-error"]', ".ant-alert-error", '[data-test="error-tooltip"]')


def chromium() -> tuple[Any, Path]:
    """A headless Chromium with a profile of its own (a cold browser cache); quit the driver
    and remove the profile when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="dash_chromium_"))
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options), profile


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver, profile = chromium()
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def log_in(driver: Any, base_url: str, user: str, password: str) -> None:
    """Superset's login form is drawn by React: keys typed before it has hydrated can be lost
    and the submit does nothing, so a login that did not leave /login is tried again."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.delete_all_cookies()
    for _attempt in range(3):
        driver.get(f"{base_url}/login/")
        WebDriverWait(driver, SETTLE_BOUND_SECONDS).until(
            lambda d: d.find_elements(By.ID, "password")
        )
        driver.find_element(By.ID, "username").send_keys(user)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        try:
            WebDriverWait(driver, 60).until(lambda d: "/login" not in d.current_url)
            return
        except TimeoutException:
            continue
    raise AssertionError(f"{user} could not log in to Superset (still on {driver.current_url})")


# Each chart holder's state, read in the page: a chart is settled when it has drawn something,
# or shows an empty state or an error; a spinner or nothing at all means it is still coming.
CHART_STATES_JS = """
return Array.from(document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')).map(h => {
  const title = (h.querySelector('[data-test="editable-title"], .header-title, [data-test="slice-header"]') || {}).textContent || '';
  const container = h.querySelector('[data-test="chart-container"]');
  let state = 'no container';
  if (container) {
    if (container.querySelector('[data-test="loading-indicator"]')) state = 'loading';
    else if (container.querySelector('[data-test="chart-error"], .ant-alert-error')) state = 'error';
    // Before "rendered": Superset's empty state draws an SVG picture of its own.
    else if (container.querySelector('.ant-empty, [class*="EmptyState"], [class*="empty-state"]') || /没有数据|No results/.test(container.textContent)) state = 'empty';
    else if (container.querySelector('canvas, svg, table, .header-line, .big_number, .superset-legacy-chart-big-number')) state = 'rendered';
    else state = 'blank';
  }
  return [title.trim().slice(0, 40), state];
});
"""


SCROLL_TO_UNDRAWN_JS = """
const holder = Array.from(document.querySelectorAll('[data-test="dashboard-component-chart-holder"]'))
  .find(h => !h.querySelector('[data-test="chart-container"]'));
if (holder) holder.scrollIntoView();
"""


def chart_states(driver: Any) -> list[tuple[str, str]]:
    return [tuple(item) for item in driver.execute_script(CHART_STATES_JS)]


class Settled:
    """A WebDriverWait condition: every chart holder is there and none is loading, and either
    each drew, shows an empty state or an error, or nothing has been loading for QUIET polls
    (a chart whose drawing this probe does not recognise must not hang the run)."""

    QUIET = 5

    def __init__(self, expected_charts: int) -> None:
        self.expected = expected_charts
        self.quiet = 0

    def __call__(self, driver: Any) -> bool:
        states = [state for _, state in chart_states(driver)]
        if "no container" in states:  # a chart not drawn until it is in view: bring it there
            driver.execute_script(SCROLL_TO_UNDRAWN_JS)
        idle = len(states) == self.expected and not {"loading", "no container"} & set(states)
        self.quiet = self.quiet + 1 if idle else 0
        return idle and (
            all(s in ("rendered", "empty", "error") for s in states) or self.quiet >= self.QUIET
        )


def open_dashboard(driver: Any, base_url: str, slug: str, expected_charts: int) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/superset/dashboard/{slug}/?standalone=0")
    try:
        WebDriverWait(driver, SETTLE_BOUND_SECONDS, poll_frequency=1).until(
            Settled(expected_charts)
        )
        # Lazy-loaded charts below the fold render once scrolled into view.
        driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        WebDriverWait(driver, SETTLE_BOUND_SECONDS, poll_frequency=1).until(
            Settled(expected_charts)
        )
    except TimeoutException:
        waiting = [
            f"{title or '(untitled)'}: {state}"
            for title, state in chart_states(driver)
            if state not in ("rendered", "empty", "error")
        ]
        raise AssertionError(
            f"{slug}: {len(chart_states(driver))} of {expected_charts} charts on the page after "
            f"{SETTLE_BOUND_SECONDS}s; not settled: {waiting or 'none (a chart holder is missing)'}"
        ) from None
    driver.execute_script("window.scrollTo(0, 0)")


def errors_on_page(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    found = []
    for selector in ERROR_SELECTORS:
        found += [
            element.text or selector for element in driver.find_elements(By.CSS_SELECTOR, selector)
        ]
    return found


def boards() -> list[tuple[str, str, int]]:
    _, dashboards = bundle_build.load_spec()
    return [
        (key, board["slug"], sum(len(row) for row in board["rows"]))
        for key, board in dashboards.items()
    ]


@pytest.mark.parametrize(("key", "slug", "expected_charts"), boards())
def test_leader_sees_every_dashboard_render_without_errors(
    browser: Any,
    private_superset: Any,
    provisioned: dict[str, Any],
    key: str,
    slug: str,
    expected_charts: int,
) -> None:
    if "/login" in browser.current_url or not browser.get_cookies():
        log_in(browser, private_superset.url, "leader", "dev-leader")
    open_dashboard(browser, private_superset.url, slug, expected_charts)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{key}.png"))
    assert errors_on_page(browser) == []
    title = bundle_build.load_spec()[1][key]["title"]
    assert title in browser.page_source
    # 数据截至 (issue #17): the header row every dashboard opens with is drawn.
    assert f"数据截至（{title}）" in browser.page_source


def test_street_secretary_overview_renders(
    browser: Any, private_superset: Any, provisioned: dict[str, Any]
) -> None:
    log_in(browser, private_superset.url, "street-s-02", "dev-street-s-02")
    expected = next(count for key, _, count in boards() if key == "tickets")
    open_dashboard(browser, private_superset.url, "lianxi-tickets", expected)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "tickets_street-s-02.png"))
    assert errors_on_page(browser) == []
    assert "西兰路街道" in browser.page_source and "人民路街道" not in browser.page_source
    # The late hotline of the fixture (fct_dashboard_freshness) is a warning every role sees.
    assert "12345热线 已 60 分钟未送数" in browser.page_source


# Raw codes of ours that must never reach a person: every ASCII code the labels seed translates
# (categories, channels, statuses …), found as a whole word in what the page shows.
def raw_codes() -> set[str]:
    import csv

    with (ROOT / "dbt_project" / "seeds" / "code_labels.csv").open(encoding="utf-8") as f:
        return {
            row["code"]
            for row in csv.DictReader(f)
            if row["code"].isascii() and len(row["code"]) > 3
        }


def visible_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


SECRETARIES = {"street-s-02": "西兰路街道", "community-c-05-2": None}


@pytest.mark.parametrize("user", list(SECRETARIES))
@pytest.mark.parametrize(("key", "slug", "expected_charts"), boards())
def test_secretaries_see_every_dashboard_in_chinese_with_no_empty_chart(
    browser: Any,
    private_superset: Any,
    provisioned: dict[str, Any],
    user: str,
    key: str,
    slug: str,
    expected_charts: int,
) -> None:
    import re

    if getattr(browser, "lianxi_user", None) != user:
        log_in(browser, private_superset.url, user, f"dev-{user}")
        browser.lianxi_user = user
    open_dashboard(browser, private_superset.url, slug, expected_charts)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{key}_{user}.png"))
    assert errors_on_page(browser) == []
    empty = [title for title, state in chart_states(browser) if state == "empty"]
    assert empty == [], f"{user} on {slug}: charts with no data: {empty}"
    text = visible_text(browser)
    # A code on its own, not inside an identifier an engineer needs as it is (the event type
    # lianxi.ticket.assigned, the source /systems/hotline-12345 on 数据质量).
    shown_codes = sorted(
        code
        for code in raw_codes()
        if re.search(rf"(?<![\w./-]){re.escape(code)}(?![\w./-])", text)
    )
    assert shown_codes == [], f"{user} on {slug}: raw codes on the page: {shown_codes}"
