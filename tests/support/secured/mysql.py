"""MySQL with TLS required: a private MariaDB on a free port with its own data directory,
the test CA's server certificate and ``require_secure_transport=ON`` (a plaintext TCP
login is refused, as error 1045), a root password of its own, and service users
(DDL: ALL on a database; DML: SELECT, INSERT, UPDATE, DELETE) made ``REQUIRE SSL``.

For "TLS required against a server without TLS must fail closed" tests nothing is
needed here: the shared MariaDB on 127.0.0.1:3306 has ``have_ssl=DISABLED``, and aiomysql
given an ``ssl`` context falls back to plaintext there without a word (``Ssl_cipher`` is
empty): the product must check, not the driver."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiomysql
import pymysql

from tests.support.secured.certs import Certificates
from tests.support.secured.processes import ChildFailed, chosen_port, running_child

# About 8 s on a quiet two-core machine; far more when the machine is busy.
_STARTUP_S = 60.0
_INSTALL_S = 120.0


@dataclass(frozen=True)
class SecuredMySQL:
    host: str
    port: int
    user: str
    password: str
    certs: Certificates
    socket: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting the test CA, hostname checked."""
        return ssl.create_default_context(cafile=str(self.certs.ca))


@dataclass(frozen=True)
class MySQLUser:
    name: str
    password: str


@dataclass(frozen=True)
class ServiceUsers:
    database: str
    ddl: MySQLUser
    dml: MySQLUser


@contextlib.contextmanager
def private_mariadb(certs: Certificates, directory: Path) -> Iterator[SecuredMySQL]:
    """A MariaDB requiring TLS on TCP, in ``directory`` (removed at the end)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "data"
    socket = directory / "data.sock"
    log_path = directory / "mariadb.log"
    try:
        _install(data, log_path)
        with contextlib.ExitStack() as stack:
            port = _start(stack, certs, directory, log_path)
            password = secrets.token_urlsafe(16)
            _set_root_password(socket, password)
            yield SecuredMySQL("127.0.0.1", port, "root", password, certs, socket)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _start(
    stack: contextlib.ExitStack, certs: Certificates, directory: Path, log_path: Path
) -> int:
    """Start mariadbd on a chosen port (chosen again if another process takes it first)."""
    socket = directory / "data.sock"
    for attempt in range(1, 4):
        port = chosen_port()
        argv = [
            _binary("mariadbd"),
            "--no-defaults",
            f"--datadir={directory / 'data'}",
            f"--tmpdir={_private_tmp(directory)}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={socket}",
            f"--pid-file={directory / 'data.pid'}",
            "--user=root",
            f"--ssl-ca={certs.ca}",
            f"--ssl-cert={certs.server_cert}",
            f"--ssl-key={certs.server_key}",
            "--require-secure-transport=ON",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
        ]
        try:
            stack.enter_context(
                running_child(
                    argv,
                    name=f"mariadbd on 127.0.0.1:{port}",
                    log_path=log_path,
                    ready=lambda: _socket_answers(socket),
                    timeout_s=_STARTUP_S,
                    grace_s=30.0,
                )
            )
        except ChildFailed as failed:
            if attempt == 3 or not failed.port_taken:
                raise
        else:
            return port
    raise AssertionError("unreachable")


@contextlib.asynccontextmanager
async def service_users(
    server: SecuredMySQL, database: str | None = None
) -> AsyncIterator[ServiceUsers]:
    """A DDL and a DML user with unique names on ``database`` (a new unique database if
    none is given), both ``REQUIRE SSL``; dropped at the end, with a database made here."""
    suffix = uuid.uuid4().hex[:10]
    name = database or f"t_{suffix}"
    users = ServiceUsers(
        name,
        ddl=MySQLUser(f"ddl_{suffix}", secrets.token_urlsafe(16)),
        dml=MySQLUser(f"dml_{suffix}", secrets.token_urlsafe(16)),
    )
    grants = (
        (users.ddl, "ALL PRIVILEGES"),
        (users.dml, "SELECT, INSERT, UPDATE, DELETE"),
    )
    async with root_connection(server) as connection, connection.cursor() as cursor:
        if database is None:
            await cursor.execute(f"CREATE DATABASE `{name}`")
        for user, privileges in grants:
            await cursor.execute(
                # %% is the host wildcard: a literal % once the password is bound.
                f"CREATE USER '{user.name}'@'%%' IDENTIFIED BY %s REQUIRE SSL",
                (user.password,),
            )
            await cursor.execute(f"GRANT {privileges} ON `{name}`.* TO '{user.name}'@'%'")
    try:
        yield users
    finally:
        async with root_connection(server) as connection, connection.cursor() as cursor:
            for user, _ in grants:
                await cursor.execute(f"DROP USER IF EXISTS '{user.name}'@'%'")
            if database is None:
                await cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@contextlib.asynccontextmanager
async def root_connection(server: SecuredMySQL) -> AsyncIterator[aiomysql.Connection]:
    """An autocommitting root connection over TLS (checked: a cipher is in use)."""
    connection = await aiomysql.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        ssl=server.ssl_context(),
        autocommit=True,
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            row = await cursor.fetchone()
        if not row or not row[1]:
            raise ssl.SSLError(f"no TLS on the root connection to {server.host}:{server.port}")
        yield connection
    finally:
        connection.close()


def _binary(name: str) -> str:
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise FileNotFoundError(f"{name} not found: MariaDB server is not installed")


def _install(data: Path, log_path: Path) -> None:
    argv = [
        _binary("mariadb-install-db"),
        "--no-defaults",
        f"--datadir={data}",
        # A private temporary folder: the bootstrap's temporary tables in the shared /tmp
        # were once removed under it by another instance ("Could not remove temporary table").
        f"--tmpdir={_private_tmp(data.parent)}",
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--user=root",
    ]
    with open(log_path, "ab") as log:
        completed = subprocess.run(
            argv, stdout=log, stderr=subprocess.STDOUT, timeout=_INSTALL_S, check=False
        )
    if completed.returncode != 0:
        raise ChildFailed(
            f"mariadb-install-db failed ({completed.returncode}); see {log_path}:\n"
            + log_path.read_text(errors="replace")[-3000:]
        )


def _private_tmp(directory: Path) -> Path:
    tmp = directory / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return tmp


def _socket_answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        pymysql.connect(unix_socket=str(socket), user="root", connect_timeout=2).close()
    except pymysql.MySQLError:
        return False
    return True


def _set_root_password(socket: Path, password: str) -> None:
    """Every root account (localhost, 127.0.0.1, ::1, the host's name) gets ``password``."""
    connection = pymysql.connect(unix_socket=str(socket), user="root", autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT Host FROM mysql.user WHERE User = 'root'")
            hosts = [str(row[0]) for row in cursor.fetchall()]
            for host in hosts:
                cursor.execute("ALTER USER 'root'@%s IDENTIFIED BY %s", (host, password))
    finally:
        connection.close()
