"""A throwaway certificate authority for the cluster doubles: the API server and the node's
kubelet endpoint serve HTTPS with certificates it signs, and kubeconfigs carry its CA."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class ServingCert:
    cert_file: Path
    key_file: Path
    ca_file: Path


HOSTS = ("127.0.0.1", "localhost")


def name_of(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class CertificateAuthority:
    def __init__(self, folder: Path, name: str = "cluster-double-ca") -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self._cert = (
            x509.CertificateBuilder().subject_name(name_of(name)).issuer_name(name_of(name))
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(self._key, hashes.SHA256()))
        self.ca_file = self.folder / "ca.crt"
        self.ca_file.write_bytes(self.ca_pem)

    @property
    def ca_pem(self) -> bytes:
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, name: str, hosts: tuple[str, ...] = HOSTS, *, days_from: float = -1,
              days_to: float = 1, client: bool = False) -> ServingCert:
        """A certificate for `hosts` (IP addresses or DNS names), valid from `days_from` to
        `days_to` days from now (negative: in the past, for an expired one), for a server
        or (`client`) a client; its key file 0600."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        usage = (x509.ExtendedKeyUsageOID.CLIENT_AUTH if client
                 else x509.ExtendedKeyUsageOID.SERVER_AUTH)
        cert = (
            x509.CertificateBuilder().subject_name(name_of(name)).issuer_name(self._cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days_from))
            .not_valid_after(now + datetime.timedelta(days=days_to))
            .add_extension(alt_names(hosts), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(self._key, hashes.SHA256()))
        return write_pair(self.folder, name, cert, key)


def alt_names(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def write_pair(folder: Path, name: str, cert: x509.Certificate,
               key: ec.EllipticCurvePrivateKey) -> ServingCert:
    """The certificate and its key (created 0600 before the key is written) in `folder`."""
    cert_file, key_file = folder / f"{name}.crt", folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return ServingCert(cert_file, key_file, folder / "ca.crt")
