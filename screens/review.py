"""Review one application: every field with its checks and evidence, flags, and the decision.

Opening claims the application for this reviewer (others then see who has it until when);
`a` passes it (after a confirmation), `r` opens the return composer, `o` reopens a passed one.
Every decision runs in a worker and is committed before the screen says so; the next
application of the queue selection then opens by itself. J/K walk the selection.

The use case (which application is at a position, what is read of it, what may be decided)
is the desk's (`zcreview.desk`); this screen claims through it and shows what it read.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from zcreview.desk.drafts import Flag, correction_items
from zcreview.desk.rules import decidable
from zcreview.desk.walk import Position, attachments_of
from zcreview.domain.checks import CheckResult
from zcreview.ocr_queue import PageEvent
from zcreview.screens.attachment_export import save_attachment
from zcreview.screens.composer import ReturnComposer
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.evidence_match import values_at
from zcreview.screens.exports_ui import export_notice
from zcreview.screens.flag_dialog import FlagChoice, FlagDialog
from zcreview.screens.review_items import (
    ReviewItem,
    build_items,
    item_label,
    problem_indexes,
)
from zcreview.screens.review_lines import (
    Loaded,
    item_line,
    status_line,
    taken_over_text,
    title_line,
)
from zcreview.screens.review_release import release_in_background
from zcreview.screens.review_services import ReviewServices
from zcreview.screens.review_texts import claim_text, decision_text
from zcreview.screens.text import clean
from zcreview.screens.widgets.ascii import use_ascii_scrollbars
from zcreview.screens.widgets.field_list import FieldList
from zcreview.screens.widgets.key_bar import KeyBar
from zcreview.screens.widgets.preview_pane import PreviewPane, PreviewTarget
from zcreview.screens.workstation import workstation
from zcreview.storage.applications import short_id
from zcreview.storage.queue import QueueFilter
from zcreview.storage.review_results import Claimed, ClaimResult, Decision
from zcreview.storage.transitions import ReviewError


class ReviewScreen(Screen[int]):
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

    items: var[list[ReviewItem]] = var(list, always_update=True)
    flags: var[dict[str, str]] = var(dict, always_update=True)
    preview_target: var[PreviewTarget | None] = var(None)
    show_preview: var[bool] = var(False)
    index: var[int] = var(0, init=False)

    @dataclass
    class _Loaded(Message):
        loaded: Loaded

    @dataclass
    class _Decided(Message):
        decision: Decision

    @dataclass
    class _Failed(Message):
        message: str

    @dataclass
    class _FlagsChanged(Message):
        app_id: str
        flags: list[Flag]

    @dataclass
    class _Renewed(Message):
        app_id: str
        claim: ClaimResult

    @dataclass
    class _Said(Message):
        message: str
        severity: str = "information"

    @dataclass
    class _Recognised(Message):
        sha: str

    @dataclass
    class _EvidenceRead(Message):
        app_id: str

    @dataclass
    class _Rechecked(Message):
        app_id: str
        results: list[CheckResult]
        items: list[ReviewItem]

    def __init__(
        self,
        services: ReviewServices,
        queue_filter: QueueFilter,
        index: int,
        *,
        reviewer: str | None,
        total: int | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.queue_filter = queue_filter
        self.reviewer = reviewer
        self._ascii = services.ascii_mode
        self.total = total if total is not None else index + 1
        self.loaded: Loaded | None = None
        self._styled_with: object = None
        """The app stylesheet's rules this screen was last styled with (see _on_screen_resume)."""
        self.alert = ""
        self._busy = False
        self._renewal: Timer | None = None
        self._lines: dict[str, int] = {}
        self._leaving = False
        self._claim_lock = threading.Lock()
        self._pinned: str | None = None
        """An application shown whatever the selection says: one just reopened, which the
        selection (e.g. 通过未上报) no longer holds while it is 审核中."""
        self.set_reactive(ReviewScreen.index, index)

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

    # ----- recognised text ----------------------------------------------------------------

    def _page_recognised(self, event: PageEvent) -> None:
        """Called from an OCR thread after each page: show it if it is the one on screen, and
        once an attachment of this application is read to its end, check it against the form."""
        target = self.preview_target
        if target is not None and event.sha256 == target.sha and event.outcome != "skipped":
            self.post_message(self._Recognised(event.sha256))
        loaded = self.loaded
        if (
            loaded is not None
            and loaded.application is not None
            and event.outcome in ("read", "failed")
            and event.page + 1 >= event.page_count
            and event.sha256 in {sha for sha, _ in attachments_of(loaded.application)}
        ):
            # This runs on an OCR thread: only a message may cross to the screen.
            self.post_message(self._EvidenceRead(loaded.app_id))

    def on_review_screen__evidence_read(self, message: _EvidenceRead) -> None:
        self._recheck(message.app_id)

    @work(thread=True, exclusive=True, group="review-evidence", exit_on_error=False)
    def _recheck(self, app_id: str) -> None:
        """The checks again with the evidence read so far (the form itself has not changed)."""
        loaded = self.loaded
        if loaded is None or loaded.app_id != app_id or loaded.application is None:
            return
        results = self.services.walk().recheck(loaded)
        self.post_message(self._Rechecked(app_id, results, self._items_of(loaded, results)))

    def on_review_screen__rechecked(self, message: _Rechecked) -> None:
        loaded = self.loaded
        if loaded is None or loaded.app_id != message.app_id:
            return
        loaded.results, loaded.items = message.results, message.items
        fields = self.query_one(FieldList)
        keep = fields.cursor
        self.items = message.items
        fields.cursor = min(keep, max(0, len(message.items) - 1))
        self._show_status()

    def on_review_screen__recognised(self, message: _Recognised) -> None:
        self.query_one(PreviewPane).reload_text(message.sha)

    @work(thread=True, exclusive=True, group="review-ocr-order", exit_on_error=False)
    def _schedule_ocr(self, loaded: Loaded) -> None:
        """This application's attachments now, the next ones of the selection after, then the
        rest of the office (once a session) in the background. Started once the loaded
        application is on screen: finding the attachments ahead is a few more queries, which
        the reviewer need not wait for and the first paint should not share the CPU with."""
        ocr = self.services.ocr
        if ocr is None or loaded.application is None:
            return
        ocr.focus(attachments_of(loaded.application))
        walk = self.services.walk()
        ahead = walk.attachments_ahead(self.queue_filter, loaded.index + 1, AHEAD_APPLICATIONS)
        ocr.ahead(ahead)
        if not self.services.background_ocr_started:
            self.services.background_ocr_started = True
            ocr.everything()

    # ----- loading ------------------------------------------------------------------------

    @work(thread=True, group="review-warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        # Decoder processes that cannot start are reported by the pane, per attachment.
        with contextlib.suppress(Exception):
            self.services.previewer.warm_up()
        ocr = self.services.ocr
        if ocr is not None:
            with contextlib.suppress(Exception):
                ocr.warm_up()  # the models load now, not with the first page

    def _start_load(
        self, index: int, *, release: str | None = None, after: str | None = None
    ) -> None:
        self._busy = True
        self._stop_renewal()
        if release is not None and self.loaded is not None:
            self.loaded.can_decide = False  # no lease renewal for it from now on
        self._load(index, release=release, after=after, pinned=self._pinned)

    @work(thread=True, exclusive=True, group="review-load")
    def _load(
        self,
        index: int,
        *,
        release: str | None = None,
        after: str | None = None,
        pinned: str | None = None,
    ) -> None:
        """Read queue position `index` (or the one after application `after`, or application
        `pinned` kept at `index`), claim it."""
        worker = get_current_worker()
        services = self.services
        desk = services.desk(self.reviewer) if self.reviewer else None
        walk = services.walk()
        try:
            if release and desk is not None:
                with self._claim_lock:  # after a lease renewal under way, never before it
                    desk.release(release)
            where = walk.locate(self.queue_filter, index, after=after, pinned=pinned)
            if where.app_id is None:
                self.post_message(self._Loaded(Loaded(where.index, where.total, error="END")))
                return
            claim: ClaimResult | None = None
            if desk is not None:
                claim = desk.claim(where.app_id)
                if isinstance(claim, Claimed) and (self._leaving or worker.is_cancelled):
                    # Left (q typed ahead) or superseded while this was claiming.
                    desk.release(where.app_id)
                    return
            loaded = Loaded.of(walk.read(where, self.queue_filter, self.reviewer))
            self._claimed(loaded, where, claim)
            loaded.items = self._items_of(loaded, loaded.results)
        except ReviewError as exc:
            self.post_message(self._Loaded(Loaded(index, self.total, error=str(exc))))
            return
        if worker.is_cancelled:
            return
        self.post_message(self._Loaded(loaded))

    def _claimed(self, loaded: Loaded, where: Position, claim: ClaimResult | None) -> None:
        """What the claim made of this opening: decide or read only, and what to say."""
        if claim is None:
            loaded.claim_message = "只读浏览（未选择审核人）"
            return
        loaded.can_decide = isinstance(claim, Claimed)
        loaded.claim_message = claim_text(claim)
        if isinstance(claim, Claimed):
            loaded.taken_over = taken_over_text(where.holder, where.lease_until, self.reviewer)

    def _items_of(self, loaded: Loaded, results: list[CheckResult]) -> list[ReviewItem]:
        """The field list's items of what was read, with these check results (runs in a
        worker: on load, and again when evidence arrives)."""
        app = loaded.application
        if app is None:
            return []
        ctx = loaded.resubmission
        return build_items(
            app,
            results,
            ctx.report if ctx is not None else None,
            late=bool(ctx and ctx.late),
            ascii_mode=self._ascii,
            above=loaded.above,
            returned=loaded.returned,
        )

    def on_review_screen__loaded(self, message: _Loaded) -> None:
        loaded = message.loaded
        self._busy = False
        if self._leaving:
            # `q` typed while this was loading, just after its claim: give it back.
            if loaded.can_decide and self.reviewer:
                release_in_background(
                    self.app, self.services, self.reviewer, loaded.app_id, self._claim_lock
                )
            return
        if loaded.error == "END":
            self.notify("所选范围内已没有更多申报", title="队列已审完", markup=False)
            self.dismiss(max(0, min(self.index, loaded.total - 1)))
            return
        self.loaded = loaded
        self.total = loaded.total
        self.set_reactive(ReviewScreen.index, loaded.index)
        self.items = loaded.items
        self.flags = {f.path: f.text() for f in loaded.flags}
        # Wrap the items now, so their height is known to this frame's layout (not found
        # while painting, which costs a second layout and frame).
        self.query_one(FieldList).prepare()
        self._show_title()
        self._show_status()
        self.refresh_bindings()
        if loaded.can_decide:
            self._stop_renewal()
            self._renewal = self.set_interval(
                self.services.renewal_interval(), self._renew, name="review-lease"
            )
        if loaded.next_attachment is not None:
            self.query_one(PreviewPane).prefetch(*loaded.next_attachment)
        if loaded.taken_over:
            self.notify(loaded.taken_over, title="已接手", severity="warning", markup=False)
        if self.services.ocr is not None:
            self.call_after_refresh(self._schedule_ocr, loaded)

    def _line(self, id: str, text: Text) -> None:
        """Show `text` in the title, status or item line; lay the screen out again only when
        its number of lines changes (a relayout of the screen costs more than the data)."""
        lines = text.plain.count("\n") + 1
        layout = self._lines.get(id) != lines
        self._lines[id] = lines
        self.query_one(f"#{id}", Static).update(text, layout=layout)

    def _show_title(self) -> None:
        if self.loaded is not None:
            self._line("review-title", title_line(self.loaded, self._ascii))

    def _show_status(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        line = status_line(
            loaded, self.alert, self.services.today(), self.services.policy(), self._ascii
        )
        self._line("review-status", line)

    @on(FieldList.Highlighted)
    def _highlighted(self, event: FieldList.Highlighted) -> None:
        item = event.item
        detail = item_line(item, self._ascii)
        if item is not None:
            ref = item.backing(self.items)
            self.preview_target = (
                PreviewTarget(ref.sha256, ref.name, item.label)
                if ref is not None and ref.sha256
                else None
            )
            loaded = self.loaded
            app = loaded.application if loaded is not None else None
            pane = self.query_one(PreviewPane)
            pane.needles = tuple(values_at(app, item.path)) if app is not None else ()
            ocr = self.services.ocr
            if ocr is not None and ref is not None and ref.sha256:
                ocr.focus([(ref.sha256, ref.name)], fetch=True)  # under the cursor: first
        else:
            self.preview_target = None
        self._line("review-item", detail)

    # ----- guards -------------------------------------------------------------------------

    def _deciding(self) -> bool:
        loaded = self.loaded
        return bool(
            loaded is not None and loaded.can_decide and loaded.application and not self._busy
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        loaded = self.loaded
        state = loaded.state if loaded is not None else ""
        deciding = {"pass_application": "pass", "compose_return": "return"}
        if action in ("pass_application", "compose_return", "reopen", "flag"):
            return self._deciding() and decidable(state, deciding.get(action, action))
        if action == "walk" and parameters:
            target = self.index + int(str(parameters[0]))
            return 0 <= target < self.total and not self._busy
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

    # ----- flags --------------------------------------------------------------------------

    def action_flag(self) -> None:
        loaded = self.loaded
        item = self.query_one(FieldList).current
        if loaded is None or item is None:
            return
        path = item.path
        config = self.services.config()
        suggested: list[str] = []
        for result in item.problems:
            suggested += [r.id for r in config.reasons_for_check(result.check_id)]
        current = next((f for f in loaded.flags if f.path == path), None)

        label = item_label(item)

        def chosen(choice: FlagChoice | None) -> None:
            if choice is not None:
                self._save_flag(loaded.app_id, path, label, choice)

        self.app.push_screen(
            FlagDialog(
                label,
                config.reasons,
                suggested=list(dict.fromkeys(suggested)),
                reason_id=current.reason_id if current else "",
                note=current.note if current else "",
                flagged=current is not None,
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="review-flag")
    def _save_flag(self, app_id: str, path: str, label: str, choice: FlagChoice) -> None:
        assert self.reviewer is not None
        desk = self.services.desk(self.reviewer)
        try:
            if choice.remove:
                desk.remove_flag(app_id, path)
            else:
                desk.set_flag(
                    app_id,
                    path,
                    reason_id=choice.reason_id,
                    reason=choice.reason,
                    note=choice.note,
                    label=label,
                )
            flags = desk.flags(app_id)
        except ReviewError as exc:
            self.post_message(self._Failed(str(exc)))
            return
        self.post_message(self._FlagsChanged(app_id, flags))

    def on_review_screen__flags_changed(self, message: _FlagsChanged) -> None:
        loaded = self.loaded
        if loaded is None or loaded.app_id != message.app_id:
            return
        loaded.flags = message.flags
        self.flags = {f.path: f.text() for f in message.flags}
        self._show_status()
        self.notify(f"已保存，共标记 {len(message.flags)} 项", timeout=2, markup=False)

    # ----- decisions ----------------------------------------------------------------------

    def action_pass_application(self) -> None:
        loaded = self.loaded
        if loaded is None or loaded.application is None:
            return
        name = clean(loaded.application.basic.name)
        warn = ""
        if loaded.flags:
            warn = f"（已标记 {len(loaded.flags)} 项需补正，通过后标记保留但不会退回）"

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy = True
                self.refresh_bindings()
                self._decide("pass", loaded.app_id, loaded.version)

        self.app.push_screen(ConfirmScreen(f"审核通过：{name}？{warn}"), answered)

    @work(thread=True, exclusive=True, group="review-decide")
    def _decide(self, action: str, app_id: str, version: int) -> None:
        """Commit `pass` or `reopen`; the screen hears of it only once it is stored."""
        assert self.reviewer is not None
        desk = self.services.desk(self.reviewer)
        try:
            if action == "pass":
                decision = desk.pass_application(app_id, version)
            else:
                decision = desk.reopen(app_id, version)
        except ReviewError as exc:
            self.post_message(self._Failed(str(exc)))
            return
        self.post_message(self._Decided(decision))

    def action_reopen(self) -> None:
        loaded = self.loaded
        if loaded is None or loaded.application is None:
            return
        name = clean(loaded.application.basic.name)

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy = True
                self.refresh_bindings()
                self._decide("reopen", loaded.app_id, loaded.version)

        self.app.push_screen(
            ConfirmScreen(
                f"重新审核：{name}？\n状态改为“审核中”，由您审核；"
                "不作决定就离开时恢复为“通过未上报”。"
            ),
            answered,
        )

    def action_compose_return(self) -> None:
        loaded = self.loaded
        if loaded is None or loaded.basis is None or self.reviewer is None:
            return
        items = correction_items(loaded.flags)
        composer = ReturnComposer(
            self.services,
            self.reviewer,
            version=loaded.version,
            basis=loaded.basis,
            items=items,
            choices=[i for i in self.items if i.kind != "change"],
        )
        self.app.push_screen(composer, self._composed)

    def _composed(self, result: Decision | str | None) -> None:
        if isinstance(result, Decision):
            self._after_decision(result)
        elif isinstance(result, str):
            self._conflict(result)

    def on_review_screen__decided(self, message: _Decided) -> None:
        self._after_decision(message.decision)

    def _after_decision(self, decision: Decision) -> None:
        self.alert = ""
        # No "（已保存）" tail: a toast wraps it into a lone "）" on the next line.
        self.notify(decision_text(decision), title="已提交并保存", markup=False)
        if decision.action == "reopen":
            # Stays on it, even when the selection (通过未上报) no longer holds it: now it can
            # be returned or passed again; leaving it releases it back to 通过未上报.
            self._pinned = decision.app_id
            self._start_load(self.index)
            return
        self._pinned = None
        self._start_load(self.index, after=decision.app_id)

    def on_review_screen__failed(self, message: _Failed) -> None:
        self._conflict(message.message)

    def _conflict(self, text: str) -> None:
        self.alert = text
        self.notify(clean(text), title="未能保存", severity="error", timeout=15, markup=False)
        self._start_load(self.index)

    # ----- lease ----------------------------------------------------------------------------

    def _stop_renewal(self) -> None:
        if self._renewal is not None:
            self._renewal.stop()
            self._renewal = None

    def _renew(self) -> None:
        """Extend the claim while the reviewer stays on it (a long look at a scan, a composer
        left open), so nobody else takes it over mid-review."""
        app_id = self._mine()
        if app_id is not None and not self._busy:
            self._renew_claim(app_id)

    @work(thread=True, exclusive=True, group="review-renew", exit_on_error=False)
    def _renew_claim(self, app_id: str) -> None:
        assert self.reviewer is not None
        # Under the claim lock, and only while still shown: a renewal that ran after the
        # release on leaving would claim the application again.
        with self._claim_lock:
            if self._mine() != app_id:
                return
            try:
                claim = self.services.desk(self.reviewer).claim(app_id)
            except ReviewError:
                return  # the next tick tries again; a real conflict shows on the decision
        self.post_message(self._Renewed(app_id, claim))

    def on_review_screen__renewed(self, message: _Renewed) -> None:
        loaded = self.loaded
        if loaded is None or loaded.app_id != message.app_id or not loaded.can_decide:
            return
        claim = message.claim
        loaded.claim_message = claim_text(claim)
        if not isinstance(claim, Claimed):
            # Lost it (taken over after a stall, or its state moved): read only from now on.
            self._stop_renewal()
            loaded.can_decide = False
            self.alert = claim_text(claim)
            self.refresh_bindings()
        self._show_status()

    # ----- walking and leaving ------------------------------------------------------------

    def _mine(self) -> str | None:
        loaded = self.loaded
        if loaded is not None and loaded.can_decide and loaded.app_id:
            return loaded.app_id
        return None

    def action_walk(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < self.total:
            self.alert = ""
            self._pinned = None
            self._start_load(target, release=self._mine())

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

    # ----- exports ------------------------------------------------------------------------

    def action_export(self) -> None:
        loaded = self.loaded
        if loaded is None or loaded.application is None:
            return
        self._export(loaded.app_id, clean(loaded.application.basic.name))

    @work(thread=True, group="review-export")
    def _export(self, app_id: str, name: str) -> None:
        desk_reviewer = self.reviewer or "只读浏览"
        notice = self.services.desk(desk_reviewer).last_notice(app_id)
        if notice is None:
            self.post_message(self._Said("这份申报没有退回记录，没有补正告知书可导出", "warning"))
            return
        _, text = notice
        paths = export_notice(self.services, text, name, app_id, actor=desk_reviewer)
        self.post_message(self._Said("已导出补正告知书：\n" + "\n".join(str(p) for p in paths)))

    def on_review_screen__said(self, message: _Said) -> None:
        self.notify(message.message, severity=message.severity, timeout=10, markup=False)  # type: ignore[arg-type]


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


AHEAD_APPLICATIONS = 3
"""Applications after the open one whose attachments are read ahead of the reviewer."""
