"""The steward's pages in a real browser: a keyboard verdict that changes the person, the next pair at
once, a required reason, undo, split and join on the person view, and a role that may not judge."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from hub.privacy.access import Role
from tests.pages.conftest import SignIn, threaded
from tests.resolvers.conftest import Api


def _keys_on_person_page(page: Page, person_id: str) -> set[str]:
    page.goto(f"/ui/orang/{person_id}")
    return {row.get_attribute("id") or "" for row in page.locator("#tabel-catatan tbody tr").all()}


def _side(page: Page, n: int) -> tuple[str, str]:
    """The person and the record (as the person page's row id) of side ``n`` of the pair shown."""
    th = page.locator(f"#pasangan th.side-{n}")
    return th.get_attribute("data-person") or "", f"rec-{th.get_attribute('data-source')}-{th.get_attribute('data-key')}"


def test_a_keyboard_same_joins_the_persons_shows_the_next_pair_and_undo_parts_them(
        signed_in: SignIn, pages_world: Api) -> None:
    _, key = threaded(pages_world.officer_key, Role.STEWARD, None, "steward in the browser")
    page = signed_in(key=key)
    page.goto("/ui/pemeriksaan/pasangan")
    pair = page.locator("#pasangan")
    candidate = pair.get_attribute("data-candidate")
    next_url = pair.get_attribute("data-next") or ""
    (left, left_record), (right, right_record) = _side(page, 1), _side(page, 2)
    assert candidate and next_url and left != right

    # A verdict without a reason is refused, on the page and by the server.
    page.keyboard.press("s")
    expect(page.locator("input[name=decision][value=SAME]")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator("#pesan")).to_contain_text("Alasan wajib diisi")
    expect(pair).to_have_attribute("data-candidate", candidate)
    csrf = page.locator("input[name=csrf]").first.input_value()
    refused = page.request.post("/ui/pemeriksaan/putusan", headers={"Accept": "application/json"}, form={
        "csrf": csrf, "candidate": candidate, "decision": "SAME", "reason": " "})
    assert refused.status == 400 and "Alasan wajib diisi" in refused.json()["message"]

    # S, a reason, Enter: the next pair is on screen, and the verdict is stored.
    page.keyboard.type("ibu kandung dan KK sama")
    page.keyboard.press("Enter")
    expect(pair).not_to_have_attribute("data-candidate", candidate)
    assert next_url.startswith(f"/ui/pemeriksaan/pasangan/{pair.get_attribute('data-candidate')}")
    # The refusal is gone as soon as the verdict is sent; the answer comes when the persons are rebuilt
    # (seconds on a loaded machine, while the steward already reads the next pair).
    expect(page.locator("#pesan")).not_to_contain_text("Alasan wajib diisi")
    expect(page.locator("#pesan")).to_contain_text("tersimpan", timeout=20_000)
    # The person page now lists both records under one person (the other id leads to it).
    assert {left_record, right_record} <= _keys_on_person_page(page, left)
    assert {left_record, right_record} <= _keys_on_person_page(page, right)

    # Undo from the list of one's own verdicts: the records are apart again, under their own ids.
    page.goto("/ui/pemeriksaan/putusan-saya")
    page.locator(f"tr[data-candidate='{candidate}'] button").click()
    expect(page.locator("p.info[role=status]")).to_contain_text("dibatalkan")
    held = _keys_on_person_page(page, left)
    assert left_record in held and right_record not in held
    assert right_record in _keys_on_person_page(page, right)


def test_split_out_a_record_then_join_it_back_on_the_person_view(signed_in: SignIn, pages_world: Api) -> None:
    _, key = threaded(pages_world.officer_key, Role.STEWARD, None, "steward splitting")
    page = signed_in(key=key)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/ui/pemeriksaan")
    page.locator("#tabel-bertentangan tbody a").first.click()
    person = page.url.rsplit("/", 1)[1]
    records = page.locator("#pisah td.record-id").all_inner_texts()
    assert len(records) >= 2
    moving = records[-1]
    page.check(f"#pisah input[value='{moving}']")
    page.fill("#alasan-pisah", "tanggal lahir dan ibu kandung lain")
    page.click("#pisah button[type=submit]")
    expect(page.locator("h1")).to_have_text("Catatan dipisahkan")
    parts = page.locator(".result-person")
    expect(parts).to_have_count(2)
    moved_to = parts.filter(has=page.locator("li.moved")).get_attribute("data-person") or ""
    rest = next(p for p in (parts.nth(0).get_attribute("data-person"), parts.nth(1).get_attribute("data-person"))
                if p != moved_to) or ""
    assert person not in (moved_to, rest)
    source, source_key = moving.split(":", 1)
    assert _keys_on_person_page(page, moved_to) == {f"rec-{source}-{source_key}"}
    # The old id says where its records went.
    page.goto(f"/ui/pemeriksaan/orang/{person}")
    expect(page.locator("section.redirect")).to_contain_text(moved_to)
    expect(page.locator("section.redirect")).to_contain_text(rest)
    # The person page of the retired id (an app's stored link) leads to both parts.
    page.goto(f"/ui/orang/{person}")
    expect(page.locator("ul.current-ids a")).to_have_text(sorted([moved_to, rest]))

    # Join the moved record's person back to the rest: one person holding every record.
    page.goto(f"/ui/pemeriksaan/orang/{moved_to}")
    page.fill("#orang-lain", rest)
    page.fill("#alasan-gabung", "ternyata orang yang sama")
    page.click("#gabung button[type=submit]")
    expect(page.locator("h1")).to_have_text("Orang digabungkan")
    expect(page.locator(".result-person")).to_have_count(1)
    expect(page.locator(".result-person li.record-id")).to_have_count(len(records))
    # Both undone, newest first: the person is whole again under the id it had.
    page.goto("/ui/pemeriksaan/putusan-saya")
    page.locator("table.mine button").first.click()
    page.locator("table.mine button").first.click()
    expect(page.locator("table.mine")).to_have_count(0)
    assert len(_keys_on_person_page(page, person)) == len(records)


def test_an_analyst_may_not_review_or_judge(signed_in: SignIn) -> None:
    page = signed_in(Role.ANALYST)
    response = page.goto("/ui/pemeriksaan")
    assert response is not None and response.status == 403
    expect(page.locator(".error")).to_contain_text("tidak boleh")
    csrf = page.locator("input[name=csrf]").first.input_value()
    refused = page.request.post("/ui/pemeriksaan/putusan", form={
        "csrf": csrf, "candidate": "MC-X", "decision": "SAME", "reason": "coba"})
    assert refused.status == 403 and "tidak boleh" in refused.text()
