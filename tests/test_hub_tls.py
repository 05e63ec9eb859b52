"""The hub over HTTPS (`serve --tls-cert/--tls-key`) with a throwaway CA; offices verify it."""

from __future__ import annotations

import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.sync_helpers import REPO, free_port
from zcreview.hub.core import Hub
from zcreview.settings import load_settings
from zcreview.sync.config import open_transport
from zcreview.sync.http import CertificateRefused, HttpTransport


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_ca_and_server(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA certificate and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("hub.test"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "hub.pem", folder / "hub.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, paths[2])
    return paths


@pytest.fixture(scope="module")
def tls_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    """A hub serving HTTPS on a loopback port: (url, CA file, an office token)."""
    tmp = tmp_path_factory.mktemp("tlshub")
    ca, cert, key = make_ca_and_server(tmp / "pki", "zcreview test CA")
    admin = Hub.open(tmp / "data")
    _, token = admin.add_office("威海市人社局", "11371000MB2852312X", "人社局", "市直")
    admin.dispose()
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "zcreview",
        "serve",
        "--port",
        str(port),
        "--data",
        str(tmp / "data"),
    ]
    cmd += ["--tls-cert", str(cert), "--tls-key", str(key)]
    log = (tmp / "serve.log").open("wb")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if (
                httpx.get(
                    f"{url}/healthz", verify=ssl.create_default_context(cafile=str(ca)), timeout=1
                ).status_code
                == 200
            ):
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "hub did not start"
        time.sleep(0.1)
    try:
        yield url, ca, token
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_office_with_the_ca_file_talks_to_the_hub(tls_hub: tuple[str, Path, str]) -> None:
    url, ca, token = tls_hub
    transport = HttpTransport(url, token, ca_file=str(ca), give_up_after=5)
    try:
        assert [o.name for o in transport.find_offices("人社")] == ["威海市人社局"]
    finally:
        transport.close()


def test_office_refuses_a_hub_it_cannot_verify_at_once(
    tls_hub: tuple[str, Path, str], tmp_path: Path
) -> None:
    url, _, token = tls_hub
    other_ca, _, _ = make_ca_and_server(tmp_path / "other", "another CA")
    started = time.monotonic()
    transport = HttpTransport(url, token, ca_file=str(other_ca), give_up_after=30)
    try:
        with pytest.raises(CertificateRefused) as refused:
            transport.find_offices("人社")
    finally:
        transport.close()
    assert time.monotonic() - started < 10  # not retried for the whole give-up time
    message = str(refused.value)
    assert "证书无法验证" in message and "ca_file" in message and "Error" not in message


def test_settings_ca_file_reaches_the_transport(
    tls_hub: tuple[str, Path, str], tmp_path: Path
) -> None:
    url, ca, token = tls_hub
    home = tmp_path / "office"
    home.mkdir()
    (home / "hub-ca.pem").write_bytes(ca.read_bytes())
    (home / "settings.toml").write_text(
        f'[sync]\ntransport = "http"\nurl = "{url}"\ntoken = "{token}"\nca_file = "hub-ca.pem"\n',
        encoding="utf-8",
    )
    transport = open_transport(load_settings(home, None), give_up_after=5)
    try:
        assert transport.find_offices("威海")  # type: ignore[attr-defined]
    finally:
        transport.close()


def test_serve_needs_both_tls_options(tmp_path: Path) -> None:
    from zcreview.cli import main

    assert main(["serve", "--tls-cert", str(tmp_path / "x.pem"), "--data", str(tmp_path)]) == 2
