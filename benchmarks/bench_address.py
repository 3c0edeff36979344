"""Address matching: accuracy on a generated messy-address test set, throughput, and a baseline.

The standard addresses are the self-made deterministic 保定 set (jiaoguan.geo.address.sample:
about 6,700 door plates, buildings, units and rooms on 51 roads in 9 counties, 34 landmarks); the
messy addresses come from jiaoguan.geo.address.testset with their gold records. Both take any list
of standard-address records, so the synthetic city's can replace them.

Reported beside the matcher, in the same run: an exact-substring baseline (the input ends with a
record's road + number + building... text, as a plain lookup would find it), and the batch API end
to end (HTTP, JSON, database-backed matcher) on SQLite.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient
from rich.progress import Progress

from jiaoguan.geo.address.divisions import GENERIC_NAMES, alias_rows, load_divisions, source_rows
from jiaoguan.geo.address.matcher import AddressInputError, AddressMatcher
from jiaoguan.geo.address.sample import SampleAddress, sample_city
from jiaoguan.geo.address.service import load_sample_addresses
from jiaoguan.geo.address.testset import NOISE_KINDS, MessyCase, messy_cases

NAME = "address"
ALSO_INTO = "city"  # the issue reports these figures in city.json
CASES = 4000
SEED = 2026
API_BATCH = 2000


def _baseline(
    addresses: list[SampleAddress], cases: list[MessyCase]
) -> tuple[list[SampleAddress | None], float]:
    """Exact-substring lookup: the longest record tail (road onwards) the input ends with."""
    tails: dict[str, SampleAddress] = {}
    for a in addresses:
        tail = "".join(
            p for p in (a.road, a.house_number, a.estate, a.building, a.unit_no, a.room) if p
        )
        tails.setdefault(tail, a)
    started = time.perf_counter()
    found: list[SampleAddress | None] = []
    for case in cases:
        text = "".join(case.text.split())
        hit = next((tails[text[i:]] for i in range(len(text)) if text[i:] in tails), None)
        found.append(hit)
    return found, len(cases) / (time.perf_counter() - started)


def _api_rate(texts: list[str]) -> float:
    """Addresses per second through POST /api/v1/address-match/batch on a seeded SQLite."""
    from jiaoguan.app import create_app
    from jiaoguan.config import Settings
    from jiaoguan.demo import seed_everything
    from jiaoguan.platform import migrate
    from jiaoguan.platform.db import Database

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(url)
        database = Database(url)
        with database.transaction() as session:
            seed_everything(session, "bench-Password-2026")
        with database.transaction() as session:
            from sqlalchemy import delete

            from jiaoguan.geo.address.models import Landmark, StandardAddress

            # The demo seed holds the small set; the benchmark wants the full one.
            session.execute(delete(Landmark))
            session.execute(delete(StandardAddress))
            load_divisions(session)
            load_sample_addresses(session)
        database.dispose()
        settings = Settings(
            database_url=url,
            secret_key="bench-secret",
            data_dir=Path(folder),
            workorder_check_seconds=0,
            log_level="WARNING",
        )
        app = create_app(settings)
        with TestClient(app, base_url="https://testserver") as client:
            token = client.post(
                "/api/v1/auth/token",
                json={"username": "admin", "password": "bench-Password-2026"},
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            client.post("/api/v1/address-match", json={"text": "预热"}, headers=headers)
            started = time.perf_counter()
            response = client.post(
                "/api/v1/address-match/batch", json={"texts": texts}, headers=headers
            )
            elapsed = time.perf_counter() - started
            response.raise_for_status()
    return len(texts) / elapsed


def run(progress: Progress) -> dict[str, float]:
    task = progress.add_task("地址匹配", total=4)
    started = time.perf_counter()
    city = sample_city()
    matcher = AddressMatcher(
        source_rows(), alias_rows(), city.addresses, city.landmarks, generic_names=GENERIC_NAMES
    )
    build_seconds = time.perf_counter() - started
    cases = messy_cases(city.addresses, city.landmarks, count=CASES, seed=SEED)
    progress.advance(task)

    texts = [c.text for c in cases]
    matcher.match_many(texts[:200])  # warm caches
    started = time.perf_counter()
    results = matcher.match_many(texts)
    rate = len(texts) / (time.perf_counter() - started)
    progress.advance(task)

    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    record = district = ranked = ambiguous = 0
    for case, result in zip(cases, results, strict=True):
        total[case.kind] += 1
        if isinstance(result, AddressInputError):
            continue
        best = result.best
        if best is not None and best.address_id == case.gold_address_id:
            record += 1
            right[case.kind] += 1
        district += best is not None and best.county_code == case.gold_county_code
        ranked += (
            bool(result.candidates) and result.candidates[0].address_id == case.gold_address_id
        )
        ambiguous += bool(result.ambiguous)

    found, baseline_rate = _baseline(city.addresses, cases)
    base_record = sum(
        1 for c, f in zip(cases, found, strict=True) if f is not None and f.id == c.gold_address_id
    )
    base_district = sum(
        1
        for c, f in zip(cases, found, strict=True)
        if f is not None and f.county_code == c.gold_county_code
    )
    progress.advance(task)

    api_rate = _api_rate(texts[:API_BATCH])
    progress.advance(task)

    n = len(cases)
    figures: dict[str, float] = {
        "address_top1_accuracy": round(record / n, 4),
        "address_district_accuracy": round(district / n, 4),
        "address_top1_ranked_accuracy": round(ranked / n, 4),
        "address_ambiguous_share": round(ambiguous / n, 4),
        "address_per_s": round(rate, 1),
        "address_api_batch_per_s": round(api_rate, 1),
        "address_baseline_top1_accuracy": round(base_record / n, 4),
        "address_baseline_district_accuracy": round(base_district / n, 4),
        "address_baseline_per_s": round(baseline_rate, 1),
        "address_records": float(len(city.addresses)),
        "address_landmarks": float(len(city.landmarks)),
        "address_cases": float(n),
        "address_matcher_build_seconds": round(build_seconds, 3),
    }
    for kind in NOISE_KINDS:
        if total[kind]:
            figures[f"address_top1_{kind}"] = round(right[kind] / total[kind], 4)
    return figures
