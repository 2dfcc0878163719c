"""A real browser on the built website: Debian's chromium, driven by selenium through the system chromedriver,
reading the site from a loopback HTTP server. Nothing is downloaded at run time; `python3 course.py test` installs
the two Debian packages when they are missing and it runs as root."""
from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# The widths every page is read at: a phone (an iPhone 12 to 15 is 390 CSS px wide) and a desktop window.
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
DESKTOP_WIDTH = 1280
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Headless, as root in a container, and silent on the network: no sync, updates or background fetches, so the
# only requests the browser makes are the ones the pages make.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", f"--window-size={DESKTOP_WIDTH},900", "--hide-scrollbars"]
PAGE_TIMEOUT_S = 30
# MathJax typesets a long page in seconds, but on a loaded 2-core machine a heavy page at a phone's width has taken
# over 30 s; the wait answers by itself at MATH_TIMEOUT_S (naming the page), before the driver's own script timeout.
MATH_TIMEOUT_S = 90


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    for binary, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not binary.exists():
            return (f"{binary} is missing: install Debian's {package} (`python3 course.py test` does it when run as "
                    f"root: apt-get install -y chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (it is pinned in requirements.txt: run `python3 course.py setup`)"
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:        # the test reports failures itself; keep pytest's output clean
        pass


@contextmanager
def serve(directory: Path):
    """Serve `directory` over HTTP on 127.0.0.1 (a free port) in a thread; yields the base URL, ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def start_chrome(profile_dir: Path, download_dir: Path):
    """A headless chromium with a fresh profile, its console and network logs recorded, downloads to download_dir."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + [f"--user-data-dir={profile_dir}"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    driver.set_script_timeout(MATH_TIMEOUT_S + 30)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    _blank(driver)
    return driver


def _blank(driver) -> None:
    """Leave whatever page the browser is on for about:blank and drop its logs, so that the next visit records only
    its own requests (chromium's start page asks for chrome://resources/... and chrome://favicon2/...)."""
    driver.get("about:blank")
    driver.get_log("browser"), driver.get_log("performance")


# The schemes a request travels the network by; chrome://, data:, blob: and about: stay inside the browser.
NETWORK_SCHEMES = ("http:", "https:", "ws:", "wss:")


def off_site(requests: list[str], base_url: str) -> list[str]:
    """The requests that went over the network to anything but the local server at base_url."""
    return [url for url in requests if url.lower().startswith(NETWORK_SCHEMES) and not url.startswith(base_url)]


# Waits until MathJax (if the page loads it) has typeset the page; calls back with what went wrong, or null.
_WAIT_FOR_MATH = """
const done = arguments[arguments.length - 1];
const budget = arguments[0];
const deadline = Date.now() + budget;
(function poll() {
  if (document.readyState === "complete" && !document.querySelector(".math")) return done(null);
  const startup = window.MathJax && window.MathJax.startup;
  if (document.readyState === "complete" && startup && startup.promise) {
    const timer = setTimeout(() => done(`MathJax did not finish typesetting in ${budget / 1000} s`),
                             Math.max(0, deadline - Date.now()));
    return startup.promise.then(() => { clearTimeout(timer); done(null); },
                                (err) => { clearTimeout(timer); done("MathJax failed: " + err); });
  }
  if (Date.now() > deadline) return done("MathJax did not start (is its script reachable?)");
  setTimeout(poll, 50);
})();
"""

# Everything the page-level checks need, read from the live DOM after scripts ran.
_REPORT = r"""
const abs = (url) => new URL(url, document.baseURI).href;
const text = (el) => (el ? el.textContent.replace(/[¶#]\s*$/, "").trim() : "");
const article = document.querySelector("article") || document.body;
// Text outside code: raw TeX delimiters left there mean MathJax did not typeset something.
const prose = article.cloneNode(true);
prose.querySelectorAll("pre, code, script, style, mjx-container, .highlight").forEach((el) => el.remove());
const mathNodes = [...document.querySelectorAll(".math")];
const urls = [];
for (const [selector, attr] of [["a[href]", "href"], ["link[href]", "href"], ["img[src]", "src"],
                                ["script[src]", "src"], ["source[src]", "src"], ["iframe[src]", "src"]]) {
  document.querySelectorAll(selector).forEach((el) => urls.push({tag: el.tagName.toLowerCase(),
                                                                   url: abs(el.getAttribute(attr))}));
}
const heading = (section) => {
  const h = section.querySelector(":scope > h1, :scope > h2, :scope > h3, :scope > h4")?.cloneNode(true);
  h?.querySelectorAll("a.headerlink").forEach((el) => el.remove());
  return text(h).replace(/^(\d+\.)+\s*/, "");   // chapters are numbered ("5.7. Exercises"): compare titles
};
// The page's top-level blocks in order: admonitions by title, sections by heading (with their own outline),
// and per section its download links, list items and dropdowns: what the chapter-structure test reads.
const outline = (section) => section ? [...section.children].map((el) => ({
  kind: el.matches("section") ? "section" : el.matches(".admonition") ? "admonition" : el.tagName.toLowerCase(),
  title: el.matches("section") ? heading(el)
       : el.matches(".admonition") ? text(el.querySelector(".admonition-title")) : "",
  children: el.matches("section") ? outline(el) : [],
  downloads: el.matches("section")
           ? [...el.querySelectorAll("a.download")].map((a) => abs(a.getAttribute("href"))) : [],
  list_items: el.matches("ol, ul") ? el.querySelectorAll(":scope > li").length : 0,
  dropdown: el.matches(".admonition.dropdown, details"),
})) : [];
const h1 = article.querySelector("h1")?.cloneNode(true);
h1?.querySelectorAll("a.headerlink").forEach((el) => el.remove());
return {
  url: location.href,
  title: document.title,
  h1: text(h1),
  mathjax: window.MathJax && window.MathJax.version ? window.MathJax.version : null,
  math_nodes: mathNodes.length,
  math_unrendered: mathNodes.filter((el) => !el.querySelector("mjx-container"))
                            .map((el) => el.textContent.slice(0, 80)),
  math_errors: [...document.querySelectorAll("mjx-merror")]
                 .map((el) => el.getAttribute("data-mjx-error") || el.textContent),
  raw_tex: ["$$", "\\[", "\\(", "\\begin{"].filter((d) => prose.textContent.includes(d)),
  images: [...document.querySelectorAll("img")].map((img) => ({src: abs(img.getAttribute("src")),
      complete: img.complete, width: img.naturalWidth, height: img.naturalHeight})),
  svgs: [...article.querySelectorAll("figure svg, .cell_output svg")].map((svg) => {
      const box = svg.getBoundingClientRect(); return {width: box.width, height: box.height}; }),
  figures: [...article.querySelectorAll("figure[id]")].map((fig) => ({id: fig.id,
      loaded: [...fig.querySelectorAll("img")].some((img) => img.complete && img.naturalWidth > 0
                                                           && img.naturalHeight > 0)
              || [...fig.querySelectorAll("svg")].some((svg) => svg.getBoundingClientRect().width > 0)})),
  urls: urls,
  ids: [...document.querySelectorAll("[id]")].map((el) => el.id),
  eqrefs: [...article.querySelectorAll('a[href*="#equation-"]:not(.headerlink)')].map((a) => ({
      url: abs(a.getAttribute("href")), text: a.textContent.trim()})),
  eqnos: Object.fromEntries([...article.querySelectorAll('[id^="equation-"]')].map((el) => [el.id,
      text(el.querySelector(".eqno"))])),
  outline: outline(article.querySelector("section")),
};
"""


# How the page is laid out at the current width: whether anything makes it wider than the viewport, which display
# equations and tables stick out of the text column without a scroll box of their own, the images' alt texts, the
# visible text that shows a literal backslash before an underscore (an escape that went through), and the header's
# download menu.
_LAYOUT = r"""
const article = document.querySelector("article.bd-article") || document.querySelector("article") || document.body;
const column = article.getBoundingClientRect();
// The nearest box that scrolls sideways, from `el` up to (not including) the text column; the theme makes the whole
// column scroll, which is what must not happen.
const scrollBox = (el) => {
  for (let a = el; a && a !== article && a !== document.body; a = a.parentElement) {
    if (["auto", "scroll"].includes(getComputedStyle(a).overflowX)) return a;
  }
  return null;
};
const describe = (el) => (el.closest("[id]")?.id ? "#" + el.closest("[id]").id + " " : "")
  + el.textContent.replace(/\s+/g, " ").trim().slice(0, 60);
const sticksOut = (box) => box.right > column.right + 1 || box.left < column.left - 1;
const overflowing = (items, inner) => items.map((el) => {
  const content = inner(el);
  const box = content.getBoundingClientRect();
  if (!sticksOut(box)) return null;
  // Fine when some box around it scrolls sideways and itself fits the column (a table's container, say).
  for (let s = scrollBox(content); s; s = scrollBox(s.parentElement)) {
    if (!sticksOut(s.getBoundingClientRect())) return null;
  }
  return {what: describe(el), width: Math.round(box.width), column: Math.round(column.width)};
}).filter((x) => x);
const visibleText = [document.body.innerText,
  ...[...document.querySelectorAll("mjx-assistive-mml mtext, mjx-assistive-mml mi")].map((el) => el.textContent)];
return {
  width: arguments[0],
  inner_width: window.innerWidth,    // on a phone the browser widens the layout viewport to fit a too-wide page
  scroll_width: document.documentElement.scrollWidth,
  wide_elements: [...document.querySelectorAll("body *")].filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.right > arguments[0] + 1 && !scrollBox(el.parentElement)
        && getComputedStyle(el).position !== "fixed"
        && !el.closest(".bd-sidebar-primary, .bd-sidebar-secondary, dialog, mjx-assistive-mml");
    }).slice(0, 5).map((el) => el.tagName.toLowerCase() + "." + [...el.classList].join(".") + " "
                              + Math.round(el.getBoundingClientRect().right) + "px"),
  math_overflow: overflowing([...article.querySelectorAll("mjx-container")],
                             (el) => el.querySelector("mjx-math") || el),
  table_overflow: overflowing([...article.querySelectorAll("table")], (el) => el),
  images: [...document.querySelectorAll("img")].map((img) => ({src: img.getAttribute("src") || "",
      alt: img.getAttribute("alt"), width: Math.round(img.getBoundingClientRect().width),
      natural_width: img.naturalWidth})),
  backslashes: visibleText.flatMap((text) => text.match(/.{0,30}\\_.{0,30}/g) || []),
  header_downloads: [...document.querySelectorAll(".dropdown-download-buttons a[href]")]
                      .map((a) => new URL(a.getAttribute("href"), document.baseURI).href),
};
"""


@contextmanager
def phone_width(driver):
    """Emulate a phone (390 CSS px, touch, its viewport meta honoured) inside the block; the desktop after."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def layout(driver, width: int = DESKTOP_WIDTH) -> dict:
    """How the page now loaded is laid out in a window `width` CSS px wide (see _LAYOUT)."""
    return driver.execute_script(_LAYOUT, width)


@dataclass
class PageVisit:
    """What the browser saw on one page."""
    path: str                                   # relative to the site, as requested
    report: dict
    console: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    math_wait_error: str | None = None
    seconds: float = 0.0
    layout: dict = field(default_factory=dict)


def _network(driver) -> tuple[list[str], list[str]]:
    """URLs requested since the last call, and those that failed (HTTP >= 400 or a network error)."""
    requests, failed, urls_by_id = [], [], {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            urls_by_id[params["requestId"]] = params["request"]["url"]
            requests.append(params["request"]["url"])
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            failed.append(f"{params['response']['url']} (HTTP {params['response']['status']})")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            failed.append(f"{urls_by_id.get(params['requestId'], '?')} ({params.get('errorText')})")
    return requests, failed


def visit(driver, base_url: str, path: str) -> PageVisit:
    """Load one page, wait for its math, and record what it shows, logs and requests."""
    start = time.monotonic()
    _blank(driver)                                                     # each page starts from a blank one
    driver.get(base_url + path)
    if driver.execute_script("return !!document.querySelector('meta[http-equiv=\"Refresh\" i]')"):
        # A redirect page (index.html): check where it leads, once the browser has got there.
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(driver, PAGE_TIMEOUT_S).until(lambda d: d.current_url != base_url + path and d.execute_script(
            "return document.readyState === 'complete'"))
    wait_error = driver.execute_async_script(_WAIT_FOR_MATH, MATH_TIMEOUT_S * 1000)
    report = driver.execute_script(_REPORT)
    requests, failed = _network(driver)
    return PageVisit(path=path, report=report, console=driver.get_log("browser"), requests=requests,
                     failed_requests=failed, math_wait_error=wait_error, seconds=time.monotonic() - start,
                     layout=layout(driver))


def wait_for_download(directory: Path, name: str, timeout_s: float = 20) -> Path | None:
    """The downloaded file once complete (chromium writes NAME.crdownload first), or None after timeout_s."""
    deadline = time.monotonic() + timeout_s
    target = directory / name
    while time.monotonic() < deadline:
        if target.exists() and not list(directory.glob("*.crdownload")):
            return target
        time.sleep(0.1)
    return None

