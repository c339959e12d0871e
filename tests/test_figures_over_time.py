"""Figures over time (record-format.md, "Figures over time" and "What `ledger diff-figures` compares"), tried on a
ledger written here, coded as a researcher would code public reports of the January 2022 unrest in Kazakhstan:
one office revising its toll through three spokespeople, a figure withdrawn as a "technical error", running totals,
a stock, an official figure against two NGOs and a witness, three NGOs that disagree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import LedgerDir, findings_of, ledger_at
from typer.testing import CliRunner

from ledger.cli import app

CONFIG = """\
ledger: 1
title: January 2022, Kazakhstan
measures:
  killed: {label: people killed}
  security-killed: {label: members of the security forces killed}
  detained: {label: people detained}
  in-custody: {label: people held in custody, counts: stock}
  injured: {label: people injured}
places:
  kazakhstan: {label: Kazakhstan}
  almaty: {label: Almaty, within: kazakhstan}
  taldykorgan: {label: Taldykorgan, within: kazakhstan}
populations:
  all: {label: everyone}
figures:
  approx: 0.1
"""

RECORDS = {
    "orgs/pgo.yaml": "kind: org\nid: pgo\nname: Prosecutor General's Office\ntype: prosecutor\n",
    "orgs/mvd.yaml": "kind: org\nid: mvd\nname: Ministry of Internal Affairs\ntype: police\n",
    "orgs/moh.yaml": "kind: org\nid: moh\nname: Ministry of Health\ntype: government\n",
    "orgs/kibhr.yaml": "kind: org\nid: kibhr\nname: Kazakhstan International Bureau for Human Rights\ntype: ngo\n",
    "orgs/hrw.yaml": "kind: org\nid: hrw\nname: Human Rights Watch\ntype: ngo\n",
    "orgs/amnesty.yaml": "kind: org\nid: amnesty\nname: Amnesty International\ntype: ngo\n",
    # three spokespeople of one office: by affiliation, by `on_behalf_of`, and the office itself
    "people/spokes-a.yaml": "kind: person\nid: spokes-a\nname: Serik Aliyev\nroles: [official]\naffiliation: pgo\n"
                            "title: Deputy Prosecutor General\n",
    "people/spokes-b.yaml": "kind: person\nid: spokes-b\nname: Aida Bekova\nroles: [official]\n"
                            "title: Head of the Investigations Department\n",
    "people/witness.yaml": "kind: person\nid: aigul-a\npseudonym: Aigul A.\nprotected: true\nroles: [witness]\n",
    "documents/hrw-report.yaml": "kind: document\nid: hrw-report\ntype: ngo-report\ntitle: Kazakhstan report\n"
                                 "author: hrw\ndate: 2022-01-26\nurl: https://www.hrw.org/news/2022/01/26/kazakhstan\n",
    # the revision chain: 225, 230, 232 (a letter dated only "May 2022"), 238
    "statements/pgo-2022-01-15.yaml": "kind: statement\nid: pgo-2022-01-15\nissuer: pgo\ndate: 2022-01-15\n"
                                      "summary: The office gave the toll.\n",
    "statements/pgo-2022-03-14.yaml": "kind: statement\nid: pgo-2022-03-14\nissuer: spokes-a\ndate: 2022-03-14\n"
                                      "summary: The deputy prosecutor general gave the toll.\n",
    "statements/pgo-2022-05.yaml": "kind: statement\nid: pgo-2022-05\nissuer: spokes-b\non_behalf_of: pgo\n"
                                   "date: 2022-05\nmedium: letter\nsummary: A letter gave the toll.\n",
    "statements/pgo-2022-08-16.yaml": "kind: statement\nid: pgo-2022-08-16\nissuer: pgo\ndate: 2022-08-16\n"
                                      "summary: The office gave the toll.\n",
    "claims/pgo-killed-1.yaml": "kind: claim\nid: pgo-killed-1\nsource: pgo-2022-01-15\nmeasure: killed\nvalue: 225\n"
                                "scope: {place: kazakhstan, period: 2022-01}\n",
    "claims/pgo-killed-2.yaml": "kind: claim\nid: pgo-killed-2\nsource: pgo-2022-03-14\nmeasure: killed\nvalue: 230\n"
                                "scope: {place: kazakhstan, period: 2022-01}\n",
    "claims/pgo-killed-4.yaml": "kind: claim\nid: pgo-killed-4\nsource: pgo-2022-08-16\nmeasure: killed\nvalue: 238\n"
                                "scope: {place: kazakhstan, period: 2022-01}\n",
    "claims/pgo-killed-3.yaml": "kind: claim\nid: pgo-killed-3\nsource: pgo-2022-05\nmeasure: killed\nvalue: 232\n"
                                "scope: {place: kazakhstan, period: 2022-01}\n",
    # the figure withdrawn the next day as a "technical error"
    "statements/moh-2022-01-09.yaml": "kind: statement\nid: moh-2022-01-09\nissuer: moh\ndate: 2022-01-09\n"
                                      "summary: The ministry gave a toll.\n",
    "claims/moh-killed.yaml": "kind: claim\nid: moh-killed\nsource: moh-2022-01-09\nmeasure: killed\nvalue: 164\n"
                              "scope: {place: kazakhstan, period: 2022-01}\n",
    "statements/moh-2022-01-10.yaml": "kind: statement\nid: moh-2022-01-10\nissuer: moh\ndate: 2022-01-10\n"
                                      "summary: The figure of 164 was a technical error.\nretracts: [moh-killed]\n",
    # running totals of detainees that grow: silent
    **{f"statements/mvd-{day}.yaml": f"kind: statement\nid: mvd-{day}\nissuer: mvd\ndate: {day}\nsummary: Totals.\n"
       for day in ("2022-01-08", "2022-01-10", "2022-01-11", "2022-01-15", "2022-01-20", "2022-02-10")},
    **{f"claims/mvd-detained-{day}.yaml": f"kind: claim\nid: mvd-detained-{day}\nsource: mvd-{day}\n"
       f"measure: detained\nvalue: \"{value}\"\nscope: {{place: kazakhstan, period: 2022-01-02..{day}}}\n"
       for day, value in (("2022-01-08", "4,404"), ("2022-01-10", "~6,000"), ("2022-01-11", "7,939"),
                          ("2022-01-15", "9,900"))},
    # a running total that falls: 18 for 4-6 January, then 16 for 2-9 January
    "claims/mvd-security-1.yaml": "kind: claim\nid: mvd-security-1\nsource: mvd-2022-01-08\n"
                                  "measure: security-killed\nvalue: 18\n"
                                  "scope: {place: kazakhstan, period: 2022-01-04..2022-01-06}\n",
    "claims/mvd-security-2.yaml": "kind: claim\nid: mvd-security-2\nsource: mvd-2022-01-10\n"
                                  "measure: security-killed\nvalue: 16\n"
                                  "scope: {place: kazakhstan, period: 2022-01-02..2022-01-09}\n",
    # a stock on two dates: silent
    "claims/mvd-custody-1.yaml": "kind: claim\nid: mvd-custody-1\nsource: mvd-2022-01-20\nmeasure: in-custody\n"
                                 "value: 800\nscope: {place: kazakhstan, period: 2022-01-20}\n",
    "claims/mvd-custody-2.yaml": "kind: claim\nid: mvd-custody-2\nsource: mvd-2022-02-10\nmeasure: in-custody\n"
                                 "value: 300\nscope: {place: kazakhstan, period: 2022-02-10}\n",
    # Almaty: an official figure against two NGOs and a witness
    "statements/mvd-almaty.yaml": "kind: statement\nid: mvd-almaty\nissuer: mvd\ndate: 2022-01-12\n"
                                  "reported_by: hrw-report\nsummary: The ministry gave Almaty's toll.\n",
    "claims/almaty-mvd.yaml": "kind: claim\nid: almaty-mvd\nsource: mvd-almaty\nmeasure: killed\nvalue: 139\n"
                              "scope: {place: almaty, period: 2022-01}\n",
    "documents/kibhr-almaty.yaml": "kind: document\nid: kibhr-almaty\ntype: ngo-report\ntitle: Almaty\n"
                                   "author: kibhr\ndate: 2022-02-01\n",
    "claims/almaty-kibhr.yaml": "kind: claim\nid: almaty-kibhr\nsource: kibhr-almaty\nmeasure: killed\n"
                                "value: \">150\"\nscope: {place: almaty, period: 2022-01}\nstatus: unverified\n",
    "claims/almaty-hrw.yaml": "kind: claim\nid: almaty-hrw\nsource: hrw-report\nmeasure: killed\nvalue: 139\n"
                              "scope: {place: almaty, period: 2022-01}\n",
    "testimonies/aigul-a.yaml": "kind: testimony\nid: aigul-a-2022-01-20\nwitness: aigul-a\ndate: 2022-01-20\n"
                                "mode: in-person\nconsent: anonymous\nsummary: What she saw.\n",
    "claims/almaty-witness.yaml": "kind: claim\nid: almaty-witness\nsource: aigul-a-2022-01-20\nmeasure: killed\n"
                                  "value: \"~100\"\nscope: {place: almaty, period: 2022-01}\nstatus: disputed\n",
    # Taldykorgan: three NGOs that disagree, no official figure: one spread
    **{f"documents/{org}-taldykorgan.yaml": f"kind: document\nid: {org}-taldykorgan\ntype: ngo-report\n"
       f"title: Taldykorgan\nauthor: {org}\ndate: 2022-02-{day}\n" for org, day in (("kibhr", "02"), ("hrw", "03"),
                                                                                  ("amnesty", "04"))},
    **{f"claims/taldykorgan-{org}.yaml": f"kind: claim\nid: taldykorgan-{org}\nsource: {org}-taldykorgan\n"
       f"measure: injured\nvalue: \"{value}\"\nscope: {{place: taldykorgan, period: 2022-01-05..2022-01-06}}\n"
       for org, value in (("kibhr", "4,578"), ("hrw", "3,000"), ("amnesty", "1,200"))},
}


def write_ledger(root: Path, records: dict[str, str] = RECORDS) -> LedgerDir:
    """The January 2022 ledger in `root`."""
    return ledger_at(root, CONFIG, records)


@pytest.fixture
def january(tmp_path: Path) -> LedgerDir:
    ld = write_ledger(tmp_path / "january")
    assert [f.code for f in findings_of(ld.root)] == []
    return ld


def run(ledger: LedgerDir, *args: str) -> str:
    done = CliRunner().invoke(app, ["diff-figures", *args, "--ledger", str(ledger.root)], env={"COLUMNS": "80"})
    assert done.exit_code == 0, done.output
    return done.output


def as_json(ledger: LedgerDir, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(run(ledger, "--format", "json", *args))


def kinds_of(data: dict, measure: str, place: str | None = None) -> list[tuple[str, list[str]]]:  # type: ignore[type-arg]
    return [(f["kind"], f["claims"]) for f in data["findings"] if f["measure"] == measure
            and (place is None or data["claims"][f["claims"][0]]["scope"]["place"] == place)]


def test_one_office_revising_its_toll_through_three_spokespeople_is_one_series(january: LedgerDir) -> None:
    data = as_json(january, "--measure", "killed", "--place", "kazakhstan")
    voices = {data["claims"][c]["voice"]["id"] for c in ("pgo-killed-1", "pgo-killed-2", "pgo-killed-3",
                                                          "pgo-killed-4")}
    assert voices == {"org:pgo"}
    found = kinds_of(data, "killed", "kazakhstan")
    assert {kind for kind, _ in found} == {"revision"} and len(found) == 3  # 225 → 230 → 232 → 238
    assert not any(kind in ("conflict", "gap", "spread") for kind, _ in found)
    markdown = run(january, "--format", "markdown", "--measure", "killed", "--place", "kazakhstan")
    cited = re.search(r"the Prosecutor General's Office gave 225 on 15 January 2022, 230 on 14 March, 232 in May "
                      r"and 238 on 16 August \[(\d+)–(\d+)\]\.", markdown)
    assert cited is not None and int(cited[2]) - int(cited[1]) == 3, markdown  # four sources, numbered as a range
    assert "Deputy Prosecutor General Serik Aliyev" in markdown  # an official with the title, in the sources


def test_a_withdrawn_figure_is_shown_withdrawn_and_compared_with_nothing_after(january: LedgerDir) -> None:
    data = as_json(january, "--measure", "killed", "--place", "kazakhstan", "--all")
    withdrawn = data["claims"]["moh-killed"]["withdrawn"]
    assert withdrawn["by"] == "moh-2022-01-10" and withdrawn["date"] == "2022-01-10"
    # 164 stood on 9 January only; the office's 225 came on 15 January: they never met
    assert all("moh-killed" not in f["claims"] for f in data["findings"])
    markdown = run(january, "--format", "markdown", "--measure", "killed", "--place", "kazakhstan")
    assert "withdrawn by the Ministry of Health on 10 January 2022" in markdown
    text = run(january, "--measure", "killed", "--place", "kazakhstan")
    assert re.search(r"2022-01-09\s+164\s.*withdrawn", text.replace("\n", " "))


def test_running_totals_that_grow_are_silent_and_one_that_falls_exceeds(january: LedgerDir) -> None:
    data = as_json(january)
    assert kinds_of(data, "detained") == []
    assert kinds_of(data, "security-killed") == [("exceeds", ["mvd-security-2", "mvd-security-1"])]


def test_a_stock_on_two_dates_is_silent(january: LedgerDir) -> None:
    assert kinds_of(as_json(january), "in-custody") == []


def test_an_official_against_two_ngos_and_a_witness(january: LedgerDir) -> None:
    data = as_json(january, "--place", "almaty")
    found = [f for f in data["findings"] if f["measure"] == "killed"]
    # each non-official figure is set against the official one, never against each other but by one spread
    for f in found:
        if f["kind"] != "spread":
            assert "almaty-mvd" in f["claims"]
    assert sorted(kind for f in found for kind in f["kinds"]) == ["conflict", "conflict", "spread"]
    statuses = {c: s for f in found for c, s in f["statuses"].items()}
    assert statuses["almaty-kibhr"] == "unverified" and statuses["almaty-witness"] == "disputed"
    markdown = run(january, "--format", "markdown", "--place", "almaty")
    assert "(unverified)" in markdown and "(attribution disputed)" in markdown
    assert "as reported by Human Rights Watch" in markdown
    assert "Aigul A." in markdown


def test_three_ngos_that_disagree_are_one_spread(january: LedgerDir) -> None:
    data = as_json(january, "--place", "taldykorgan")
    assert [f["kind"] for f in data["findings"]] == ["spread"]
    spread = data["findings"][0]["spread"]
    assert (spread["low"], spread["high"]) == ("taldykorgan-amnesty", "taldykorgan-kibhr")
    markdown = run(january, "--format", "markdown", "--place", "taldykorgan")
    assert "4,578" in markdown and "1,200" in markdown and "3.8 times as many" in markdown


def test_dates_of_a_month_order_a_series(january: LedgerDir) -> None:
    data = as_json(january, "--measure", "killed", "--place", "kazakhstan")
    series = [s for s in data["series"] if s["voice"] == "org:pgo"]
    assert [c for s in series for c in s["claims"]] == ["pgo-killed-1", "pgo-killed-2", "pgo-killed-3",
                                                        "pgo-killed-4"]
    assert data["claims"]["pgo-killed-3"]["asserted"] == "2022-05"


def test_findings_do_not_depend_on_file_names(tmp_path: Path) -> None:
    renamed = {f"{name.split('/')[0]}/z-{i:03d}.yaml": text for i, (name, text) in enumerate(reversed(RECORDS.items()))}
    a = json.loads(run(write_ledger(tmp_path / "a"), "--format", "json"))
    b = json.loads(run(write_ledger(tmp_path / "b", renamed), "--format", "json"))
    strip = re.compile(r'"file": "[^"]*", ')
    assert strip.sub("", json.dumps(a["findings"])) == strip.sub("", json.dumps(b["findings"]))


def test_the_text_timeline_fits_80_columns(january: LedgerDir) -> None:
    text = run(january)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "4,578" in text


def test_never_more_findings_than_claims(january: LedgerDir) -> None:
    data = as_json(january, "--all")
    assert len([f for f in data["findings"] if f["kind"] != "agree"]) <= len(data["claims"])


def _hrw_in_almaty(tmp_path: Path) -> LedgerDir:
    """Human Rights Watch gives 120 for Almaty, under the ministry's 139, then 139 (its report), then 170, above."""
    records = dict(RECORDS)
    for doc, day, value in (("hrw-almaty-1", "2022-01-13", 120), ("hrw-almaty-2", "2022-01-27", 170)):
        records[f"documents/{doc}.yaml"] = (f"kind: document\nid: {doc}\ntype: ngo-report\ntitle: Almaty\n"
                                            f"author: hrw\ndate: {day}\n")
        records[f"claims/{doc}.yaml"] = (f"kind: claim\nid: c-{doc}\nsource: {doc}\nmeasure: killed\n"
                                         f"value: {value}\nscope: {{place: almaty, period: 2022-01}}\n")
    ld = write_ledger(tmp_path / "hrw", records)
    assert [f.code for f in findings_of(ld.root)] == []
    return ld


def test_every_revision_of_a_voice_that_is_not_official_is_said(tmp_path: Path) -> None:
    markdown = run(_hrw_in_almaty(tmp_path), "--format", "markdown", "--place", "almaty")
    # 120 was said first (against the ministry's 139): its revision to 139 is said all the same
    assert re.search(r"Human Rights Watch revised its figure up from 120 on 13 January 2022 \[\d+\] to 139 on 26 "
                     r"January 2022 \[\d+\]", markdown), markdown
    assert re.search(r"revised its figure up from 139 on 26 January 2022 \[\d+\] to 170", markdown), markdown


def test_a_figure_found_again_on_the_other_side_is_not_said_to_be_there_too(tmp_path: Path) -> None:
    markdown = run(_hrw_in_almaty(tmp_path), "--format", "markdown", "--place", "almaty")
    # the ministry's 139 is above Human Rights Watch's 120, then below its 170: not "below ... too"
    assert "the 139 of the Ministry of Internal Affairs [1] is 19 more (16% more)" in markdown
    assert "below the later figure of Human Rights Watch too" not in markdown
    assert re.search(r"The 170 of Human Rights Watch \[\d+\] is 31 more \(22% more\) than the 139 of the Ministry",
                     markdown)


def test_a_withdrawn_figure_of_a_voice_that_is_not_official_is_said_to_be_withdrawn(tmp_path: Path) -> None:
    records = dict(RECORDS)
    records["documents/hrw-almaty-1.yaml"] = ("kind: document\nid: hrw-almaty-1\ntype: ngo-report\ntitle: Almaty\n"
                                              "author: hrw\ndate: 2022-01-13\n")
    records["claims/hrw-almaty-1.yaml"] = ("kind: claim\nid: c-hrw-almaty-1\nsource: hrw-almaty-1\nmeasure: killed\n"
                                           "value: 120\nscope: {place: almaty, period: 2022-01}\n")
    records["documents/hrw-correction.yaml"] = ("kind: document\nid: hrw-correction\ntype: ngo-report\ntitle: "
                                                "Correction\nauthor: hrw\ndate: 2022-01-14\n"
                                                "retracts: [c-hrw-almaty-1]\n")
    ld = write_ledger(tmp_path / "hrw", records)
    assert [f.code for f in findings_of(ld.root)] == []
    markdown = run(ld, "--format", "markdown", "--place", "almaty")
    assert "Human Rights Watch reported on 13 January 2022: 120" in markdown  # against the ministry's 139
    assert re.search(r"The 120 of Human Rights Watch \[\d+\] was withdrawn by Human Rights Watch on 14 January 2022 "
                     r"\[\d+\]\.", markdown), markdown
