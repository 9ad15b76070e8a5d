"""The reporter's journey as a frightened person meets it (issue 14), in real Chromium: several
motives, each field's own hint, follow-up questions without JavaScript, file problems before
any upload, the error summary, the browser's language, leaving without a trace in the history,
a reply that a reload does not send again, example dates and phones left to right in Arabic and
Farsi, and the statistics chart inside its box right to left."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from reporting.models import Case, HelpService, Message
from reporting.services import organisation_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fallback(db: None) -> Any:
    return organisation_create(actor=None, slug="landesstelle", name="Landesstelle", is_fallback=True)


def _jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


# Every control with aria-describedby: each id it names exists and is the hint or error of the
# control's own field ("hint-<name>" / "error-<name>"; a group names its controls' field).
OWN_HINTS_JS = """
(form) => {
  const problems = [];
  let checked = 0;
  for (const element of form.querySelectorAll('[aria-describedby]')) {
    const names = element.name ? [element.name]
      : Array.from(element.querySelectorAll('input, select, textarea')).map((c) => c.name);
    for (const id of element.getAttribute('aria-describedby').split(/\\s+/).filter(Boolean)) {
      checked += 1;
      const target = document.getElementById(id);
      if (!target) { problems.push(`${names[0]}: #${id} does not exist`); continue; }
      const match = id.match(/^(hint|error)-(.+)$/);
      if (!match) { continue; }  // the character counter and the file list (enhance.js)
      const field = match[2];
      if (!names.some((name) => name === field || name.startsWith(field + '_'))) {
        problems.push(`${names.join(',')} points at #${id}`);
      }
    }
  }
  return {problems, checked};
}
"""


def test_the_motive_question_offers_checkboxes_and_keeps_several_choices(
    live_server: Any, page: Any, fallback: Any
) -> None:
    page.goto(live_server.url + "/en/report/")
    group = page.get_by_role("group", name="Why do you think it happened?")
    boxes = group.get_by_role("checkbox")
    assert boxes.count() >= 3
    assert group.get_by_role("radio").count() == 0
    first, second = page.locator("#id_motives_0"), page.locator("#id_motives_1")
    assert first.get_attribute("type") == "checkbox" and "checkbox" in (first.get_attribute("class") or "")
    # Drawn as a checkbox, not a round radio button.
    assert first.evaluate("(el) => getComputedStyle(el).borderRadius") != "50%"
    first.check()
    second.check()
    expect(first).to_be_checked()
    expect(second).to_be_checked()
    chosen = sorted([first.get_attribute("value"), second.get_attribute("value")])
    page.fill("#id_description", "Two reasons at once.")
    # Sent once without consent: the page comes back with both still ticked.
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#id_motives_0")).to_be_checked()
    expect(page.locator("#id_motives_1")).to_be_checked()
    page.locator("#id_consent").check()
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    assert sorted(Case.objects.get().motives) == chosen


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_every_field_points_at_its_own_hint(live_server: Any, browser: Any, fallback: Any, javascript: bool) -> None:
    context = browser.new_context(java_script_enabled=javascript, locale="en")
    page = context.new_page()
    try:
        for language in ("en", "de", "ar"):
            page.goto(f"{live_server.url}/{language}/report/")
            result = page.locator("#report-form").evaluate(OWN_HINTS_JS)
            assert result["problems"] == [] and result["checked"] >= 15, (language, result)
        page.goto(live_server.url + "/en/report/")
        # The hints the review found under the wrong fields now say what their field is about.
        assert "evidence" not in page.locator("#hint-wants_counselling").inner_text()
        assert "without giving any contact details" not in page.locator("#hint-contact_email").inner_text()
        assert "Only if you chose" in page.locator("#hint-contact_phone").inner_text()
        assert page.locator("#hint-people_affected").inner_text() != page.locator("#hint-role").inner_text()
        # With errors, each control points at its own message too.
        page.locator("#report-form button[type=submit]").click()
        result = page.locator("#report-form").evaluate(OWN_HINTS_JS)
        assert result["problems"] == [], result
        assert "error-description" in (page.locator("#id_description").get_attribute("aria-describedby") or "")
    finally:
        context.close()


def test_conditional_questions_without_javascript_in_arabic(live_server: Any, nojs_page: Any, fallback: Any) -> None:
    page = nojs_page
    page.goto(live_server.url + "/ar/report/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # Each follow-up question sits right under the choice that asks it, with its own "only if".
    for choice, control, hint in (
        ("#id_date_known_0", "#id_occurred_on", "#hint-occurred_on"),
        ("#id_date_known_1", "#id_occurred_month_month", "#hint-occurred_month"),
        ("#id_contact_1", "#id_contact_email", "#hint-contact_email"),
        ("#id_contact_2", "#id_contact_phone", "#hint-contact_phone"),
    ):
        expect(page.locator(control)).to_be_visible()
        expect(page.locator(hint)).to_be_visible()
        grouped = page.locator(choice).evaluate(
            "(radio, control) => { const check = radio.closest('.kern-form-check');"
            " const part = check.nextElementSibling;"
            " return !!part && part.classList.contains('conditional') && !!part.querySelector(control); }",
            control,
        )
        assert grouped, f"{control} is not right under {choice}"
    hints = [page.locator(h).inner_text() for h in ("#hint-occurred_on", "#hint-occurred_month",
                                                     "#hint-contact_email", "#hint-contact_phone")]
    assert len(set(hints)) == 4 and all(hints)
    # The journey: the month, a phone number, the description and consent; one answer back.
    page.locator("#id_date_known_1").check()
    page.select_option("#id_occurred_month_month", "03")
    page.select_option("#id_occurred_month_year", page.locator("#id_occurred_month_year option").nth(2).get_attribute("value"))
    page.locator("#id_contact_2").check()
    page.fill("#id_contact_phone", "0511 123456")
    page.fill("#id_contact_email", "not-chosen@example.org")  # typed, but "by e-mail" was not chosen
    page.fill("#id_description", "شخص صرخ في وجهي في الحافلة")
    page.locator("#id_consent").check()
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    case = Case.objects.get()
    assert case.language == "ar"


def test_an_oversized_and_a_wrong_type_file_are_named_before_any_upload(
    live_server: Any, page: Any, fallback: Any, settings: Any, tmp_path: Path
) -> None:
    settings.REPORT_MAX_FILE_BYTES = 50_000
    big = tmp_path / "huge.jpg"
    big.write_bytes(_jpeg() + b"\0" * 60_000)
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"MZ\x90\x00" + b"\0" * 500)  # a program renamed to .jpg
    good = tmp_path / "photo.jpg"
    good.write_bytes(_jpeg())
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    page.goto(live_server.url + "/en/report/")
    page.set_input_files("#id_files", [str(big), str(fake), str(good)])
    states = page.locator("[data-file-list-for=id_files] [data-file-state]")
    expect(states).to_have_count(3)
    errors = page.locator("[data-file-list-for=id_files] [data-file-state=error]")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("huge.jpg")
    expect(errors.nth(0)).to_contain_text("larger than")
    expect(errors.nth(1)).to_contain_text("fake.jpg")
    expect(page.locator("[data-file-list-for=id_files] [data-file-state=ok]")).to_contain_text("photo.jpg")
    # Sending is held back until they are left out: nothing was uploaded.
    page.fill("#id_description", "With files.")
    page.locator("#id_consent").check()
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator(".file-list__blocked")).to_be_visible()
    assert posts == []
    # Leaving both out with their buttons, the good photo goes.
    page.locator(".file-state__leave-out").first.click()
    page.locator(".file-state__leave-out").first.click()
    expect(errors).to_have_count(0)
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    assert Case.objects.get().attachments.count() == 1


def test_without_javascript_every_bad_file_is_named_and_the_page_says_what_to_choose_again(
    live_server: Any, nojs_page: Any, fallback: Any, settings: Any, tmp_path: Path
) -> None:
    settings.REPORT_MAX_FILE_BYTES = 50_000
    big = tmp_path / "huge.jpg"
    big.write_bytes(_jpeg() + b"\0" * 60_000)
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"MZ\x90\x00" + b"\0" * 500)
    good = tmp_path / "photo.jpg"
    good.write_bytes(_jpeg())
    page = nojs_page
    page.goto(live_server.url + "/en/report/")
    page.fill("#id_description", "With files, no JavaScript.")
    page.locator("#id_consent").check()
    page.set_input_files("#id_files", [str(big), str(fake), str(good)])
    page.locator("#report-form button[type=submit]").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("huge.jpg")
    expect(summary).to_contain_text("fake.jpg")
    expect(page.locator("[data-files-again]")).to_have_text("photo.jpg")
    expect(page.locator("[data-files-refused] li")).to_have_count(2)
    assert Case.objects.count() == 0


def test_the_error_summary_is_focused_and_names_each_question(live_server: Any, page: Any, fallback: Any) -> None:
    page.goto(live_server.url + "/en/report/")
    page.fill("#id_people_affected", "0")
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_focused()
    links = page.locator("#error-summary .error-summary__list a")
    texts = [links.nth(i).inner_text() for i in range(links.count())]
    assert any(text.startswith("Please describe what happened:") for text in texts), texts
    assert any(text.startswith("How many people were affected? (optional):") for text in texts), texts
    assert any(text.startswith("I agree that") for text in texts), texts


def test_the_root_follows_the_browsers_language(live_server: Any, browser: Any) -> None:
    context = browser.new_context(locale="tr-TR", extra_http_headers={"Accept-Language": "tr-TR,tr;q=0.9"})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        assert page.url == live_server.url + "/tr/"
        assert page.locator("html").get_attribute("lang") == "tr"
        # The switcher is there, with all seven languages.
        expect(page.locator(".lang-switch a")).to_have_count(7)
        # The start page says what the service is and is not.
        expect(page.locator("[data-service-identity]")).to_be_visible()
    finally:
        context.close()


def test_leaving_quickly_leaves_no_history_entry_of_this_site(live_server: Any, page: Any, settings: Any) -> None:
    neutral = live_server.url + "/healthz?neutral"
    settings.LEAVE_QUICKLY_URLS = {"*": neutral, "de": neutral}
    before = live_server.url + "/healthz?before"
    page.goto(before)
    page.goto(live_server.url + "/de/")
    arrived = page.evaluate("history.length")  # the visit's one entry, and those before it
    page.locator("main a[href$='/de/report/']").first.click()  # a link within the site
    page.wait_for_url("**/de/report/")
    assert page.evaluate("history.length") == arrived  # the link replaced the entry
    page.locator("a.leave-quickly").click()
    page.wait_for_url(neutral)
    assert page.evaluate("history.length") == arrived  # leaving replaced it too
    page.go_back()
    assert page.url == before  # not the form, not the start page


def test_a_followup_reply_is_post_redirect_get(
    live_server: Any, page: Any, fallback: Any, submit: Any, settings: Any, tmp_path: Any
) -> None:
    # The server path: with bundle/followup.js the reply goes through the API instead
    # (tests/e2e/test_sealed_followup_journey.py), and falls back to this post.
    settings.FOLLOWUP_BUNDLE = tmp_path / "not-built.js"
    receipt = submit().receipt_code
    page.goto(live_server.url + "/en/followup/")
    page.fill("#id_receipt", receipt)
    page.locator("main form button[type=submit]").first.click()
    page.fill("#id_body", "Thank you for reading.")
    with page.expect_response(lambda response: response.url.endswith("/followup/reply/")) as sent:
        page.get_by_role("button", name="Send message").click()
    assert sent.value.status == 303
    expect(page.locator("#notice")).to_contain_text("Your message has been sent.")
    expect(page.locator(".message--mine")).to_contain_text("Thank you for reading.")
    assert page.url == live_server.url + "/en/followup/"  # the one-time address is not kept
    page.reload()
    assert Message.objects.count() == 1  # the reload sent nothing
    expect(page.locator("#id_receipt")).to_be_visible()  # it asks for the code again


# The bounding boxes of the first and the last group of digits of the example inside `selector`:
# left to right means the year (or area code) is drawn left of the day (or number).
EXAMPLE_ORDER_JS = """
(isolate) => {
  const text = isolate.firstChild;
  const first = document.createRange();
  const value = text.textContent;
  const cut = value.search(/[^0-9+]/);
  first.setStart(text, 0); first.setEnd(text, cut);
  const last = document.createRange();
  const end = value.length;
  const start = value.search(/[0-9]+$/);
  last.setStart(text, start); last.setEnd(text, end);
  return {value, first: first.getBoundingClientRect().left, last: last.getBoundingClientRect().left};
}
"""


@pytest.mark.parametrize("language", ["ar", "fa"])
def test_example_dates_and_phone_numbers_read_left_to_right(
    live_server: Any, browser: Any, nojs_page: Any, fallback: Any, language: str
) -> None:
    page = nojs_page
    page.goto(f"{live_server.url}/{language}/report/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    for hint, example in (("#hint-occurred_on", "2025-03-14"), ("#hint-contact_phone", "0511 123456")):
        isolate = page.locator(f"{hint} bdi[dir=ltr]")
        expect(isolate).to_have_text(example)
        order = isolate.evaluate(EXAMPLE_ORDER_JS)
        assert order["first"] < order["last"], order
    # The same in an error message that gives the example (a browser whose date field is a plain
    # text box sends what was typed).
    context = browser.new_context(locale=language)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/{language}/report/")
        page.locator("#id_date_known_0").check()
        page.locator("#id_occurred_on").evaluate("(input) => { input.type = 'text'; }")
        page.fill("#id_occurred_on", "31.02.2025")
        page.fill("#id_description", "x")
        page.locator("#report-form button[type=submit]").click()
        isolate = page.locator("#error-occurred_on bdi[dir=ltr]").first
        expect(isolate).to_have_text("2025-03-14")
        order = isolate.evaluate(EXAMPLE_ORDER_JS)
        assert order["first"] < order["last"], order
    finally:
        context.close()


@pytest.fixture
def published_year(db: None) -> int:
    from stats.demo import load_demo_statistics
    from stats.models import Publication

    organisation_create(actor=None, slug="landesstelle", name="Landesstelle", is_fallback=True)
    load_demo_statistics()
    return Publication.objects.order_by("-year").values_list("year", flat=True).first()


@pytest.mark.parametrize("language", ["ar", "fa", "de"])
def test_statistics_chart_labels_stay_inside_the_view_box(
    live_server: Any, page: Any, published_year: int, language: str
) -> None:
    page.goto(f"{live_server.url}/{language}/statistics/{published_year}/")
    outside = page.evaluate("""
      () => {
        const out = []; let seen = 0;
        for (const svg of document.querySelectorAll('svg.bar-chart')) {
          const box = svg.viewBox.baseVal;
          for (const text of svg.querySelectorAll('text')) {
            const b = text.getBBox(); seen += 1;
            if (b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5) {
              out.push(`${text.textContent}: ${Math.round(b.x)}..${Math.round(b.x + b.width)}`);
            }
          }
        }
        return {out, seen};
      }
    """)
    assert outside["seen"] > 0 and outside["out"] == [], outside


def test_the_help_page_lists_real_contacts(live_server: Any, page: Any, fallback: Any) -> None:
    from counselling.demo import load_demo_help
    from reporting.services import organisation_update

    organisation_update(actor=None, organisation=fallback.organisation, public_contact="beratung@example.org")
    load_demo_help()
    page.goto(live_server.url + "/en/help/")
    expect(page.locator("#emergency a[href='tel:110']")).to_be_visible()
    expect(page.locator("#emergency a[href='tel:112']")).to_be_visible()
    expect(page.locator("main")).to_contain_text("beratung@example.org")
    for service in HelpService.objects.exclude(kind=HelpService.Kind.EMERGENCY).filter(referral_only=False):
        expect(page.locator("main")).to_contain_text(service.name)
    for service in HelpService.objects.filter(referral_only=True):  # for counsellors' referrals only
        expect(page.locator("main")).not_to_contain_text(service.name)
