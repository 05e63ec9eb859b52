"""The review screen's decisions: flags for correction, pass, return, reopen, and the notice
export; each is committed in a worker before the screen says so."""

from __future__ import annotations

from textual import work

from zcreview.desk.drafts import correction_items
from zcreview.screens.composer import ReturnComposer
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.exports_ui import export_notice
from zcreview.screens.flag_dialog import FlagChoice, FlagDialog
from zcreview.screens.review_items import item_label
from zcreview.screens.review_loading import ReviewLoading
from zcreview.screens.review_state import ReviewBase
from zcreview.screens.review_texts import decision_text
from zcreview.screens.text import clean
from zcreview.screens.widgets.field_list import FieldList
from zcreview.storage.review_results import Decision
from zcreview.storage.transitions import ReviewError


class ReviewDecisions(ReviewLoading):
    """Flags, decisions and the notice export of the application on screen."""

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
            self.post_message(self.Refused(str(exc)))
            return
        self.post_message(self._FlagsChanged(app_id, flags))

    def on_review_base__flags_changed(self, message: ReviewBase._FlagsChanged) -> None:
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
            self.post_message(self.Refused(str(exc)))
            return
        self.post_message(self.Decided(decision))

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
            self.post_message(self.Decided(result))
        elif isinstance(result, str):
            self._conflict(result)

    def on_review_base_decided(self, message: ReviewBase.Decided) -> None:
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

    def on_review_base_refused(self, message: ReviewBase.Refused) -> None:
        self._conflict(message.message)

    def _conflict(self, text: str) -> None:
        self.alert = text
        self.notify(clean(text), title="未能保存", severity="error", timeout=15, markup=False)
        self._start_load(self.index)

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

    def on_review_base__said(self, message: ReviewBase._Said) -> None:
        self.notify(message.message, severity=message.severity, timeout=10, markup=False)  # type: ignore[arg-type]
