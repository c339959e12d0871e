"""Protected identities: age keys, and identities sealed for the ledger's recipients and signed by their sealer.

A protected person's real identity (name, contact, residence, relatives...) is kept as one `age`
ciphertext (the `pyrage` package; no home-made cryptography). The plaintext is a small JSON
document that names the record and the field it belongs to, so a value copied into another record
does not decrypt there, and it is padded to a multiple of PAD bytes, so the ciphertext's length
does not tell how long a name is. Plaintext identities live only in memory: never on disk, in a
temp file, an editor buffer, an error message or a traceback's locals.

Anyone who can read ledger.yaml holds the recipients, so anyone can encrypt *something* for them: the
ciphertext alone proves nothing about who made it. So the JSON document is signed (Ed25519, with the
`cryptography` package) by the member who seals it, with a signing key derived from their age key (one
secret file, not two), and the signature and the signer's public key travel inside the ciphertext, on a
second line: stripping or swapping them means decrypting and encrypting anew, and an outsider does not
learn who sealed what. Opening an identity checks the signature and that ledger.yaml lists its signer.

    {"field": "identity", "format": 2, "identity": {...}, "record": "temir-t"}     <- signed, byte for byte
    {"signature": "<base64>", "signer": "ed25519:<hex>"}
    <spaces up to a multiple of PAD bytes>

Identities sealed before signatures (format 1) are the first line alone: they are *unsigned*, which is
indistinguishable from one forged without a signature, and are reported as such.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # imported where used: `ledger --help` must not load the cryptography package
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

IDENTITY_ENV = "LEDGER_IDENTITY"
ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = "-----END AGE ENCRYPTED FILE-----"
RECIPIENT_PATTERN = r"^age1[02-9ac-hj-np-z]{58}$"
PAD = 512
KEY_FILE_LIMIT = 1 << 16  # a key file holds a few keys of 74 characters: anything larger is not one
FORMAT = 2  # sealed identities are signed
UNSIGNED_FORMAT = 1  # sealed before signatures: read, reported as unsigned, never written
SIGNER_PREFIX = "ed25519:"
SIGNER_PATTERN = r"^ed25519:[0-9a-f]{64}$"
# The signing key is derived from the age key under this label: changing it would change every member's
# signing key, so it is versioned rather than edited.
SIGNING_KEY_LABEL = b"ledger signing key v1"


class IdentityError(Exception):
    """A key or a sealed identity that cannot be used; the message never holds a secret."""


def default_identity_path() -> Path:
    """Where `ledger keys init` keeps the user's key: the user's config folder, outside any repository."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ledger" / "identity.txt"


def new_identity_path(option: Path | None) -> Path:
    """Where `ledger keys init` writes a new key: `--identity`, else $LEDGER_IDENTITY, else the default place, as
    every command that reads a key looks for it."""
    env = os.environ.get(IDENTITY_ENV)
    return option if option is not None else Path(env) if env else default_identity_path()


def identity_path(option: Path | None) -> Path | None:
    """The key file to use: `--identity`, else $LEDGER_IDENTITY, else the default one if it exists."""
    if option is not None:
        return option
    env = os.environ.get(IDENTITY_ENV)
    if env:
        return Path(env)
    default = default_identity_path()
    return default if default.is_file() else None


def init_identity(path: Path) -> str:
    """Create a new age identity at `path` (owner-only permissions); return its public recipient."""
    import pyrage

    if path.exists():
        raise IdentityError(f"{path} already exists; keep it (losing it loses access) or move it away first")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)  # only a folder made here is made private
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    text = f"# created: {created}\n# public key: {recipient}\n{identity}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return recipient


def load_identities(path: Path) -> list[Any]:
    """The age identities in a key file (lines that are not comments)."""
    import pyrage

    from .reading import Refused, read_bounded

    try:
        lines = read_bounded(path, KEY_FILE_LIMIT).decode("utf-8").splitlines()
    except Refused as e:
        raise IdentityError(f"the key file {path} is {e.message}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise IdentityError(f"cannot read the key file {path}: {getattr(e, 'strerror', None) or 'not text'}") \
            from None
    keys = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(pyrage.x25519.Identity.from_str(line))
        except Exception:  # noqa: BLE001 - pyrage's errors may quote the line, which is a secret
            raise IdentityError(f"{path} holds a line that is not an age identity") from None
    if not keys:
        raise IdentityError(f"{path} holds no age identity")
    return keys


def check_recipient(text: str) -> str:
    """`text` if it is an age recipient (`age1…`), else IdentityError."""
    import pyrage

    text = text.strip()
    if not re.match(RECIPIENT_PATTERN, text):
        raise IdentityError("not an age recipient: one starts with `age1` and is 62 characters long")
    try:
        pyrage.x25519.Recipient.from_str(text)
    except Exception:  # noqa: BLE001
        raise IdentityError("not a valid age recipient (its checksum does not match)") from None
    return text


class SigningKey:
    """A member's Ed25519 signing key, derived from their age key; `public` is how ledger.yaml lists it."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self._private = private
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = SIGNER_PREFIX + raw.hex()

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of `data`."""
        return self._private.sign(data)

    def __repr__(self) -> str:  # never the secret, in a traceback or a debugger
        return f"SigningKey({self.public})"


def signing_key(keys: list[Any]) -> SigningKey:
    """The signing key of a key file: derived, with HKDF-SHA256 under SIGNING_KEY_LABEL, from the text of its
    first age identity (`AGE-SECRET-KEY-1…`). Deterministic, so that no second secret file exists: the same
    age key always gives the same signing key, and nobody without the age key can compute it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if not keys:
        raise IdentityError("the key file holds no age identity")
    secret = str(keys[0]).strip().upper().encode("ascii")  # pyrage writes it upper case; bech32 is case-blind
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SIGNING_KEY_LABEL).derive(secret)
    return SigningKey(Ed25519PrivateKey.from_private_bytes(seed))


def check_signer(text: str) -> str:
    """`text` if it is a public signing key as ledger.yaml lists them (`ed25519:` and 64 hex digits), else
    IdentityError."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = text.strip()
    if not re.match(SIGNER_PATTERN, text):
        raise IdentityError("not a signing key: one starts with `ed25519:` and has 64 lowercase hex digits "
                            "(`ledger keys init` or `ledger keys show` prints it)")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(text[len(SIGNER_PREFIX):]))
    except Exception:  # noqa: BLE001
        raise IdentityError("not a valid Ed25519 public key") from None
    return text


def _canonical(record_id: str, field: str, identity: Mapping[str, Any], version: int = FORMAT) -> bytes:
    """The bytes that are signed: one line of JSON, keys sorted, text as UTF-8."""
    text = json.dumps({"format": version, "record": record_id, "field": field, "identity": dict(identity)},
                      ensure_ascii=False, sort_keys=True, allow_nan=False)
    return text.encode("utf-8")


def seal(identity: Mapping[str, Any], record_id: str, recipients: list[str], signer: SigningKey,
         field: str = "identity") -> str:
    """The identity signed by `signer` and encrypted for every recipient, bound to `record_id` and `field`,
    padded, ASCII-armoured."""
    import base64

    import pyrage

    if not recipients:
        raise IdentityError("ledger.yaml lists no recipients: run `ledger keys init`, then "
                            "`ledger keys add NAME RECIPIENT --signs SIGNING-KEY`")
    try:
        signed = _canonical(record_id, field, identity)
    except (TypeError, ValueError, UnicodeEncodeError):  # never the value: it is the identity
        raise IdentityError("the identity holds a value that is not text, a number, a list or a mapping") \
            from None
    trailer = json.dumps({"signature": base64.b64encode(signer.sign(signed)).decode("ascii"),
                          "signer": signer.public}, sort_keys=True).encode("ascii")
    payload = signed + b"\n" + trailer
    payload += b" " * (-len(payload) % PAD)  # JSON ignores the trailing spaces
    try:
        keys = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
        return pyrage.encrypt(payload, keys, armored=True).decode("ascii")  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001
        raise IdentityError("could not encrypt the identity for the ledger's recipients") from None


Status = Literal["signed", "unsigned", "forged"]


@dataclass(frozen=True)
class Unsealed:
    """A decrypted identity, and what its signature says.

    `signed`: signed by a key ledger.yaml lists (`signer` names it); `unsigned`: sealed before signatures, or
    by someone who left the signature out, which cannot be told apart; `forged`: the signature does not
    verify, or its key is not listed (`problem` says which). The identity is never in the repr.
    """

    identity: dict[str, Any] = field(repr=False)
    status: Status
    signer: str | None = None  # the label ledger.yaml lists the signing key under (`a or b` if under two)
    problem: str | None = None  # why a forged one is refused: names no text of the payload


def _not_sealed() -> IdentityError:
    return IdentityError("decrypts to something that is not a sealed identity")


def open_sealed(armored: str, record_id: str, keys: list[Any], signers: Mapping[str, str],
                field: str = "identity") -> Unsealed:
    """The identity sealed in `armored` and whether a signer listed in `signers` (label -> `ed25519:…`)
    signed it, whatever the answer: the leak check searches a forged identity's names too. IdentityError
    when it cannot be decrypted with `keys`, is no sealed identity, or was sealed for another record or field.
    """
    import pyrage

    try:
        payload = pyrage.decrypt(armored.strip().encode("ascii"), keys)
    except Exception:  # noqa: BLE001 - wrong key, altered text: pyrage says which, without secrets
        raise IdentityError("cannot be decrypted with this key: it was not encrypted for it, or the text was "
                            "altered") from None
    signed, _, rest = payload.partition(b"\n")
    try:
        data = json.loads(signed.decode("utf-8"))
        trailer = rest.decode("utf-8").rstrip(" ")
    except (ValueError, RecursionError):  # not UTF-8, not JSON, an integer of thousands of digits
        raise _not_sealed() from None
    if not isinstance(data, dict) or not isinstance(data.get("identity"), dict) or \
            data.get("format") not in (FORMAT, UNSIGNED_FORMAT) or type(data.get("format")) is not int:
        raise _not_sealed()
    if data.get("record") != record_id or data.get("field") != field:
        # The payload is whatever whoever encrypted it wrote (anyone with a recipient can): none of it is shown.
        raise IdentityError("was sealed for another record: it was copied from another record, which is refused")
    identity: dict[str, Any] = data["identity"]
    if data["format"] == UNSIGNED_FORMAT:
        if trailer:  # a signature on a format that has none: not something ledger wrote
            raise _not_sealed()
        return Unsealed(identity, "unsigned")
    if not trailer:
        return Unsealed(identity, "forged", problem="claims to be signed but carries no signature")
    return _verified(identity, _Signed(record_id, field, signed, trailer), signers)


@dataclass(frozen=True)
class _Signed:
    record_id: str
    field_name: str
    text: bytes = field(repr=False)  # the signed line, as decrypted
    trailer: str  # the signature's line


def _verified(identity: dict[str, Any], signed: _Signed, signers: Mapping[str, str]) -> Unsealed:
    import base64
    import binascii

    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def forged(problem: str) -> Unsealed:
        return Unsealed(identity, "forged", problem=problem)

    try:
        data = json.loads(signed.trailer)
    except (ValueError, RecursionError):
        return forged("carries a signature that cannot be read")
    if not isinstance(data, dict) or set(data) != {"signature", "signer"} or \
            not isinstance(data["signer"], str) or not isinstance(data["signature"], str) or \
            not re.match(SIGNER_PATTERN, data["signer"]):
        return forged("carries a signature that cannot be read")
    try:
        signature = base64.b64decode(data["signature"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(data["signer"][len(SIGNER_PREFIX):]))
        key.verify(signature, signed.text)
    except (binascii.Error, ValueError, InvalidSignature):
        return forged("carries a signature that does not verify: it was altered, or made without the signing "
                      "key it names")
    # The signed line must be the one ledger writes for what it says: JSON that reads two ways (a repeated key)
    # is not signed as what it reads as.
    try:
        canonical = _canonical(signed.record_id, signed.field_name, identity)
    except (TypeError, ValueError, UnicodeEncodeError):
        canonical = b""
    if canonical != signed.text:
        return forged("carries a signature over a text that is not in the form ledger writes")
    labels = [label for label, listed in signers.items() if listed == data["signer"]]
    if not labels:
        return forged("is signed by a key that ledger.yaml does not list as a signer")
    return Unsealed(identity, "signed", signer=" or ".join(labels))


class ForgedIdentity(IdentityError):
    """A sealed identity whose signature does not verify or whose signer ledger.yaml does not list."""


def unseal(armored: str, record_id: str, keys: list[Any], signers: Mapping[str, str],
           field: str = "identity") -> Unsealed:
    """The identity sealed in `armored` for `record_id` and `field`, signed by a signer listed in `signers`,
    or unsigned (status says which); ForgedIdentity when its signature is refused, IdentityError when it
    cannot be opened at all."""
    opened = open_sealed(armored, record_id, keys, signers, field)
    if opened.status == "forged":
        raise ForgedIdentity(f"{opened.problem}: it is refused, as anyone who can read ledger.yaml could have made "
                             "it")
    return opened


# Keys of the parts of a name rather than of whole names. A surname alone is often common (thousands of people are
# called Bekov): it is searched alone only when the identity lists it as `distinctive`, and with an initial
# (`T. Bekov`) only when the identity says which part is the surname.
SURNAME_KEYS = ("surname", "surnames", "family_name", "last_name")
GIVEN_KEYS = ("given_name", "given_names", "first_name", "middle_name", "patronymic")
DISTINCTIVE_KEY = "distinctive"


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip()]


def names_of(identity: Mapping[str, Any]) -> list[str]:
    """The whole names an identity holds: every field whose key says name (`name`, `full_name`, `name_ru`,
    `other_names`...) or `aliases`, and the name its parts make (`given_name`, `patronymic`, `surname`), but not
    a part alone (see `surnames_of` and `distinctive_of`)."""
    found = []
    for key, value in identity.items():
        lowered = key.lower()
        if lowered in SURNAME_KEYS or lowered in GIVEN_KEYS:
            continue
        if "name" in lowered or lowered in ("aliases", "alias"):  # name, full_name, name_ru, other_names...
            found += _texts(value)
    given = [text for key in GIVEN_KEYS for text in _texts(_get(identity, key))]
    surnames = surnames_of(identity)
    if given and surnames:
        found.append(" ".join([*given, surnames[0]]))
    return found


def surnames_of(identity: Mapping[str, Any]) -> list[str]:
    """The surnames an identity marks (`surname:` and the like): with an initial, they count as the name."""
    return [text for key in SURNAME_KEYS for text in _texts(_get(identity, key))]


def given_names_of(identity: Mapping[str, Any]) -> list[str]:
    """The given names and patronymics an identity lists as parts (`given_name:`, `first_name:`, `patronymic:`)."""
    return [text for key in GIVEN_KEYS for text in _texts(_get(identity, key))]


def distinctive_of(identity: Mapping[str, Any]) -> list[str]:
    """The parts of the name that identify the person on their own (`distinctive: [Bekov]`, or `Bekov, Temir`
    as typed at a prompt): each is searched for alone."""
    value = _get(identity, DISTINCTIVE_KEY)
    if isinstance(value, str):
        value = value.split(",")
    return [text.strip() for text in _texts(value) if text.strip()]


def _get(identity: Mapping[str, Any], wanted: str) -> Any:
    return next((value for key, value in identity.items() if key.lower() == wanted), None)
