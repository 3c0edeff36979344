"""People (drivers) and vehicles of the synthetic city, generated in fixed-size chunks.

A small global plan (a few bytes per person and per vehicle: area code, birth day, sex, sequence,
vehicle category, plate index) guarantees uniqueness across chunks; each chunk then builds its
strings and dates with its own random stream, so the rows are the same however they are consumed
(all at once for a test city, chunk by chunk into Parquet for 3 million vehicles).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from jiaoguan.sim import codes
from jiaoguan.sim.names import (
    BRANDS_COACH,
    BRANDS_HEAVY,
    BRANDS_ICE,
    BRANDS_NEV,
    GIVEN,
    SURNAMES,
    VEHICLE_COLORS,
)

CHUNK = 250_000
PLATE_PREFIX = "冀F"  # 冀 = Hebei, F = 保定's issuing authority
# County codes (GB/T 2260) of the residents: the two city districts dominate.
REGIONS = np.array(
    [130602, 130606, 130607, 130608, 130609, 130626, 130628, 130681, 130683, 130684],
    dtype=np.int64,
)
REGION_SHARE = np.array([0.36, 0.36, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03, 0.02, 0.02])
LICENCE_CLASSES = {"C1": 75, "C2": 12, "B2": 4, "A2": 2, "A1": 1.5, "B1": 1, "D": 4, "A3": 0.5}


# Vehicle categories of the plan. Each one fixes plate shape, class, use and the kind of owner.
@dataclass(frozen=True)
class Category:
    code: str
    plate_kind: str  # ordinary | nev_small | nev_large
    plate_class: str  # GA 24.7 号牌种类
    plate_color: str  # canonical colour (standards.md §1.13)
    vehicle_class: str  # GA/T 16.4 车辆类型
    use: str  # 使用性质
    owner: str  # person | company kind
    key_kind: str | None  # 两客一危 and 渣土车
    scrap_years: int | None  # mandatory scrapping age; None for private cars
    brands: Mapping[str, float]


CATEGORIES: tuple[Category, ...] = (
    Category("car", "ordinary", "02", "BLUE", "K33", "非营运", "person", None, None, BRANDS_ICE),
    Category("suv", "ordinary", "02", "BLUE", "K31", "非营运", "person", None, None, BRANDS_ICE),
    Category("nev", "nev_small", "52", "GREEN", "K33", "非营运", "person", None, None, BRANDS_NEV),
    Category("van", "ordinary", "02", "BLUE", "H31", "货运", "person", None, None, BRANDS_ICE),
    Category("fleet", "ordinary", "02", "BLUE", "K33", "非营运", "general", None, None, BRANDS_ICE),
    Category("coach", "ordinary", "01", "YELLOW", "K11", "公路客运", "coach", "coach", 15,
             BRANDS_COACH),
    Category("tourist", "ordinary", "01", "YELLOW", "K11", "旅游客运", "tourist", "tourist", 15,
             BRANDS_COACH),
    Category("hazmat", "ordinary", "01", "YELLOW", "H14", "危化品运输", "hazmat", "hazmat", 10,
             BRANDS_HEAVY),
    Category("muck", "ordinary", "01", "YELLOW", "H17", "货运", "muck", "muck", 15, BRANDS_HEAVY),
    Category("bus", "nev_large", "51", "YELLOW_GREEN", "K11", "公交客运", "bus", None, 8,
             BRANDS_COACH),
)  # fmt: skip
CATEGORY_INDEX = {c.code: i for i, c in enumerate(CATEGORIES)}


def category_shares(vehicles: int) -> npt.NDArray[np.float64]:
    """Shares of each category; key vehicles keep a floor so a small city still has some."""
    key = min(0.05, max(0.006, 60 / max(vehicles, 1)))
    shares = {
        "car": 0.0, "suv": 0.24, "nev": 0.10, "van": 0.04, "fleet": 0.03,
        "coach": key * 0.25, "tourist": key * 0.2, "hazmat": key * 0.2, "muck": key * 0.35,
        "bus": min(0.01, max(0.002, 10 / max(vehicles, 1))),
    }  # fmt: skip
    shares["car"] = 1.0 - sum(shares.values())
    return np.array([shares[c.code] for c in CATEGORIES])


@dataclass
class PopulationPlan:
    """Global per-row facts that must be consistent across chunks."""

    seed: int
    as_of: dt.date
    # people
    region: npt.NDArray[np.int64]
    birth: npt.NDArray[np.datetime64]
    male: npt.NDArray[np.bool_]
    seq: npt.NDArray[np.int64]
    surname: npt.NDArray[np.int64]
    given1: npt.NDArray[np.int64]
    given2: npt.NDArray[np.int64]  # -1: a one-character given name
    # vehicles
    category: npt.NDArray[np.int64]
    plate_index: npt.NDArray[np.int64]  # index into the category's plate space, unique per kind
    # owners by company kind: arrays of company row numbers
    companies: pl.DataFrame

    @property
    def people(self) -> int:
        return len(self.region)

    @property
    def vehicles(self) -> int:
        return len(self.category)


def _weights(values: Mapping[str, float]) -> tuple[list[str], npt.NDArray[np.float64]]:
    names = list(values)
    w = np.array([values[n] for n in names], dtype=np.float64)
    return names, w / w.sum()


def plan_population(
    seed: int, vehicles: int, companies: pl.DataFrame, as_of: dt.date
) -> PopulationPlan:
    rng = np.random.default_rng([seed, 7001])
    people = max(10, round(vehicles * 0.8))
    region = REGIONS[rng.choice(len(REGIONS), people, p=REGION_SHARE)]
    age = rng.normal(42, 12, people)
    # Out-of-range ages are redrawn uniformly: clipping would pile thousands onto one birthday.
    outside = (age < 18.1) | (age > 80)
    age[outside] = rng.uniform(18.1, 80, int(outside.sum()))
    age_days = age * 365.25
    birth = np.datetime64(as_of, "D") - age_days.astype(np.int64)
    male = rng.random(people) < 0.62
    seq = _sequences(region, birth, male)
    surname_w = 1 / np.arange(1, len(SURNAMES) + 1) ** 0.9
    surname = rng.choice(len(SURNAMES), people, p=surname_w / surname_w.sum())
    given1 = rng.integers(0, len(GIVEN), people)
    given2 = np.where(rng.random(people) < 0.7, rng.integers(0, len(GIVEN), people), -1)

    category = rng.choice(len(CATEGORIES), vehicles, p=category_shares(vehicles))
    plate_index = np.empty(vehicles, dtype=np.int64)
    spaces = {
        "ordinary": codes.ORDINARY_SPACE,
        "nev_small": codes.NEV_SMALL_SPACE,
        "nev_large": 200_000,
    }
    for kind, space in spaces.items():
        rows = np.flatnonzero(
            np.isin(category, [i for i, c in enumerate(CATEGORIES) if c.plate_kind == kind])
        )
        if len(rows) > space:
            raise ValueError(f"号牌空间不足：{kind} 需要 {len(rows)}，最多 {space}")
        plate_index[rows] = rng.choice(space, len(rows), replace=False)
    return PopulationPlan(
        seed, as_of, region, birth, male, seq, surname, given1, given2, category, plate_index,
        companies,
    )  # fmt: skip


def _sequences(
    region: npt.NDArray[np.int64], birth: npt.NDArray[np.datetime64], male: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Sequence codes unique within (area, birth day, sex): odd for men, even for women."""
    key = (region * 100_000 + birth.astype(np.int64) + 40_000) * 2 + male
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - group_start
    if rank.max(initial=0) >= 499:
        raise ValueError("同日出生人数超出顺序码容量")
    return rank * 2 + np.where(male, 1, 2)


def id_numbers_of(plan: PopulationPlan, rows: npt.NDArray[np.int64]) -> pl.Series:
    raw = codes.id_numbers(plan.region[rows], plan.birth[rows], plan.seq[rows])
    return pl.Series("id_number", raw).cast(pl.String)


def names_of(plan: PopulationPlan, rows: npt.NDArray[np.int64]) -> pl.Series:
    surnames = pl.Series(list(SURNAMES))
    given = pl.Series(list(GIVEN))
    g2 = plan.given2[rows]
    frame = pl.DataFrame(
        {
            "s": surnames.gather(plan.surname[rows]),
            "g1": given.gather(plan.given1[rows]),
            "g2": given.gather(np.where(g2 < 0, 0, g2)),
            "two": g2 >= 0,
        }
    )
    return frame.select(
        pl.concat_str(
            "s", "g1", pl.when(pl.col("two")).then(pl.col("g2")).otherwise(pl.lit(""))
        ).alias("name")
    )["name"]


def _chunk_rng(plan: PopulationPlan, stream: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng([plan.seed, stream, chunk])


def _pick(rng: np.random.Generator, table: Mapping[str, float], size: int) -> pl.Series:
    names, w = _weights(table)
    return pl.Series(names).gather(rng.choice(len(names), size, p=w))


def driver_chunks(plan: PopulationPlan, addresses: int) -> Iterator[pl.DataFrame]:
    for chunk, start in enumerate(range(0, plan.people, CHUNK)):
        rows = np.arange(start, min(start + CHUNK, plan.people))
        yield _drivers(plan, rows, _chunk_rng(plan, 11, chunk), addresses)


def _drivers(
    plan: PopulationPlan, rows: npt.NDArray[np.int64], rng: np.random.Generator, addresses: int
) -> pl.DataFrame:
    n = len(rows)
    as_of = np.datetime64(plan.as_of, "D")
    birth = plan.birth[rows]
    adult = birth + np.int64(round(18 * 365.25))
    issued = adult + (rng.random(n) * (as_of - adult).astype(np.int64)).astype(np.int64)
    # Valid until: renewals every 6 or 10 years; about 2% have let the licence expire.
    expires = as_of + rng.integers(1, 3650, n)
    expired = rng.random(n) < 0.02
    expires = np.where(expired, as_of - rng.integers(1, 400, n), expires)
    points = np.where(rng.random(n) < 0.8, 0, rng.integers(1, 13, n))
    return pl.DataFrame(
        {
            "person_id": rows,
            "id_number": id_numbers_of(plan, rows),
            "name": names_of(plan, rows),
            "sex": np.where(plan.male[rows], "男", "女"),
            "birth_date": birth,
            "licence_class": _pick(rng, LICENCE_CLASSES, n),
            "first_issued_on": issued,
            "valid_until": expires,
            "points": points.astype(np.int16),
            "address_id": rng.integers(0, addresses, n),
        }
    )


def vehicle_chunks(plan: PopulationPlan) -> Iterator[pl.DataFrame]:
    for chunk, start in enumerate(range(0, plan.vehicles, CHUNK)):
        rows = np.arange(start, min(start + CHUNK, plan.vehicles))
        yield _vehicles(plan, rows, _chunk_rng(plan, 13, chunk))


def _plates(plan: PopulationPlan, rows: npt.NDArray[np.int64]) -> pl.Series:
    cat = plan.category[rows]
    index = plan.plate_index[rows]
    serial = np.empty(len(rows), dtype="S6")
    decoders = {
        "ordinary": codes.ordinary_serials,
        "nev_small": codes.nev_small_serials,
        "nev_large": codes.nev_large_serials,
    }
    for kind, decode in decoders.items():
        mask = np.isin(cat, [i for i, c in enumerate(CATEGORIES) if c.plate_kind == kind])
        if mask.any():
            serial[mask] = decode(index[mask])
    return (PLATE_PREFIX + pl.Series("plate_no", serial).cast(pl.String)).alias("plate_no")


def _vehicles(
    plan: PopulationPlan, rows: npt.NDArray[np.int64], rng: np.random.Generator
) -> pl.DataFrame:
    n = len(rows)
    as_of = np.datetime64(plan.as_of, "D")
    cat = plan.category[rows]
    attr = pl.DataFrame(
        {
            "category": [c.code for c in CATEGORIES],
            "plate_class": [c.plate_class for c in CATEGORIES],
            "plate_color": [c.plate_color for c in CATEGORIES],
            "vehicle_class": [c.vehicle_class for c in CATEGORIES],
            "use": [c.use for c in CATEGORIES],
            "owner_kind": [c.owner for c in CATEGORIES],
            "key_kind": [c.key_kind for c in CATEGORIES],
        }
    )[cat]
    # Age in years: private cars skew young, NEVs are at most a few years old.
    age = np.clip(rng.gamma(2.0, 3.0, n), 0.05, 25)
    age = np.where(cat == CATEGORY_INDEX["nev"], rng.uniform(0.05, 6, n), age)
    commercial_limit = np.array([c.scrap_years or 0 for c in CATEGORIES])[cat]
    commercial = commercial_limit > 0
    age = np.where(
        commercial, 0.1 + rng.random(n) * np.maximum(commercial_limit * 0.95 - 0.1, 0), age
    )
    # Planted: ~4% of commercial vehicles run past their scrapping age (逾期未报废).
    past_scrap = commercial & (rng.random(n) < 0.04)
    age = np.where(past_scrap, commercial_limit + rng.uniform(0.05, 2.0, n), age)
    registered = as_of - (age * 365.25).astype(np.int64)
    scrapping_due = registered + (commercial_limit * 365.25).astype(np.int64)
    inspection_due = _next_inspection(registered, commercial, as_of)
    # Planted: ~3% of vehicles older than two years skipped their last inspection (逾期未检验).
    overdue = (age > 2) & (rng.random(n) < 0.03)
    inspection_due = np.where(overdue, as_of - rng.integers(1, 700, n), inspection_due)
    status = np.where(rng.random(n) < 0.004, "seized", "normal")
    brand = _brands(rng, cat)
    owners = _owners(plan, rng, cat)
    frame = pl.DataFrame(
        {
            "vehicle_id": rows,
            "plate_no": _plates(plan, rows),
        }
    ).hstack(attr)
    return (
        frame.hstack(
            pl.DataFrame(
                {
                    "brand": brand,
                    "vehicle_color": _pick(rng, VEHICLE_COLORS, n),
                    "registered_on": registered,
                    "inspection_due": inspection_due,
                    "scrapping_due": scrapping_due,
                    "commercial": commercial,
                    "status": status,
                }
            )
        )
        .hstack(owners)
        .with_columns(
            # Private cars have no mandatory scrapping age.
            scrapping_due=pl.when("commercial").then("scrapping_due")
        )
        .drop("commercial")
    )


def _next_inspection(
    registered: npt.NDArray[np.datetime64], commercial: npt.NDArray[np.bool_], as_of: np.datetime64
) -> npt.NDArray[np.datetime64]:
    """Next due date on or after `as_of`: private cars are exempt for their first six years,
    then due on each anniversary; commercial vehicles every year from registration."""
    first = np.where(commercial, registered + 365, registered + round(6 * 365.25))
    age_past_first = (as_of - first).astype(np.int64)
    years = np.where(age_past_first > 0, np.ceil(age_past_first / 365.25), 0)
    return first + (years * 365.25).astype(np.int64)


def _brands(rng: np.random.Generator, cat: npt.NDArray[np.int64]) -> pl.Series:
    out = np.empty(len(cat), dtype=object)
    for i, c in enumerate(CATEGORIES):
        mask = cat == i
        if mask.any():
            names, w = _weights(c.brands)
            out[mask] = np.array(names, dtype=object)[rng.choice(len(names), int(mask.sum()), p=w)]
    return pl.Series("brand", out, dtype=pl.String)


def _owners(
    plan: PopulationPlan, rng: np.random.Generator, cat: npt.NDArray[np.int64]
) -> pl.DataFrame:
    n = len(cat)
    person = rng.integers(0, plan.people, n)
    owner_kind = np.array([c.owner for c in CATEGORIES])[cat]
    company_row = np.full(n, -1, dtype=np.int64)
    kinds = plan.companies["kind"].to_numpy()
    for kind in np.unique(owner_kind):
        if kind == "person":
            continue
        pool = np.flatnonzero(kinds == kind)
        mask = owner_kind == kind
        company_row[mask] = pool[rng.integers(0, len(pool), int(mask.sum()))]
    is_company = company_row >= 0
    frame = pl.DataFrame(
        {
            "pid": id_numbers_of(plan, person),
            "pname": names_of(plan, person),
            "ccode": plan.companies["credit_code"].gather(np.where(is_company, company_row, 0)),
            "cname": plan.companies["name"].gather(np.where(is_company, company_row, 0)),
            "company": is_company,
        }
    )
    return frame.select(
        owner_id_number=pl.when(~pl.col("company")).then("pid"),
        owner_credit_code=pl.when("company").then("ccode"),
        owner_name=pl.when("company").then("cname").otherwise("pname"),
    )
