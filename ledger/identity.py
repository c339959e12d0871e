"""Protected identities: age keys, and identities sealed for the ledger's recipients.

A protected person's real identity (name, contact, residence, relatives...) is kept as one `age`
ciphertext (the `pyrage` package; no home-made cryptography). The plaintext is a small JSON
document that names the record and the field it belongs to, so a value copied into another record
does not decrypt there, and it is padded to a multiple of PAD bytes, so the ciphertext's length
does not tell how long a name is. Plaintext identities live only in memory: never on disk, in a
temp file, an editor buffer, an error message or a traceback's locals.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

IDENTITY_ENV = "LEDGER_IDENTITY"
ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = "-----END AGE ENCRYPTED FILE-----"
RECIPIENT_PATTERN = r"^age1[02-9ac-hj-np-z]{58}$"
PAD = 512
KEY_FILE_LIMIT = 1 << 16  # a key file holds a few keys of 74 characters: anything larger is not one
FORMAT = 1


class IdentityError(Exception):
    """A key or a sealed identity that cannot be used; the message never holds a secret."""


def default_identity_path() -> Path:
    """Where `ledger keys init` keeps the user's key: the user's config folder, outside any repository."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ledger" / "identity.txt"


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
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
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
    for line in lines:
        line = line.strip()
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


def seal(identity: Mapping[str, Any], record_id: str, recipients: list[str], field: str = "identity") -> str:
    """The identity encrypted for every recipient, bound to `record_id` and `field`, padded, ASCII-armoured."""
    import pyrage

    if not recipients:
        raise IdentityError("ledger.yaml lists no recipients: run `ledger keys init`, then "
                            "`ledger keys add NAME RECIPIENT`")
    payload = json.dumps({"format": FORMAT, "record": record_id, "field": field, "identity": dict(identity)},
                         ensure_ascii=False, sort_keys=True).encode("utf-8")
    payload += b" " * (-len(payload) % PAD)  # JSON ignores the trailing spaces
    try:
        keys = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
        return pyrage.encrypt(payload, keys, armored=True).decode("ascii")  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001
        raise IdentityError("could not encrypt the identity for the ledger's recipients") from None


def unseal(armored: str, record_id: str, keys: list[Any], field: str = "identity") -> dict[str, Any]:
    """The identity sealed in `armored`, if it was sealed for `record_id` and `field`; else IdentityError."""
    import pyrage

    try:
        payload = pyrage.decrypt(armored.strip().encode("ascii"), keys)
    except Exception:  # noqa: BLE001 - wrong key, altered text: pyrage says which, without secrets
        raise IdentityError("cannot be decrypted with this key: it was not encrypted for it, or the text was "
                            "altered") from None
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise IdentityError("decrypts to something that is not a sealed identity") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("identity"), dict):
        raise IdentityError("decrypts to something that is not a sealed identity")
    if data.get("record") != record_id or data.get("field") != field:
        # The payload is whatever whoever encrypted it wrote (anyone with a recipient can): none of it is shown.
        raise IdentityError("was sealed for another record: it was copied from another record, which is refused")
    return data["identity"]  # type: ignore[no-any-return]


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
