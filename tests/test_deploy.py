"""deploy/: the nginx configuration passes `nginx -t` (with a self-signed certificate in place of the real one),
and the systemd unit passes `systemd-analyze verify` and starts what `make run` starts."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.servers import missing

DEPLOY = PROJECT_DIR / "deploy"


def test_the_nginx_configuration_is_valid(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None or shutil.which("openssl") is None:
        missing("nginx and openssl")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "frontdesk.conf").read_text()
    site = (site.replace("/etc/nginx/frontdesk-proxy.conf", str(DEPLOY / "nginx" / "proxy.conf"))
            .replace("/etc/letsencrypt/live/frontdesk.example.com/fullchain.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/letsencrypt/live/frontdesk.example.com/privkey.pem", str(tmp_path / "key.pem")))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\nclient_body_temp_path {tmp_path};\nproxy_temp_path {tmp_path};\n"
        f"include {tmp_path}/site.conf;\n}}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                              "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_systemd_unit_runs_frontdesk_run_from_the_install_folder() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(DEPLOY / "systemd" / "frontdesk.service")
    service = unit["Service"]
    folder = Path(service["WorkingDirectory"])
    assert service["ExecStart"] == f"{folder}/.venv/bin/frontdesk run"
    assert (PROJECT_DIR / ".venv" / "bin" / "frontdesk").exists()  # what ExecStart names, in this checkout
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) > 2 * 15  # both servers' stop time


def test_systemd_accepts_the_unit() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    checked = subprocess.run([analyze, "verify", "--man=no", str(DEPLOY / "systemd" / "frontdesk.service")],
                             capture_output=True, text=True)
    problems = [line for line in checked.stderr.splitlines()
                if "frontdesk.service" in line and "Command" not in line and "not executable" not in line
                and "User" not in line]
    assert problems == []
