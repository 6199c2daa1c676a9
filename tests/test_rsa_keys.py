"""RSA (self-generated) API keys: detection, Bybit's test vectors, signing private streams and the Trade API
against a FakeBybit that verifies with the public key, clear errors, and the key kept out of reprs, logs,
exceptions and pickles (V5_2026.md §1)."""

from __future__ import annotations

import base64
import logging
import pickle
import sys
import traceback
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from bybit_ws import AuthenticationError, BybitSocketClient
from bybit_ws.dialects._signing import make_signer
from bybit_ws.engine._auth import Credentials
from bybit_ws.testing import FakeBybit, PaperExchange

from .support import Collector, clients_for

KEY = "RSA_TEST_KEY"


def _pair(bits: int = 2048) -> tuple[str, str, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return pem, public, private


PRIVATE_PEM, PUBLIC_PEM, PRIVATE_KEY = _pair()
#: the body of the key: what must never leak (any 40 characters of it would be a leak)
KEY_BODY = "".join(PRIVATE_PEM.splitlines()[1:-1])


def _expected(expires: int) -> str:
    signature = PRIVATE_KEY.sign(f"GET/realtime{expires}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    paper = PaperExchange(prices={"BTCUSDT": "30000"})
    with FakeBybit("v5", api_key=KEY, rsa_public_key=PUBLIC_PEM, paper=paper) as server:
        yield server


# ------------------------------------------------------------------------------------ signing
def test_rsa_signature_is_base64_pkcs1v15_sha256_and_hmac_is_unchanged() -> None:
    signer = make_signer(PRIVATE_PEM)
    assert signer.kind == "rsa"
    assert signer.sign(1767225600000) == _expected(1767225600000)
    assert len(signer.sign(1767225600000)) == 344  # 2048-bit key (V5_2026.md §1.1)
    hmac_signer = make_signer("test-secret")
    assert hmac_signer.kind == "hmac"
    assert (
        hmac_signer.sign(1767225600000) == "5e780fa383b544b2d76cdff5e85459e651f0650e6198de0eb95b97db254afd44"
    )


def test_pkcs1_bytes_path_and_escaped_newlines_are_all_detected(tmp_path: Path) -> None:
    pkcs1 = PRIVATE_KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    path = tmp_path / "bybit.pem"
    path.write_text(PRIVATE_PEM)
    forms: list[Any] = [pkcs1, pkcs1.decode(), path, str(path), PRIVATE_PEM.replace("\n", "\\n")]
    for form in forms:
        signer = make_signer(form)
        assert signer.kind == "rsa" and signer.sign(1711010121452) == _expected(1711010121452)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", "cannot be loaded"),
        (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            .decode(),
            "must be an RSA private key",
        ),
        (
            PRIVATE_KEY.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"pw"),
            ).decode(),
            "encrypted",
        ),
    ],
    ids=["malformed", "not-rsa", "encrypted"],
)
def test_unusable_keys_are_clear_value_errors_before_anything_is_sent(secret: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        BybitSocketClient(KEY, secret)
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert secret.splitlines()[1] not in "".join(_texts(caught.value))


def test_a_key_file_without_a_private_key_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "public.pem"
    path.write_text(PUBLIC_PEM)
    with pytest.raises(ValueError, match="holds no PEM private key"):
        make_signer(path)


def test_missing_cryptography_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # a module set to None in sys.modules makes its import fail, as when the package is not installed
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.serialization", None)
    with pytest.raises(ImportError, match=r"pip install 'bybit-ws-sync\[rsa\]'") as caught:
        BybitSocketClient(KEY, PRIVATE_PEM)
    assert KEY_BODY[:40] not in str(caught.value)


# ------------------------------------------------------------------------------------ end to end
def test_rsa_key_authenticates_private_streams_and_the_trade_api(fake: FakeBybit) -> None:
    with clients_for(fake, api_key=KEY, api_secret=PRIVATE_PEM) as make:
        client = make()
        orders = Collector()
        assert client.v5.subscribe_to_order_updates(orders).is_active
        ack = client.v5.place_order(
            "linear", "BTCUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal("29000"), time_in_force="GTC"
        )
        assert ack.order_id
        assert orders.wait(1)[0].data[0].order_id == ack.order_id
    auths = fake.received_frames("v5.private", "auth") + fake.received_frames("v5.trade", "auth")
    assert len(auths) == 2
    for frame in auths:
        key, expires, signature = frame["args"]
        assert key == KEY and signature == _expected(expires)


def test_a_wrong_rsa_key_is_rejected_on_both_endpoints(fake: FakeBybit) -> None:
    other, _, _ = _pair()
    with clients_for(fake, api_key=KEY, api_secret=other) as make:
        client = make()
        with pytest.raises(AuthenticationError):
            client.v5.subscribe_to_order_updates(Collector())
        with pytest.raises(AuthenticationError, match="Invalid sign"):
            client.v5.connect_trade()


def test_fake_needs_one_kind_of_account_secret() -> None:
    with pytest.raises(ValueError, match="not both"):
        FakeBybit("v5", api_key=KEY, api_secret="s", rsa_public_key=PUBLIC_PEM)
    with pytest.raises(ValueError, match="api_key"):
        FakeBybit("v5", rsa_public_key=PUBLIC_PEM)


# ------------------------------------------------------------------------------------ no leaks
def _texts(exc: BaseException) -> list[str]:
    texts: list[str] = []
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        texts.append("".join(traceback.format_exception(type(current), current, current.__traceback__)))
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]
    return texts


def test_the_rsa_key_never_leaks_to_repr_log_exception_or_pickle(
    fake: FakeBybit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="bybit_ws")
    texts: list[str] = []
    credentials = Credentials(KEY, PRIVATE_PEM)
    texts += [repr(credentials), str(credentials), repr(credentials._signer)]
    for target in (credentials, credentials._signer):
        with pytest.raises(TypeError, match="cannot be pickled") as refused:
            pickle.dumps(target)
        texts += _texts(refused.value)
    with clients_for(fake, api_key=KEY, api_secret=PRIVATE_PEM, keep_original_data=True) as make:
        client = make()
        texts.append(repr(client))
        client.v5.subscribe_to_order_updates(Collector())
        client.v5.connect_trade()
        with pytest.raises(TypeError) as unpicklable:
            pickle.dumps(client)
        texts += _texts(unpicklable.value)
        fake.reject_next("auth", "Params Error")
        wrong = make(api_secret=PRIVATE_PEM)
        with pytest.raises(AuthenticationError) as rejected:
            wrong.v5.subscribe_to_order_updates(Collector())
        texts += _texts(rejected.value)
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    blob = "\n".join(texts)
    assert "auth" in blob  # the texts checked are the real ones
    for start in range(0, len(KEY_BODY) - 40, 40):
        assert KEY_BODY[start : start + 40] not in blob
    assert "PRIVATE KEY" not in blob
