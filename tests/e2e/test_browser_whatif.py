"""End to end in a real browser: JupyterLab + headless Chromium (Debian's) driven by Playwright.

Opens notebooks/08_interactive_probing.ipynb (SMOKE mode) in JupyterLab, runs all cells, types a
sentence into the what-if widget's text box, changes the layer range, and checks each time that the figure
rendered in the widget's output (an HTML table) changes. Screenshots go to reports/probe_browser_*.png.

Needs /usr/bin/chromium (`make browser-deps` installs it when run as root, as CI does; it never runs
sudo) and jupyterlab, ipywidgets, playwright (the [notebooks] and [dev] extras); skips with the reason
when one is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "08_interactive_probing.ipynb"
REPORTS = ROOT / "reports"
CHROMIUM = os.environ.get("INFOLIB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "infolib-browser-test"
EDITED = "a dull and lifeless film that never finds its rhythm"

pytestmark = pytest.mark.slow


def _requirements() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        who = "root: run `make browser-deps`" if os.geteuid() == 0 else "not root, so make does not install it"
        return f"Chromium not found at {CHROMIUM} ({who}; or apt-get install chromium as root, or set INFOLIB_CHROMIUM)"
    for module, package in (
        ("jupyterlab", "jupyterlab"),
        ("ipywidgets", "ipywidgets"),
        ("playwright", "playwright"),
        ("nbformat", "nbformat"),
        ("ipykernel", "ipykernel"),
    ):
        try:
            __import__(module)
        except ImportError:
            return f"{package} is not installed (pip install 'infolib[notebooks,dev]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _smoke_notebook(folder: Path) -> Path:
    """A copy of the notebook with SMOKE = True and the figure written into `folder`."""
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = [
        (
            "SMOKE = True"
            if line.startswith("SMOKE =")
            else f"FIGURE = {str(folder / 'figures' / '08_probe')!r}"
            if line.startswith("FIGURE =")
            else line
        )
        for line in cell.source.splitlines()
    ]
    cell.source = "\n".join(lines)
    target = folder / NOTEBOOK.name
    nbformat.write(nb, target)
    return target


@pytest.fixture
def jupyter_lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 with a known token, a temp root and temp config/settings."""
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    root = tmp_path / "root"
    root.mkdir()
    _smoke_notebook(root)
    settings = tmp_path / "lab-settings"
    news = settings / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "2",
    }
    log = open(tmp_path / "jupyter.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.open_browser=False",
            "--LabApp.extension_manager=readonly",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'jupyter.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _say(step: str) -> None:
    print(f"[browser test {time.strftime('%H:%M:%S')}] {step}", file=sys.stderr, flush=True)


MAPS = ".jp-OutputArea .widget-output table"  # the widget's maps: HTML tables (infolib.viz.html)


def _figure_src(page) -> str:
    """The HTML of the widget's information map (the first table in a widget output)."""
    return page.locator(MAPS).first.inner_html()


def _wait_for_new_figure(page, before: str, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        src = _figure_src(page) if page.locator(MAPS).count() else ""
        if src and src != before:
            return src
        page.wait_for_timeout(250)
    status = page.locator(".jp-OutputArea .widget-html").all_inner_texts()
    raise AssertionError(f"the what-if widget's figure did not change within {timeout_s} s; widget messages: {status}")


def test_whatif_widget_in_jupyterlab(jupyter_lab):
    from playwright.sync_api import sync_playwright

    REPORTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        # Playwright gives every launch() a fresh temporary profile (the --user-data-dir of the probe).
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            _say("opening the notebook")
            page.goto(f"{jupyter_lab}/lab/tree/{NOTEBOOK.name}?token={TOKEN}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            # Run all cells once the notebook's kernel is up (earlier, JupyterLab drops the request).
            page.wait_for_function(
                "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
                " return k && k.status === 'idle'; }",
                timeout=90_000,
            )
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

            _say("running all cells")
            text_box = page.locator(".jp-OutputArea input[placeholder='type a sentence and press Enter']")
            text_box.wait_for(timeout=120_000)  # SMOKE trains a tiny BERT first (~15-30 s)
            first = _wait_for_new_figure(page, "", 60)
            probe_cell = page.locator(".jp-Cell", has=text_box)
            probe_cell.screenshot(path=str(REPORTS / "probe_browser_1_initial.png"))

            _say("typing a sentence")
            text_box.fill(EDITED)
            text_box.press("Enter")
            edited = _wait_for_new_figure(page, first, 45)
            # The difference map (second table) arrives in its own message, just after the map; its cells
            # keep their colours (inline styles survive JupyterLab's rendering).
            page.locator(MAPS).nth(1).wait_for(timeout=15_000)
            assert "background:" in page.locator(MAPS).nth(1).inner_html()
            probe_cell.screenshot(path=str(REPORTS / "probe_browser_2_edited.png"))

            _say("changing the layer range")
            # Layer range: move the upper handle of the IntRangeSlider down by two with the keyboard.
            upper = page.locator(".jp-OutputArea .widget-hslider .noUi-handle-upper").first
            upper.focus()
            upper.press("ArrowLeft")
            upper.press("ArrowLeft")
            _wait_for_new_figure(page, edited, 45)
            # Each key press is a new range; the last one supersedes the one before: wait for it.
            page.locator(".jp-OutputArea .widget-html", has_text="done in").first.wait_for(timeout=45_000)
            assert "1 – 4" in probe_cell.locator(".widget-readout").first.inner_text()
            layered = _figure_src(page)
            probe_cell.screenshot(path=str(REPORTS / "probe_browser_3_layers.png"))
            assert len({first, edited, layered}) == 3
            errors = page.locator(".jp-OutputArea .jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
            assert not any("Traceback" in t for t in errors.all_inner_texts())
        except Exception:
            page.screenshot(path=str(REPORTS / "probe_browser_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
