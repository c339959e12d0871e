#!/usr/bin/env python3
"""Generate a synthetic but realistic ledger, deterministically, for the benchmark.

    python bench/generate.py OUT_DIR --records N [--per-file K] [--seed S] [--strict-one-per-file]

Writes OUT_DIR/ledger.yaml and OUT_DIR/records/**: N records in the proportions of a real
investigation (per 1,000: 300 people, 30 orgs, 40 events, 200 testimonies, 80 statements,
50 documents, 300 claims), written by the letter of the record format (shared/spec/record-format.md),
with valid references and vocabularies, analyst totals that add up and withdrawals dated after the
figures they withdraw, so that `ledger check` finds nothing. The same arguments always give
byte-identical output.

The claims come in clusters about one event: figures that agree, conflict, leave gaps, exceed
broader counts and add up, as in version 1, and figures over time (version 2): many voices (4-8
orgs, witnesses and documents, official and not) for one scope; an official body revising its
figure through its spokespeople, some statements dated by month only; an official body's running
totals, growing, written with grouped digits; figures withdrawn by a later statement or document;
people held in custody or in hospital on a date (`counts: stock` measures); some claims
`unverified` or `disputed`.

Standard library and PyYAML only (PyYAML is not even needed here: the YAML is written by hand so
that it looks like what researchers write: folded summaries, flow lists, quoted quotes).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

GENERATOR_VERSION = 2
MARKER = ".bench-generated.json"

from ledger.kinds import PLURALS  # noqa: E402 - the folder of each kind, as `ledger add` writes them

# Records per 1,000.
SHARES = {"person": 300, "org": 30, "event": 40, "testimony": 200, "statement": 80, "document": 50, "claim": 300}
MINIMUM = {"person": 4, "org": 4, "event": 1, "testimony": 2, "statement": 1, "document": 1}
APPROX = Fraction(1, 10)
LIST_SIZE = 50  # people per casualty-list file
LIST_SHARE = 0.05  # share of all records that live in casualty-list files (unless --strict-one-per-file)

# --------------------------------------------------------------------------------------------------
# Vocabularies (ledger.yaml)

COUNTRY = ("kazakhstan", "Kazakhstan", "Казахстан", "Қазақстан")
# province id, label, ru, kk, towns (id, label, ru, kk)
PROVINCES = [
    ("mangystau", "Mangystau province", "Мангистауская область", "Маңғыстау облысы", [
        ("zhanaozen", "Zhanaozen", "Жанаозен", "Жаңаөзен"),
        ("aktau", "Aktau", "Актау", "Ақтау"),
        ("shetpe", "Shetpe", "Шетпе", "Шетпе"),
        ("beineu", "Beineu", "Бейнеу", "Бейнеу"),
    ]),
    ("atyrau-region", "Atyrau province", "Атырауская область", "Атырау облысы", [
        ("atyrau", "Atyrau", "Атырау", "Атырау"),
        ("kulsary", "Kulsary", "Кульсары", "Құлсары"),
    ]),
    ("aktobe-region", "Aktobe province", "Актюбинская область", "Ақтөбе облысы", [
        ("aktobe", "Aktobe", "Актобе", "Ақтөбе"),
        ("khromtau", "Khromtau", "Хромтау", "Хромтау"),
    ]),
    ("west-kazakhstan", "West Kazakhstan province", "Западно-Казахстанская область", "Батыс Қазақстан облысы", [
        ("oral", "Oral", "Уральск", "Орал"),
        ("aksai", "Aksai", "Аксай", "Ақсай"),
    ]),
    ("karaganda-region", "Karaganda province", "Карагандинская область", "Қарағанды облысы", [
        ("karaganda", "Karaganda", "Караганда", "Қарағанды"),
        ("temirtau", "Temirtau", "Темиртау", "Теміртау"),
        ("zhezkazgan", "Zhezkazgan", "Жезказган", "Жезқазған"),
    ]),
    ("almaty-region", "Almaty province", "Алматинская область", "Алматы облысы", [
        ("taldykorgan", "Taldykorgan", "Талдыкорган", "Талдықорған"),
        ("konaev", "Konaev", "Конаев", "Қонаев"),
    ]),
    ("zhambyl", "Zhambyl province", "Жамбылская область", "Жамбыл облысы", [
        ("taraz", "Taraz", "Тараз", "Тараз"),
        ("zhanatas", "Zhanatas", "Жанатас", "Жаңатас"),
    ]),
    ("turkestan-region", "Turkestan province", "Туркестанская область", "Түркістан облысы", [
        ("turkestan", "Turkestan", "Туркестан", "Түркістан"),
        ("kentau", "Kentau", "Кентау", "Кентау"),
    ]),
    ("east-kazakhstan", "East Kazakhstan province", "Восточно-Казахстанская область", "Шығыс Қазақстан облысы", [
        ("oskemen", "Oskemen", "Усть-Каменогорск", "Өскемен"),
        ("semey", "Semey", "Семей", "Семей"),
    ]),
    ("pavlodar-region", "Pavlodar province", "Павлодарская область", "Павлодар облысы", [
        ("pavlodar", "Pavlodar", "Павлодар", "Павлодар"),
        ("ekibastuz", "Ekibastuz", "Экибастуз", "Екібастұз"),
    ]),
    ("kyzylorda-region", "Kyzylorda province", "Кызылординская область", "Қызылорда облысы", [
        ("kyzylorda", "Kyzylorda", "Кызылорда", "Қызылорда"),
    ]),
]
CITIES = [  # cities of republican significance: directly within the country
    ("almaty", "Almaty", "Алматы", "Алматы"),
    ("astana", "Astana", "Астана", "Астана"),
    ("shymkent", "Shymkent", "Шымкент", "Шымкент"),
]


@dataclass(frozen=True)
class Place:
    id: str
    label: str
    ru: str
    kk: str
    within: str | None
    level: str  # country, province, town


def build_places() -> dict[str, Place]:
    places = {COUNTRY[0]: Place(*COUNTRY, None, "country")}
    for pid, label, ru, kk, towns in PROVINCES:
        places[pid] = Place(pid, label, ru, kk, COUNTRY[0], "province")
        for tid, tlabel, tru, tkk in towns:
            places[tid] = Place(tid, tlabel, tru, tkk, pid, "town")
    for cid, label, ru, kk in CITIES:
        places[cid] = Place(cid, label, ru, kk, COUNTRY[0], "town")
    return places


PLACES = build_places()
TOWNS = [p for p in PLACES.values() if p.level == "town"]

# id, label, within, typical count at town level (low, high), en, ru, kk phrase (after the number)
MEASURES = [
    ("killed", "people killed in the violence", None, (2, 40),
     "people were killed", "человек погибли", "адам қаза тапты"),
    ("killed-gunshot", "people who died of gunshot wounds", "killed", (1, 25),
     "people died of gunshot wounds", "человек скончались от огнестрельных ранений", "адам оқ жарақатынан қайтыс болды"),
    ("died-in-custody", "people who died in custody", "killed", (1, 4),
     "people died in custody", "человек умерли под стражей", "адам қамауда қайтыс болды"),
    ("wounded", "people injured", None, (10, 250),
     "people were injured", "человек получили ранения", "адам жарақат алды"),
    ("gunshot-wounded", "people with gunshot wounds", "wounded", (5, 120),
     "people sustained gunshot wounds", "человек получили огнестрельные ранения", "адам оқ жарақатын алды"),
    ("head-neck-gunshot-wounded", "people with gunshot wounds to the head or neck", "gunshot-wounded", (1, 12),
     "people had gunshot wounds to the head or neck", "человек с огнестрельными ранениями головы или шеи",
     "адамның басы немесе мойны оқтан жараланды"),
    ("hospitalised", "people brought to hospital", None, (10, 200),
     "people were brought to hospital", "человек доставлены в больницу", "адам ауруханаға жеткізілді"),
    ("detained", "people detained", None, (20, 900),
     "people were detained", "человек задержаны", "адам ұсталды"),
    ("detained-curfew", "people detained for violating the curfew", "detained", (10, 300),
     "people were detained for violating the curfew", "человек задержаны за нарушение комендантского часа",
     "адам коменданттық сағатты бұзғаны үшін ұсталды"),
    ("arrested", "people arrested as criminal suspects", "detained", (5, 150),
     "people were arrested", "человек арестованы", "адам қамауға алынды"),
    ("arrested-mass-disorder", "people arrested as participants in mass disorder", "arrested", (3, 80),
     "people were arrested as participants in mass disorder", "человек арестованы как участники массовых беспорядков",
     "адам жаппай тәртіпсіздікке қатысқаны үшін қамауға алынды"),
    ("ill-treatment-reported", "detainees who reported beatings or torture", "detained", (3, 60),
     "detainees described beatings or torture", "задержанных сообщили о побоях и пытках",
     "ұсталған адам ұрып-соғу мен азаптау туралы айтты"),
    ("charged", "people facing criminal charges", None, (3, 60),
     "people face criminal charges", "человек привлечены к уголовной ответственности",
     "адамға қылмыстық айып тағылды"),
    ("convicted", "people convicted", "charged", (2, 40),
     "people were convicted", "человек осуждены", "адам сотталды"),
    ("missing", "people missing", None, (1, 30),
     "people remain missing", "человек числятся пропавшими без вести", "адам із-түзсіз жоғалып кетті"),
    ("questioned", "people questioned by police or prosecutors", None, (10, 400),
     "people were questioned", "человек допрошены", "адамнан жауап алынды"),
]
# People in a state on a date (`counts: stock`): compared on the same date only. No event type lists them: only
# the stock clusters count them, each on one date.
STOCK_MEASURES = [
    ("in-custody", "people held in custody", None, (5, 400),
     "people were held in custody", "человек содержались под стражей", "адам қамауда отырды"),
    ("in-hospital-serious", "people in hospital in a serious condition", None, (2, 60),
     "people were in hospital in a serious condition", "человек находились в больнице в тяжёлом состоянии",
     "адам ауруханада ауыр жағдайда жатты"),
]
MEASURES += STOCK_MEASURES
STOCK = {m[0] for m in STOCK_MEASURES}
MEASURE = {m[0]: m for m in MEASURES}
CHILDREN: dict[str, list[str]] = {}
for _m in MEASURES:
    if _m[2]:
        CHILDREN.setdefault(_m[2], []).append(_m[0])

POPULATIONS = [
    ("all", "everyone", None),
    ("civilians", "civilians", "all"),
    ("police", "police and security forces", "all"),
    ("protesters", "protesters and strikers", "civilians"),
    ("oil-workers", "oil workers, including strikers and dismissed workers", "civilians"),
    ("women", "women", "civilians"),
    ("minors", "children under 18", "civilians"),
    ("journalists", "journalists", "civilians"),
    ("activists", "members of opposition parties and movements", "civilians"),
]
POP_PHRASE = {  # en, ru, kk qualifiers appended to quotes
    "all": ("", "", ""),
    "civilians": (", all civilians", ", все мирные жители", ", барлығы бейбіт тұрғындар"),
    "police": (" among police officers", " среди сотрудников полиции", ", полиция қызметкерлері"),
    "protesters": (" among the protesters", " среди протестующих", ", наразылық білдірушілер"),
    "oil-workers": (" among the oil workers", " среди нефтяников", ", мұнайшылар"),
    "women": (", all of them women", ", все женщины", ", барлығы әйелдер"),
    "minors": (", all of them minors", ", все несовершеннолетние", ", барлығы кәмелетке толмағандар"),
    "journalists": (" among journalists", " среди журналистов", ", журналистер"),
    "activists": (" among opposition activists", " среди оппозиционных активистов", ", оппозиция белсенділері"),
}

ALLEGATIONS = [
    "lethal-force", "beating", "torture", "sexual-abuse", "theft", "extortion", "threats", "coerced-confession",
    "arbitrary-detention", "forced-undressing", "cold-exposure", "death-in-custody", "fabricated-charges",
    "witness-intimidation", "unlawful-search", "speech-prosecution",
]

# key, title template, measures (weighted by repetition), allegations, tags
EVENT_TYPES = [
    ("shooting", "Police open fire on protesters in {town}",
     ["killed", "killed", "killed-gunshot", "wounded", "wounded", "gunshot-wounded", "gunshot-wounded",
      "head-neck-gunshot-wounded", "hospitalised", "detained"],
     ["lethal-force", "beating", "arbitrary-detention"], ["use-of-force", "casualties"]),
    ("strike-dispersal", "Police disperse striking oil workers in {town}",
     ["wounded", "detained", "detained", "arrested", "hospitalised", "gunshot-wounded"],
     ["beating", "arbitrary-detention", "threats"], ["labour-dispute", "use-of-force"]),
    ("mass-detentions", "Mass detentions and ill-treatment in custody in {town}",
     ["detained", "detained", "detained-curfew", "arrested", "arrested-mass-disorder", "ill-treatment-reported",
      "died-in-custody"],
     ["beating", "torture", "forced-undressing", "cold-exposure", "arbitrary-detention", "sexual-abuse"],
     ["detentions", "ill-treatment"]),
    ("curfew", "State of emergency and curfew in {town}",
     ["detained-curfew", "detained", "questioned", "arrested"],
     ["arbitrary-detention", "unlawful-search", "theft", "extortion"], ["curfew", "detentions"]),
    ("trial", "Trial of alleged organisers of mass disorder in {town}",
     ["charged", "charged", "convicted", "questioned", "arrested-mass-disorder"],
     ["coerced-confession", "fabricated-charges", "witness-intimidation", "torture"], ["trials", "arrests"]),
    ("rally", "Detentions at a peaceful rally in {town}",
     ["detained", "detained", "arrested", "wounded", "hospitalised"],
     ["arbitrary-detention", "beating", "speech-prosecution"], ["assembly", "detentions"]),
    ("searches", "Searches of activists' homes and offices in {town}",
     ["questioned", "detained", "charged"],
     ["unlawful-search", "theft", "threats", "speech-prosecution"], ["searches", "arrests"]),
    ("disappearances", "Protesters missing after the unrest in {town}",
     ["missing", "missing", "killed", "detained"],
     ["threats", "death-in-custody", "arbitrary-detention"], ["disappearances", "casualties"]),
]
EVENT_TYPE = {e[0]: e for e in EVENT_TYPES}
STOCK_OF_EVENT = {"shooting": "in-hospital-serious", "strike-dispersal": "in-hospital-serious"}  # else in-custody
# measures an official body keeps a running total of, when they come in thousands
RUNNING_MEASURES = ["detained", "detained", "questioned", "arrested", "charged"]

OFFICIAL_TYPES = ("government", "prosecutor", "police", "court")  # ledger.yaml's default `figures.official`
TITLES = {  # the office as a letter names it, by the type of the official's org
    "prosecutor": ["Prosecutor", "Deputy Prosecutor", "Head of the press service", "Senior investigator",
                   "Head of the investigation department"],
    "government": ["Minister", "Deputy Minister", "Spokesperson", "Akim", "Deputy Akim", "Press secretary"],
    "police": ["Head of the police department", "Deputy head of the department", "Press secretary",
               "Spokesperson"],
    "court": ["Chair of the court", "Judge", "Press secretary of the court"],
}

# --------------------------------------------------------------------------------------------------
# Names

FIRST_M = ["Arman", "Askar", "Azamat", "Bauyrzhan", "Daniyar", "Dauren", "Yerlan", "Yermek", "Kairat", "Marat",
           "Nurlan", "Nurzhan", "Ruslan", "Serik", "Talgat", "Timur", "Zhandos", "Bolat", "Almas", "Aidos",
           "Maksat", "Rustem", "Sanzhar", "Kanat", "Beibit", "Yerzhan", "Galym", "Muratbek", "Zhanbolat", "Olzhas",
           "Vladimir", "Sergei", "Dmitry", "Igor", "Alexander"]
FIRST_F = ["Aigul", "Ainur", "Aizhan", "Asem", "Dana", "Dinara", "Gaukhar", "Gulnara", "Zhanar", "Zhuldyz",
           "Kamila", "Laura", "Madina", "Saule", "Roza", "Aliya", "Akmaral", "Botagoz", "Indira", "Karlygash",
           "Meruyert", "Nazgul", "Raushan", "Symbat", "Togzhan", "Ulbolsyn", "Zarina", "Aruzhan", "Elmira",
           "Lyazzat", "Natalia", "Elena", "Olga"]
SURNAMES = ["Abenov", "Akhmetov", "Amirov", "Baimukhanov", "Dosmagambetov", "Zhaksylykov", "Iskakov", "Kenzhebaev",
            "Kusherov", "Mambetnazarov", "Nurgaliev", "Omarov", "Sadykov", "Saktaganov", "Tuletaev", "Utegenov",
            "Yesenov", "Zhumabaev", "Karimov", "Seitkaliev", "Bekov", "Tokhtarov", "Yermekov", "Sarsenbaev",
            "Kaliev", "Mukhamedov", "Nurmagambetov", "Ospanov", "Rakhimov", "Serikbaev", "Tleuov", "Khamitov",
            "Shakenov", "Yergaliev", "Bisenov", "Zhienbaev", "Kuanyshev", "Mendygaliev", "Orazbaev", "Kozlov",
            "Sokolov", "Ivanov", "Smirnov", "Volkov", "Aminov", "Tazhiganov", "Kurmanov", "Nazarov"]

_DIGRAPHS = [("zh", "ж"), ("kh", "х"), ("sh", "ш"), ("ch", "ч"), ("ts", "ц"), ("ya", "я"), ("yu", "ю"),
             ("ye", "е"), ("yo", "ё")]
_LETTERS = dict(zip("abvgdezikslmnoprtufhcy", "абвгдезикслмнопртуфхцы"))
_LETTERS.update({"j": "дж", "x": "кс", "w": "в", "q": "к"})
_VOWELS = set("aeiouy")


def cyrillic(latin: str) -> str:
    """A rough Russian-style Cyrillic spelling of a transliterated Kazakh or Russian name."""
    out = []
    for word in latin.split(" "):
        w, i, res = word.lower(), 0, ""
        while i < len(w):
            pair = w[i:i + 2]
            hit = next((c for d, c in _DIGRAPHS if pair == d), None)
            if hit is not None:
                res += hit
                i += 2
                continue
            ch = w[i]
            if ch in "iy" and i > 0 and w[i - 1] in _VOWELS:
                res += "й"
            elif ch == "y" and i == len(w) - 1:
                res += "ий"
            elif ch == "y":
                res += "ы"
            else:
                res += _LETTERS.get(ch, ch)
            i += 1
        out.append(res[:1].upper() + res[1:])
    return " ".join(out)


def alt_spelling(latin: str) -> str:
    alt = latin.replace("zh", "j").replace("Zh", "J").replace("kh", "h").replace("Kh", "H")
    alt = re.sub(r"ev\b", "yev", alt)
    return alt


def feminine(surname: str) -> str:
    return surname + "a" if surname.endswith(("ov", "ev", "in")) else surname


# --------------------------------------------------------------------------------------------------
# Text banks. Placeholders: {town} {province} {date} {n} {d} {He} {he} {his} {issuer} {org}

QUOTES_TESTIMONY = [
    ("They made us lie face down on the concrete and beat us with batons.",
     "Нас заставили лечь лицом на бетон и били дубинками.",
     "Бізді бетонға етпетімізден жатқызып, таяқпен ұрды."),
    ("The police fired without any warning; people were running in all directions.",
     "Полиция открыла огонь без всякого предупреждения, люди бежали во все стороны.",
     "Полиция ешқандай ескертусіз оқ атты, адамдар жан-жаққа қашты."),
    ("My son was taken away at night and for three days we did not know where he was.",
     "Моего сына забрали ночью, и три дня мы не знали, где он.",
     "Ұлымды түнде алып кетті, үш күн бойы оның қайда екенін білмедік."),
    ("They took our phones and our money and never gave them back.",
     "У нас забрали телефоны и деньги и так и не вернули.",
     "Телефондарымыз бен ақшамызды алып, қайтарған жоқ."),
    ("There were about thirty of us in the cell, and it was freezing.",
     "В камере нас было около тридцати человек, и было очень холодно.",
     "Камерада отыз шақты адам болдық, өте суық болды."),
    ("They said that if I complained, my family would have problems.",
     "Мне сказали, что если я буду жаловаться, у моей семьи будут проблемы.",
     "Шағымдансам, отбасыма қиын болады деді."),
    ("I saw a woman fall; she had been shot in the neck.",
     "Я видел, как упала женщина: пуля попала ей в шею.",
     "Бір әйелдің құлағанын көрдім, оқ мойнына тиген екен."),
    ("We were only asking for our wages to be paid.",
     "Мы только требовали, чтобы нам выплатили зарплату.",
     "Біз тек жалақымызды төлеуді талап еттік."),
    ("The doctors were told not to record the gunshot wounds.",
     "Врачам велели не записывать огнестрельные ранения.",
     "Дәрігерлерге оқ жарақаттарын тіркемеу тапсырылды."),
    ("They forced me to sign a statement I had not read.",
     "Меня заставили подписать показания, которые я не читал.",
     "Мені оқымаған жауабыма қол қоюға мәжбүрледі."),
    ("The lawyer was not allowed to see him for a whole week.",
     "Адвоката не пускали к нему целую неделю.",
     "Адвокатты оған бір апта бойы жібермеді."),
    ("There were bodies on the square, and nobody was allowed to go near them.",
     "На площади лежали тела, и никого к ним не подпускали.",
     "Алаңда мәйіттер жатты, ешкімді жақындатпады."),
    ("They stripped us to our underwear and poured cold water on us.",
     "Нас раздели до белья и обливали холодной водой.",
     "Бізді іш киімге дейін шешіндіріп, үстімізге суық су құйды."),
    ("Officers searched the flat without a warrant and took the computer.",
     "Сотрудники обыскали квартиру без ордера и забрали компьютер.",
     "Қызметкерлер пәтерді санкциясыз тінтіп, компьютерді алып кетті."),
    ("At the hospital I counted more than forty wounded in the corridor.",
     "В больнице я насчитал в коридоре больше сорока раненых.",
     "Ауруханада дәлізде қырықтан астам жаралыны санадым."),
    ("Nobody told us why we were being held.",
     "Никто не объяснил нам, за что нас задержали.",
     "Бізді не үшін ұстағанын ешкім түсіндірмеді."),
]
QUOTES_STATEMENT = [
    ("The law enforcement agencies acted strictly within the law.",
     "Правоохранительные органы действовали строго в рамках закона.",
     "Құқық қорғау органдары заң аясында ғана әрекет етті."),
    ("The situation in the city is fully under control.",
     "Ситуация в городе полностью под контролем.",
     "Қаладағы жағдай толық бақылауда."),
    ("All the facts will be thoroughly investigated and those responsible will be punished.",
     "Все факты будут тщательно расследованы, виновные будут наказаны.",
     "Барлық деректер мұқият тексеріліп, кінәлілер жазаланады."),
    ("Weapons were used only against those who attacked police officers.",
     "Оружие применялось только против тех, кто нападал на сотрудников полиции.",
     "Қару тек полиция қызметкерлеріне шабуыл жасағандарға қарсы қолданылды."),
    ("No complaints of ill-treatment have been received.",
     "Жалоб на жестокое обращение не поступало.",
     "Қатыгездік туралы шағым түскен жоқ."),
    ("The detainees were released after the necessary checks.",
     "Задержанные освобождены после необходимых проверок.",
     "Ұсталғандар қажетті тексерістен кейін босатылды."),
    ("The organisers of the mass disorder have been identified.",
     "Организаторы массовых беспорядков установлены.",
     "Жаппай тәртіпсіздікті ұйымдастырушылар анықталды."),
]
QUOTES_DOCUMENT = [
    ("Witnesses described police firing directly into the crowd.",
     "Свидетели рассказали, что полиция стреляла прямо в толпу."),
    ("Relatives were not told where the detainees were being held.",
     "Родственникам не сообщали, где содержатся задержанные."),
    ("The authorities have not published the full list of those killed.",
     "Власти так и не опубликовали полный список погибших."),
    ("Several defendants bore visible marks of beatings in court.",
     "У нескольких подсудимых в зале суда были видны следы побоев."),
    ("Doctors confirmed that most of the injuries were gunshot wounds.",
     "Врачи подтвердили, что большинство ранений были огнестрельными."),
    ("The court did not examine the defendants' allegations of torture.",
     "Суд не рассмотрел заявления подсудимых о пытках."),
]

TESTIMONY_SENTENCES = {
    "open": [
        "The witness describes the events of {date} in {town}, where police moved against a crowd of protesters "
        "near the central square.",
        "{He} was in {town} on {date} and gives a detailed account of what {he} saw and what happened to {him}.",
        "Speaking {mode}, the witness recounts the events of {date} in {town} and the days that followed.",
        "The witness, a resident of {town}, describes the police operation of {date}.",
    ],
    "lethal-force": [
        "{He} says officers fired at unarmed people who were running away, and that {he} saw at least {n} people "
        "fall.",
        "According to the witness, the shooting started without warning and lasted several minutes.",
        "{He} describes a man shot in the back as he tried to carry a wounded friend away from the square.",
    ],
    "beating": [
        "In custody, detainees were made to kneel or lie on the floor for hours and were beaten with batons and "
        "kicked.",
        "{He} says {he} was beaten on the way to the police station and again during questioning.",
    ],
    "torture": [
        "{He} describes being suffocated with a plastic bag during questioning to make {him} name the organisers.",
        "The witness says detainees were given electric shocks in the basement of the police station.",
    ],
    "sexual-abuse": [
        "{He} says officers touched and threatened women detainees in a corridor of the temporary detention "
        "facility.",
    ],
    "theft": [
        "The witness says officers took money and mobile phones from detainees and from houses they searched.",
    ],
    "extortion": [
        "Relatives were told to pay for the release of detainees; the witness says {he} paid on the third day.",
    ],
    "threats": [
        "After {he} complained, police officers visited {his} home and warned {him} not to speak to journalists.",
    ],
    "coerced-confession": [
        "{He} says investigators pressured {him} to sign a confession implicating the strike leaders.",
    ],
    "arbitrary-detention": [
        "{He} was detained the same evening and held for {d} days at the city police station without access to "
        "a lawyer.",
        "The witness estimates that about {n} people were held in the same room, many of them oil workers.",
    ],
    "forced-undressing": [
        "Detainees were stripped to their underwear in the yard of the police station.",
    ],
    "cold-exposure": [
        "{He} says detainees were kept outside in the cold for hours and doused with water.",
    ],
    "death-in-custody": [
        "{His} relative died a few days after release; the family says he had been beaten in custody.",
    ],
    "fabricated-charges": [
        "{He} says the charges against the defendants rest on statements that witnesses later retracted in court.",
    ],
    "witness-intimidation": [
        "Witnesses for the defence were summoned to the police the night before they were due to testify.",
    ],
    "unlawful-search": [
        "Officers searched {his} home without a warrant and took computers, phones and papers.",
    ],
    "speech-prosecution": [
        "{He} believes the case is a reprisal for posts on social media criticising the authorities.",
    ],
    "close": [
        "{He} was interviewed {mode} and spoke for more than an hour; the researcher took notes in Russian.",
        "{He} says {he} recognised some of the officers, who were from the local police, and others who were "
        "not.",
        "The account is consistent with other testimonies about the same days at the {town} police station.",
        "{He} asked that the account not be published until {his} relatives had left the town.",
        "{He} has not filed a complaint, fearing reprisals.",
        "The witness gave the names of several other people who saw the same events.",
        "Relatives searched the hospitals and police stations for days before learning where detainees were held.",
    ],
}
STATEMENT_SENTENCES = [
    "The {issuer} said that {n} people had been detained in {town} after the events of {date} and that checks "
    "were continuing.",
    "It stated that police had used weapons only in response to attacks by armed rioters.",
    "The statement denied reports that detainees had been ill-treated and said no complaints had been filed.",
    "It announced criminal cases under the articles on mass disorder and on violence against officials.",
    "It gave the number of dead as {n} and said that all the injured had received medical assistance.",
    "The statement described the events as provoked by people seeking to destabilise the country.",
    "It promised a full and transparent investigation, including into the actions of the police.",
    "It said that the curfew in {town} would remain in force until order was fully restored.",
    "The {issuer} called on residents not to trust rumours spread on social media.",
]
DOCUMENT_SENTENCES = [
    "The report documents the use of force by police in {town} on {date}, based on interviews with witnesses, "
    "relatives and medical staff.",
    "It lists the names of {n} people detained after the events, with the dates of their detention and release.",
    "The article quotes residents who say the official figures understate the number of casualties.",
    "Hospital records show the number of patients admitted with injuries on {date} and the following days.",
    "The document describes the court hearings, at which several defendants retracted confessions they said "
    "were obtained under torture.",
    "It calls on the authorities to allow an independent international investigation.",
    "Photographs show lists of detainees posted outside the {town} police station.",
    "The report notes that lawyers were denied access to their clients for several days.",
]
EVENT_SENTENCES = {
    "shooting": [
        "Police and security forces opened fire on a crowd of striking oil workers and residents in {town} on "
        "{date}.",
        "Witnesses say the shooting began without warning after clashes near the central square.",
        "The authorities declared a state of emergency the next day; hospitals in {town} and nearby towns "
        "received dozens of wounded.",
    ],
    "strike-dispersal": [
        "Riot police dispersed oil workers who had been on strike for several months in {town}.",
        "Strikers were pushed out of the square and several leaders were detained.",
    ],
    "mass-detentions": [
        "Hundreds of people were detained in {town} after the unrest and held in police stations and temporary "
        "detention facilities.",
        "Former detainees describe beatings, forced undressing and exposure to cold during the first nights.",
    ],
    "curfew": [
        "A state of emergency and a curfew were in force in {town}; police patrols detained people in the "
        "streets after dark.",
        "Residents reported house searches, theft and demands for money by officers.",
    ],
    "trial": [
        "The trial of people accused of organising or taking part in mass disorder was held at the {town} "
        "city court.",
        "Several defendants said in court that they had been tortured into confessing.",
    ],
    "rally": [
        "Police detained participants of a peaceful rally in {town} within minutes of its start.",
        "Journalists covering the rally were also detained and their equipment was seized.",
    ],
    "searches": [
        "Officers of the National Security Committee searched the homes and offices of activists in {town}.",
        "Several activists were detained or summoned for questioning as witnesses in a case of inciting social "
        "discord.",
    ],
    "disappearances": [
        "Relatives of several protesters in {town} have had no news of them since the unrest.",
        "The authorities say they have no record of their detention.",
    ],
}
DOCUMENT_FIRST = {
    "media-report": "The article reports the events in {town} of {date} and quotes residents and relatives.",
    "ngo-report": "The report documents the events in {town} of {date}, based on interviews with witnesses, "
                  "relatives, lawyers and medical staff.",
    "medical-record": "The register lists the patients admitted from {date} with their injuries and the time "
                      "of admission.",
    "un-report": "The document sets out the concerns of UN experts about the events in {town} and the "
                 "investigation that followed.",
    "court-document": "The verdict convicts several defendants of taking part in mass disorder in {town} on "
                      "{date}.",
    "list": "A handwritten list of {n} names of people held at the {town} police station.",
    "photo": "Photographs taken in {town} on {date} by a resident and passed to the researchers.",
    "video": "Mobile phone footage filmed in {town} on {date}, showing police moving against the crowd.",
    "other": "An open letter by residents of {town} to the authorities about the events of {date}.",
}
CLAIM_NOTES = [
    "Coded from the source's own figure; the period is that of the events the source describes.",
    "The source does not say whether police officers are included; coded as everyone.",
    "Counted from the names on the list; some names may be repeated in different spellings.",
    "The figure covers the whole province; the source gives no breakdown by town.",
    "Approximate figure: the witness says {he} could not count everyone.",
    "Differs from the official figure for the same days; see the other claims on this measure.",
    "The source gives the figure in passing; it may include people detained on the following day.",
    "Period assumed from the context: the source does not give dates for the count.",
]
PERSON_SUMMARIES = {
    "victim": [
        "{Occupation} from {town}, aged {age}. Wounded on {date} during the dispersal of the protest.",
        "Shot on {date} in {town}; treated at the city hospital for a gunshot wound.",
        "Beaten by police on {date} in {town}; {his} relatives filed a complaint that was not investigated.",
    ],
    "detainee": [
        "{Occupation} from {town}, aged {age}. Detained on {date} and released after {d} days without charge.",
        "Detained in {town} on {date}; says {he} was beaten in custody.",
        "Named on the lists of detainees posted outside the {town} police station.",
    ],
    "killed": [
        "{Occupation} from {town}, aged {age}. Died of a gunshot wound on {date}.",
        "Killed in {town} on {date}; the family was not given the autopsy report.",
    ],
    "witness": [
        "{Occupation} from {town} who witnessed the events of {date}.",
        "Resident of {town}; saw the shooting on {date} from the window of {his} flat near the square.",
        "{Occupation} in {town}; was detained on {date} and describes conditions in custody.",
    ],
    "official": [
        "Official of the {org}; spoke publicly about the events of {date} in {town}.",
        "Head of the {org} at the time of the events.",
    ],
}
OCCUPATIONS = ["Oil worker", "Driver", "Teacher", "Student", "Nurse", "Engineer", "Trader", "Pensioner",
               "Welder", "Former oil worker", "Unemployed man", "Cook", "Doctor", "Electrician"]

ORG_SUMMARIES = {
    "government": "State body; its officials made public statements about the events and the investigation.",
    "prosecutor": "Prosecution service; opened criminal cases after the events and published official figures.",
    "police": "Police body whose officers took part in the operations described in the testimonies.",
    "court": "Court that heard the criminal cases brought after the events.",
    "ngo": "Non-governmental human rights organisation that documented the events and interviewed witnesses.",
    "media": "Media outlet that reported on the events and published interviews with witnesses.",
    "company": "Company whose workers took part in the strike that preceded the events.",
    "hospital": "Hospital that received the wounded; its staff are a source of casualty figures.",
    "party": "Political party; several of its members were detained or questioned after the events.",
    "union": "Trade union that supported the striking workers.",
    "intergovernmental": "Intergovernmental body that called for an independent investigation of the events.",
}

# type, id, name; national bodies first, most often cited first
NATIONAL_ORGS = [
    ("prosecutor", "pgo", "Prosecutor General's Office of Kazakhstan"),
    ("government", "mvd", "Ministry of Internal Affairs"),
    ("ngo", "hrw", "Human Rights Watch"),
    ("media", "radio-azattyk", "Radio Azattyk (RFE/RL)"),
    ("ngo", "kibhr", "Kazakhstan International Bureau for Human Rights and Rule of Law"),
    ("government", "presidency", "Presidential Administration of Kazakhstan"),
    ("company", "ozenmunaigas", "OzenMunaiGas"),
    ("ngo", "amnesty", "Amnesty International"),
    ("media", "vlast-kz", "Vlast.kz"),
    ("media", "kaztag", "KazTAG"),
    ("police", "knb", "National Security Committee (KNB)"),
    ("intergovernmental", "osce-odihr", "OSCE Office for Democratic Institutions and Human Rights"),
    ("intergovernmental", "ohchr", "UN Office of the High Commissioner for Human Rights"),
    ("party", "alga", "Alga"),
    ("court", "supreme-court", "Supreme Court of Kazakhstan"),
    ("ngo", "adil-soz", "Adil Soz International Foundation for Freedom of Speech"),
    ("media", "novaya-gazeta", "Novaya Gazeta"),
    ("government", "ministry-of-health", "Ministry of Health"),
    ("media", "tengrinews", "Tengrinews"),
    ("intergovernmental", "un-sr-torture", "UN Special Rapporteur on torture"),
    ("ngo", "kadyr-kasiet", "Kadyr-Kasiet"),
    ("union", "cnprk", "Confederation of Independent Trade Unions of Kazakhstan"),
    ("company", "kazmunaigas", "KazMunaiGas"),
    ("ngo", "nhc", "Norwegian Helsinki Committee"),
    ("media", "orda-kz", "Orda.kz"),
    ("government", "ombudsman", "Human Rights Commissioner of Kazakhstan"),
    ("ngo", "coalition-against-torture", "Coalition of NGOs of Kazakhstan against Torture"),
    ("company", "karazhanbasmunai", "Karazhanbasmunai"),
    ("party", "ospdp", "Nationwide Social Democratic Party"),
    ("media", "eurasianet", "Eurasianet"),
    ("ngo", "pri", "Penal Reform International"),
    ("intergovernmental", "un-sr-assembly", "UN Special Rapporteur on freedom of peaceful assembly"),
    ("company", "arcelormittal-temirtau", "ArcelorMittal Temirtau"),
    ("union", "oil-workers-union", "Independent Oil Workers' Union"),
    ("ngo", "freedom-house", "Freedom House"),
    ("company", "kazakhmys", "Kazakhmys"),
    ("media", "respublika", "Respublika"),
]
PROVINCE_ORGS = [
    ("police", "dia-{p}", "Department of Internal Affairs of {P}"),
    ("government", "akimat-{p}", "Akimat of {P}"),
    ("prosecutor", "prosecutor-{p}", "Prosecutor's Office of {P}"),
    ("hospital", "hospital-{p}", "{P} Regional Hospital"),
    ("court", "court-{p}", "{P} Regional Court"),
]
TOWN_ORGS = [
    ("police", "police-{t}", "{T} City Police Department"),
    ("hospital", "hospital-{t}", "{T} Central City Hospital"),
    ("government", "akimat-{t}", "Akimat of {T}"),
    ("court", "court-{t}", "{T} City Court"),
    ("prosecutor", "prosecutor-{t}", "{T} City Prosecutor's Office"),
    ("ngo", "{t}-rights-centre", "{T} Human Rights Centre"),
    ("media", "{t}-news", "{T} News"),
]
NUMBERED_ORGS = [
    ("hospital", "hospital-{t}-{k}", "{T} City Hospital No. {k}"),
    ("police", "police-{t}-station-{k}", "{T} Police Station No. {k}"),
    ("court", "court-{t}-district-{k}", "{T} District Court No. {k}"),
    ("ngo", "{t}-civic-initiative-{k}", "{T} Civic Initiative No. {k}"),
    ("media", "{t}-weekly-{k}", "{T} Weekly No. {k}"),
    ("company", "{t}-services-{k}", "{T} Oilfield Services No. {k}"),
]

TAGS_EXTRA = ["priority", "letter-2012", "follow-up", "verified", "needs-translation", "unverified"]

# --------------------------------------------------------------------------------------------------
# YAML writing

_PLAIN = re.compile(r"^[A-Za-z\u0400-\u04FF][\w .'()/&-]*$")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def q(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def scalar(text: str, flow: bool = False) -> str:
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(" ") and (
            not flow or not re.search(r"[,\[\]{}]", text)):
        return text
    return q(text)


def flow_list(items: list[str]) -> str:
    return "[" + ", ".join(scalar(i, flow=True) for i in items) + "]"


def folded(key: str, text: str, indent: int = 0, width: int = 78) -> list[str]:
    pad = " " * indent
    lines = textwrap.wrap(text, width=width - indent - 2, break_long_words=False, break_on_hyphens=False)
    return [f"{pad}{key}: >-"] + [f"{pad}  {line}" for line in lines]


def text_field(key: str, text: str, indent: int = 0) -> list[str]:
    """Short text on one line, longer text as a folded block."""
    if len(text) + len(key) + indent < 70:
        return [f"{' ' * indent}{key}: {scalar(text)}"]
    return folded(key, text, indent)


def quote_lines(quotes: list[tuple[str, str | None, str]]) -> list[str]:
    if not quotes:
        return []
    out = ["quotes:"]
    for text, original, lang in quotes:
        out.append(f"  - text: {q(text)}")
        if original:
            out.append(f"    original: {q(original)}")
        out.append(f"    lang: {lang}")
    return out


# --------------------------------------------------------------------------------------------------
# Figures

@dataclass(frozen=True)
class Value:
    form: str  # exact gt ge plus lt le range approx minmax
    a: int | None
    b: int | None = None
    sep: str = ""  # digits grouped in threes by "," or " " as the source prints them (4,578), "" for none

    def num(self, x: int | None, sep: str | None = None) -> str:
        s = self.sep if sep is None else sep
        if x is None or not s or x < 1000:
            return str(x)
        return f"{x:,}".replace(",", s)

    @property
    def interval(self) -> tuple[int, int | None]:
        a, b = self.a, self.b
        if self.form == "exact":
            return a, a
        if self.form == "gt":
            return a + 1, None
        if self.form in ("ge", "plus"):
            return a, None
        if self.form == "lt":
            return 0, a - 1
        if self.form == "le":
            return 0, a
        if self.form == "range":
            return a, b
        if self.form == "approx":
            return math.ceil(a * (1 - APPROX)), math.floor(a * (1 + APPROX))
        if self.form == "minmax":
            return (a or 0), b
        raise AssertionError(self.form)

    def yaml(self) -> str:
        a, b = self.num(self.a), self.num(self.b)
        grouped = a != str(self.a) or b != str(self.b)

        def bound(x: str) -> str:  # inside braces a comma ends the entry: a grouped bound is quoted
            return q(x) if not x.isdigit() else x

        return {
            # `4,578` is text to YAML and a grouped count to ledger; `"4 578"` needs its quotes
            "exact": lambda: a if not grouped or self.sep == "," else q(a),
            "gt": lambda: f'">{a}"',
            "ge": lambda: f'">={a}"',
            "plus": lambda: f'"{a}+"',
            "lt": lambda: f'"<{a}"',
            "le": lambda: f'"<={a}"',
            "range": lambda: f'"{a}-{b}"',
            "approx": lambda: f'"~{a}"',
            "minmax": lambda: "{" + ", ".join(([f"min: {bound(a)}"] if self.a is not None else [])
                                              + ([f"max: {bound(b)}"] if self.b is not None else [])) + "}",
        }[self.form]()

    def words(self, lang: str) -> str:
        a, b, f = self.a, self.b, self.form
        if self.sep:  # as a source in that language prints it: 4,578 in English, 4 578 in Russian and Kazakh
            sep = "," if lang == "en" else " "
            a, b = (self.num(x, sep) if x is not None else None for x in (a, b))  # type: ignore[assignment]
        if f == "minmax":
            f, a, b = ("range", a, b) if a is not None and b is not None else (("ge", a, None) if a is not None
                                                                              else ("le", b, None))
        table = {
            "en": {"exact": "{a}", "gt": "more than {a}", "ge": "at least {a}", "plus": "{a} or more",
                   "lt": "fewer than {a}", "le": "no more than {a}", "range": "{a} to {b}", "approx": "about {a}"},
            "ru": {"exact": "{a}", "gt": "более {a}", "ge": "не менее {a}", "plus": "{a} и более",
                   "lt": "менее {a}", "le": "не более {a}", "range": "от {a} до {b}", "approx": "около {a}"},
            "kk": {"exact": "{a}", "gt": "{a}-ден астам", "ge": "кемінде {a}", "plus": "{a} және одан көп",
                   "lt": "{a}-ден аз", "le": "{a}-ден аспайтын", "range": "{a}-{b}", "approx": "шамамен {a}"},
        }
        return table[lang][f].format(a=a, b=b)


def overlaps(x: tuple[int, int | None], y: tuple[int, int | None]) -> bool:
    return (x[1] is None or y[0] <= x[1]) and (y[1] is None or x[0] <= y[1])


def add(x: tuple[int, int | None], y: tuple[int, int | None]) -> tuple[int, int | None]:
    return x[0] + y[0], (None if x[1] is None or y[1] is None else x[1] + y[1])


def contains(v: Value, x: int) -> bool:
    lo, hi = v.interval
    return lo <= x and (hi is None or x <= hi)


def round_nice(x: int) -> int:
    if x >= 200:
        return int(round(x / 50.0)) * 50
    if x >= 40:
        return int(round(x / 10.0)) * 10
    if x >= 15:
        return int(round(x / 5.0)) * 5
    return x


FORM_WEIGHTS = [("exact", 40), ("approx", 10), ("range", 12), ("minmax", 6), ("gt", 7), ("ge", 6), ("plus", 5),
                ("lt", 4), ("le", 3)]


def value_around(rng: random.Random, x: int, forms: list[str] | None = None, bounded: bool = False) -> Value:
    """A value, in one of the forms an analyst codes, that admits the count x."""
    choices = [(f, w) for f, w in FORM_WEIGHTS if (forms is None or f in forms)
               and not (bounded and f in ("gt", "ge", "plus"))]
    form = rng.choices([f for f, _ in choices], [w for _, w in choices])[0]
    spread = max(1, x // 6)
    v: Value | None = None
    if form == "exact":
        v = Value("exact", x)
    elif form == "approx" and x >= 8:
        v = Value("approx", round_nice(x))
    elif form == "range":
        lo = max(0, round_nice(x - rng.randint(1, spread)))
        hi = round_nice(x + rng.randint(1, spread))
        if lo < hi:
            v = Value("range", lo, hi)
    elif form == "minmax":
        lo, hi = max(0, x - rng.randint(1, spread)), x + rng.randint(0, spread)
        v = rng.choice([Value("minmax", lo, hi), Value("minmax", lo, hi), Value("minmax", lo, None),
                        Value("minmax", None, hi)])
        if bounded and v.b is None:
            v = Value("minmax", lo, hi)
    elif form in ("gt", "ge", "plus") and x >= 4:
        a = round_nice(x - rng.randint(1, spread))
        v = Value(form, a if form != "gt" else min(a, x - 1))
    elif form in ("lt", "le") and x <= 30:
        a = x + rng.randint(1, 5)
        v = Value(form, round_nice(a) if round_nice(a) > x else a)
    if v is None or not contains(v, x) or v.interval[0] > (v.interval[1] if v.interval[1] is not None else 10**9):
        v = Value("exact", x)
    return v


def value_apart(rng: random.Random, other: Value, factor_range: tuple[float, float] = (1.4, 6.0),
                direction: str | None = None, bounded: bool = False) -> Value:
    """A value that cannot be true together with `other` (disjoint intervals)."""
    lo, hi = other.interval
    if direction is None:
        direction = "up" if hi is not None and (lo < 3 or rng.random() < 0.65) else "down"
    if direction == "down" and lo < 3:
        direction = "up"
    if direction == "up" and hi is None:
        direction = "down" if lo >= 3 else "up"
    for _ in range(20):
        factor = rng.uniform(*factor_range)
        if direction == "up" and hi is not None:
            x = max(hi + 1, int(hi * factor) + rng.randint(1, 5))
        elif direction == "down" and lo >= 3:
            x = max(0, min(lo - 1, int(lo / factor)))
        else:  # "at least 1" or so: nothing can disagree with it; settle for a larger figure
            return value_around(rng, lo + rng.randint(5, 50))
        v = value_around(rng, x, bounded=bounded)
        if not overlaps(v.interval, other.interval):
            return v
    x = (hi + 1 + hi // 2) if direction == "up" and hi is not None else max(0, lo - 1)
    return Value("exact", x)


# --------------------------------------------------------------------------------------------------
# Records


@dataclass
class Rec:
    kind: str
    id: str
    lines: list[str]
    group: str | None = None  # a casualty list file name, when the record lives in one


@dataclass
class Event:
    id: str
    type: str
    town: Place
    start: date
    end: date
    sources: list[Source] = field(default_factory=list)
    witnesses: list[Person] = field(default_factory=list)


@dataclass
class Person:
    id: str
    label: str
    female: bool
    protected: bool
    roles: list[str]
    event: Event | None
    affiliation: str | None = None
    title: str | None = None


@dataclass
class Org:
    id: str
    name: str
    type: str
    place: str | None


@dataclass
class Source:
    id: str
    kind: str
    date: date
    lang: str
    event: Event
    quotable: bool = True
    voice: str = ""  # who stands behind its figures (record-format.md, "Voices"): an org, a person, a document
    official: bool = False  # the voice is an org of an official type, or an official with no affiliation
    last: date | None = None  # the last day `date` may be, when it is written as a month or a year
    written: str | None = None  # the date as written, when not a day
    dated: bool = True  # a document may have no date: its figures are undated
    author: str | None = None  # a document's author, a statement's issuer

    @property
    def end(self) -> date:
        """The last day its figures may have been stated on."""
        return self.last or self.date

    @property
    def date_text(self) -> str:
        return self.written or d2s(self.date)


def ru_locative(place: Place) -> str:
    """"В городе Жанаозен", "В Мангистауской области", "В Казахстане"."""
    if place.level == "town":
        return f"В городе {place.ru}"
    if place.level == "province":
        return "В " + place.ru.replace("ая область", "ой области")
    return "В Казахстане"


def kk_locative(place: Place) -> str:
    if place.level == "town":
        return f"{place.kk} қаласында"
    if place.level == "province":
        return place.kk.replace("облысы", "облысында")
    return "Қазақстанда"


def d2s(d: date) -> str:
    return d.isoformat()


def period(start: date, end: date) -> str:
    return d2s(start) if start == end else f"{d2s(start)}..{d2s(end)}"


def day_text(d: date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


def slugify(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "x"


class Ids:
    """Ids unique across the ledger: a slug, shortened to fit, with -2, -3... on a clash."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def take(self, base: str) -> str:
        base = slugify(base)[:72].strip("-")
        if len(base) < 2:
            base = (base + "-x")[:2]
        n = self.used.get(base, 0)
        while True:
            n += 1
            candidate = base if n == 1 else f"{base}-{n}"
            if candidate not in self.used:
                self.used[base] = n
                self.used.setdefault(candidate, 1)
                return candidate


class Generator:
    def __init__(self, n: int, seed: int, list_people: int) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.ids = Ids()
        self.records: list[Rec] = []
        self.counts = self.plan(n)
        self.list_people = list_people
        self.orgs: list[Org] = []
        self.orgs_by_type: dict[str, list[Org]] = {}
        self.events: list[Event] = []
        self.people: list[Person] = []
        self.officials: list[Person] = []
        self.journalists: list[Person] = []
        self.documents: list[Source] = []
        self.sources: list[Source] = []
        self.claims_left = self.counts["claim"]
        # statements kept back for the figures over time (revisions, running totals, withdrawals), made as the
        # claims need them; what is left is made at the end like the others
        self.statements_left = self.counts["statement"] * 45 // 100
        self.org_by_id: dict[str, Org] = {}
        self.person_by_id: dict[str, Person] = {}
        self.spokespeople: dict[str, list[Person]] = {}  # official org -> its officials who have a title
        self.asserted_end: dict[str, date] = {}  # claim -> the last day it may have been asserted on
        self.official_sources: list[Source] = []  # statements and documents whose voice is official
        self.doc_recs: dict[str, Rec] = {}
        self.doc_retracts: dict[str, list[str]] = {}  # document -> the claims it withdraws (written at the end)
        self._official_orgs: list[Org] | None = None
        self._org_cache: dict[tuple[tuple[str, ...], str | None], tuple[list[Org], list[Org]]] = {}

    @staticmethod
    def plan(n: int) -> dict[str, int]:
        counts = {k: max(MINIMUM.get(k, 0), n * share // 1000) for k, share in SHARES.items() if k != "claim"}
        counts["claim"] = n - sum(counts.values())
        if counts["claim"] < 2:
            raise SystemExit(f"--records {n} is too small: use at least 30")
        return counts

    # ----------------------------------------------------------------------------------- helpers

    def pick(self, seq):  # type: ignore[no-untyped-def]
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def fill(self, template: str, **kw: object) -> str:
        return template.format(**kw)

    def sentences(self, bank: list[str], k: int, **kw: object) -> list[str]:
        k = min(k, len(bank))
        return [s.format(**kw) for s in self.rng.sample(bank, k)]

    def org_of(self, types: tuple[str, ...], place: Place | None = None) -> Org:
        """An org of one of `types`, most often one based in `place` or its province."""
        key = (types, place.id if place is not None else None)
        cached = self._org_cache.get(key)
        if cached is None:
            local: list[Org] = []
            anywhere: list[Org] = []
            for t in types:
                for o in self.orgs_by_type.get(t, []):
                    anywhere.append(o)
                    if place is not None and o.place in (place.id, place.within):
                        local.append(o)
            cached = self._org_cache[key] = (local, anywhere)
        local, anywhere = cached
        if local and self.chance(0.7):
            return self.pick(local)
        if anywhere:
            return self.pick(anywhere)
        return self.pick(self.orgs)

    def pronouns(self, female: bool) -> dict[str, str]:
        return ({"He": "She", "he": "she", "him": "her", "his": "her", "His": "Her"} if female
                else {"He": "He", "he": "he", "him": "him", "his": "his", "His": "His"})

    def emit(self, kind: str, rid: str, lines: list[str], group: str | None = None) -> None:
        rec = Rec(kind, rid, [f"kind: {kind}", f"id: {rid}", *lines], group)
        self.records.append(rec)
        if kind == "document":
            self.doc_recs[rid] = rec

    def tags_notes(self, tags: list[str], notes: str | None) -> list[str]:
        out = []
        if tags:
            out.append(f"tags: {flow_list(tags)}")
        if notes:
            out.extend(text_field("notes", notes))
        return out

    # ----------------------------------------------------------------------------------- orgs

    def gen_orgs(self) -> None:
        count = self.counts["org"]
        national = NATIONAL_ORGS[: max(4, min(len(NATIONAL_ORGS), count * 3 // 5))]
        candidates: list[tuple[str, str, str, str | None]] = [(t, i, nm, None) for t, i, nm in national]
        local: list[tuple[str, str, str, str | None]] = []
        for pid, plabel, *_ in PROVINCES:
            for t, i, nm in PROVINCE_ORGS:
                local.append((t, i.format(p=pid), nm.format(P=plabel), pid))
        for town in TOWNS:
            for t, i, nm in TOWN_ORGS:
                local.append((t, i.format(t=town.id), nm.format(T=town.label), town.id))
        self.rng.shuffle(local)
        candidates += local
        candidates += [(t, i, nm, None) for t, i, nm in NATIONAL_ORGS[len(national):]]
        k = 2
        while len(candidates) < count:
            for town in TOWNS:
                for t, i, nm in NUMBERED_ORGS:
                    candidates.append((t, i.format(t=town.id, k=k), nm.format(T=town.label, k=k), town.id))
            k += 1
        for otype, oid, name, place in candidates[:count]:
            rid = self.ids.take(oid)
            org = Org(rid, name, otype, place)
            self.orgs.append(org)
            self.org_by_id[rid] = org
            self.orgs_by_type.setdefault(otype, []).append(org)
            lines = [f"name: {scalar(name)}"]
            if self.chance(0.5):
                lines.append(f"aliases: {flow_list([cyrillic(name.split(' (')[0])])}")
            lines.append(f"type: {otype}")
            if self.chance(0.9):
                summary = ORG_SUMMARIES[otype]
                if place:
                    summary = f"{summary} Based in {PLACES[place].label}."
                if self.chance(0.5):
                    summary += " " + self.pick(["Cited in several of the testimonies.",
                                                "Its public statements are collected in this ledger.",
                                                "Contacted by the researchers; no reply was received."])
                lines += folded("summary", summary)
            lines += self.tags_notes([], "Added for the benchmark ledger." if self.chance(0.1) else None)
            self.emit("org", rid, lines)

    # ----------------------------------------------------------------------------------- events

    def gen_events(self) -> None:
        for _ in range(self.counts["event"]):
            etype = self.pick(EVENT_TYPES)
            town = self.pick(TOWNS)
            start = date(2008, 1, 1) + timedelta(days=self.rng.randint(0, 365 * 16))
            if etype[0] == "trial":
                end = start + timedelta(days=self.rng.randint(5, 60))
            else:
                end = start + timedelta(days=self.rng.choice([0, 0, 0, 1, 1, 2, 3, 5]))
            rid = self.ids.take(f"{etype[0]}-{town.id}-{d2s(start)}")
            ev = Event(rid, etype[0], town, start, end)
            self.events.append(ev)
            kw = {"town": town.label, "date": day_text(start)}
            summary = " ".join(s.format(**kw) for s in EVENT_SENTENCES[etype[0]])
            for extra in self.rng.sample(["The official account differs from what witnesses describe.",
                                          "The number of victims remains disputed.",
                                          "No independent investigation has been carried out.",
                                          "Journalists were kept out of the town for several days.",
                                          "Mobile internet was cut in the area during the events."],
                                         self.rng.randint(1, 3)):
                summary += " " + extra
            lines = [f"title: {scalar(etype[1].format(town=town.label))}", f"period: {period(start, end)}",
                     f"place: {town.id}"]
            lines += folded("summary", summary)
            lines += self.tags_notes(etype[4][:self.rng.randint(1, 2)],
                                     "Dates from the official account; witnesses give the same days."
                                     if self.chance(0.2) else None)
            self.emit("event", rid, lines)

    # ----------------------------------------------------------------------------------- people

    def person_name(self, female: bool) -> tuple[str, str]:
        first = self.pick(FIRST_F if female else FIRST_M)
        last = self.pick(SURNAMES)
        return first, feminine(last) if female else last

    def gen_person(self, category: str, event: Event | None, group: str | None = None) -> Person:
        female = self.chance(0.45)
        first, last = self.person_name(female)
        protected = category == "witness-protected" or (category == "victim" and self.chance(0.02))
        pr = self.pronouns(female)
        if category.startswith("witness"):
            roles = ["witness"] + self.rng.sample(["victim", "relative", "detainee", "worker", "journalist",
                                                   "medic", "activist"], self.rng.randint(0, 2))
        elif category == "official":
            roles = [self.pick(["official", "official", "police"])]
        else:
            roles = self.rng.choice([["victim"], ["detainee"], ["victim", "detainee"], ["detainee", "worker"]])
        if protected:
            label = f"{first} {last[0]}."
            rid = self.ids.take(f"{first}-{last[0]}")
            lines = [f"pseudonym: {scalar(label)}", "protected: true"]
        else:
            label = f"{first} {last}"
            rid = self.ids.take(label)
            lines = [f"name: {scalar(label)}"]
            if self.chance(0.7):
                aliases = [cyrillic(label)]
                alt = alt_spelling(label)
                if alt != label and self.chance(0.5):
                    aliases.append(alt)
                lines.append(f"aliases: {flow_list(aliases)}")
        lines.append(f"roles: {flow_list(roles)}")
        town = event.town if event is not None else self.pick(TOWNS)
        when = event.start if event is not None else date(2010, 1, 1)
        age = self.rng.randint(19, 64)
        killed = category == "victim" and event is not None and event.type in ("shooting", "disappearances") \
            and self.chance(0.25)
        if not protected and self.chance(0.5):
            lines.append(f"born: {when.year - age}")
        if killed:
            lines.append(f"died: {d2s(when + timedelta(days=self.rng.choice([0, 0, 1, 3])))}")
        affiliation: Org | None = None
        if category == "official":
            affiliation = self.org_of(("government", "police", "prosecutor", "court"), town)
        elif "journalist" in roles:
            affiliation = self.org_of(("media",), town)
        elif "medic" in roles:
            affiliation = self.org_of(("hospital",), town)
        elif "worker" in roles and self.chance(0.6):
            affiliation = self.org_of(("company",), town)
        elif "activist" in roles and self.chance(0.6):
            affiliation = self.org_of(("party", "ngo", "union"), town)
        if affiliation is not None:
            lines.append(f"affiliation: {affiliation.id}")
        title = None
        if category == "official" and self.chance(0.8):
            title = self.pick(TITLES.get(affiliation.type if affiliation else "government", TITLES["government"]))
            lines.append(f"title: {scalar(title)}")
        bank = ("killed" if killed else "official" if category == "official"
                else "witness" if category.startswith("witness") else roles[0])
        if self.chance(0.9):
            kw = dict(pr, town=town.label, date=day_text(when), age=age, d=self.rng.randint(2, 20),
                      Occupation=self.pick(OCCUPATIONS), org=affiliation.name if affiliation else "police")
            summary = self.pick(PERSON_SUMMARIES[bank]).format(**kw)
            for _ in range(self.rng.randint(1, 2) if category != "victim" else self.rng.choice([0, 1, 1, 2])):
                summary += " " + self.pick(["Interviewed by several organisations since.",
                                            "Has since left the country.",
                                            "Relatives confirm the account and have asked for an investigation.",
                                            "Asked that the place of work not be named.",
                                            "The family says the authorities have offered no explanation.",
                                            "Listed in the official account under a different spelling."])
            lines += text_field("summary", summary)
        tags = ["casualty-list"] if group else []
        notes = None
        if protected and self.chance(0.5):
            notes = "Identity known to the researchers; kept offline. Cite by pseudonym only."
        elif group and self.chance(0.3):
            notes = "Spelling as on the list; other spellings may appear in other sources."
        elif self.chance(0.2):
            notes = self.pick(["Age from the relatives; not confirmed by documents.",
                               "Identified from a photograph and the account of two neighbours.",
                               "Same person as in the media reports, where the name is spelled differently."])
        lines += self.tags_notes(tags, notes)
        self.emit("person", rid, lines, group)
        person = Person(rid, label, female, protected, roles, event, affiliation.id if affiliation else None, title)
        self.people.append(person)
        self.person_by_id[rid] = person
        if category == "official" and affiliation is not None and title is not None:
            self.spokespeople.setdefault(affiliation.id, []).append(person)
        return person

    def gen_people(self) -> None:
        total = self.counts["person"]
        officials = max(1, total * 6 // 100)
        witnesses = min(total - officials - 1, max(1, self.counts["testimony"] * 55 // 100))
        victims = total - officials - witnesses
        protected = min(witnesses, total // 10)
        for i in range(officials):
            self.officials.append(self.gen_person("official", None))
        events = self.events
        for i in range(witnesses):
            ev = events[i % len(events)]
            # spread the protected witnesses evenly over the witnesses
            category = "witness-protected" if (i * protected) // witnesses != ((i + 1) * protected) // witnesses \
                else "witness"
            p = self.gen_person(category, ev)
            ev.witnesses.append(p)
            if "journalist" in p.roles and not p.protected:
                self.journalists.append(p)
        # casualty lists first: people of one event, LIST_SIZE to a file
        listed = min(self.list_people, victims)
        made = 0
        while made < listed:
            ev = self.pick(events)
            size = min(LIST_SIZE, listed - made)
            group = self.ids.take(f"list-{ev.id}")
            for _ in range(size):
                self.gen_person("victim", ev, group)
            made += size
        for _ in range(victims - listed):
            self.gen_person("victim", self.pick(events))

    # ----------------------------------------------------------------------------------- sources

    def quotes(self, bank: list[tuple[str, ...]], k: int, lang: str) -> list[tuple[str, str | None, str]]:
        """k quotes: English `text`, and the `original` in Russian or Kazakh when the source spoke it."""
        out: list[tuple[str, str | None, str]] = []
        for item in self.rng.sample(bank, min(k, len(bank))):
            if lang == "en":
                out.append((item[0], None, "en"))
            elif lang == "kk" and len(item) > 2:
                out.append((item[0], item[2], "kk"))
            else:
                out.append((item[0], item[1], "ru"))
        return out

    def source_date(self, ev: Event, lo: int = 1, hi: int = 90) -> date:
        return ev.end + timedelta(days=self.rng.randint(lo, hi))

    def gen_documents(self) -> None:
        types = ["media-report", "media-report", "ngo-report", "ngo-report", "medical-record", "un-report",
                 "court-document", "list", "photo", "video", "other"]
        for _ in range(self.counts["document"]):
            ev = self.pick(self.events)
            dtype = self.pick(types)
            author_types = {"media-report": ("media",), "ngo-report": ("ngo",), "medical-record": ("hospital",),
                            "un-report": ("intergovernmental",), "court-document": ("court",),
                            "list": ("police", "ngo"), "photo": ("media", "ngo"), "video": ("media",),
                            "other": ("ngo", "media", "union")}[dtype]
            author: str | None
            if dtype in ("media-report", "photo", "video") and self.journalists and self.chance(0.3):
                author = self.pick(self.journalists).id
            else:
                author = self.org_of(author_types, ev.town).id if self.chance(0.9) else None
            when = self.source_date(ev, 1, 200)
            town = ev.town.label
            title = {
                "media-report": f"{self.pick(['Witnesses describe', 'Residents recount', 'What happened in'])} "
                                f"{town}: {self.pick(['the shooting', 'the detentions', 'the night of the unrest'])}",
                "ngo-report": f"{town}: {self.pick(['Excessive force and ill-treatment', 'Torture in custody', 'The events of ' + day_text(ev.start)])}",
                "medical-record": f"Admissions register of the {town} hospital, {day_text(ev.start)}",
                "un-report": f"Observations on the events in {town}",
                "court-document": f"Verdict in the case of the events in {town}",
                "list": f"List of detainees posted in {town} on {day_text(ev.end)}",
                "photo": f"Photographs of the square in {town}, {day_text(ev.start)}",
                "video": f"Video of the events in {town}, {day_text(ev.start)}",
                "other": f"Open letter on the events in {town}",
            }[dtype]
            rid = self.ids.take(f"{dtype}-{slugify(author or 'anon')[:24]}-{d2s(when)}")
            lang = "en" if dtype in ("ngo-report", "un-report") or self.chance(0.3) else "ru"
            lines = [f"type: {dtype}", f"title: {scalar(title)}"]
            if author:
                lines.append(f"author: {author}")
            dated, last, written = self.chance(0.9), None, None
            if dated and dtype in ("photo", "video", "list", "other") and self.chance(0.15):
                # only the year is known
                when, last, written = date(when.year, 1, 1), date(when.year, 12, 31), str(when.year)
            if dated:
                lines.append(f"date: {written or d2s(when)}")
            if self.chance(0.5):
                host = {"media-report": "https://www.azattyq.org/a/", "ngo-report": "https://www.hrw.org/report/",
                        "un-report": "https://www.ohchr.org/en/documents/"}.get(dtype, "https://example.org/docs/")
                lines.append(f"url: {host}{when.year}/{rid}")
            kw = {"town": town, "date": day_text(ev.start), "n": self.rng.randint(10, 400)}
            if self.chance(0.95):
                first = DOCUMENT_FIRST[dtype].format(**kw)
                rest = self.sentences(DOCUMENT_SENTENCES, self.rng.randint(1, 3), **kw)
                lines += folded("summary", " ".join([first, *rest]))
            lines += quote_lines(self.quotes(QUOTES_DOCUMENT, self.rng.choice([0, 1, 1, 2, 2, 3]), lang))
            lines += self.tags_notes(EVENT_TYPE[ev.type][4][:1] if self.chance(0.6) else [],
                                     "Copy kept by the researchers; the original is no longer online."
                                     if self.chance(0.25) else None)
            self.emit("document", rid, lines)
            voice, official = self.party_voice(author) if author else (f"document:{rid}", False)
            src = Source(rid, "document", when, lang, ev, voice=voice, official=official, last=last, written=written,
                         dated=dated, author=author)
            self.documents.append(src)
            ev.sources.append(src)
            self.sources.append(src)
            if official:
                self.official_sources.append(src)

    STATEMENT_MEDIA = ("press-release", "press-release", "speech", "interview", "letter", "report", "court-ruling",
                       "media-quote")

    def gen_statements(self) -> None:
        for _ in range(self.counts["statement"] - self.statements_left):
            self.generic_statement()

    def generic_statement(self) -> None:
        ev = self.pick(self.events)
        if self.officials and self.chance(0.25):
            issuer_id = self.pick(self.officials).id
            issuer_name = "official"
        else:
            org = self.org_of(("prosecutor", "government", "police", "court", "hospital", "company"), ev.town)
            issuer_id, issuer_name = org.id, org.name
        self.statement(ev, issuer_id, issuer_name, self.source_date(ev, 0, 60))

    def statement(self, ev: Event, issuer_id: str, issuer_name: str, when: date, last: date | None = None,
                  written: str | None = None, on_behalf_of: str | None = None, retracts: list[str] | None = None,
                  lead: str | None = None, medium: str | None = None) -> Source:
        """A statement about `ev`, dated `when` (or a month or year `written`, from `when` to `last`)."""
        rid = self.ids.take(f"{issuer_id}-{written or d2s(when)}")
        lang = self.pick(["ru", "ru", "kk", "en"])
        lines = [f"issuer: {issuer_id}"]
        if on_behalf_of:
            lines.append(f"on_behalf_of: {on_behalf_of}")
        lines += [f"date: {written or d2s(when)}", f"medium: {medium or self.pick(self.STATEMENT_MEDIA)}"]
        if self.chance(0.4):
            lines.append(f"url: https://www.gov.kz/memleket/entities/{on_behalf_of or issuer_id}/press/news/details/"
                         f"{self.rng.randint(100000, 999999)}?lang={lang}")
        if self.documents and self.chance(0.2):
            lines.append(f"reported_by: {self.pick(self.documents).id}")
        kw = {"issuer": issuer_name, "town": ev.town.label, "date": day_text(ev.start),
              "n": self.rng.randint(5, 300)}
        text = " ".join(self.sentences(STATEMENT_SENTENCES, self.rng.randint(2, 5), **kw))
        lines += folded("summary", f"{lead} {text}" if lead else text)
        lines += quote_lines(self.quotes(QUOTES_STATEMENT, self.rng.choice([0, 1, 1, 2, 2, 3]), lang))
        if retracts:
            lines.append(f"retracts: {flow_list(retracts)}")
        lines += self.tags_notes(["official-account"] if self.chance(0.5) else [],
                                 "Published on the issuer's website and removed a few weeks later."
                                 if self.chance(0.2) else None)
        self.emit("statement", rid, lines)
        voice, official = self.party_voice(on_behalf_of or issuer_id)
        src = Source(rid, "statement", when, lang, ev, voice=voice, official=official, last=last, written=written,
                     author=issuer_id)
        ev.sources.append(src)
        self.sources.append(src)
        if official:
            self.official_sources.append(src)
        return src

    def party_voice(self, ref: str) -> tuple[str, bool]:
        """The voice of an org or a person (record-format.md, "Voices"), and whether it is official."""
        org = self.org_by_id.get(ref)
        if org is not None:
            return f"org:{org.id}", org.type in OFFICIAL_TYPES
        person = self.person_by_id.get(ref)
        if person is not None and person.affiliation:
            return self.party_voice(person.affiliation)
        return f"person:{ref}", person is not None and bool({"official", "police"} & set(person.roles))

    def gen_testimonies(self) -> None:
        witnesses = [p for ev in self.events for p in ev.witnesses]
        self.events_by_town: dict[str, list[Event]] = {}
        for ev in self.events:
            self.events_by_town.setdefault(ev.town.id, []).append(ev)
        for i in range(self.counts["testimony"]):
            w = witnesses[i] if i < len(witnesses) else self.pick(witnesses)
            ev = w.event if w.event is not None and (i < len(witnesses) or self.chance(0.6)) else self.pick(self.events)
            when = self.source_date(ev, 1, 120)
            rid = self.ids.take(f"t-{d2s(when)}-{w.id}")
            mode = self.pick(["in-person", "in-person", "telephone", "written", "video", "media"])
            if w.protected:
                consent = self.pick(["anonymous", "anonymous", "confidential"])
            else:
                consent = self.rng.choices(["public", "anonymous", "confidential"], [6, 3, 1])[0]
            relation = self.pick(["eyewitness", "eyewitness", "victim", "relative", "professional", "hearsay"])
            lang = self.rng.choices(["ru", "kk", "en"], [6, 3, 1])[0]
            etype = EVENT_TYPE[ev.type]
            allegations = self.rng.sample(etype[3], self.rng.randint(1, min(3, len(etype[3]))))
            lines = [f"witness: {w.id}", f"date: {d2s(when)}", f"mode: {mode}", f"consent: {consent}",
                     f"relation: {relation}"]
            if mode == "media":
                lines.append(f"recorded_by: {self.org_of(('media',), ev.town).id}")
            elif self.journalists and self.chance(0.1):
                lines.append(f"recorded_by: {self.pick(self.journalists).id}")
            else:
                lines.append(f"recorded_by: {self.org_of(('ngo',), ev.town).id}")
            if self.chance(0.6):
                lines.append(f"place: {self.pick([ev.town.id, ev.town.id, ev.town.within or 'kazakhstan', 'almaty'])}")
            lines.append(f"language: {lang}")
            about = [ev.id]
            same_town = [e for e in self.events_by_town[ev.town.id] if e.id != ev.id]
            if same_town and self.chance(0.3):
                about.append(self.pick(same_town).id)
            lines.append(f"about: {flow_list(about)}")
            lines.append(f"allegations: {flow_list(allegations)}")
            pr = self.pronouns(w.female)
            kw = dict(pr, town=ev.town.label, date=day_text(ev.start), n=self.rng.randint(3, 60),
                      d=self.rng.randint(2, 15), mode={"in-person": "in person", "telephone": "by telephone",
                                                       "written": "in writing", "video": "by video call",
                                                       "media": "to a journalist"}[mode])
            parts = [self.pick(TESTIMONY_SENTENCES["open"])]
            for a in allegations:
                bank = TESTIMONY_SENTENCES[a]
                parts += self.rng.sample(bank, min(len(bank), self.rng.randint(1, 2)))
            parts += self.rng.sample(TESTIMONY_SENTENCES["close"], self.rng.randint(1, 3))
            summary = " ".join(p.format(**kw) for p in parts[:7])
            summary = summary[0].upper() + summary[1:]
            lines += folded("summary", summary)
            k = self.rng.choice([1, 2, 3, 3, 4]) if consent != "confidential" else self.rng.choice([0, 1, 2])
            lines += quote_lines(self.quotes(QUOTES_TESTIMONY, k, lang))
            notes = None
            if self.chance(0.5):
                notes = self.pick([
                    "Interview notes and recording kept offline.",
                    "Translated from the original by the researcher; the quotes were checked by a second "
                    "translator.",
                    "The witness was interviewed again later and confirmed the account.",
                    "Date of the account approximate: the interview took place over several days.",
                ])
            lines += self.tags_notes(etype[4][: self.rng.randint(0, 2)], notes)
            self.emit("testimony", rid, lines)
            src = Source(rid, "testimony", when, lang, ev, consent != "confidential", voice=f"witness:{w.id}",
                         author=w.id)
            ev.sources.append(src)
            self.sources.append(src)

    # ----------------------------------------------------------------------------------- claims

    def claim(self, src: Source, measure: str, value: Value, place: Place, start: date, end: date,
              population: str, quote: bool = True, sum_of: list[str] | None = None, note: str | None = None,
              ev: Event | None = None, asserted: bool = True, status: str | None = "random") -> str | None:
        """A claim; `asserted=False`: stated on its source's date (no `asserted` of its own); `status` "random" for
        the usual share of unverified and disputed figures."""
        if self.claims_left <= 0:
            return None
        self.claims_left -= 1
        suffix = place.id if place.level != "town" else ""
        rid = self.ids.take(f"c-{src.id}-{measure}{'-' + population if population != 'all' else ''}"
                            f"{'-' + suffix if suffix else ''}")
        m = MEASURE[measure]
        lines = [f"source: {src.id}", f"measure: {measure}", f"value: {value.yaml()}", "scope:",
                 f"  place: {place.id}", f"  period: {period(start, end)}"]
        if population != "all" or self.chance(0.5):
            lines.append(f"  population: {population}")
        if quote:
            lang = src.lang if src.lang in ("ru", "kk") else "en"
            num = value.words(lang)
            pop = POP_PHRASE[population][("en", "ru", "kk").index(lang)]
            if lang == "en":
                text = f"{num} {m[4]} in {place.label}{pop}"
                text = text[0].upper() + text[1:]
            elif lang == "ru":
                text = f"{ru_locative(place)} {num} {m[5]}{pop}"
            else:
                text = f"{kk_locative(place)} {num} {m[6]}{pop}"
            lines.append(f"quote: {q(text + '.')}")
        if sum_of:
            lines.append(f"sum_of: {flow_list(sum_of)}")
        said = src.end if src.dated else None
        if asserted and src.written is None and self.chance(0.12):
            said = src.date + timedelta(days=self.rng.randint(0, 30))
            lines.append(f"asserted: {d2s(said)}")
        if said is not None:
            self.asserted_end[rid] = said
        if status == "random":
            r = self.rng.random()
            status = "unverified" if r < 0.03 else "disputed" if r < 0.045 else None
        if status:
            lines.append(f"status: {status}")
        tags = EVENT_TYPE[ev.type][4][:1] if ev is not None and self.chance(0.7) else []
        if self.chance(0.05):
            tags = tags + [self.pick(TAGS_EXTRA)]
        if note is None and self.chance(0.9):
            note = self.pick(CLAIM_NOTES).format(he=self.pick(["he", "she"]))
            if self.chance(0.8):
                note += " " + self.pick(["Checked against the source twice.",
                                         "The source's wording is ambiguous about the dates.",
                                         "See the testimonies about the same night for context.",
                                         "Not a full count: only the cases the source describes.",
                                         "The source repeated the figure in later statements without change.",
                                         "Another source for the same days gives a different figure."])
                if self.chance(0.4):
                    note += " " + self.pick(["Figure to be checked against the hospital registers.",
                                             "The researchers asked the source for its method; no answer yet.",
                                             "The same figure appears in the media reports of the following week."])
        lines += self.tags_notes(tags, note)
        self.emit("claim", rid, lines)
        return rid

    def distinct_sources(self, ev: Event, k: int) -> list[Source]:
        pool = list(ev.sources)
        self.rng.shuffle(pool)
        seen = {s.id for s in pool}
        while len(pool) < k:
            s = self.pick(self.sources)
            if s.id not in seen:
                seen.add(s.id)
                pool.append(s)
        return pool[:k]

    def true_count(self, measure: str, place: Place) -> int:
        lo, hi = MEASURE[measure][3]
        x = int(math.exp(self.rng.uniform(math.log(lo), math.log(hi + 1))))
        if place.level == "province":
            x = int(x * self.rng.uniform(1.0, 1.8))
        elif place.level == "country":
            x = int(x * self.rng.uniform(1.2, 2.5))
        return max(1, x)

    def scope_place(self, ev: Event) -> Place:
        r = self.rng.random()
        if r < 0.75:
            return ev.town
        if r < 0.92 and ev.town.within:
            return PLACES[ev.town.within]
        return PLACES["kazakhstan"]

    def population(self) -> str:
        return self.rng.choices([p[0] for p in POPULATIONS], [50, 18, 8, 6, 6, 4, 2, 3, 3])[0]

    def gen_claims(self) -> None:
        # claims per cluster: agree 2-4, conflict 2-3, gap/exceeds/nested 2, breakdown 2-3, sum 3-5, single 1,
        # voices 4-8, revisions 3-5, running 3-5, withdrawn 1-2, correction 1, stock 3-6
        kinds = ["agree", "conflict", "gap", "exceeds", "nested", "breakdown", "sum", "single",
                 "voices", "revisions", "running", "withdrawn", "correction", "stock"]
        weights = [14, 8, 6, 6, 5, 5, 10, 9, 8, 4, 2, 3, 3, 3]
        order = list(self.events)
        while self.claims_left > 0:
            self.rng.shuffle(order)
            for ev in order:
                if self.claims_left <= 0:
                    break
                kind = self.rng.choices(kinds, weights)[0]
                getattr(self, f"cluster_{kind}")(ev)

    def cluster_single(self, ev: Event) -> None:
        m = self.pick(EVENT_TYPE[ev.type][2])
        place = self.scope_place(ev)
        src = self.pick(ev.sources) if ev.sources else self.pick(self.sources)
        self.claim(src, m, value_around(self.rng, self.true_count(m, place)), place, ev.start, ev.end,
                   self.population(), quote=self.chance(0.75), ev=ev)

    def cluster_agree(self, ev: Event) -> None:
        m = self.pick(EVENT_TYPE[ev.type][2])
        place, pop = self.scope_place(ev), self.population()
        x = self.true_count(m, place)
        k = self.rng.randint(2, 4)
        for i, src in enumerate(self.distinct_sources(ev, k)):
            end = ev.end if i == 0 or self.chance(0.7) else ev.end + timedelta(days=self.rng.randint(1, 4))
            self.claim(src, m, value_around(self.rng, x), place, ev.start, end, pop,
                       quote=self.chance(0.75), ev=ev)

    def cluster_conflict(self, ev: Event) -> None:
        m = self.pick(EVENT_TYPE[ev.type][2])
        place, pop = self.scope_place(ev), self.population()
        x = self.true_count(m, place)
        srcs = self.distinct_sources(ev, self.rng.randint(2, 3))
        first = value_around(self.rng, x)
        self.claim(srcs[0], m, first, place, ev.start, ev.end, pop, quote=self.chance(0.8), ev=ev)
        for src in srcs[1:]:
            self.claim(src, m, value_apart(self.rng, first), place, ev.start, ev.end, pop,
                       quote=self.chance(0.8), ev=ev)

    def cluster_gap(self, ev: Event) -> None:
        m = self.pick(EVENT_TYPE[ev.type][2])
        place, pop = self.scope_place(ev), self.population()
        x = self.true_count(m, place)
        a, b = self.distinct_sources(ev, 2)
        first = value_around(self.rng, x)
        self.claim(a, m, first, place, ev.start, ev.end, pop, quote=self.chance(0.8), ev=ev)
        later = ev.end + timedelta(days=self.rng.randint(1, 10))
        self.claim(b, m, value_apart(self.rng, first, direction="up" if first.interval[1] is not None else None),
                   place, ev.start, later, pop, quote=self.chance(0.8), ev=ev)

    def narrower(self, m: str, pop: str, place: Place) -> tuple[str, str, Place]:
        """A scope that lies within (m, pop, place) in one or more of its three dimensions."""
        while True:
            nm, npop, nplace = m, pop, place
            if CHILDREN.get(m) and self.chance(0.5):
                nm = self.pick(CHILDREN[m])
            if self.chance(0.5):
                kids = [p[0] for p in POPULATIONS if p[2] == pop]
                if kids:
                    npop = self.pick(kids)
            if place.level != "town" and self.chance(0.5):
                kids_p = [p for p in PLACES.values() if p.within == place.id]
                nplace = self.pick(kids_p)
            if (nm, npop, nplace.id) != (m, pop, place.id):
                return nm, npop, nplace
            if not CHILDREN.get(m) and pop not in ("all", "civilians") and place.level == "town":
                return m, pop, place  # nothing narrower: the caller gets the same scope (a plain comparison)

    def cluster_nested(self, ev: Event, exceed: bool = False) -> None:
        parents = [m for m in EVENT_TYPE[ev.type][2] if m in CHILDREN] or ["detained"]
        m = self.pick(parents)
        place = ev.town if self.chance(0.5) else PLACES[ev.town.within or "kazakhstan"]
        pop = "all" if self.chance(0.7) else "civilians"
        nm, npop, nplace = self.narrower(m, pop, place)
        x = self.true_count(m, place)
        a, b = self.distinct_sources(ev, 2)
        broad = value_around(self.rng, x, bounded=True)
        self.claim(a, m, broad, place, ev.start, ev.end, pop, quote=self.chance(0.8), ev=ev)
        if exceed:
            narrow = value_apart(self.rng, broad, (1.05, 1.6), direction="up")
        else:
            narrow = value_around(self.rng, max(0, int(broad.interval[0] * self.rng.uniform(0.2, 0.8))))
        end = ev.end if self.chance(0.7) else ev.start
        self.claim(b, nm, narrow, nplace, ev.start, end, npop, quote=self.chance(0.8), ev=ev)

    def cluster_exceeds(self, ev: Event) -> None:
        self.cluster_nested(ev, exceed=True)

    def cluster_breakdown(self, ev: Event) -> None:
        m = self.pick(EVENT_TYPE[ev.type][2])
        place = self.scope_place(ev)
        src = self.pick(ev.sources) if ev.sources else self.pick(self.sources)
        x = self.true_count(m, place)
        for pop in self.rng.sample(["civilians", "police", "women", "oil-workers", "minors"], self.rng.randint(2, 3)):
            share = 1.0 if pop == "civilians" else self.rng.choice([0.0, 0.05, 0.2, 0.4])
            self.claim(src, m, value_around(self.rng, int(x * share)), place, ev.start, ev.end, pop,
                       quote=self.chance(0.75), ev=ev)

    def cluster_sum(self, ev: Event) -> None:
        if self.claims_left < 3:
            return self.cluster_single(ev)
        m = self.pick(EVENT_TYPE[ev.type][2])
        province = PLACES[ev.town.within] if ev.town.within and ev.town.within != "kazakhstan" else None
        towns = [p for p in TOWNS if province is not None and p.within == province.id]
        split = self.pick(["population", "place", "period"])
        if split == "place" and len(towns) < 2:
            split = "population"
        if split == "period" and ev.start == ev.end:
            split = "population"
        # the parts' scopes and the total's
        total_scope = (ev.town, "all", ev.start, ev.end)
        if split == "population":
            parts = [(ev.town, "civilians", ev.start, ev.end), (ev.town, "police", ev.start, ev.end)]
        elif split == "place":
            assert province is not None
            chosen = self.rng.sample(towns, min(len(towns), self.rng.randint(2, 4), self.claims_left - 1))
            parts = [(t, "all", ev.start, ev.end) for t in chosen]
            total_scope = (province, "all", ev.start, ev.end)
        else:
            days = (ev.end - ev.start).days + 1
            cut = ev.start + timedelta(days=self.rng.randint(0, days - 2))
            parts = [(ev.town, "all", ev.start, cut), (ev.town, "all", cut + timedelta(days=1), ev.end)]
        parts = parts[: self.claims_left - 1]
        analyst = self.chance(0.6)
        one_source = (not analyst) or self.chance(0.5)
        srcs = self.distinct_sources(ev, len(parts) + 1)
        total_src = srcs[0]
        ids: list[str] = []
        values: list[Value] = []
        for i, (place, pop, start, end) in enumerate(parts):
            x = self.true_count(m, place) if pop != "police" else self.rng.randint(0, 12)
            forms = ["exact", "exact", "range", "approx", "minmax", "ge", "lt"] if analyst else ["exact"]
            v = value_around(self.rng, x, forms)
            src = total_src if one_source else srcs[i + 1]
            rid = self.claim(src, m, v, place, start, end, pop, quote=self.chance(0.75), ev=ev)
            if rid is None:
                return
            ids.append(rid)
            values.append(v)
        interval = values[0].interval
        for v in values[1:]:
            interval = add(interval, v.interval)
        lo, hi = interval
        place, pop, start, end = total_scope
        if analyst:
            if hi == lo:
                total = Value("exact", lo)
            elif hi is None:
                total = self.pick([Value("ge", lo), Value("plus", lo), Value("minmax", lo, None)])
            else:
                total = self.pick([Value("range", lo, hi), Value("minmax", lo, hi)])
            self.claim(total_src, m, total, place, start, end, pop, quote=False, sum_of=ids, ev=ev,
                       note="Analyst's total: the parts added up in this ledger; the source gives no total.")
        else:
            assert hi == lo  # quoted parts are exact
            if self.chance(0.7):
                total = Value("exact", lo)
                note = "The source gives both the parts and the total."
            else:
                total = Value("exact", lo + self.rng.randint(3, 40))
                note = "The source's own total does not match the parts it gives."
            self.claim(total_src, m, total, place, start, end, pop, quote=True, sum_of=ids, ev=ev, note=note)
        return None


    # ----------------------------------------------------------------------------------- figures over time

    def official_org(self, ev: Event, place: Place | None = None) -> Org:
        """An official body, most often one based in the event's town or province (a national one for a count of
        the whole country), most often one with spokespeople."""
        if self._official_orgs is None:
            self._official_orgs = [o for o in self.orgs if o.type in OFFICIAL_TYPES] or list(self.orgs)
        every = self._official_orgs
        if place is not None and place.level == "country":
            local = [o for o in every if o.place is None]
        else:
            local = [o for o in every if o.place in (ev.town.id, ev.town.within)]
        pool = local if local and (self.chance(0.5) or place is not None) else every
        speaking = [o for o in pool if o.id in self.spokespeople]
        return self.pick(speaking if speaking and self.chance(0.85) else pool)

    def speaker(self, org: Org, used: set[str]) -> tuple[str, str, str | None]:
        """Who speaks for `org` in one statement: one of its officials with a title (their voice is the org's by
        affiliation), an official with `on_behalf_of: org`, or the org itself. Issuers not yet `used` first."""
        people = self.spokespeople.get(org.id, [])
        fresh = [p for p in people if p.id not in used]
        r = self.rng.random()
        if fresh and r < 0.45:
            p = self.pick(fresh)
            return p.id, (p.title or "official").lower(), None
        if r < 0.75 and self.officials:
            titled = [p for p in self.officials if p.title and p.id not in used] or fresh
            if titled:
                p = self.pick(titled)
                return p.id, (p.title or "official").lower(), org.id
        return org.id, org.name, None

    def chain_dates(self, after: date, k: int, gap: tuple[int, int]) -> list[tuple[date, date | None, str | None]]:
        """k dates after `after`, `gap` days apart; some written as a month only, when that month holds neither
        the date before nor the date after (so the order of the figures stays certain)."""
        days = []
        d = after
        for _ in range(k):
            d = d + timedelta(days=self.rng.randint(*gap))
            days.append(d)
        out: list[tuple[date, date | None, str | None]] = []
        prev_end = after
        for i, d in enumerate(days):
            first = d.replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            nxt = days[i + 1] if i + 1 < k else None
            if self.chance(0.3) and prev_end < first and (nxt is None or nxt > last):
                out.append((first, last, f"{d.year:04d}-{d.month:02d}"))
                prev_end = last
            else:
                out.append((d, None, None))
                prev_end = d
        return out

    def big(self, x: int, sep: str | None = None) -> Value:
        """An exact count, its digits grouped in threes as most sources print them when it is large."""
        if sep is None:
            sep = self.rng.choice([",", ",", ",", " ", ""])
        return Value("exact", x, None, sep if x >= 1000 else "")

    def cluster_revisions(self, ev: Event) -> None:
        """An official body revises its own figure for one scope: 3-5 statements, months apart, through its
        spokespeople; up, or sometimes down; once in a while a figure withdrawn as a technical error."""
        k = self.rng.randint(3, 5)
        if self.statements_left < k or self.claims_left < k:
            return self.cluster_agree(ev)
        org = self.official_org(ev)
        m = self.pick(EVENT_TYPE[ev.type][2])
        place, pop = self.scope_place(ev), self.population()
        x = self.true_count(m, place) * (self.rng.choice([1, 1, 1, 10, 30]) if place.level != "town" else 1)
        up = self.chance(0.75)
        values = [x]
        for _ in range(k - 1):
            if self.chance(0.15):
                values.append(values[-1])  # the same figure again: no revision
            elif up:
                values.append(values[-1] + max(1, int(values[-1] * self.rng.uniform(0.02, 0.35))))
            else:
                values.append(max(0, values[-1] - max(1, int(values[-1] * self.rng.uniform(0.03, 0.3)))))
        withdraw = self.rng.randint(1, k - 1) if self.chance(0.3) else None  # this link withdraws the one before
        if withdraw is not None:
            values[withdraw - 1] = values[withdraw - 1] * self.rng.randint(2, 4) + self.rng.randint(1, 9)
        dates = self.chain_dates(ev.end, k, (7, 75))
        sep = self.rng.choice([",", ",", " ", ""])
        used: set[str] = set()
        prev: str | None = None
        for i, ((when, last, written), x_i) in enumerate(zip(dates, values)):
            issuer, name, behalf = self.speaker(org, used)
            used.add(issuer)
            retracts = [prev] if i == withdraw and prev is not None else None
            lead = None
            if retracts:
                before, _, month = dates[i - 1]
                lead = (f"The {org.name} said that the figure it had published "
                        f"{'in ' + before.strftime('%B %Y') if month else 'on ' + day_text(before)} "
                        "was a technical error.")
            elif i:
                lead = f"The {org.name} gave an updated figure."
            src = self.statement(ev, issuer, name, when, last, written, behalf, retracts, lead)
            self.statements_left -= 1
            r = self.rng.random()
            v = self.big(x_i, sep) if r < 0.8 or x_i < 10 else (
                Value("approx", round_nice(x_i), None, sep) if r < 0.9 else Value("ge", x_i, None, sep))
            prev = self.claim(src, m, v, place, ev.start, ev.end, pop, quote=self.chance(0.8), ev=ev, asserted=False,
                              status=None)
        return None

    def cluster_running(self, ev: Event) -> None:
        """An official body's running total: the same count from the same first day, the period growing with each
        statement and the figure with it (in thousands, grouped: 4,404, "~6,000"); now and then a total that fell."""
        k = self.rng.randint(3, 5)
        if self.statements_left < k or self.claims_left < k:
            return self.cluster_agree(ev)
        m = self.pick(RUNNING_MEASURES)
        r = self.rng.random()
        place = ev.town if r < 0.3 else PLACES[ev.town.within] if r < 0.6 and ev.town.within else PLACES["kazakhstan"]
        org = self.official_org(ev, place)
        x = self.rng.randint(300, 3000) if place.level != "town" else self.rng.randint(100, 1500)
        sep = self.rng.choice([",", ",", ",", " "])
        fell = self.rng.randint(1, k - 1) if self.chance(0.1) else None
        end, said = ev.end, ev.end
        used: set[str] = set()
        for i in range(k):
            if i:
                end = end + timedelta(days=self.rng.randint(1, 6))
                grown = x + max(1, int(x * self.rng.uniform(0.1, 0.7)))
                x = int(x * self.rng.uniform(0.6, 0.9)) if i == fell else grown
            said = max(said + timedelta(days=1), end + timedelta(days=self.rng.randint(0, 2)))
            issuer, name, behalf = self.speaker(org, used)
            used.add(issuer)
            src = self.statement(ev, issuer, name, said, on_behalf_of=behalf,
                                 lead=f"The {org.name} gave the total since {day_text(ev.start)}.")
            self.statements_left -= 1
            r = self.rng.random()
            if r < 0.6 or x < 1000:
                v = self.big(x, sep)
            elif r < 0.8:
                v = Value("approx", round(x / 100.0) * 100, None, sep)
            else:
                v = Value(self.pick(["gt", "ge", "plus"]), int(x // 100) * 100, None, sep)
            self.claim(src, m, v, place, ev.start, end, "all", quote=self.chance(0.85), ev=ev, asserted=False,
                       status=None)
        return None

    def cluster_withdrawn(self, ev: Event) -> None:
        """An official figure withdrawn days later as a technical error, most often with the corrected figure."""
        if self.statements_left < 2 or self.claims_left < 2:
            return self.cluster_single(ev)
        org = self.official_org(ev)
        m = self.pick(EVENT_TYPE[ev.type][2])
        place, pop = self.scope_place(ev), self.population()
        x = self.true_count(m, place)
        first = ev.end + timedelta(days=self.rng.randint(0, 5))
        used: set[str] = set()
        issuer, name, behalf = self.speaker(org, used)
        used.add(issuer)
        s1 = self.statement(ev, issuer, name, first, on_behalf_of=behalf)
        wrong = self.big(x * self.rng.randint(2, 5) + self.rng.randint(1, 20))
        a = self.claim(s1, m, wrong, place, ev.start, ev.end, pop, quote=True, ev=ev, asserted=False, status=None)
        issuer, name, behalf = self.speaker(org, used)
        s2 = self.statement(ev, issuer, name, first + timedelta(days=self.rng.randint(1, 4)), on_behalf_of=behalf,
                            retracts=[a] if a else None,
                            lead=f"The {org.name} said the figure published on {day_text(first)} was a technical "
                                 "error.")
        self.statements_left -= 2
        if self.chance(0.7):
            self.claim(s2, m, self.big(x), place, ev.start, ev.end, pop, quote=self.chance(0.8), ev=ev,
                       asserted=False)
        return None

    def cluster_correction(self, ev: Event) -> None:
        """A figure in a report that the same author withdraws in a later one (a correction)."""
        docs = [s for s in ev.sources if s.kind == "document" and s.dated and s.written is None and s.author]
        if not docs:
            return self.cluster_single(ev)
        src = self.pick(docs)
        m = self.pick(EVENT_TYPE[ev.type][2])
        place, pop = self.scope_place(ev), self.population()
        rid = self.claim(src, m, value_around(self.rng, self.true_count(m, place)), place, ev.start, ev.end, pop,
                         quote=self.chance(0.8), ev=ev, status=self.pick([None, "unverified"]))
        if rid is None:
            return None
        said = self.asserted_end[rid]
        later = [d for d in self.documents
                 if d.author == src.author and d.dated and d.written is None and d.date > said]
        if later:
            self.doc_retracts.setdefault(min(later, key=lambda d: (d.date, d.id)).id, []).append(rid)
        return None

    def voice_sources(self, ev: Event, k: int, officials: int) -> list[Source]:
        """Up to k sources of k different voices, `officials` of them official, the event's own first."""
        pool = list(ev.sources)
        self.rng.shuffle(pool)
        chosen: list[Source] = []
        voices: set[str] = set()

        def take(src: Source) -> None:
            if src.voice not in voices:
                voices.add(src.voice)
                chosen.append(src)

        for src in pool:
            if src.official and sum(c.official for c in chosen) < officials:
                take(src)
        for _ in range(40):
            if sum(c.official for c in chosen) >= officials or not self.official_sources:
                break
            take(self.pick(self.official_sources))
        for src in pool:
            if len(chosen) >= k:
                break
            if not src.official:
                take(src)
        for _ in range(200):
            if len(chosen) >= k:
                break
            src = self.pick(self.sources)
            if not src.official:
                take(src)
        return chosen[:k]

    def cluster_voices(self, ev: Event) -> None:
        """Many voices, one scope: 4-8 orgs, witnesses and documents, official and not, each with its own figure
        for the same measure, place, period and population (officials often lower, others around or above)."""
        k = min(self.rng.randint(4, 8), self.claims_left)
        if k < 4:
            return self.cluster_agree(ev)
        m = self.pick(EVENT_TYPE[ev.type][2])
        place, pop = self.scope_place(ev), self.population()
        x = self.true_count(m, place)
        for src in self.voice_sources(ev, k, self.rng.randint(1, 3)):
            if src.official:
                y = max(0, int(x * self.rng.uniform(0.35, 1.0)))
            else:
                y = int(x * self.rng.choice([1.0, 1.0, self.rng.uniform(0.8, 1.3), self.rng.uniform(1.3, 3.0)]))
            status = "random" if src.official or self.chance(0.85) else self.pick(["unverified", "disputed"])
            self.claim(src, m, value_around(self.rng, y), place, ev.start, ev.end, pop, quote=self.chance(0.75),
                       ev=ev, status=status)
        return None

    def cluster_stock(self, ev: Event) -> None:
        """People held in custody (or in hospital in a serious condition) on a date: 2-4 voices on one day, and an
        official body's figures for later days (each day its own count: compared on the same date only)."""
        m = STOCK_OF_EVENT.get(ev.type, "in-custody")
        place = ev.town if self.chance(0.7) or not ev.town.within else PLACES[ev.town.within]
        pop = "all" if self.chance(0.8) else "civilians"
        x = self.true_count(m, place)
        day = ev.start + timedelta(days=self.rng.randint(0, (ev.end - ev.start).days + 3))
        srcs = self.voice_sources(ev, min(self.rng.randint(2, 4), self.claims_left), 1)
        for src in srcs:
            y = max(0, int(x * self.rng.uniform(0.5, 1.0))) if src.official else int(x * self.rng.uniform(0.9, 2.0))
            self.claim(src, m, value_around(self.rng, y), place, day, day, pop, quote=self.chance(0.75), ev=ev)
        official = next((s for s in srcs if s.official), None)
        if official is not None:
            later = day
            for _ in range(self.rng.randint(1, 2)):  # fewer held as the days pass
                later = later + timedelta(days=self.rng.randint(2, 10))
                x = max(0, int(x * self.rng.uniform(0.4, 0.9)))
                self.claim(official, m, self.big(x), place, later, later, pop, quote=self.chance(0.6), ev=ev)
        return None

    # ----------------------------------------------------------------------------------- all

    def run(self) -> list[Rec]:
        self.gen_orgs()
        self.gen_events()
        self.gen_people()
        self.gen_documents()
        self.gen_statements()
        self.gen_testimonies()
        self.gen_claims()
        while self.statements_left > 0:  # the statements the figures over time did not use
            self.statements_left -= 1
            self.generic_statement()
        for doc, claims in self.doc_retracts.items():
            rec = self.doc_recs[doc]
            at = next((i for i, line in enumerate(rec.lines) if line.startswith(("tags:", "notes:"))), len(rec.lines))
            rec.lines.insert(at, f"retracts: {flow_list(claims)}")
        assert len(self.records) == self.n, (len(self.records), self.n)
        return self.records


def ledger_yaml(n: int, seed: int) -> str:
    out = [
        "# A synthetic ledger generated by bench/generate.py for the benchmark: realistic in shape and size,",
        "# invented in content. Every name, figure and quote below and under records/ is made up.",
        f"# records: {n}, seed: {seed}",
        "ledger: 1",
        f"title: {q(f'Synthetic ledger: protests, detentions and trials in Kazakhstan, 2008-2024 (seed {seed})')}",
        "",
        "places:",
    ]
    width = max(len(p) for p in PLACES) + 1
    for p in PLACES.values():
        within = f", within: {p.within}" if p.within else ""
        out.append(f"  {(p.id + ':').ljust(width)} {{label: {p.label}{within}}}")
    out += ["", "populations:"]
    width = max(len(p[0]) for p in POPULATIONS) + 1
    for pid, label, within in POPULATIONS:
        w = f", within: {within}" if within else ""
        out.append(f"  {(pid + ':').ljust(width)} {{label: {scalar(label, flow=True)}{w}}}")
    out += ["", "measures:"]
    width = max(len(m[0]) for m in MEASURES) + 1
    for m in MEASURES:
        w = f", within: {m[2]}" if m[2] else ""
        if m[0] in STOCK:
            w += ", counts: stock"
        out.append(f"  {(m[0] + ':').ljust(width)} {{label: {scalar(m[1], flow=True)}{w}}}")
    out += ["", "allegations:"] + [f"  - {a}" for a in ALLEGATIONS]
    out += ["", "figures:", "  approx: 0.1", ""]
    return "\n".join(out)


def layout(records: list[Rec], per_file: int) -> dict[str, list[Rec]]:
    """File path (relative to the ledger root) -> the records it holds, in order."""
    files: dict[str, list[Rec]] = {}
    if per_file == 1:
        for r in records:
            name = r.group or r.id
            files.setdefault(f"records/{PLURALS[r.kind]}/{name}.yaml", []).append(r)
        return files
    by_kind: dict[str, list[Rec]] = {}
    for r in records:
        by_kind.setdefault(r.kind, []).append(r)
    for kind, recs in by_kind.items():
        for i in range(0, len(recs), per_file):
            files[f"records/{PLURALS[kind]}/{PLURALS[kind]}-{i // per_file + 1:05d}.yaml"] = recs[i:i + per_file]
    return files


def render(recs: list[Rec]) -> str:
    head = f"# yaml-language-server: $schema=../../schemas/{recs[0].kind}.schema.json\n"
    return head + "---\n".join("\n".join(r.lines) + "\n" for r in recs)


def generate(out: Path, n: int, per_file: int = 1, seed: int = 1, strict: bool = False) -> dict[str, int]:
    list_people = 0 if (strict or per_file != 1) else int(round(n * LIST_SHARE))
    gen = Generator(n, seed, list_people)
    records = gen.run()
    files = layout(records, per_file)
    params = {"generator": GENERATOR_VERSION, "records": n, "per_file": per_file, "seed": seed,
              "strict_one_per_file": strict}
    marker = out / MARKER
    if out.exists() and any(out.iterdir()) and not marker.exists():
        raise SystemExit(f"{out} is not empty and was not made by this generator; refusing to overwrite it")
    for stale in ("records", ".ledger"):
        if (out / stale).exists():
            shutil.rmtree(out / stale)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ledger.yaml").write_text(ledger_yaml(n, seed), encoding="utf-8", newline="\n")
    folders = sorted({str(Path(p).parent) for p in files})
    for folder in folders:
        (out / folder).mkdir(parents=True, exist_ok=True)
    total_bytes = 0
    for path, recs in files.items():
        text = render(recs)
        data = text.encode("utf-8")
        total_bytes += len(data)
        (out / path).write_bytes(data)
    marker.write_text(json.dumps(params, sort_keys=True) + "\n", encoding="utf-8")
    by_kind: dict[str, int] = {}
    for r in records:
        by_kind[r.kind] = by_kind.get(r.kind, 0) + 1
    return {"records": len(records), "files": len(files), "bytes": total_bytes, **by_kind}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="output folder (created; a previous output of this generator is replaced)")
    ap.add_argument("--records", "-n", type=int, required=True, help="number of records")
    ap.add_argument("--per-file", type=int, default=1, help="records per file (default 1)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--strict-one-per-file", action="store_true",
                    help="with --per-file 1, put every record in its own file (no casualty-list files)")
    ap.add_argument("--quiet", "-q", action="store_true")
    args = ap.parse_args(argv)
    if args.per_file < 1:
        ap.error("--per-file must be at least 1")
    stats = generate(args.out, args.records, args.per_file, args.seed, args.strict_one_per_file)
    if not args.quiet:
        kinds = ", ".join(f"{stats[k]} {PLURALS[k]}" for k in PLURALS if k in stats)
        print(f"{args.out}: {stats['records']} records in {stats['files']} files, {stats['bytes']:,} bytes "
              f"({stats['bytes'] / stats['records']:.0f} per record): {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
