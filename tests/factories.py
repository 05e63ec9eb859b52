"""Realistic test applications and packages: a valid engineering 中级 application, real files.

Stable API, shared by every test module:

- `application_dict(seed=0, **overrides) -> dict`: the JSON form of `application.json`.
- `make_application(seed=0, **overrides) -> Application`: the same, validated.
- `default_files(app) -> dict[str, bytes]`: real PDF/JPEG/PNG/GIF bytes for every file `app` names.
- `write_package(directory, app, files=None) -> Path`: a package folder.
- `write_zip_package(zip_path, app, files=None) -> Path` and `zip_folder(folder, zip_path)`.
- `pdf_bytes(label)`, `jpeg_bytes(label)`, `png_bytes(label)`, `gif_bytes(label)`: small real
  files made with Pillow, deterministic, different for different labels.
- `id_number(...)`, `credit_code(...)`: identifiers with valid check characters.

`seed` varies the person (name, ID number, application_id) deterministically, so
`make_application(seed=i)` for i in range(n) gives n distinct applicants.

Overrides: a top-level key replaces that section (`work_summary="…"`, `basic={…}` replaces the
whole `basic`); a key with `__` sets one nested value (`basic__series="卫生"`,
`titles__0__title="助理工程师"`). The value `DELETE` removes the key (a missing field).
"""

from __future__ import annotations

import copy
import io
import json
import time
import uuid
import zipfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from zcreview.domain.model import Application, iter_attachments

DELETE: Any = object()
"""Override value that removes a key, e.g. `application_dict(basic__id_number=DELETE)`."""

_NAMESPACE = uuid.UUID("6f1d2a4c-55b1-4e83-9c57-0d5c3f7e2a10")
_SURNAMES = "张王李赵刘陈杨黄孙周吴徐朱马胡郭"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "军",
    "涛",
    "明",
    "超",
    "霞",
    "平",
)
_PDF_TIME = time.gmtime(1735689600)  # fixed, so the same label always gives the same bytes

UNIT = "济南华源机械制造有限公司"


# --- identifiers -----------------------------------------------------------------------------


def id_number(region: str = "370102", birth: str = "19900315", seq: int = 123) -> str:
    """An 18-character 身份证号 with a valid GB 11643 check digit; odd `seq` = male."""
    body = f"{region}{birth}{seq:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def credit_code(region: str = "370102", org: str = "MA3C4D5E") -> str:
    """A 统一社会信用代码 (企业, 工商) with valid GB 11714 and GB 32100 check characters."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    org_weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c9 = 11 - sum(digits.index(c) * w for c, w in zip(org, org_weights, strict=True)) % 11
    org_code = org + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    body = f"91{region}{org_code}"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + alphabet[(31 - total % 31) % 31]


# --- files -----------------------------------------------------------------------------------


def _colour(label: str) -> tuple[int, int, int]:
    h = uuid.uuid5(_NAMESPACE, label).bytes
    return (128 + h[0] % 128, 128 + h[1] % 128, 128 + h[2] % 128)


def _scan(label: str, size: tuple[int, int] = (120, 160)) -> Image.Image:
    """A small page-like image: pale background, a few dark 'text' lines, unique per label."""
    img = Image.new("RGB", size, _colour(label))
    draw = ImageDraw.Draw(img)
    for i, y in enumerate(range(20, size[1] - 10, 14)):
        draw.line((12, y, size[0] - 12 - (i * 7) % 40, y), fill=(30, 30, 30), width=2)
    return img


@cache
def pdf_bytes(label: str = "page") -> bytes:
    """A one-page image-only PDF (like a scan), as Pillow writes it."""
    buf = io.BytesIO()
    _scan(label).save(buf, format="PDF", creationDate=_PDF_TIME, modDate=_PDF_TIME)
    return buf.getvalue()


@cache
def jpeg_bytes(label: str = "photo") -> bytes:
    buf = io.BytesIO()
    _scan(label).save(buf, format="JPEG", quality=80)
    return buf.getvalue()


@cache
def png_bytes(label: str = "image") -> bytes:
    buf = io.BytesIO()
    _scan(label).save(buf, format="PNG")
    return buf.getvalue()


@cache
def gif_bytes(label: str = "image") -> bytes:
    buf = io.BytesIO()
    _scan(label).convert("P").save(buf, format="GIF")
    return buf.getvalue()


_MAKERS = {
    ".pdf": pdf_bytes,
    ".jpg": jpeg_bytes,
    ".jpeg": jpeg_bytes,
    ".png": png_bytes,
    ".gif": gif_bytes,
}


def file_bytes(name: str) -> bytes:
    """Real bytes of the type the name's extension says (PDF for anything unknown)."""
    return _MAKERS.get(Path(name).suffix.lower(), pdf_bytes)(name)


# --- applications ----------------------------------------------------------------------------


def _att(name: str, file: str, kind: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": name, "file": file}
    if kind is not None:
        ref["kind"] = kind
    return ref


def _base(seed: int) -> dict[str, Any]:
    name = _SURNAMES[seed % len(_SURNAMES)] + _GIVEN[(seed // len(_SURNAMES)) % len(_GIVEN)]
    if seed >= len(_SURNAMES) * len(_GIVEN):
        name += _GIVEN[seed % 7]
    male = seed % 2 == 0
    seq = (seed * 2) % 998 + (1 if male else 2)
    unit_code = credit_code()
    degree = {
        "school": "山东大学",
        "major": "机械设计制造及其自动化",
        "education": "大学本科",
        "degree": "工学学士",
        "graduated_on": "2012-06",
        "chsi_code": "A2012063712345678",
    }
    return {
        "format": "zcreview-application",
        "format_version": 1,
        "application_id": str(uuid.uuid5(_NAMESPACE, f"application-{seed}")),
        "basic": {
            "name": name,
            "id_number": id_number(birth="19900315", seq=seq),
            "gender": "男" if male else "女",
            "birth_date": "1990-03-15",
            "ethnicity": "汉族",
            "phone": f"138{seed:08d}"[-11:],
            "year": 2025,
            "application_kind": "职称申报",
            "unit_rank": "1/3",
            "level": "中级",
            "series": "工程技术",
            "title": "工程师",
            "specialty_category": "工业和信息化领域工程",
            "current_specialty": "机械工程",
            "method": "正常晋升",
            "applying_unit": UNIT,
            "applying_unit_code": unit_code,
            "is_work_unit": True,
            "entrusted": False,
            "work_start": "2012-07",
            "professional_years": 12,
            "social_security_unit": UNIT,
            "social_security_from": "2012-07",
            "unit_nature": "企业",
            "civil_servant": False,
            "submitted_on": "2025-06-10",
        },
        "education": {
            "full_time": {**degree, "attachments": []},
            "basis": {
                **degree,
                "attachments": [
                    _att("2012年6月本科毕业证书学位证书学历备案表", "学历/2012年6月本科学历.pdf")
                ],
            },
        },
        "titles": [
            {
                "level": "助理级",
                "series": "工程技术",
                "title": "助理工程师",
                "obtained_on": "2019-12",
                "obtained_by": "正常晋升",
                "is_basis": True,
                "post": "助理工程师",
                "appointed_on": "2020-01",
                "appointed_years": 6,
                "attachments": [
                    _att("2019年12月助理工程师资格证书", "职称/2019年12月助理工程师资格证书.jpg")
                ],
            }
        ],
        "assessments": [
            {
                "year": y,
                "post": "助理工程师",
                "grade": "优秀" if y == 2023 else "合格",
                "unit": UNIT,
                "attachments": [_att(f"{y}年度考核表", f"考核/{y}年度考核表.png")],
            }
            for y in (2021, 2022, 2023, 2024)
        ],
        "languages": {"foreign_language": "英语", "computer": "熟练", "attachments": []},
        "continuing_education": [
            {
                "start": f"{y}-01",
                "end": f"{y}-12",
                "content": "公需科目与机械工程专业科目",
                "public_hours": 30,
                "professional_hours": 60,
                "attachments": [_att(f"{y}年继续教育证明", f"继续教育/{y}年继续教育证明.pdf")],
            }
            for y in (2021, 2022, 2023, 2024)
        ],
        "work_history": [
            {
                "start": "2012-07",
                "end": "2016-06",
                "unit_dept_post": f"{UNIT}/技术部/技术员",
                "professional": True,
                "work": "机械零部件设计",
                "position": "技术员",
                "summary": "参与减速机箱体与传动部件的设计和图纸校核。",
            },
            {
                "start": "2016-07",
                "end": None,
                "unit_dept_post": f"{UNIT}/技术部/助理工程师",
                "professional": True,
                "work": "机械产品设计与工艺改进",
                "position": "设计组组长",
                "summary": "负责新型输送设备的结构设计、工艺改进和现场调试。",
            },
        ],
        "achievements": [
            {
                "category": "论文/著作",
                "name": "论文：《带式输送机张紧装置的优化设计》",
                "on": "2021-05",
                "rank": "1/2",
                "publisher": "《机械工程师》2021年第5期",
                "electronic": False,
                "issn": "1002-2333",
                "cn": "23-1196/TH",
                "url": "https://kns.cnki.net/",
                "attachments": [_att("2021年5月论文", "成果/2021年5月论文.pdf")],
            },
            {
                "category": "专利",
                "name": "实用新型专利：一种输送带自动纠偏装置",
                "on": "2022-08",
                "rank": "1/3",
                "authority": "国家知识产权局",
                "attachments": [_att("2022年8月实用新型专利证书", "成果/2022年8月专利证书.pdf")],
            },
        ],
        "work_summary": (
            "任助理工程师以来，主要从事输送设备和减速传动部件的设计与工艺改进工作。"
            "主持完成带式输送机张紧装置优化设计，使设备故障率下降约三成；"
            "参与输送带自动纠偏装置研制，获实用新型专利一项。"
            "注重继续学习，每年按要求完成继续教育学时，年度考核均为合格以上。"
        ),
        "societies": "山东省机械工程学会会员",
        "societies_attachments": [],
        "other_attachments": [
            _att("2025年6月六公开监督卡", "其他/2025年6月六公开监督卡.pdf", "六公开监督卡"),
            _att("2025年6月公示情况报告表", "其他/2025年6月公示情况报告表.pdf", "公示情况报告表"),
            _att("2025年6月业绩成果对照表", "其他/2025年6月业绩成果对照表.pdf", "业绩成果对照表"),
        ],
    }


def _set(data: Any, path: list[str], value: Any) -> None:
    key: Any = int(path[0]) if isinstance(data, list) else path[0]
    if len(path) == 1:
        if value is DELETE:
            del data[key]
        else:
            data[key] = copy.deepcopy(value)
        return
    _set(data[key], path[1:], value)


def application_dict(seed: int = 0, **overrides: Any) -> dict[str, Any]:
    """The JSON form of a valid application (see the module docstring for overrides)."""
    data = _base(seed)
    for key, value in overrides.items():
        _set(data, key.split("__"), value)
    return data


def make_application(seed: int = 0, **overrides: Any) -> Application:
    """A valid, realistic engineering 中级 工程师 application (raises if overrides break it)."""
    return Application.model_validate(application_dict(seed, **overrides))


# --- packages --------------------------------------------------------------------------------


def _json_bytes(app: Application | Mapping[str, Any] | bytes) -> bytes:
    if isinstance(app, bytes):
        return app
    if isinstance(app, Application):
        data = app.model_dump(mode="json", exclude_none=True)
    else:
        data = dict(app)
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _files_named(app: Application | Mapping[str, Any] | bytes) -> list[str]:
    if isinstance(app, bytes):
        return []
    if isinstance(app, Application):
        return sorted({ref.file for _path, ref in iter_attachments(app)})
    # A dict may be deliberately invalid, so find attachment references by their shape.
    found: set[str] = set()
    stack: list[Any] = [app]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if isinstance(item.get("file"), str) and "name" in item:
                found.add(item["file"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(found)


def default_files(app: Application | Mapping[str, Any]) -> dict[str, bytes]:
    """Real bytes for every file `app` names, of the type its extension says."""
    return {name: file_bytes(name) for name in _files_named(app)}


def write_package(
    directory: Path,
    app: Application | Mapping[str, Any] | bytes,
    files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a package folder: `application.json` plus `files` (default: `default_files(app)`).

    `app` may be raw bytes for a deliberately broken `application.json`. Returns `directory`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "application.json").write_bytes(_json_bytes(app))
    for name, data in (_defaults(app) if files is None else files).items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return directory


def _defaults(app: Application | Mapping[str, Any] | bytes) -> dict[str, bytes]:
    return {} if isinstance(app, bytes) else default_files(app)


def write_zip_package(
    zip_path: Path,
    app: Application | Mapping[str, Any] | bytes,
    files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a package as a zip (entries at its root). Returns `zip_path`."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("application.json", _json_bytes(app))
        for name, data in (_defaults(app) if files is None else files).items():
            zf.writestr(name, data)
    return zip_path


def zip_folder(folder: Path, zip_path: Path) -> Path:
    """Zip a package folder as file managers do: everything under one top-level folder."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return zip_path
