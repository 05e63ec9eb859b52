"""`zcreview init` and `zcreview reviewer add/list`: this office and its named reviewers."""

from __future__ import annotations

import argparse

from zcreview.context import open_context
from zcreview.errors import UserError
from zcreview.storage.office import add_reviewer, get_self, init_office, list_reviewers

OFFICE_TYPES = ("用人单位", "主管部门", "人社局", "呈报部门", "评委会办事机构")
OFFICE_LEVELS = ("区县", "市直", "省直")


def cmd_init(args: argparse.Namespace) -> int:
    from zcreview.domain.checks.validators import validate_credit_code

    code = args.code.strip().upper()
    problem = validate_credit_code(code)
    if problem:
        raise UserError(f"统一社会信用代码 {code!r} 无效: {problem}")
    if args.office_type not in OFFICE_TYPES:
        raise UserError(
            f"单位类型应为 {' / '.join(OFFICE_TYPES)} 之一, 而不是 {args.office_type!r}"
        )
    if args.office_level not in OFFICE_LEVELS:
        raise UserError(
            f"单位层级应为 {' / '.join(OFFICE_LEVELS)} 之一, 而不是 {args.office_level!r}"
        )
    name = args.name.strip()
    if not name:
        raise UserError("单位名称不能为空")
    ctx = open_context(args)
    with ctx.store.session() as session:
        existed = get_self(session=session) is not None
        init_office(
            session=session,
            name=name,
            credit_code=code,
            office_type=args.office_type,
            office_level=args.office_level,
            region=args.region,
        )
        session.commit()
    verb = "已更新" if existed else "已建立"
    print(f"{verb}办公单位: {name} ({code}), {args.office_type}, {args.office_level}")
    print(f"数据目录: {ctx.settings.home}")
    return 0


def cmd_reviewer(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    with ctx.store.session() as session:
        if args.reviewer_command == "add":
            name = args.name.strip()
            if not name:
                raise UserError("审核人员姓名不能为空")
            if any(r.name == name for r in list_reviewers(session=session)):
                raise UserError(f"审核人员 {name} 已登记")
            add_reviewer(session=session, name=name, id_number=args.id_number, phone=args.phone)
            session.commit()
            print(f"已登记审核人员: {name}")
            return 0
        rows = list_reviewers(session=session)
        if not rows:
            print("尚未登记审核人员。用 `zcreview reviewer add 姓名` 登记。")
            return 0
        for r in rows:
            print(f"{r.id}\t{r.name}\t{r.phone}")
        return 0
