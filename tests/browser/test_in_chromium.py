"""What a person does in a browser, end to end: the admin, the pictures, the docs and the
browsable API, each with screenshots (``tests/artifacts/screenshots/``)."""

import re

from playwright.sync_api import expect

from .conftest import log_in


def select2_pick(page, field_selector: str, typed: str, option: str) -> None:
    """Choose in one of the admin's autocomplete boxes as a person does: open, type, pick."""
    page.locator(field_selector).locator("xpath=following-sibling::span[1]").click()
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=option).first.click()


def test_an_editor_logs_in_and_filters_the_measures_list(site, tab):
    page = tab.page
    log_in(tab, site)
    tab.screenshot("admin-home")
    page.goto(site.url("/admin/timeline/measure/"))
    rows_before = page.locator("#result_list tbody tr").count()
    page.locator("#changelist-filter a", has_text="European Union").first.click()
    expect(page).to_have_url(re.compile(r"jurisdiction__code__exact=EU|jurisdiction__id__exact="))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    assert rows_before > 1
    expect(rows.first).to_contain_text("eu-2024-1252-crma")
    tab.screenshot("admin-measures-filtered")


def test_an_editor_adds_a_measure_with_materials_events_and_sources(site, tab):
    page = tab.page
    log_in(tab, site)
    page.goto(site.url("/admin/timeline/measure/add/"))
    page.fill("#id_key", "jp-meti-2026-browser-test")
    page.fill("#id_title", "Export licence requirement on gallium arsenide wafers")
    select2_pick(page, "#id_jurisdiction", "JP", "Japan")
    page.select_option("#id_measure_type", "export_licence_requirement")
    page.fill("#id_announced_on", "2026-01-15")
    page.fill("#id_effective_on", "2026-03-01")
    page.locator("#material_links-group .add-row a").click()
    select2_pick(page, "#id_material_links-0-material", "gall", "Gallium")
    page.fill("#id_material_links-0-scope", "wafers over 150 mm")
    page.locator("#events-group .add-row a").click()
    page.fill("#id_events-0-date", "2026-01-20")
    page.select_option("#id_events-0-type", "published")
    page.locator("#sources-group .add-row a").click()
    page.fill("#id_sources-0-url", "https://www.meti.go.jp/english/press/")
    tab.screenshot("admin-add-measure-filled")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    tab.screenshot("admin-measure-added")
    page.goto(site.url("/timeline/measures/jp-meti-2026-browser-test/"))
    expect(page.locator(".events-table")).to_contain_text("Published")
    expect(page.locator(".facts")).to_contain_text("Gallium")


def test_a_measure_that_ends_before_it_takes_effect_is_refused_with_the_reason(site, tab):
    page = tab.page
    log_in(tab, site)
    page.goto(site.url("/admin/timeline/measure/add/"))
    page.fill("#id_key", "xx-browser-invalid-dates")
    page.fill("#id_title", "A measure with its dates the wrong way round")
    select2_pick(page, "#id_jurisdiction", "CN", "China")
    page.select_option("#id_measure_type", "export_prohibition")
    page.fill("#id_effective_on", "2026-03-01")
    page.fill("#id_ends_on", "2026-02-01")
    page.click("input[name=_save]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-ends_on .errorlist")).to_contain_text(
        "must come after the day it takes effect"
    )
    tab.screenshot("admin-validation-error")


def test_an_editor_reads_a_measures_history(site, tab):
    page = tab.page
    log_in(tab, site)
    page.goto(site.url("/admin/timeline/measure/?q=cn-mofcom-2025-62"))
    page.locator("#result_list a", has_text="cn-mofcom-2025-62").first.click()
    page.locator("a.historylink").click()
    expect(page.locator("#content h1")).to_contain_text("history", ignore_case=True)
    expect(page.locator("#change-history, #content table").first).to_be_visible()
    tab.screenshot("admin-measure-history")


def test_the_timeline_picture_at_1366_pixels_links_each_bar_to_its_measure(site, tab):
    page = tab.page
    page.goto(site.url("/timeline/?material=dysprosium&jurisdiction=CN"))
    rows = page.locator(".chart-rows .chart-row")
    expect(rows).to_have_count(3)
    labels = rows.locator(".label")
    for index in range(3):  # labels readable on one line, not cut to nothing
        assert labels.nth(index).bounding_box()["width"] > 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    tab.screenshot("timeline-dysprosium-cn-1366")
    page.locator(".zoom a", has_text="2025").click()
    expect(page.locator(".zoom strong")).to_have_text("2025")
    tab.screenshot("timeline-dysprosium-cn-2025")
    page.locator(".chart-rows svg.bar a").first.click()
    expect(page).to_have_url(re.compile(r"/timeline/measures/[-a-z0-9]+/$"))
    expect(page.locator(".events-table")).to_be_visible()
    tab.screenshot("measure-page-1366")


def test_the_timeline_picture_fits_a_phone(site, phone_tab):
    page = phone_tab.page
    page.goto(site.url("/timeline/?material=rare-earth-elements&from_year=2023"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    bar = page.locator(".chart-rows svg.bar").first.bounding_box()
    assert bar["width"] > 300  # the bar keeps the screen's width; its label sits above it
    phone_tab.screenshot("timeline-rare-earths-phone")
    page.goto(site.url("/timeline/measures/cn-mofcom-gac-2025-55/"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_tab.screenshot("measure-page-phone")


def test_the_front_page_leads_to_the_picture(site, tab):
    page = tab.page
    page.goto(site.url("/"))
    tab.screenshot("front-page")
    page.locator(".questions li", has_text="rare earths since 2023").get_by_text(
        "See it on the timeline"
    ).click()
    expect(page.locator(".chart-rows .chart-row").first).to_be_visible()


def test_swagger_ui_renders_every_operation_without_the_internet(site, tab):
    page = tab.page
    page.goto(site.url("/api/docs/"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("RegWatch API")
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/measures/").first
    ).to_be_visible()
    tab.screenshot("docs-swagger-ui", full_page=False)


def test_redoc_renders_the_reference_without_the_internet(site, tab):
    page = tab.page
    page.goto(site.url("/api/redoc/"))
    # Redoc parses the whole schema before it draws anything: give it time.
    expect(page.locator("h1", has_text="RegWatch API")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("List measures").first).to_be_attached()
    tab.screenshot("docs-redoc", full_page=False)


def test_the_browsable_api_filter_form_asks_only_what_was_filled_in(site, tab):
    page = tab.page
    log_in(tab, site)
    page.goto(site.url("/api/v1/measures/"))
    page.get_by_role("button", name="Filters").click()
    page.fill("#filtersModal #id_material", "dysprosium")
    tab.screenshot("browsable-api-filters", full_page=False)
    page.click("#filtersModal button[type=submit]")
    expect(page).to_have_url(site.url("/api/v1/measures/?material=dysprosium"))
    expect(page.locator(".response-info")).to_contain_text('"count": 5')
    page.goto(site.url("/api/v1/measures/cn-mofcom-2025-62/"))
    assert "cn-mofcom-2025-62" in page.locator("#id__content").input_value()
    tab.screenshot("browsable-api-measure", full_page=False)
