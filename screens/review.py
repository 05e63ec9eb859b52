"""Review one application: every field with its checks and evidence, flags, and the decision.

Opening claims the application for this reviewer (others then see who has it until when);
`a` passes it (after a confirmation), `r` opens the return composer, `o` reopens a passed one.
Every decision runs in a worker and is committed before the screen says so; the next
application of the queue selection then opens by itself. J/K walk the selection.

The use case (which application is at a position, what is read of it, what may be decided)
is the desk's (`zcreview.desk`); this screen claims through it and shows what it read.

The screen is a stack of layers, one job each: its state and messages (`review_state`),
loading, claiming and OCR ordering (`review_loading`), flags, decisions and exports
(`review_decisions`), and here the keys and the layout.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Header, Static

from zcreview.desk.rules import decidable
from zcreview.screens.attachment_export import save_attachment
from zcreview.screens.review_decisions import ReviewDecisions
from zcreview.screens.review_items import problem_indexes
from zcreview.screens.review_release import release_in_background
from zcreview.screens.widgets.ascii import use_ascii_scrollbars
from zcreview.screens.widgets.field_list import FieldList
from zcreview.screens.widgets.key_bar import KeyBar
from zcreview.screens.widgets.preview_pane import PreviewPane, PreviewTarget
from zcreview.screens.workstation import workstation
from zcreview.storage.applications import short_id
from zcreview.storage.queue import QueueFilter


class ReviewScreen(ReviewDecisions):
    """One application under review. Dismisses with the last queue index shown."""

    CSS_PATH = "review.tcss"

    HELP = """
## 审核申报

按平台顺序列出每一项填报内容、预审检查结果（✓ 通过、⚠ 需留意、✗ 不符合）和佐证附件。
打开即领取这份申报（他人此时只能查看）；返回队列时释放。

- `j` / `k` 逐项移动，`]` / `[`（或 `n` / `N`）跳到下一个 / 上一个 ⚠ 或 ✗；
- `f` 把光标所在的字段、行或附件标记为需补正（选退回原因模板，可加说明），立即保存；
- `a` 审核通过（确认后提交），随后自动打开队列中的下一份；
- `r` 审核不通过：打开退回告知书编辑，`ctrl+s` 退回；
- `o` 重新审核已“通过未上报”的申报；
- `p` 显示/隐藏附件预览，`,` `.` 翻页，`z` 放大局部，`Z` 还原；
- `t` 在 图像 / 识别文字 / 图像+文字 之间切换：附件自动识别文字（OCR），光标所在字段的值在文字中
  标出（绿：一致，红：扫描件写的不同，⚠：未找到）；置信度低的行暗色并标 `?`；
- `w` 把附件原文件另存到办公目录的 exports/（显示路径），本机有图形界面时用系统程序打开；
  终端支持图像（kitty / sixel）时 `x` 以像素显示当前页（数据量大，按需使用）；
- `J` / `K` 不离开本页查看队列中的下一份 / 上一份；`e` 导出补正告知书；`h` 历史记录；
  `q` 返回队列。
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "pass_application", "通过", id="review.pass", tooltip="审核通过（需确认）"),
        Binding("r", "compose_return", "退回", id="review.return", tooltip="审核不通过并退回"),
        Binding("f", "flag", "标记", id="review.flag", tooltip="标记光标所在条目需补正"),
        Binding("o", "reopen", "重新审核", id="review.reopen", tooltip="重新审核通过未上报的申报"),
        Binding("right_square_bracket,n", "problem(1)", "下一问题", id="review.next-problem"),
        Binding("left_square_bracket,N", "problem(-1)", "上一问题", show=False),
        Binding("p", "toggle_preview", "预览", id="review.preview", tooltip="显示/隐藏附件预览"),
        Binding("J", "walk(1)", "下一份", id="review.next", tooltip="队列中的下一份申报"),
        Binding("K", "walk(-1)", "上一份", id="review.previous", tooltip="队列中的上一份申报"),
        # Tried when walk is not possible (either end): say so instead of ignoring the key. The
        # same ids, so a [keys] remap moves them with J and K.
        Binding("J", "walk_edge(1)", "", show=False, id="review.next"),
        Binding("K", "walk_edge(-1)", "", show=False, id="review.previous"),
        Binding("q,escape", "back", "返回", id="review.back", tooltip="释放并返回队列"),
        Binding("j,down", "cursor(1)", "下一项", show=False),
        Binding("k,up", "cursor(-1)", "上一项", show=False),
        Binding("g,home", "cursor_end(-1)", "第一项", show=False),
        Binding("G,end", "cursor_end(1)", "最后一项", show=False),
        Binding("pagedown", "page(1)", "下一页", show=False),
        Binding("pageup", "page(-1)", "上一页", show=False),
        Binding("full_stop", "turn(1)", "附件下一页", show=False),
        Binding("comma", "turn(-1)", "附件上一页", show=False),
        Binding(
            "t", "toggle_text", "图像/文字", id="review.text", tooltip="附件：图像、识别文字、两者"
        ),
        Binding("w", "save_attachment", "另存附件", show=False, id="review.save"),
        Binding("x", "pixels", "图像模式", show=False, id="review.pixels"),
        Binding("z", "zoom", "放大局部", show=False),
        Binding("Z", "zoom_off", "取消放大", show=False),
        Binding("e", "export", "导出告知书", show=False, id="review.export"),
        Binding(
            "h", "history", "历史", show=False, id="review.history", tooltip="这份申报的全部记录"
        ),
        Binding("R", "reload", "刷新", show=False, id="review.reload"),
    ]

    # ----- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Static(Text("载入中", style="dim"), id="review-title")
        with Horizontal(id="review-body"):
            yield FieldList(ascii_mode=self._ascii, id="review-fields").data_bind(
                ReviewScreen.items, ReviewScreen.flags
            )
            yield PreviewPane(
                self.services.previewer,
                mode=self.services.cell_mode(),
                protocol=self.services.graphics_protocol(),
                cell=self.services.cell_pixels(),
                ascii_mode=self._ascii,
                recognised=self.services.ocr.doc if self.services.ocr is not None else None,
                id="review-preview",
            ).data_bind(target=ReviewScreen.preview_target)
        yield Static(id="review-item")
        yield Static(id="review-status")
        yield KeyBar()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual restyles every widget of a screen pushed again, in case the app's CSS or
        # theme changed while it was away; the review screen is pushed on every open, and
        # that restyle was a fifth of the open. Restyle only when the CSS did change.
        rules = self.app.stylesheet.rules_map
        if event.refresh_styles and rules is self._styled_with:
            event.refresh_styles = False
        self._styled_with = rules
        # The terminal may have said what it draws while this screen was away.
        for pane in self.query(PreviewPane):
            pane.use_terminal(self.services.graphics_protocol(), self.services.cell_pixels())
        super()._on_screen_resume(event)

    def on_mount(self) -> None:
        self.query_one(FieldList).focus()
        ocr = self.services.ocr
        if ocr is not None:
            ocr.subscribe(self._page_recognised)
        self._warm_up()
        self._busy = True
        self._load(self.index)
        if self._ascii:
            use_ascii_scrollbars(self)

    def reopen(
        self, queue_filter: QueueFilter, index: int, *, reviewer: str | None, total: int
    ) -> None:
        """Show another position (the screen is reused between opens): clear, then load."""
        self.queue_filter = queue_filter
        self.reviewer = reviewer
        self.total = total
        self.loaded = None
        self.alert = ""
        self._busy = False
        self._leaving = False
        self._pinned = None
        self.set_reactive(ReviewScreen.index, index)
        self.items = []
        self.flags = {}
        self.preview_target = None
        self._line("review-title", Text("载入中", style="dim"))
        self._line("review-status", Text())
        self._line("review-item", Text())
        self.query_one(FieldList).focus()
        self._start_load(index)

    def watch_show_preview(self, shown: bool) -> None:
        self.set_class(shown, "-preview")
        self.refresh_bindings()

    @on(FieldList.Highlighted)
    def _highlighted(self, event: FieldList.Highlighted) -> None:
        self._show_item(event.item)

    # ----- guards -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        loaded = self.loaded
        state = loaded.state if loaded is not None else ""
        deciding = {"pass_application": "pass", "compose_return": "return"}
        if action in ("pass_application", "compose_return", "reopen", "flag"):
            return self._deciding() and decidable(state, deciding.get(action, action))
        if action == "walk" and parameters:
            target = self.index + int(str(parameters[0]))
            return 0 <= target < self.total and not self._busy
        if action == "walk_edge":
            return not self._busy and self.total > 0
        if action == "pixels":
            return self.show_preview and self.query_one(PreviewPane).protocol != "none"
        if action in ("turn", "toggle_text", "zoom", "zoom_off"):
            return self.show_preview
        if action == "save_attachment":
            return self.preview_target is not None
        return True

    # ----- cursor -------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        self.query_one(FieldList).move(step)

    def action_cursor_end(self, direction: int) -> None:
        fields = self.query_one(FieldList)
        fields.go_to(len(self.items) - 1 if direction > 0 else 0)

    def action_page(self, direction: int) -> None:
        pane = self.query_one(PreviewPane)
        if self.show_preview and pane.turn(direction):
            return
        self.query_one(FieldList).page(direction)

    def action_problem(self, step: int) -> None:
        fields = self.query_one(FieldList)
        problems = problem_indexes(self.items)
        if not problems:
            self.notify("没有 ⚠ 或 ✗ 的条目" if not self._ascii else "没有需留意的条目")
            return
        here = fields.cursor
        after = [i for i in problems if i > here] if step > 0 else [i for i in problems if i < here]
        target = (after[0] if step > 0 else after[-1]) if after else None
        if target is None:  # wrap around, like n/N in a pager
            target = problems[0] if step > 0 else problems[-1]
        fields.go_to(target)

    # ----- preview ------------------------------------------------------------------------

    def action_toggle_preview(self) -> None:
        self.show_preview = not self.show_preview

    def action_turn(self, step: int) -> None:
        self.query_one(PreviewPane).turn(step)

    def action_toggle_text(self) -> None:
        self.query_one(PreviewPane).cycle_view()

    def action_save_attachment(self) -> None:
        target = self.preview_target
        if target is not None:
            self._save_attachment(target)

    @work(thread=True, group="review-save")
    def _save_attachment(self, target: PreviewTarget) -> None:
        saved = save_attachment(self.services, target.sha, target.name)
        self.post_message(self._Said(saved.message, "information" if saved.path else "error"))

    def action_pixels(self) -> None:
        """Pixels for the page on request only: a page costs 300-800 KB over the link."""
        pane = self.query_one(PreviewPane)
        pane.pixels = not pane.pixels

    def action_zoom(self) -> None:
        self.query_one(PreviewPane).cycle_zoom()

    def action_zoom_off(self) -> None:
        self.query_one(PreviewPane).zoom_off()

    # ----- walking and leaving ------------------------------------------------------------

    def action_walk(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < self.total:
            self.alert = ""
            self._pinned = None
            self._start_load(target, release=self._mine())

    def action_walk_edge(self, step: int) -> None:
        edge = "最后一份" if step > 0 else "第一份"
        self.notify(f"已是所选范围的{edge}（共 {self.total} 份）", timeout=3)

    def action_reload(self) -> None:
        self._start_load(self.index)

    def action_back(self) -> None:
        self._stop_renewal()
        # Leave at once (also while loading: the load then gives its claim back), so keys
        # typed ahead land on the screen below; the claim is given back in the background.
        self._leaving = self._busy
        held = None if self._busy else self._mine()
        self.loaded = None
        self.dismiss(self.index)
        if held is not None and self.reviewer:
            release_in_background(self.app, self.services, self.reviewer, held, self._claim_lock)

    def action_history(self) -> None:
        from zcreview.screens.history import HistoryScreen

        loaded = self.loaded
        if loaded is None or not loaded.app_id:
            return
        name = loaded.application.basic.name if loaded.application is not None else ""
        title = f"{name} {short_id(loaded.app_id)}"
        self.app.push_screen(
            HistoryScreen(self.services.store, loaded.app_id, title, ascii_mode=self._ascii)
        )


REVIEW_SCREEN = "review"
"""Name the review screen is installed under: built once per session and reused, so opening
an application costs a load and a repaint, not composing and styling a whole screen."""


def open_review(
    app: App[object], queue_filter: QueueFilter, index: int, total: int
) -> ReviewScreen:
    """The review screen for position `index` of the queue selection, as the queue's Enter
    opens it for the app's named reviewer (push it; it loads and claims on its own)."""
    reviewer = getattr(app, "reviewer", None)
    if app.is_screen_installed(REVIEW_SCREEN):
        screen = app.get_screen(REVIEW_SCREEN)
        if isinstance(screen, ReviewScreen) and screen.is_mounted:
            screen.reopen(queue_filter, index, reviewer=reviewer, total=total)
            return screen
        app.uninstall_screen(REVIEW_SCREEN)
    screen = ReviewScreen(
        workstation(app).services, queue_filter, index, reviewer=reviewer, total=total
    )
    app.install_screen(screen, REVIEW_SCREEN)
    return screen
