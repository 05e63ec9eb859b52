"""`[keys]` in settings.toml remaps bindings by id: footer, help and palette show the new key,
the key acts, and an unknown id is an error naming the file and the id."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pilot_helpers import screen_text, settle, workstation_app
from tests.review_helpers import Clock
from tests.review_screen_data import fill, new_office
from zcreview.domain.workflow import State
from zcreview.errors import UserError
from zcreview.screens.app import ZcReviewApp
from zcreview.screens.help import HelpScreen
from zcreview.screens.queue_pass import QueuePassDialog
from zcreview.screens.review_services import ReviewServices
from zcreview.settings import load_settings
from zcreview.storage import applications
from zcreview.storage import queue as queue_db
from zcreview.storage.queue import QueueFilter
from zcreview.storage.store import Store


def app_with(store: Store, settings_text: str) -> ZcReviewApp:
    (store.home / "settings.toml").write_text(settings_text, encoding="utf-8")
    settings = load_settings(store.home)
    services = ReviewServices(store, settings, clock=Clock(), isolate_previews=False)
    return workstation_app(settings, store, services=services, reviewer="张审核")


@pytest.mark.anyio
@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_remapped_pass_key_passes_and_help_footer_palette_show_it(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    store = new_office(tmp_path / "home")
    fill(store, 3)
    try:
        app = app_with(store, '[keys]\n"queue.pass" = "p"\n"app.stats" = "ctrl+t"\n')
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            with store.session() as s:
                first = queue_db.page(QueueFilter(), 0, 1, session=s)[0].id
            await pilot.press("a")  # the old key does nothing now
            await settle(pilot)
            assert not isinstance(app.screen, QueuePassDialog)
            assert " p 通过" in screen_text(app)  # the footer
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(app.screen, QueuePassDialog)
            await pilot.press("y")
            await settle(pilot)
            with store.session() as s:
                row = applications.get_row(first, session=s)
                assert row is not None and row.state == State.PASSED.value
            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            markdown = app.screen._markdown
            assert "- `p`：通过" in markdown and "- `a`：通过" not in markdown
            assert "- `^t`：统计" in markdown
            assert "- `queue.pass`：通过" in markdown
            if size == (120, 40):  # the queue's key list is below the first page at 80×24
                assert "• p：通过" in screen_text(app)
            await pilot.press("q")
            await settle(pilot)
            await pilot.press("down")
            await settle(pilot)
            commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
            assert commands["通过"] == "领取并审核通过（需确认）（p）"
            from zcreview.screens.palette import app_keys

            assert app_keys(app)["open_stats"] == "^t"
            await pilot.press("ctrl+t")
            await settle(pilot)
            assert type(app.screen).__name__ == "StatsScreen"
    finally:
        store.dispose()


def test_an_unknown_binding_id_names_the_file_and_the_id(tmp_path: Path) -> None:
    store = new_office(tmp_path / "home")
    try:
        with pytest.raises(UserError) as exc:
            app_with(store, '[keys]\n"queue.passs" = "p"\n')
        message = str(exc.value)
        assert str(store.home / "settings.toml") in message and "queue.passs" in message
    finally:
        store.dispose()


def test_a_key_that_is_not_a_string_is_a_settings_error(tmp_path: Path) -> None:
    from zcreview.settings import SettingsError

    (tmp_path / "settings.toml").write_text('[keys]\n"queue.pass" = 1\n', encoding="utf-8")
    with pytest.raises(SettingsError) as exc:
        load_settings(tmp_path)
    assert "keys.queue.pass 的类型不对" in str(exc.value)


@pytest.mark.parametrize(
    ("table", "named"),
    [
        # Another binding of the same screen answers f: one of the two would be unreachable.
        ('"queue.pass" = "f"', ["queue.pass", "queue.states", "f"]),
        # The app's own keys work on every screen: a screen's key would shadow it.
        ('"app.stats" = "a"', ["app.stats", "queue.pass", "a"]),
        ('"queue.pass" = "T"', ["queue.pass", "app.stats", "T"]),
        # Both keys of a remap are checked.
        ('"queue.open" = "o,s"', ["queue.open", "queue.sort", "s"]),
    ],
)
def test_a_remap_onto_a_key_in_use_names_both_bindings(
    tmp_path: Path, table: str, named: list[str]
) -> None:
    store = new_office(tmp_path / "home")
    try:
        with pytest.raises(UserError) as exc:
            app_with(store, f"[keys]\n{table}\n")
        message = str(exc.value)
        assert str(store.home / "settings.toml") in message
        assert all(word in message for word in named), message
    finally:
        store.dispose()


def test_a_remap_that_moves_both_bindings_of_one_id_is_no_conflict(tmp_path: Path) -> None:
    """review.next is `J` and, at the last application, a binding that says so: one id, both
    move together, and a free key is accepted."""
    store = new_office(tmp_path / "home")
    try:
        app = app_with(store, '[keys]\n"review.next" = "ctrl+n"\n"queue.pass" = "p"\n')
        assert app.settings.keys == {"review.next": "ctrl+n", "queue.pass": "p"}
    finally:
        store.dispose()
