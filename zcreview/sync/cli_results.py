"""What the sync commands print about the batches they drove and the bundles they imported."""

from __future__ import annotations

from typing import Any

from zcreview.sync.cli_office import say


def print_receipt(receipt: Any) -> None:
    from zcreview.protocol import Receipt

    assert isinstance(receipt, Receipt)
    say(
        f"批次 {str(receipt.batch_id)[:8]} → {receipt.to_office.name}：接收 "
        f"{len(receipt.accepted)} 份，拒收 {len(receipt.rejected)} 份"
    )
    for r in receipt.rejected:
        say(f"  拒收 {r.application_id}：{'；'.join(r.reasons)}")


def print_drives(results: list[Any]) -> int:
    """A line per driven batch; 1 when a batch was refused."""
    status = 0
    for result in results:
        if result.receipt is not None:
            print_receipt(result.receipt)
        elif result.waiting:
            say(result.error)
        else:
            say(f"批次 {result.batch_id[:8]} 被拒绝：{result.error}")
            status = 1
    return status


def print_imported(results: list[Any]) -> int:
    """One line per bundle; 1 when any bundle was refused."""
    kinds = {
        "batch": "批次",
        "receipt": "回执",
        "return": "退回",
        "path-request": "路径申请",
        "path-decision": "路径审核",
        "path": "路径",
        "folder": "交换文件夹",
    }
    status = 0
    for r in results:
        what = f"{kinds.get(r.kind, r.kind)} {r.ident[:8]}"
        if r.error:
            say(f"{what} 未导入：{r.error}")
            status = 1
        else:
            state = "已导入" if r.changed else "此前已导入，无变化"
            say(f"{what} {state}" + (f"：{r.note}" if r.note else ""))
            for got in r.received:
                if got.outcome != "unchanged":
                    say(f"  收到上报：{got.name or got.application_id}（{got.outcome}）")
                    if got.note:
                        say(f"    拒收：{got.note}")
    return status
