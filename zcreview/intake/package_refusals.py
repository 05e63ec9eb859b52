"""Why a package is refused: one problem naming the file, and reader failures as sentences."""

from __future__ import annotations

import errno
import zipfile
import zlib

from zcreview.intake.problems import PackageError, Problem


def refuse(file: str, message: str, field_: str = "") -> PackageError:
    """The error refusing a package for one reason (`file` empty: the package itself)."""
    return PackageError([Problem(file, field_, message)])


def read_failure(exc: BaseException) -> str:
    """Why a file or zip entry could not be read, in Chinese (never the exception's repr)."""
    if isinstance(exc, UnicodeError):
        return "压缩包中的文件名编码无效，无法读取"
    if isinstance(exc, zipfile.LargeZipFile):
        return "压缩包过大（需要 ZIP64），拒收"
    if isinstance(exc, zipfile.BadZipFile):
        return "不是有效的 zip 压缩包，或压缩包已损坏（校验失败）"
    if isinstance(exc, zlib.error):
        return "压缩数据已损坏，无法解压"
    if isinstance(exc, EOFError):
        return "压缩包不完整（可能未复制或下载完）"
    if isinstance(exc, NotImplementedError):
        return "使用了不支持的压缩方式，请用普通 zip 格式重新压缩"
    if isinstance(exc, RuntimeError):
        return "条目已加密或无法解压，请去掉密码后重新压缩"
    if isinstance(exc, OSError):
        return _OS_ERRORS.get(exc.errno or 0, f"读写失败（错误码 {exc.errno}）")
    return "文件结构无效，无法读取"


_OS_ERRORS = {
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.ENOENT: "文件不存在或已被移走",
    errno.ENOSPC: "磁盘空间不足，无法解压",
    errno.EIO: "磁盘读写错误",
    errno.EISDIR: "是文件夹而不是文件",
    errno.ENAMETOOLONG: "路径过长",
    errno.ELOOP: "符号链接循环",
}
