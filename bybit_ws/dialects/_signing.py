"""API secrets and the websocket auth signature: HMAC (Bybit's system-generated keys) or RSA (self-generated).

An RSA ``api_secret`` is a PEM private key (PKCS#8 ``BEGIN PRIVATE KEY`` as Bybit's generator writes it, or
PKCS#1 ``BEGIN RSA PRIVATE KEY``), given as text, bytes or a path to the file. It is loaded once, with the
optional ``cryptography`` package (extra ``[rsa]``); its signature is base64 RSA-SHA256 (PKCS#1 v1.5) of
``"GET/realtime" + expires`` (V5_2026.md §1). Nothing here ever puts the secret or the key in a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import os
from typing import Any

__all__ = ["Signer", "make_signer"]

_PEM_BEGIN = "-----BEGIN"
_PEM_PRIVATE = "PRIVATE KEY-----"
_PATH_SUFFIXES = (".pem", ".key")


class Signer:
    """Signs ``"GET/realtime" + expires``; holds the secret (or key) out of every repr and pickle."""

    __slots__ = ("_key", "_secret", "kind")

    def __init__(self, kind: str, secret: str | None = None, key: Any = None) -> None:
        #: ``"hmac"`` or ``"rsa"``
        self.kind = kind
        self._secret = secret
        self._key = key

    def sign(self, expires_ms: int) -> str:
        """The auth signature: lowercase hex HMAC-SHA256, or base64 RSA-SHA256 PKCS#1 v1.5."""
        payload = f"GET/realtime{expires_ms}".encode()
        if self._key is None:
            assert self._secret is not None
            return hmac.new(self._secret.encode(), payload, hashlib.sha256).hexdigest()
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        return base64.b64encode(self._key.sign(payload, padding.PKCS1v15(), hashes.SHA256())).decode()

    def __repr__(self) -> str:
        return f"Signer({self.kind}, <hidden>)"

    def __reduce__(self) -> Any:
        raise TypeError("API credentials cannot be pickled (they hold a secret)")


def _is_pem(text: str) -> bool:
    return _PEM_BEGIN in text and _PEM_PRIVATE in text


def _pem_text(secret: str | bytes | os.PathLike[str]) -> str | None:
    """The PEM text of an RSA secret, or None for an HMAC secret (raises ValueError for an unusable one)."""
    if isinstance(secret, os.PathLike):
        return _read_pem(os.fspath(secret))
    if isinstance(secret, bytes):
        try:
            secret = secret.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("api_secret bytes must be ASCII text (an HMAC secret or a PEM key)") from None
    if not isinstance(secret, str):
        raise TypeError(f"api_secret must be a str, bytes or a path, not {type(secret).__name__}")
    if _is_pem(secret):
        return secret
    if (os.sep in secret or "/" in secret or secret.endswith(_PATH_SUFFIXES)) and os.path.isfile(secret):
        return _read_pem(secret)
    return None


def _read_pem(path: str) -> str:
    try:
        with open(path, encoding="ascii") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the api_secret key file {path!r}: {type(exc).__name__}") from None
    if not _is_pem(text):
        raise ValueError(f"the api_secret file {path!r} holds no PEM private key")
    return text


def make_signer(secret: str | bytes | os.PathLike[str]) -> Signer:
    """A :class:`Signer` for ``secret``: RSA when it is (or names a file holding) a PEM private key.

    Raises:
        ImportError: an RSA key without the ``cryptography`` package (``pip install 'bybit-ws-sync[rsa]'``).
        ValueError: an unreadable key file, an encrypted or malformed PEM, or a key that is not RSA.
    """
    pem = _pem_text(secret)
    if pem is None:
        assert isinstance(secret, str | bytes)
        text = secret if isinstance(secret, str) else secret.decode("ascii")
        return Signer("hmac", secret=text)
    pem = pem.replace("\\n", "\n").strip() + "\n"  # a PEM from an environment variable may carry literal \n
    try:
        serialization = importlib.import_module("cryptography.hazmat.primitives.serialization")
        rsa = importlib.import_module("cryptography.hazmat.primitives.asymmetric.rsa")
    except ImportError:
        raise ImportError(
            "api_secret is an RSA private key: signing with it needs the 'cryptography' package "
            "(pip install 'bybit-ws-sync[rsa]')"
        ) from None
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        raise ValueError("api_secret is an encrypted PEM private key: give it unencrypted") from None
    except ValueError:
        raise ValueError("api_secret looks like a PEM private key but cannot be loaded") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"api_secret must be an RSA private key, not {type(key).__name__.lstrip('_')}")
    return Signer("rsa", key=key)
