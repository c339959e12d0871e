"""The protected-person policy for what a user hands `ledger add`, in one place: every way of giving a record
(`--set`, `--from`, the prompts, `--edit`) goes through it before anything is written.

A protected person is cited by pseudonym only. Their real name and other names never enter a draft: they go
into the identity, which only `ledger add person --protected` seals, in memory, from what it reads apart.
"""

from __future__ import annotations

from typing import Any

# the fields of a protected person that hold names: never asked for, never offered in a template, refused
NAMES = ("name", "aliases")
# sealed by `ledger add` itself, from the identity read apart: never typed
SEALED = ("identity",)


def hidden_fields(kind: str, data: dict[str, Any]) -> set[str]:
    """The fields that prompts and templates must not offer for this draft."""
    if kind != "person":
        return set()
    return {*SEALED, *NAMES} if data.get("protected") else set(SEALED)


def draft_problems(kind: str, data: dict[str, Any]) -> list[str]:
    """What the policy refuses in a draft, one line each (never repeating the draft's text)."""
    problems = []
    if kind == "person" and data.get("protected"):
        if data.get("name") is not None:
            problems.append("a protected person has no `name`: give a `pseudonym` only (the real name goes into "
                            "the encrypted identity)")
        if data.get("aliases"):
            problems.append("a protected person's other names go into the encrypted identity (`aliases:` in "
                            "--identity-from), not into `aliases`")
    if data.get("identity") is not None:
        problems.append("`identity` cannot be set by hand: `ledger add person --protected` seals it")
    return problems


def option_problems(kind: str, protected: bool, identity_given: bool) -> list[str]:
    """What the policy refuses in the options of `ledger add`."""
    problems = []
    if protected and kind != "person":
        problems.append("--protected is for `ledger add person`")
    if identity_given and not protected:
        problems.append("--identity-from is for `ledger add person --protected`")
    return problems
