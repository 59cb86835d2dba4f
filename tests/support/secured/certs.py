"""A private CA and certificates made at test time with ``cryptography``, as PEM files:
the CA, a server certificate for localhost and 127.0.0.1, a client certificate for mutual
TLS, a second unrelated CA ("wrong CA" tests) with a client certificate of its own, and a
certificate for another host name (wrong.example) signed by the CA (hostname checks)."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Certificates:
    """Paths of PEM files. Keys are unencrypted; each key sits beside its certificate."""

    directory: Path
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    other_client_cert: Path
    other_client_key: Path
    wrong_host_cert: Path
    wrong_host_key: Path

    def client_context(self, *, client_cert: bool = False) -> ssl.SSLContext:
        """A client context trusting the test CA, hostname checked; with ``client_cert``,
        presenting the client certificate (mutual TLS)."""
        context = ssl.create_default_context(cafile=str(self.ca))
        if client_cert:
            context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context

    def server_context(self) -> ssl.SSLContext:
        """A server context with the localhost certificate (for in-process servers)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.server_cert), str(self.server_key))
        return context


@dataclass(frozen=True)
class _Issuer:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


_VALIDITY = datetime.timedelta(days=30)


def make_certificates(directory: Path) -> Certificates:
    """Write every certificate and key into ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = _ca("eda test CA")
    other = _ca("eda unrelated test CA")
    server = _leaf(ca, "localhost", server=True, dns=["localhost"], ips=["127.0.0.1"])
    client = _leaf(ca, "eda-test-client", server=False)
    other_client = _leaf(other, "eda-foreign-client", server=False)
    wrong = _leaf(ca, "wrong.example", server=True, dns=["wrong.example"])
    return Certificates(
        directory=directory,
        ca=_write_cert(directory / "ca.pem", ca.certificate),
        server_cert=_write_cert(directory / "server.pem", server.certificate),
        server_key=_write_key(directory / "server.key", server.key),
        client_cert=_write_cert(directory / "client.pem", client.certificate),
        client_key=_write_key(directory / "client.key", client.key),
        other_ca=_write_cert(directory / "other-ca.pem", other.certificate),
        other_client_cert=_write_cert(directory / "other-client.pem", other_client.certificate),
        other_client_key=_write_key(directory / "other-client.key", other_client.key),
        wrong_host_cert=_write_cert(directory / "wrong-host.pem", wrong.certificate),
        wrong_host_key=_write_key(directory / "wrong-host.key", wrong.key),
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "eda tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: rsa.RSAPublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates and CRLs; a TLS leaf signs and enciphers keys."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _ca(common_name: str) -> _Issuer:
    key = _key()
    name = _name(common_name)
    certificate = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return _Issuer(certificate, key)


def _leaf(
    issuer: _Issuer,
    common_name: str,
    *,
    server: bool,
    dns: list[str] | None = None,
    ips: list[str] | None = None,
) -> _Issuer:
    key = _key()
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(_name(common_name), issuer.certificate.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns or []]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips or []]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return _Issuer(builder.sign(issuer.key, hashes.SHA256()), key)


def _write_cert(path: Path, certificate: x509.Certificate) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> Path:
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path
