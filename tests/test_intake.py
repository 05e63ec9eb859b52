"""Intake: packages from folders and zips, idempotence, revisions, and every kind of bad input."""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from tests.conftest import REALWORLD
from tests.factories import (
    DELETE,
    application_dict,
    default_files,
    make_application,
    pdf_bytes,
    write_package,
    write_zip_package,
    zip_folder,
)
from zcreview.configfiles import default_config
from zcreview.intake.importer import ImportEvent, ImportReport, PackageResult, import_paths
from zcreview.intake.package_limits import Limits
from zcreview.intake.package_reader import find_packages, open_package
from zcreview.intake.problems import PackageError, safe_text
from zcreview.intake.validate import clean_text, parse_application
from zcreview.storage.applications import load_revision, revisions
from zcreview.storage.store import Store
from zcreview.storage.tables import ApplicationRow, AttachmentRow, BlobRow, RevisionRow

CONFIG = default_config()
MB = 1024 * 1024

# Tests see the shipped configuration only, never the developer's own files.
pytestmark = pytest.mark.usefixtures("no_user_config")


def run(store: Store, *paths: Path, **kw: Any) -> ImportReport:
    return import_paths(list(paths), store, config=CONFIG, **kw)


def only(report: ImportReport) -> PackageResult:
    assert len(report.results) == 1, report.results
    return report.results[0]


def problems_text(result: PackageResult) -> str:
    return "\n".join(str(p) for p in result.problems)


def refused(store: Store, path: Path, **kw: Any) -> str:
    """Import `path`, assert it is refused and nothing was stored; return the problems."""
    result = only(run(store, path, **kw))
    assert result.outcome == "refused", result
    assert result.problems
    with store.session() as s:
        assert s.exec(select(func.count()).select_from(ApplicationRow)).one() == 0
    return problems_text(result)


def count(store: Store, table: Any) -> int:
    with store.session() as s:
        return int(s.exec(select(func.count()).select_from(table)).one())


def blob_stats(store: Store) -> dict[str, tuple[int, int]]:
    return {
        p.name: (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in store.blobs.root.rglob("*")
        if p.is_file()
    }


# --- good packages (SQLite and PostgreSQL) --------------------------------------------------


def test_folder_and_zip_packages_import(store: Store, tmp_path: Path) -> None:
    a, b = make_application(seed=1), make_application(seed=2)
    folder = write_package(tmp_path / "in" / "a", a)
    zipped = write_zip_package(tmp_path / "in" / "b.zip", b)
    events: list[ImportEvent] = []
    report = run(store, folder, zipped, progress=events.append)
    assert [r.outcome for r in report.results] == ["new", "new"]
    assert report.ok and report.summary() == "新增 2, 新版本 0, 未变 0, 拒收 0"
    assert [e.result is None for e in events] == [True, False, True, False]
    assert events[-1].index == events[-1].total == 2
    with store.session() as s:
        stored = load_revision(str(a.application_id), session=s)
        row = s.get(ApplicationRow, str(b.application_id))
    assert stored.basic.name == a.basic.name and row is not None and row.series == "工程技术"
    refs = [ref for _p, ref in stored.all_attachments()]
    assert refs and all(r.sha256 and r.size and r.mime for r in refs)
    assert all(store.blobs.has(r.sha256 or "") for r in refs)
    mimes = {r.mime for r in refs}
    assert mimes == {"application/pdf", "image/jpeg", "image/png"}
    # Both applicants carry the same files: each blob once, registered once.
    assert count(store, BlobRow) == len(default_files(a))
    assert count(store, AttachmentRow) == 2 * len(refs)
    # The pre-checks ran: the factory's application passes them all.
    assert row.n_ok > 0 and row.n_fail == 0


def test_reimport_is_unchanged_and_rewrites_nothing(store: Store, tmp_path: Path) -> None:
    folder = write_package(tmp_path / "in" / "a", make_application())
    zipped = zip_folder(folder, tmp_path / "a.zip")
    assert only(run(store, folder)).outcome == "new"
    before = blob_stats(store)
    assert before
    again = only(run(store, folder))
    assert again.outcome == "unchanged"
    assert again.application_id == str(make_application().application_id)
    # The same package zipped by a file manager (one top folder) is the same package.
    assert only(run(store, zipped)).outcome == "unchanged"
    assert blob_stats(store) == before
    assert count(store, RevisionRow) == 1 and count(store, ApplicationRow) == 1


def test_same_package_twice_in_one_run(store: Store, tmp_path: Path) -> None:
    folder = write_package(tmp_path / "a", make_application())
    report = run(store, folder, folder)
    assert [r.outcome for r in report.results] == ["new", "unchanged"]
    assert count(store, ApplicationRow) == 1


def test_changed_package_is_revision_two(store: Store, tmp_path: Path) -> None:
    first = make_application()
    run(store, write_package(tmp_path / "v1", first))
    second = make_application(work_summary=first.work_summary + "另主持完成一项技术改造。")
    result = only(run(store, write_package(tmp_path / "v2", second)))
    assert (result.outcome, result.number) == ("revision", 2)
    # A rescanned attachment alone is a change too: the revision names files by hash.
    files = default_files(second)
    files["考核/2024年度考核表.png"] = pdf_bytes("另一份考核表")
    third = only(run(store, write_package(tmp_path / "v3", second, files)))
    assert (third.outcome, third.number) == ("revision", 3)
    with store.session() as s:
        revs = revisions(str(first.application_id), session=s)
        row = s.get(ApplicationRow, str(first.application_id))
    assert [r.number for r in revs] == [1, 2, 3]
    assert row is not None and row.revision_count == 3 and row.head_revision == third.revision


def test_batch_with_one_bad_package_imports_the_others(store: Store, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    write_package(batch / "01", make_application(seed=1))
    write_package(batch / "02", b"{ broken")
    write_zip_package(batch / "03.zip", make_application(seed=3))
    (batch / "04.zip").write_bytes(b"PK\x03\x04 not really a zip")
    report = run(store, batch)
    assert [r.path.name for r in report.results] == ["01", "02", "03.zip", "04.zip"]
    assert [r.outcome for r in report.results] == ["new", "refused", "new", "refused"]
    assert report.summary() == "新增 2, 新版本 0, 未变 0, 拒收 2"
    assert count(store, ApplicationRow) == 2


def test_unnamed_files_and_nested_zips_are_warnings(store: Store, tmp_path: Path) -> None:
    app = make_application()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("application.json", "{}")
    files = {**default_files(app), "草稿.docx": b"PK\x03\x04", "旧包.zip": inner.getvalue()}
    result = only(run(store, write_zip_package(tmp_path / "p.zip", app, files)))
    assert result.outcome == "new"
    assert any("草稿.docx" in w for w in result.warnings)
    assert any("旧包.zip" in w for w in result.warnings)


# --- discovery and unreadable paths --------------------------------------------------------


def test_find_packages_expands_folders(tmp_path: Path) -> None:
    write_package(tmp_path / "unit" / "b", make_application(seed=2))
    write_zip_package(tmp_path / "unit" / "a.zip", make_application(seed=1))
    write_package(tmp_path / "unit" / "sub" / "c", make_application(seed=3))
    (tmp_path / "unit" / "说明.txt").write_text("not a package")
    direct = write_package(tmp_path / "d", make_application(seed=4))
    found = find_packages([tmp_path / "unit", direct / "application.json"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "unit/a.zip",
        "unit/b",
        "unit/sub/c",
        "d",
    ]


def test_missing_and_empty_paths_are_refused(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "note.txt").write_text("hello")
    report = run(sqlite_store, tmp_path / "nope", tmp_path / "empty", tmp_path / "note.txt")
    assert [r.outcome for r in report.results] == ["refused"] * 3
    texts = [problems_text(r) for r in report.results]
    assert "路径不存在" in texts[0]
    assert "没有 application.json" in texts[1]
    assert "不是申报包" in texts[2]


# --- bad application.json ------------------------------------------------------------------


def test_invalid_json_names_line_and_column(store: Store, tmp_path: Path) -> None:
    body = b'{\n  "basic": {\n    "name": "\xe5\xbc\xa0\xe4\xbc\x9f",\n  }\n}'
    text = refused(store, write_package(tmp_path / "p", body))
    assert "第 4 行第 3 列" in text and "application.json" in text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\xff\xfe{}", "不是 UTF-8"),
        (b"[1, 2]", "顶层应为 JSON 对象"),
        (b'{"a": NaN}', "不允许 NaN"),
        (b"[" * 100_000, "嵌套过深"),
        (b"", "第 1 行第 1 列"),
        (b'{"basic": {"name": "a", "name": "b"}}', "basic.name: 重复的键"),
    ],
)
def test_unparseable_json(body: bytes, expected: str) -> None:
    result = parse_application(body)
    assert result.app is None and expected in "\n".join(map(str, result.problems))


def test_missing_field(store: Store, tmp_path: Path) -> None:
    text = refused(store, write_package(tmp_path / "p", application_dict(basic__id_number=DELETE)))
    assert "basic.id_number: 缺少必填字段" in text


def test_extra_field(store: Store, tmp_path: Path) -> None:
    text = refused(store, write_package(tmp_path / "p", application_dict(basic__xyz="1")))
    assert "basic.xyz: 额外字段 xyz 不允许" in text


def test_wrong_types_and_dates_are_translated(tmp_path: Path) -> None:
    data = application_dict(
        basic__year="明年",
        basic__birth_date="1990-13",
        titles__0__obtained_on="去年",
        assessments__1__grade=3,
        format_version=2,
    )
    text = "\n".join(map(str, parse_application(json.dumps(data).encode()).problems))
    assert "basic.year: 应为整数" in text
    assert "basic.birth_date: 取值无效" in text
    assert "titles[0].obtained_on: 日期无效，应为 YYYY-MM 或 YYYY-MM-DD" in text
    assert "assessments[1].grade: 应为文本" in text
    assert "不支持的格式版本 2" in text


def test_dates_accept_months_and_days() -> None:
    app = make_application(basic__work_start="2012年7月", basic__submitted_on="2025-06-10")
    assert (app.basic.work_start.isoformat(), app.basic.submitted_on) == (
        "2012-07-01",
        app.basic.submitted_on,
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"basic__series": "火箭技术"}, "basic.series: 申报系列 火箭技术 不在目录中"),
        ({"basic__title": "高级工程师"}, "basic.title: 申报职称 高级工程师 与 工程技术·中级 不符"),
        ({"basic__title": "总工程师"}, "应为 工程师"),
        ({"basic__level": "中级职称"}, "basic.level: 取值 中级职称 无效"),
        (
            {"basic__series": "会计", "basic__level": "员级", "basic__title": "会计员"},
            "basic.level: 系列 会计 没有 员级 职称",
        ),
    ],
)
def test_unknown_series_level_title(
    sqlite_store: Store, tmp_path: Path, overrides: dict[str, Any], expected: str
) -> None:
    text = refused(sqlite_store, write_package(tmp_path / "p", application_dict(**overrides)))
    assert expected in text


# --- bad attachments -----------------------------------------------------------------------


def test_missing_attachment(store: Store, tmp_path: Path) -> None:
    app = make_application()
    files = default_files(app)
    del files["成果/2021年5月论文.pdf"]
    text = refused(store, write_package(tmp_path / "p", app, files))
    assert "成果/2021年5月论文.pdf" in text and "附件文件不存在" in text
    assert "achievements[0].attachments[0].file" in text


def test_text_file_named_pdf_is_refused(store: Store, tmp_path: Path) -> None:
    app = make_application()
    fake = next(REALWORLD.glob("notpdf-text-file_*.pdf")).read_bytes()
    files = {**default_files(app), "其他/2025年6月六公开监督卡.pdf": fake}
    text = refused(store, write_zip_package(tmp_path / "p.zip", app, files))
    assert "其他/2025年6月六公开监督卡.pdf" in text and "不是 PDF/JPG/PNG/GIF" in text


def test_content_decides_not_the_name(sqlite_store: Store, tmp_path: Path) -> None:
    app = make_application(titles__0__attachments__0__file="职称/证书.pdf")
    files = {
        **default_files(app),
        "职称/证书.pdf": default_files(make_application())["职称/2019年12月助理工程师资格证书.jpg"],
    }
    result = only(run(sqlite_store, write_package(tmp_path / "p", app, files)))
    assert result.outcome == "new"
    assert any("扩展名 .pdf 与内容（image/jpeg）不符" in w for w in result.warnings)


def test_attachment_over_5_mb(store: Store, tmp_path: Path) -> None:
    app = make_application()
    big = pdf_bytes("大文件") + os.urandom(5 * MB)  # random: a zip cannot shrink it
    files = {**default_files(app), "成果/2021年5月论文.pdf": big}
    text = refused(store, write_zip_package(tmp_path / "p.zip", app, files))
    assert "成果/2021年5月论文.pdf" in text and "附件超过 5 MB" in text


def test_attachment_path_leaving_the_package(sqlite_store: Store, tmp_path: Path) -> None:
    app = make_application(other_attachments__0__file="../../etc/passwd")
    text = refused(
        sqlite_store, write_package(tmp_path / "p", app, default_files(make_application()))
    )
    assert "附件路径不能指向包外" in text


def test_backslash_reference_matches_the_file(sqlite_store: Store, tmp_path: Path) -> None:
    app = make_application(other_attachments__0__file="其他\\2025年6月六公开监督卡.pdf")
    files = default_files(make_application())
    assert only(run(sqlite_store, write_package(tmp_path / "p", app, files))).outcome == "new"


# --- hostile text --------------------------------------------------------------------------


def test_hostile_text_is_cleaned(store: Store, tmp_path: Path) -> None:
    app = application_dict(
        basic__name="张\x1b[31m伟\u202e\x07",
        work_summary="第一段。\r\n第二段\x1b]0;title\x07。\t缩进\x9b2J",
    )
    result = only(run(store, write_package(tmp_path / "p", app)))
    assert result.outcome == "new"
    assert any("basic.name" in w for w in result.warnings)
    with store.session() as s:
        stored = load_revision(str(make_application().application_id), session=s)
    assert stored.basic.name == "张伟"
    assert stored.work_summary == "第一段。\n第二段。\t缩进"


def test_absurdly_long_field_is_refused(store: Store, tmp_path: Path) -> None:
    text = refused(store, write_package(tmp_path / "p", application_dict(societies="会" * 20_001)))
    assert "societies: 文本过长（20001 字符，上限 20000）" in text


def test_clean_text_short_fields_flatten_lines() -> None:
    assert clean_text("济南\n华源\t公司\u200b") == "济南 华源 公司"
    assert clean_text("a\u2028b", long_text=True) == "a\nb"


def test_clean_text_shortcut_for_printable_text_misses_nothing() -> None:
    # Printable text is returned as it is without running the patterns: no printable code
    # point may be one they remove or change.
    from zcreview.domain import text

    patterns = [v for k, v in vars(text).items() if k.endswith("_RE")]
    assert len(patterns) >= 6
    changed = [
        hex(c)
        for c in range(0x110000)
        if chr(c).isprintable() and any(p.search(chr(c)) for p in patterns)
    ]
    assert changed == []
    assert clean_text("a\ud800b") == "a?b"
    assert clean_text("张\x1b[31m三\u202e") == "张三"


def test_safe_text_shows_escapes() -> None:
    assert safe_text("a\x1b[2Jb\u202ec") == "a\\u001b[2Jb\\u202ec"
    assert safe_text("x" * 200, 10) == "x" * 9 + "…"


# --- hostile zips and folders --------------------------------------------------------------


def _zip_with(tmp_path: Path, entries: dict[str, bytes], name: str = "p.zip") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    app = make_application()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("application.json", json.dumps(app.model_dump(mode="json")))
        for fname, data in default_files(app).items():
            zf.writestr(fname, data)
        for entry, data in entries.items():
            zf.writestr(zipfile.ZipInfo(entry), data)
    return path


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("../evil.pdf", "条目路径含 .."),
        ("其他/../../evil.pdf", "条目路径含 .."),
        ("/etc/cron.d/evil", "绝对路径"),
        ("C:/Windows/evil.pdf", "盘符"),
        ("..\\..\\evil.pdf", "反斜杠"),
        ("a\x1b[31m.pdf", "控制字符"),
    ],
)
def test_zip_slip_entries(store: Store, tmp_path: Path, entry: str, expected: str) -> None:
    text = refused(store, _zip_with(tmp_path / "in", {entry: b"%PDF-1.4"}))
    assert expected in text
    assert not (tmp_path / "evil.pdf").exists()


def test_zip_symlink_entry(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("application.json", "{}")
        link = zipfile.ZipInfo("link.pdf")
        link.external_attr = (0o120777 << 16) | 0x10
        zf.writestr(link, "/etc/passwd")
    assert "符号链接" in refused(store, path)


def test_zip_bomb(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("application.json", json.dumps(make_application().model_dump(mode="json")))
        with zf.open("其他/2025年6月六公开监督卡.pdf", "w") as f:
            chunk = b"%PDF-1.4\n" + b"\0" * (MB - 9)
            for _ in range(40):
                f.write(chunk)
    assert path.stat().st_size < 200 * 1024
    assert "压缩比异常" in refused(store, path)


def test_zip_bomb_spread_over_many_entries(sqlite_store: Store, tmp_path: Path) -> None:
    entries = {f"x/{i}.pdf": b"%PDF-1.4\n" + b"\0" * (MB - 100_000) for i in range(8)}
    path = _zip_with(tmp_path, {}, "spread.zip")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    assert "压缩比异常" in refused(sqlite_store, path)


def test_zip_headers_that_lie_are_not_trusted(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("application.json", "{}")
        zf.writestr("x.pdf", b"%PDF-1.4\n" + b"\0" * (30 * MB))
    data = bytearray(path.read_bytes())
    # Claim 100 bytes uncompressed in both the local and the central header of x.pdf.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(sig, data.find(sig) + 1)
        struct.pack_into("<I", data, at + offset, 100)
    path.write_bytes(bytes(data))
    assert refused(sqlite_store, path)


def test_too_many_entries_and_total_size(sqlite_store: Store, tmp_path: Path) -> None:
    many = _zip_with(tmp_path, {f"x/{i}.pdf": b"%PDF" for i in range(30)}, "many.zip")
    assert "包内文件过多" in refused(sqlite_store, many, limits=Limits(max_entries=20))
    folder = write_package(tmp_path / "big", make_application())
    text = refused(sqlite_store, folder, limits=Limits(max_total_bytes=20_000))
    assert "总大小超过" in text


def test_encrypted_and_broken_zips(sqlite_store: Store, tmp_path: Path) -> None:
    path = _zip_with(tmp_path, {})
    data = bytearray(path.read_bytes())
    data[6] |= 0x1  # the first entry's "encrypted" flag, local header
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1
    path.write_bytes(bytes(data))
    assert "加密" in refused(sqlite_store, path)
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(_zip_with(tmp_path, {}, "whole.zip").read_bytes()[:5000])
    assert refused(sqlite_store, truncated)


def test_gbk_names_from_windows_archivers(sqlite_store: Store, tmp_path: Path) -> None:
    app = make_application()
    path = tmp_path / "gbk.zip"
    files = default_files(app)
    placeholders: dict[bytes, bytes] = {}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("application.json", json.dumps(app.model_dump(mode="json")))
        for i, (name, data) in enumerate(files.items()):
            gbk = name.encode("gbk")
            ascii_name = f"@{i:03d}@".ljust(len(gbk), "~").encode()
            placeholders[ascii_name] = gbk
            zf.writestr(ascii_name.decode(), data)
    raw = path.read_bytes()
    for ascii_name, gbk in placeholders.items():
        raw = raw.replace(ascii_name, gbk)
    path.write_bytes(raw)
    result = only(run(sqlite_store, path))
    assert result.outcome == "new", result


def test_folder_symlink_outside_is_refused(store: Store, tmp_path: Path) -> None:
    folder = write_package(tmp_path / "p", make_application())
    (folder / "其他" / "secret.pdf").symlink_to("/etc/passwd")
    assert "符号链接指向包外" in refused(store, folder)


def test_folder_symlink_inside_is_followed(sqlite_store: Store, tmp_path: Path) -> None:
    app = make_application(other_attachments__1__file="其他/链接.pdf")
    folder = write_package(tmp_path / "p", app, default_files(make_application()))
    (folder / "其他" / "链接.pdf").symlink_to("2025年6月公示情况报告表.pdf")
    assert only(run(sqlite_store, folder)).outcome == "new"


def test_folder_with_a_fifo_does_not_hang(sqlite_store: Store, tmp_path: Path) -> None:
    folder = write_package(tmp_path / "p", make_application())
    os.mkfifo(folder / "其他" / "pipe.pdf")
    assert "不是普通文件" in refused(sqlite_store, folder)


def test_open_package_cleans_up_its_temporary_folder(tmp_path: Path) -> None:
    path = write_zip_package(tmp_path / "p.zip", make_application())
    with open_package(path) as pkg:
        tmp = next(iter(pkg.files.values())).path.parent
        assert tmp.is_dir()
    assert not tmp.exists()
    with pytest.raises(PackageError):
        open_package(tmp_path / "missing.zip")


# --- the command -----------------------------------------------------------------------------


def test_cli_reports_refusals_and_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zcreview.cli import main

    home = tmp_path / "home"
    good = write_package(tmp_path / "in" / "good", make_application(seed=1))
    bad = write_package(tmp_path / "in" / "bad\x1b[2J", application_dict(basic__id_number=DELETE))
    assert main(["--home", str(home), "import", str(good)]) == 0
    out = capsys.readouterr()
    assert out.out.strip().endswith("新增 1, 新版本 0, 未变 0, 拒收 0")
    assert "[1/1] 新增" in out.err  # not a terminal: one line per package

    assert main(["import", "--home", str(home), str(tmp_path / "in")]) == 1
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err
    assert "拒收 " + str(tmp_path / "in" / "bad\\u001b[2J") in out.out
    assert "application.json  basic.id_number: 缺少必填字段" in out.out
    assert out.out.strip().endswith("新增 0, 新版本 0, 未变 1, 拒收 1")
    assert bad.exists()

    assert main(["--home", str(home), "import", "--quiet", str(tmp_path / "nowhere")]) == 1
    out = capsys.readouterr()
    assert out.err == "" and "路径不存在" in out.out


# --- property tests ------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def _valid_body() -> bytes:
    return json.dumps(application_dict(), ensure_ascii=False).encode()


@st.composite
def _garbled(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "value", "mutated", "section"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "value":
        return json.dumps(draw(_json_values)).encode()
    if kind == "section":
        data = application_dict()
        key = draw(st.sampled_from(sorted(data)))
        data[key] = draw(_json_values)
        return json.dumps(data).encode()
    body = bytearray(_valid_body())
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(body) - 1))
        body[at] = draw(st.integers(0, 255))
    return bytes(body)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_garbled())
def test_garbled_json_never_raises(sqlite_store: Store, body: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_application()
        folder = write_package(Path(tmp) / "p", body, default_files(app))
        result = only(run(sqlite_store, folder))
    assert result.outcome in ("refused", "new", "unchanged", "revision")
    if result.outcome == "refused":
        assert result.problems and all(p.message for p in result.problems)


_member_names = st.text(
    alphabet=st.sampled_from(list("ab/\\.:C \x00\x1b中文\u202e")),
    min_size=0,
    max_size=16,
) | st.sampled_from(["../x.pdf", "/etc/x", "C:/x.pdf", "a/../../x", "./a.pdf", "a//b.pdf"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(_member_names, min_size=1, max_size=4))
def test_random_zip_member_names_never_raise(sqlite_store: Store, names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.zip"
        app = make_application()
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("application.json", json.dumps(app.model_dump(mode="json")))
            for fname, data in default_files(app).items():
                zf.writestr(fname, data)
            for name in names:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # duplicate names are a test case too
                    zf.writestr(zipfile.ZipInfo(name), b"%PDF-1.4 junk")
        result = only(run(sqlite_store, path))
        outside = {p.name for p in Path(tmp).iterdir()}
    assert outside == {"p.zip"}
    stored = [n.split("\x00")[0] for n in names]  # zipfile cuts names at NUL
    unsafe = any(
        n.startswith("/") or "\\" in n or ".." in n.split("/") or "\x1b" in n for n in stored if n
    )
    if unsafe:
        assert result.outcome == "refused"
    assert result.outcome in ("refused", "new", "unchanged")


def test_documented_example_is_valid() -> None:
    """The example in docs/package-format.md parses and agrees with the catalogue."""
    from tests.conftest import REPO
    from zcreview.intake.validate import check_catalogue

    doc = (REPO / "docs" / "package-format.md").read_text(encoding="utf-8")
    body = doc.split("```json\n", 1)[1].split("```", 1)[0]
    result = parse_application(body.encode())
    assert result.app is not None, result.problems
    assert check_catalogue(result.app, CONFIG) == []
