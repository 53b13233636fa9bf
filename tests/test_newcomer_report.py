"""Issue 15 item 8: the HTML report as a reader sees it, in real Chromium, with a screenshot.

Legends are inside the picture, point tags do not overlap, no point sits on the frame, ticks are round
numbers within 0–100%, evidence highlights are rendered (no literal ``**``), counts read "31 of 1,000".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE, shared

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
MULTI = "lm_eval_results/lm-evaluation-harness_v0.3_format_multilingual"
FILES = (f"{MULTI}/bloom/bloom-1b1/bloom-1b1_xnli_0-shot.json", f"{MULTI}/xglm/xglm-1.7B/xglm-1.7B_xnli_0-shot.json",
         f"{MULTI}/xglm/xglm-4.5B/xglm-4.5B_xnli_0-shot.json")
LANGS = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    from inspectors.core import run
    from inspectors.evals import attach_findings, build_report, load_results, load_task_map, parse_results
    from inspectors.evals import render_html, resolve_model

    findings = [run.run("language_share", str(SAMPLE), {"language": lang}, workers=1) for lang in LANGS]
    corpus = findings[0].corpus_name
    task_map = load_task_map()
    annotated = []
    for name in FILES:
        result = load_results(shared(name))
        model = resolve_model(result, {result.model_label: corpus})
        outcome = attach_findings(result, findings, task_map, model)
        annotated.append(parse_results(outcome.data, result.path))
    data = build_report(annotated, "documents")
    # Evidence as a highlighting slice writes it (matches wrapped in ** by evidence.snippet).
    first = next(iter(data.findings.values()))
    first["evidence"] = [{"id": "doc-1", "url": "https://example.vn/a"}, *(first.get("evidence") or [])]
    first["evidence"][0]["snippet"] = "Theo Điều 5 **trong** luật này, <b>không</b> áp dụng **Điều 6**."
    text = render_html(data)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(text, encoding="utf-8")
    return path, text


def test_report_text_has_no_raw_markup_or_float_counts(report_html):
    _, text = report_html
    assert "**" not in text
    assert "<mark>trong</mark>" in text and "<mark>Điều 6</mark>" in text and "&lt;b&gt;" in text
    assert ".0 of " not in text and " of 720)" in text


LAYOUT = """() => {
  const out = {svgs: []};
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    const plot = svg.querySelector('rect.plot').getBoundingClientRect();
    const rects = sel => [...svg.querySelectorAll(sel)].map(e => e.getBoundingClientRect())
        .map(r => [r.left, r.top, r.right, r.bottom]);
    out.svgs.push({box: [box.left, box.top, box.right, box.bottom], plot: [plot.left, plot.top, plot.right, plot.bottom],
                   legend: rects('text.legend'), labels: rects('text.point-label'), points: rects('circle.point'),
                   ticks: [...svg.querySelectorAll('text.tick')].map(e => e.textContent), all: rects('text')});
  }
  return out;
}"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def test_report_layout_in_chromium(report_html):
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists()
    path, _ = report_html
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(path.as_uri())
            page.screenshot(path=str(ARTIFACTS / "eval_report.png"), full_page=True)
            page.locator("svg").first.screenshot(path=str(ARTIFACTS / "eval_report_chart.png"))
            layout = page.evaluate(LAYOUT)
        finally:
            browser.close()
    assert layout["svgs"], "no chart in the report"
    for svg in layout["svgs"]:
        box, plot = svg["box"], svg["plot"]
        for r in svg["all"]:  # every text (legend, ticks, titles) is inside the picture
            assert box[0] - 0.5 <= r[0] and r[2] <= box[2] + 0.5 and box[1] - 0.5 <= r[1] and r[3] <= box[3] + 0.5, r
        for pt in svg["points"]:  # no point on the frame
            assert plot[0] + 4 < pt[0] and pt[2] < plot[2] - 4 and plot[1] + 4 < pt[1] and pt[3] < plot[3] - 4, pt
        labels = svg["labels"]
        for i, a in enumerate(labels):
            for b in labels[i + 1:]:
                assert not _overlap(a, b), (a, b)
        assert svg["legend"] and all(not _overlap(a, b) for i, a in enumerate(svg["legend"]) for b in svg["legend"][i + 1:])
        percents = [t for t in svg["ticks"] if t.endswith("%")]
        assert percents and all(float(t[:-1]) <= 100 for t in percents), percents
        assert all(len(t.split(".")[-1]) <= 4 for t in svg["ticks"]), svg["ticks"]
