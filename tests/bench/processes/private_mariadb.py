"""A MariaDB server of the bench's own, in a temporary folder on a free port.

The system group reads the server's CPU time from ``/proc`` and its statement counts
from ``SHOW GLOBAL STATUS``: on the machine's shared server both would count every
other client too. This server is the same build with the same settings as the
machine's (its defaults), so what the system costs it is what ``make run`` costs.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql

from eda_local.child_process import stop_child
from eda_local.tansu import free_port

START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class PrivateMariaDB:
    port: int
    pid: int


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        if found:
            return found
    raise FileNotFoundError(f"none of {', '.join(names)} is installed")


@contextlib.contextmanager
def private_mariadb() -> Iterator[PrivateMariaDB]:
    with tempfile.TemporaryDirectory(prefix="bench-mariadb-") as folder:
        data = Path(folder) / "data"
        subprocess.run(
            [
                _binary("mariadb-install-db", "mysql_install_db"),
                "--no-defaults",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--user=root",
            ],
            check=True,
            capture_output=True,
        )
        port = free_port()
        log = (Path(folder) / "error.log").open("wb")
        process = subprocess.Popen(
            [
                _binary("mariadbd", "mysqld"),
                "--no-defaults",
                f"--datadir={data}",
                f"--port={port}",
                f"--socket={folder}/mysqld.sock",
                f"--pid-file={folder}/mysqld.pid",
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
                "--max-connections=500",
                "--user=root",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_answering(port, process, Path(folder) / "error.log")
            yield PrivateMariaDB(port, process.pid)
        finally:
            stop_child(process, grace_s=30)
            log.close()


def _wait_until_answering(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the bench's MariaDB exited: {log.read_text()[-2000:]}")
        try:
            pymysql.connect(host="127.0.0.1", port=port, user="root", connect_timeout=1).close()
            return
        except pymysql.err.OperationalError as exc:
            if time.monotonic() > deadline:
                message = f"the bench's MariaDB did not answer in {START_TIMEOUT_S}s"
                raise TimeoutError(message) from exc
            time.sleep(0.1)
