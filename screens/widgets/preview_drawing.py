"""How the preview pane draws its state: the header, the page (half-blocks, its text, or both),
the footer, and when the terminal's pixels go over the picture. A layer of `PreviewPane`."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region as TextualRegion
from textual.strip import Strip

from zcreview.preview.cache import RenderedPage
from zcreview.screens import kinsoku
from zcreview.screens.text import clean, fit
from zcreview.screens.widgets.preview_reading import ReadingStyles, reading_text
from zcreview.screens.widgets.preview_state import PreviewState
from zcreview.screens.widgets.preview_types import VIEW_NAMES, ZOOMS


class PreviewDrawing(PreviewState):
    """Turns the pane's state into lines (the Line API) and keeps the pixels in step."""

    def _write_graphics(self) -> None:
        self._overlay.write(self.app._driver, self.content_region, self._key)

    def _clear_graphics(self) -> None:
        self._overlay.clear(self.app._driver)

    def _styled(self, name: str) -> Style:
        return self.get_component_rich_style(f"preview-pane--{name}", partial=True)

    def _text_strips(self, text: Text, width: int) -> list[Strip]:
        console = self.app.console
        return [
            Strip(list(line.render(console))).extend_cell_length(width).crop(0, width)
            for line in kinsoku.wrap(text, console, width)
        ]

    def header_text(self) -> str:
        """Page, kind and zoom first (they must stay visible), then the file name."""
        if self.target is None:
            return "没有附件"
        sep = " | " if self._ascii else " · "
        parts: list[str] = []
        result = self.result
        if result is None:
            parts.append("载入中")
        elif result.page_count:
            parts.append(f"第 {result.page + 1}/{result.page_count} 页")
            info = result.info
            if info is not None and info.scanned:
                parts.append("扫描件")
            elif info is not None and info.has_text_layer:
                parts.append("有文字层")
        if self.zoom is not None:
            parts.append(f"放大 {ZOOMS[self.zoom][0]}")
        if self.view != "image":
            parts.append(VIEW_NAMES[self.view])
        parts.append(clean(self.target.name))
        return sep.join(parts)

    def _rebuild(self) -> None:
        width = max(1, self.size.width)
        height = max(1, self.size.height - 2)
        body: list[Strip] = []
        result = self.result
        if self.target is None:
            body = self._text_strips(
                Text("光标所在条目没有附件。", style=self._styled("muted")), width
            )
        elif result is None:
            body = self._text_strips(Text("正在生成预览", style=self._styled("muted")), width)
            if self.view != "image":
                body += self._reading(None, width)
        elif result.error:
            message = Text("无法预览：", style=self._styled("error"))
            message.append(clean(result.error), self._styled("error"))
            message.append("\n\n审核可以继续；需要时请申请人重新上传。", self._styled("muted"))
            body = self._text_strips(message, width)
        elif self.view == "text":
            body = self._reading(result, width)
        else:
            image = (
                [] if self._overlay.on else [Strip(line).crop(0, width) for line in result.lines]
            )
            if self.view == "both":
                rows = self._body_size()[1]
                image = image[:rows] + [Strip.blank(width)] * max(0, rows - len(image))
                rule = Strip([Segment("-" * width if self._ascii else "─" * width)])
                body = [
                    *image,
                    rule.apply_style(self._styled("muted")),
                    *self._reading(result, width),
                ]
            else:
                body = image
        if len(body) > height:
            body = body[:height]
        self._body = body
        overlay = self._overlay
        shown = overlay.shows(self._key)
        if overlay.on and overlay.drawn and shown and self.view != "text":
            # The pixels are up: repaint the header and the text under the picture only. A
            # repaint of the picture's cells erases a sixel, and drawing it again costs
            # 300-800 KB (seconds over a slow link) on every move of the cursor.
            rows = self._body_size()[1] if self.view == "both" else height
            below = self.size.height - 1 - rows
            self.refresh(
                TextualRegion(0, 0, width, 1), TextualRegion(0, 1 + rows, width, max(0, below))
            )
        else:
            self.refresh()
            overlay.drawn = False
            if overlay.on and shown and not overlay.pending:
                overlay.pending = True
                self.call_after_refresh(self._write_graphics)

    def _reading(self, result: RenderedPage | None, width: int) -> list[Strip]:
        """The page as text: recognised lines in reading order with the field's values marked."""
        styles = ReadingStyles(self._styled("muted"), self._styled("note"), self._styled("error"))
        text = reading_text(
            result,
            self.text_state,
            self.page_text,
            self.text_error,
            self.found,
            styles,
            ascii_mode=self._ascii,
        )
        return self._text_strips(text, width) if text is not None else []

    def _footer_text(self) -> Text:
        result = self.result
        if result is None:
            return Text("")
        if result.notes:
            return Text(clean("；".join(result.notes)), style=self._styled("note"))
        if result.info is not None and result.info.encrypted:
            return Text("文件已加密", style=self._styled("note"))
        return Text(", . 翻页  t 图像/文字  w 另存  z 放大  Z 还原", style=self._styled("muted"))

    def render_line(self, y: int) -> Strip:
        width = max(1, self.size.width)
        base = self.rich_style
        if y == 0:
            style = base + self._styled("header")
            return Strip([Segment(fit(self.header_text(), width), style)], width)
        if y == self.size.height - 1:
            footer = self._footer_text()
            strips = self._text_strips(footer, width)
            return (strips[0] if strips else Strip.blank(width)).apply_style(base)
        row = y - 1
        if row < len(self._body):
            return self._body[row].extend_cell_length(width).apply_style(base)
        return Strip.blank(width, base)
