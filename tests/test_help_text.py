"""`?` help pages: set for a terminal by the Chinese line-breaking rules, keys one per line."""

from __future__ import annotations

import pytest
from rich.console import Console

from zcreview.screens.help_text import blocks, render_help, tight
from zcreview.screens.kinsoku import NO_LINE_END, NO_LINE_START
from zcreview.screens.queue import QueueScreen
from zcreview.screens.review import ReviewScreen


def lines_of(markdown: str, width: int, *, ascii_mode: bool = False) -> list[str]:
    console = Console(width=width, record=True, color_system=None, legacy_windows=False)
    console.print(render_help(markdown, ascii_mode=ascii_mode))
    return console.export_text().splitlines()


@pytest.mark.parametrize("screen", [QueueScreen, ReviewScreen])
@pytest.mark.parametrize("width", [76, 116])
def test_screen_help_wraps_by_the_chinese_rules_and_cuts_nothing(
    screen: type[QueueScreen] | type[ReviewScreen], width: int
) -> None:
    markdown = tight(screen.HELP)
    lines = lines_of(markdown, width)
    shown = "".join(line.strip() for line in lines)
    for kind, source in blocks(markdown):
        # every word of every item is on screen: folded, never cut with "…"
        words = source.replace("`", "").replace("**", "").replace(" ", "")
        assert words in shown.replace(" ", "").replace("•", ""), (kind, source)
    for line in lines:
        text = line.strip()
        assert len(line) <= width
        if text.startswith("•") or not text:
            continue
        assert text[0] not in NO_LINE_START, line
    for line in lines:
        assert line.rstrip()[-1:] not in NO_LINE_END, line


def test_items_hang_under_their_bullet() -> None:
    markdown = "- `a`" + "审核通过，" * 30
    lines = lines_of(markdown, 40)
    assert lines[0].startswith("• a审核通过")
    assert len(lines) > 2 and all(line.startswith("  ") for line in lines[1:] if line.strip())


def test_tight_keeps_keys_with_their_words_and_markdown_marks() -> None:
    source = "## 审核队列\n\n- `v` 只读查看；`J` / `K` 查看\n  下一份 / 上一份；Esc 清除\n"
    out = tight(source)
    assert out.startswith("## 审核队列\n\n- `v`只读查看；`J`/`K`查看\n")
    # the item's two source lines are one, with no space where the line broke
    assert list(blocks(out))[-1] == ("item", "`v`只读查看；`J`/`K`查看下一份/上一份；Esc清除")


def test_ascii_mode_sets_the_same_page_in_ascii_stand_ins() -> None:
    lines = lines_of(tight(QueueScreen.HELP), 76, ascii_mode=True)
    text = "\n".join(lines)
    assert "* /按姓名" in text and "•" not in text and "–" not in text
