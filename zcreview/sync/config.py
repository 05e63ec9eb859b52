"""Which transport an office uses and where: the `[sync]` table of its settings.toml."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from zcreview.settings import Settings
from zcreview.sync.transport import SyncError, Transport


@dataclass(frozen=True)
class SyncConfig:
    """`[sync]`: transport = "http" with url and token (or token_file); "folder" with folder
    (and url and token as well when lower offices report to a hub)."""

    transport: str
    url: str | None = None
    token: str | None = None
    folder: Path | None = None
    ca_file: Path | None = None
    """A private CA's certificate to verify the hub with (else the system's CAs)."""


def sync_config(settings: Settings) -> SyncConfig:
    """Read and check `[sync]`; raises SyncError naming the file and the missing key."""
    where = settings.settings_path
    raw = settings.extra.get("sync")
    if not isinstance(raw, dict):
        raise SyncError(f"{where} 中没有 [sync] 设置（transport、url、token）")
    kind = raw.get("transport", "http")
    if kind not in ("http", "folder"):
        raise SyncError(f"{where}: sync.transport 只能是 http 或 folder")
    if kind == "folder":
        folder = raw.get("folder")
        if not isinstance(folder, str) or not folder:
            raise SyncError(f"{where}: sync.folder 未设置")
        path = Path(folder).expanduser()
        if raw.get("url"):  # lower offices report to a hub: serve them through it too
            http = _http_config(settings, raw)
            return SyncConfig(
                "folder", url=http.url, token=http.token, folder=path, ca_file=http.ca_file
            )
        return SyncConfig("folder", folder=path)
    return _http_config(settings, raw)


def _http_config(settings: Settings, raw: dict[str, object]) -> SyncConfig:
    where = settings.settings_path
    url = raw.get("url", raw.get("hub_url"))
    if not isinstance(url, str) or not url:
        raise SyncError(f"{where}: sync.url 未设置（上报服务器地址）")
    token = raw.get("token")
    token_file = raw.get("token_file")
    if isinstance(token_file, str) and token_file:
        path = Path(token_file).expanduser()
        if not path.is_absolute():
            path = settings.home / path
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SyncError(f"{where}: 读不到 sync.token_file {path}：{exc.strerror}") from None
    if not isinstance(token, str) or not token:
        raise SyncError(f"{where}: sync.token 或 sync.token_file 未设置")
    ca_file = raw.get("ca_file")
    ca_path: Path | None = None
    if ca_file is not None:
        if not isinstance(ca_file, str) or not ca_file:
            raise SyncError(f"{where}: sync.ca_file 应为 CA 证书文件的路径")
        ca_path = Path(ca_file).expanduser()
        if not ca_path.is_absolute():
            ca_path = settings.home / ca_path
        if not ca_path.is_file():
            raise SyncError(f"{where}: sync.ca_file 指定的 CA 证书 {ca_path} 不存在")
    return SyncConfig("http", url=url, token=token, ca_file=ca_path)


def _http(
    config: SyncConfig, cancel: threading.Event | None, give_up_after: float | None
) -> Transport:
    from zcreview.sync.http import HttpTransport

    assert config.url is not None and config.token is not None
    return HttpTransport(
        config.url,
        config.token,
        cancel=cancel,
        give_up_after=give_up_after,
        ca_file=str(config.ca_file) if config.ca_file else None,
    )


def open_lower_hub(
    settings: Settings,
    *,
    cancel: threading.Event | None = None,
    give_up_after: float | None = None,
) -> Transport | None:
    """The hub lower offices report to, when it is not the upward transport: an office that
    reports upward by folder but also has `url` and `token` serves HTTP offices through it."""
    config = sync_config(settings)
    if config.transport == "folder" and config.url is not None:
        return _http(config, cancel, give_up_after)
    return None


def open_transport(
    settings: Settings,
    *,
    cancel: threading.Event | None = None,
    give_up_after: float | None = None,
) -> Transport:
    """The configured transport: HTTP to a hub, or an exchange folder (USB stick, shared drive)."""
    config = sync_config(settings)
    if config.transport == "http":
        return _http(config, cancel, give_up_after)
    from zcreview.storage.store import open_store
    from zcreview.sync.folder import FolderTransport

    assert config.folder is not None
    folder = config.folder if config.folder.is_absolute() else settings.home / config.folder
    try:
        store = open_store(settings.home, settings.db_url)
    except Exception as exc:  # unreachable server, bad URL, schema too new
        raise SyncError(f"无法打开办公数据库（{settings.db_url or settings.home}）：{exc}") from exc
    return FolderTransport(folder, store, own_store=True)
