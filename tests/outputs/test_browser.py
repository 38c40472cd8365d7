"""The HTML map in a real headless Chromium, with no network.

Chromium is driven over the DevTools protocol through ``--remote-debugging-pipe`` (JSON
messages on file descriptors 3 and 4, no extra package). Every request the page makes is
recorded, JavaScript dialogs and exceptions are caught, the DOM is queried and a screenshot
is taken. Where ``unshare -n`` works the browser also runs in an empty network namespace.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from matplotlib import image as mpimg

from clusterloc.outputs.htmlmap import network_geojson
from clusterloc.outputs.maps import draw_maps

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
]
WIDTH, HEIGHT = 1280, 900


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless chromium is not installed (scripts/test.sh installs it)")


def _offline_prefix() -> list[str]:
    """``unshare -n`` (no network interfaces at all) when this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


class Browser:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # runs in the child before exec
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        cmd = [
            *_offline_prefix(),
            _chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{HEIGHT}",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            pass_fds=(3, 4, to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the debugging pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def _on_event(self, message: dict[str, Any]) -> None:
        self.events.append(message)
        if message.get("method") == "Page.javascriptDialogOpening":
            # Dismiss it (the page would block otherwise); the test asserts it never happens.
            self.send("Page.handleJavaScriptDialog", {"accept": False}, wait=False)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float = 30.0,
        wait: bool = True,
        browser_level: bool = False,
    ) -> dict[str, Any]:
        """Send one command and return its ``result`` (events seen meanwhile are kept)."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if self.session and not browser_level:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        if not wait:
            return {}
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self._on_event(reply)

    def wait_for_event(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if "method" in message:
                self._on_event(message)
                if message["method"] == method:
                    return message

    def open_page(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, browser_level=True)
        attached = self.send(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            browser_level=True,
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Page.navigate", {"url": url})
        self.wait_for_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        return base64.b64decode(data)

    def events_named(self, method: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("method") == method]

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close", browser_level=True, timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "chromium-profile")
    try:
        yield b
    finally:
        b.close()


def _load(browser: Browser, html_path: Path) -> None:
    browser.open_page(html_path.resolve().as_uri())
    # Leaflet builds the map synchronously at load; give layout and rendering a moment.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if browser.evaluate("document.querySelectorAll('.leaflet-marker-icon').length") > 0:
            break
        time.sleep(0.1)
    time.sleep(0.3)


def _request_urls(browser: Browser) -> list[str]:
    return [
        e["params"]["request"]["url"] for e in browser.events_named("Network.requestWillBeSent")
    ]


def test_map_renders_offline_with_every_site_and_flow(
    browser: Browser, run_dir: Path, run_facts: dict[str, Any], tmp_path: Path
) -> None:
    draw_maps(run_dir)
    _load(browser, run_dir / "map.html")

    # Nothing but the file itself (and inline data: URIs) was requested.
    urls = _request_urls(browser)
    assert urls, "no request recorded at all"
    assert all(u.startswith(("file:", "data:")) for u in urls), urls
    assert not browser.events_named("Runtime.exceptionThrown")
    assert browser.evaluate("typeof L === 'object' && L.version") == "1.9.4"

    count = browser.evaluate
    assert (
        count("document.querySelectorAll('.leaflet-marker-icon.cl-site').length")
        == (run_facts["n_sites"])
    )
    assert (
        count("document.querySelectorAll('.cl-site.cl-open.cl-cat-facility').length")
        == (run_facts["n_chosen"])
    )
    assert count("document.querySelectorAll('.cl-site.cl-closed').length") == (
        run_facts["n_facilities"] - run_facts["n_chosen"]
    )
    assert count("document.querySelectorAll('.cl-site.cl-cat-market').length") == 5
    assert count("document.querySelectorAll('.cl-site.cl-cat-supplier').length") == 2
    # One SVG path per flow line plus one per named road (14 in the fixture).
    assert count("document.querySelectorAll('.leaflet-overlay-pane path').length") == (
        run_facts["n_flows"] + 14
    )
    # Chosen facilities carry their name as a permanent label.
    labels = count("[...document.querySelectorAll('.cl-label')].map(e => e.textContent)")
    assert sorted(labels) == sorted(run_facts["chosen_names"])

    overlays = count("document.querySelector('.leaflet-control-layers-overlays').textContent")
    for commodity in run_facts["commodities"]:
        assert f"Flows: {commodity}" in overlays
    assert "Road network" in overlays
    bases = count("document.querySelector('.leaflet-control-layers-base').textContent")
    assert "No tiles" in bases and "OpenStreetMap" in bases
    checked_base = count(
        "document.querySelector('.leaflet-control-layers-base input:checked')"
        ".parentElement.textContent"
    )
    assert "No tiles" in checked_base
    assert count("document.querySelectorAll('.leaflet-tile').length") == 0
    assert "© OpenStreetMap contributors" in count(
        "document.querySelector('.leaflet-control-attribution').textContent"
    )
    legend = count("document.querySelector('.cl-legend').textContent")
    assert "plant (chosen)" in legend and "candidate, not chosen" in legend
    assert "kz_auto_demo" in count("document.querySelector('.cl-title').textContent")

    # Turning a commodity layer off removes exactly its lines.
    removed = count(
        """(() => {
        const before = document.querySelectorAll('.leaflet-overlay-pane path').length;
        const label = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
            .find(l => l.textContent.includes('Flows: cars'));
        label.querySelector('input').click();
        return before - document.querySelectorAll('.leaflet-overlay-pane path').length;
        })()"""
    )
    assert removed == 6  # six car lanes in the fixture
    count(
        """[...document.querySelectorAll('.leaflet-control-layers-overlays label')]
        .find(l => l.textContent.includes('Flows: cars')).querySelector('input').click()"""
    )

    png = browser.screenshot()
    (tmp_path / "screenshot.png").write_bytes(png)
    img = mpimg.imread(io.BytesIO(png), format="png")
    assert img.shape[:2] == (HEIGHT, WIDTH)
    rgb = (img[..., :3] * 255).round().astype(int)
    colours = {tuple(c) for c in rgb.reshape(-1, 3)[::7]}
    assert len(colours) > 50, "screenshot looks blank"
    # The plant colour (#d62728) of the chosen plants is visible on screen.
    plant = np.all(np.abs(rgb - np.array([0xD6, 0x27, 0x28])) <= 12, axis=-1)
    assert plant.sum() > 200


def test_hostile_names_are_shown_as_text_and_never_run(
    browser: Browser, hostile_run_dir: Path, run_facts: dict[str, Any]
) -> None:
    draw_maps(hostile_run_dir)
    _load(browser, hostile_run_dir / "map.html")

    assert (
        browser.evaluate("document.querySelectorAll('.cl-site').length") == (run_facts["n_sites"])
    )
    # Open every site popup and hover every site to collect what the user would read.
    texts = browser.evaluate(
        """(() => {
        const out = [];
        for (const el of document.querySelectorAll('.cl-site')) {
            el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
            el.dispatchEvent(new MouseEvent('click', {bubbles: true}));
            const popup = document.querySelector('.leaflet-popup-content');
            if (popup) out.push(popup.textContent);
            for (const t of document.querySelectorAll('.leaflet-tooltip')) out.push(t.textContent);
        }
        return out;
        })()"""
    )
    seen = "\n".join(texts)
    for name in run_facts["hostile"].values():
        assert name in seen, name
    overlays = browser.evaluate(
        "document.querySelector('.leaflet-control-layers-overlays').textContent"
    )
    legend = browser.evaluate("document.querySelector('.cl-legend').textContent")
    for name in run_facts["hostile_commodity"].values():
        assert name in overlays
        assert name in legend
    # None of the injected markup became an element, and nothing ran.
    assert browser.evaluate("document.querySelectorAll('img[src=x], b[onmouseover]').length") == 0
    time.sleep(0.3)
    assert browser.events_named("Page.javascriptDialogOpening") == []
    assert browser.events_named("Runtime.exceptionThrown") == []
    urls = _request_urls(browser)
    assert all(u.startswith(("file:", "data:")) for u in urls), urls


def test_colocated_facilities_fan_out_and_share_a_label(
    browser: Browser, colocated_run_dir: Path, run_facts: dict[str, Any]
) -> None:
    draw_maps(colocated_run_dir)
    _load(browser, colocated_run_dir / "map.html")
    boxes = browser.evaluate(
        """[...document.querySelectorAll('.cl-site.cl-open.cl-type-plant')].map(e => {
            const r = e.getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom];
        })"""
    )
    assert len(boxes) == 2
    (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes
    overlap_x = max(0, min(r1, r2) - max(l1, l2))
    overlap_y = max(0, min(b1, b2) - max(t1, t2))
    assert overlap_x * overlap_y == 0, f"co-located plants hide each other: {boxes}"
    labels = browser.evaluate("[...document.querySelectorAll('.cl-label')].map(e => e.innerText)")
    assert len(labels) == run_facts["n_chosen"] - 1
    shared = [t for t in labels if "Kostanay assembly" in t]
    assert len(shared) == 1 and "Almaty assembly" in shared[0]


@pytest.mark.slow
def test_real_run_map_shows_the_solution(
    browser: Browser, shared_dir: Path, repo_dir: Path, tmp_path: Path
) -> None:
    """End to end: ``clusterloc solve`` on the KZ auto scenario, then its map in Chromium."""
    exe = shutil.which("clusterloc", path=str(Path(sys.executable).parent)) or shutil.which(
        "clusterloc"
    )
    if exe is None:
        pytest.skip("the clusterloc console script is not installed")
    out = tmp_path / "kz_run"
    env = {**os.environ, "CLUSTERLOC_SHARED": str(shared_dir)}
    # The generous snap limit keeps this test about the maps: sites that the road layer
    # does not reach are priced off-road, which does not change what a map must show.
    proc = subprocess.run(
        [
            exe,
            "solve",
            str(repo_dir / "models" / "kz_auto" / "base.yaml"),
            "--out",
            str(out),
            "--set",
            "network.truck.max_snap_m=600000",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    sites = gpd.read_file(out / "results.gpkg", layer="sites")
    routes = gpd.read_file(out / "results.gpkg", layer="routes")
    network = gpd.read_file(out / "results.gpkg", layer="network")
    facilities = ~sites["type"].isin(["supplier", "market"])

    _load(browser, out / "map.html")
    urls = _request_urls(browser)
    assert all(u.startswith(("file:", "data:")) for u in urls), urls
    assert browser.evaluate("document.querySelectorAll('.cl-site').length") == len(sites)
    chosen = browser.evaluate(
        "document.querySelectorAll('.cl-site.cl-open.cl-cat-facility').length"
    )
    assert chosen == len(summary["open_sites"]) == int((facilities & sites["open"]).sum())
    paths = browser.evaluate("document.querySelectorAll('.leaflet-overlay-pane path').length")
    # One path per flow lane, plus the road layer (edges merged by road class and name).
    road_features = len(network_geojson(network)["features"])
    assert 0 < road_features <= len(network)
    assert paths == len(routes) + road_features
    png = browser.screenshot()
    rgb = (mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255).round().astype(int)
    assert len({tuple(c) for c in rgb.reshape(-1, 3)[::7]}) > 50

    report = (out / "report.md").read_text(encoding="utf-8")
    assert "![Map of the chosen network](map.png)" in report
    assert f"{summary['objective']:,.0f}" in report
    for site_id in summary["open_sites"]:
        assert site_id.replace("_", "\\_") in report
