"""Names as Central Java has them: Javanese, Islamic and Christian given names, single names
common among the elderly (often still in the old spelling), and mothers' maiden names.

Faker's ``id_ID`` lists supply the broad Indonesian pool; the tables here add what it lacks
(Javanese elderly single names, old-spelling forms, Islamic prefixes). Sampling is vectorised
over a whole chunk with numpy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from faker.providers.person.id_ID import Provider as FakerId

JAVANESE_MALE = ["SLAMET", "BUDI", "AGUS", "JOKO", "BAMBANG", "SUGENG", "SUTRISNO", "WAHYU", "EKO", "DWI",
                 "TRI", "BAYU", "HADI", "SUPRIYADI", "SUYANTO", "SUKIRNO", "PURWANTO", "HERU", "TEGUH",
                 "WIDODO", "SETYO", "BAGUS", "DANANG", "GALIH", "ARIF", "YUDI", "SURYO", "PRIYO"]
JAVANESE_FEMALE = ["SRI", "TUTIK", "ENDANG", "WATI", "SUMARNI", "SUPARTI", "RATNA", "DEWI", "YULI", "NINGSIH",
                   "WULAN", "SEKAR", "LARAS", "TITIK", "WIWIK", "RINI", "ANI", "TRI", "DWI", "PUJI"]
ELDERLY_MALE = ["WAGIMAN", "KASMIN", "PAIJO", "SAKIMAN", "TUKIMAN", "PAIMAN", "KARTO", "SOEPARMAN", "DJOKO",
                "TJIPTO", "SOEMARNO", "KROMO", "SASTRO", "DARMO", "SOEKIRNO", "SOEDARMO", "NGADIMAN"]
ELDERLY_FEMALE = ["SUKARMI", "PAINEM", "TUKIYEM", "NGATINI", "SARMINI", "PAINAH", "SOEKARTI", "MARSINAH",
                  "SAINEM", "KASIYEM", "TOEMINAH", "SOETARMI", "NGATIYEM", "SOEPIYAH", "WAKINEM"]
ISLAMIC_MALE_PREFIX = ["MUHAMMAD", "MUHAMMAD", "AHMAD", "ABDUL", "MOCHAMMAD"]
ISLAMIC_MALE = ["RIZKI", "FAUZI", "HIDAYAT", "SYAIFUL", "KHOIRUL", "ZAINAL", "ARIFIN", "HASAN", "YUSUF",
                "IBRAHIM", "ROHMAN", "NURDIN", "KHOLIL", "FAJAR", "ILHAM"]
ISLAMIC_FEMALE_PREFIX = ["SITI", "SITI", "NUR", "SRI"]
ISLAMIC_FEMALE = ["AMINAH", "FATIMAH", "KHOTIJAH", "ZAHRA", "AISYAH", "MUSLIMAH", "ROHMAH", "KHASANAH",
                  "JUBAEDAH", "MARYAM", "HALIMAH", "SALAMAH", "NUR AINI", "ZULAIKHA"]
CHRISTIAN_MALE = ["YOHANES", "PAULUS", "STEFANUS", "FRANSISKUS", "PETRUS", "YOSEF", "ANTONIUS", "MARKUS",
                  "ANDREAS", "BENEDIKTUS"]
CHRISTIAN_FEMALE = ["MARIA", "FRANSISKA", "AGUSTINA", "THERESIA", "MAGDALENA", "KATARINA", "VERONIKA",
                    "CHRISTINA", "ELISABETH", "YOHANA"]
JAVANESE_SECOND = ["SANTOSO", "WIBOWO", "SETIAWAN", "SUSANTO", "PRASETYO", "NUGROHO", "KURNIAWAN", "PURNOMO",
                   "SAPUTRA", "HARYANTO", "SETIYAWAN", "WIDODO", "RAHARJO", "SUSILO", "HARTONO", "PRABOWO"]
JAVANESE_SECOND_F = ["RAHAYU", "LESTARI", "WATI", "HANDAYANI", "SURYANI", "WAHYUNI", "PURWANTI", "SUSANTI",
                     "ASTUTI", "WULANDARI", "NINGRUM", "KURNIASIH", "RAHMAWATI", "HIDAYATI", "UTAMI"]


def _upper(names: tuple[str, ...] | list[str]) -> list[str]:
    return sorted({n.upper() for n in names})


# Faker's id_ID lists are national (Batak surnames, Western given names): they make up the
# long tail, while the Javanese and Islamic tables above carry most of the weight.
LOCAL_SHARE = 0.7
MALE_GIVEN = (np.array(sorted(set(JAVANESE_MALE + ISLAMIC_MALE))), np.array(_upper(FakerId.first_names_male)))
FEMALE_GIVEN = (np.array(sorted(set(JAVANESE_FEMALE + ISLAMIC_FEMALE))), np.array(_upper(FakerId.first_names_female)))
MALE_SECOND = (np.array(JAVANESE_SECOND), np.array(_upper(FakerId.last_names_male)))
FEMALE_SECOND = (np.array(JAVANESE_SECOND_F), np.array(_upper(FakerId.last_names_female)))

Table = list[str] | np.ndarray | tuple[np.ndarray, np.ndarray]


def _pick(rng: np.random.Generator, table: Table, n: int) -> np.ndarray:
    if isinstance(table, tuple):
        local, national = table
        return np.where(rng.random(n) < LOCAL_SHARE, _pick(rng, local, n), _pick(rng, national, n))
    arr = np.asarray(table)
    return arr[rng.integers(0, len(arr), n)]


def generate_names(rng: np.random.Generator, female: np.ndarray, birth_year: np.ndarray,
                   christian: np.ndarray) -> np.ndarray:
    """One full name per person, upper case as the offices write them."""
    n = len(female)
    given = np.where(female, _pick(rng, FEMALE_GIVEN, n), _pick(rng, MALE_GIVEN, n))
    second = np.where(female, _pick(rng, FEMALE_SECOND, n), _pick(rng, MALE_SECOND, n))
    third = np.where(female, _pick(rng, FEMALE_GIVEN, n), _pick(rng, MALE_GIVEN, n))
    elderly = np.where(female, _pick(rng, ELDERLY_FEMALE, n), _pick(rng, ELDERLY_MALE, n))
    islamic_prefix = np.where(female, _pick(rng, ISLAMIC_FEMALE_PREFIX, n), _pick(rng, ISLAMIC_MALE_PREFIX, n))
    christian_given = np.where(female, _pick(rng, CHRISTIAN_FEMALE, n), _pick(rng, CHRISTIAN_MALE, n))

    u = rng.random(n)
    tokens = rng.random(n)
    old = birth_year < 1960
    space = np.full(n, " ", dtype=object)
    given, second, third = given.astype(object), second.astype(object), third.astype(object)
    choice = np.select(
        [old & (u < 0.6), christian, (u < 0.85) & (tokens < 0.3), (tokens < 0.55) & (birth_year < 1975), tokens < 0.85],
        [0, 1, 2, 3, 4], 5,
    )
    # Only the chosen form is assembled for each person (object-array adds run in C).
    out = np.empty(n, dtype=object)
    forms: dict[int, Callable[[np.ndarray], np.ndarray]] = {
        0: lambda m: elderly[m].astype(object),  # a single name, the norm for Javanese born before independence
        1: lambda m: christian_given[m].astype(object) + space[m] + second[m],
        2: lambda m: islamic_prefix[m].astype(object) + space[m] + given[m],
        3: lambda m: given[m],
        4: lambda m: given[m] + space[m] + second[m],
        5: lambda m: given[m] + space[m] + third[m] + space[m] + second[m],
    }
    for form, build in forms.items():
        mask = choice == form
        out[mask] = build(mask)
    return out


def random_female_names(rng: np.random.Generator, birth_year: np.ndarray) -> np.ndarray:
    """Names for women not otherwise in the population (mothers of heads and spouses)."""
    n = len(birth_year)
    return generate_names(rng, np.ones(n, dtype=bool), birth_year, np.zeros(n, dtype=bool))


def random_male_given(rng: np.random.Generator, n: int) -> np.ndarray:
    return _pick(rng, MALE_GIVEN, n)
