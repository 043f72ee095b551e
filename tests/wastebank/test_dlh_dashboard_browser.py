"""The diversion dashboard in a desktop browser with the demo data: every chart is
drawn by the vendored Chart.js from the JSON in the page, with no API call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy.orm import Session

from tests.wastebank.test_dlh_dashboard import demo_data  # noqa: F401 - fixture
from wastebank import demo

pytestmark = pytest.mark.integration

CHARTS = (
    "chart-month-tonnes",
    "chart-month-rates",
    "chart-jakstranas",
    "chart-materials",
    "chart-districts",
)


def test_the_dashboard_draws_every_chart_from_the_demo_data(
    desktop: Page,
    live_server: str,
    db: Session,
    demo_data: None,  # noqa: F811 - the fixture imported above
    artifacts_dir: Path,
) -> None:
    page = desktop
    api_calls: list[str] = []

    def watch(request: Request) -> None:
        if "/api/" in request.url:
            api_calls.append(request.url)

    page.on("request", watch)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(live_server + "/login")
    page.get_by_label("Nama pengguna").fill("dlh.ambon")
    page.get_by_label("Kata sandi").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()

    page.goto(live_server + "/dlh")
    expect(page.locator("#diversion-link")).to_be_visible()
    page.wait_for_load_state("networkidle")
    api_calls.clear()  # the control room reads its bins; the dashboard calls nothing
    page.get_by_role("link", name="Dasbor diversi").click()
    expect(
        page.get_by_role("heading", name=re.compile("Dasbor diversi"))
    ).to_be_visible()
    expect(page.locator('[data-key="tpa_delivered_kg"]')).to_contain_text("terukur")
    expect(page.locator("#districts-table")).to_contain_text("Sirimau")
    expect(page.locator("#materials-table")).to_contain_text("Plastik")

    for chart_id in CHARTS:
        canvas = page.locator(f"#{chart_id}")
        expect(canvas).to_be_visible()
        # The page is there before its deferred scripts have run on a busy machine.
        page.wait_for_function(
            "(id) => window.Chart && Chart.getChart(document.getElementById(id))",
            arg=chart_id,
        )
        drawn = canvas.evaluate(
            """(canvas) => {
                const chart = Chart.getChart(canvas);
                if (chart === undefined) return null;
                const points = chart.data.datasets.flatMap((set) => set.data)
                    .filter((value) => value !== null && value !== undefined);
                const pixels = canvas.getContext("2d")
                    .getImageData(0, 0, canvas.width, canvas.height).data;
                let inked = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
                return {points: points.length, inked: inked, width: canvas.width};
            }"""
        )
        assert drawn is not None, f"{chart_id} has no Chart instance"
        assert drawn["points"] > 0, f"{chart_id} has no data"
        assert drawn["inked"] > 1000, f"{chart_id} is blank"
        assert drawn["width"] > 100

    page.screenshot(path=str(artifacts_dir / "dlh-dashboard.png"), full_page=True)
    assert errors == []
    assert api_calls == []
