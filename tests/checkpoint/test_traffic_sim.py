"""The simulated checkpoint traffic: deterministic, physically consistent for honest vehicles,
with the planted cases where the truth says they are."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from jiaoguan.checkpoint.traffic_sim import (
    CheckpointBatch,
    TrafficConfig,
    TrafficSim,
    _sequential_starts,
    checkpoint_sites,
    impossible_pairs,
)
from jiaoguan.registry.validators import normalise_plate
from jiaoguan.sim.batch import BatchOutput, no_progress
from jiaoguan.sim.city import City, generate_city

# Planted rates raised so that a 1,000-vehicle city shows every case in a day or two.
RICH = TrafficConfig(clone_share=0.02, wanted_share=0.01, truck_violation_share=0.5)


@pytest.fixture(scope="module")
def city() -> City:
    return generate_city(3, "test")


@pytest.fixture(scope="module")
def sim(city: City) -> TrafficSim:
    return TrafficSim(city, seed=5, config=RICH)


def test_sites_are_stable_and_well_formed(city: City) -> None:
    sites = checkpoint_sites(city)
    assert sites == checkpoint_sites(city)
    assert len({s.code for s in sites}) == len(sites) >= 4
    assert all(len(s.code) == 20 and s.code.isdigit() for s in sites)
    assert any(s.central for s in sites)  # a restricted zone exists even in a small city
    assert all(s.name.endswith("卡口") for s in sites)


def test_day_is_deterministic(sim: TrafficSim, city: City) -> None:
    again = TrafficSim(city, seed=5, config=RICH).day(1)
    day = sim.day(1)
    assert day.passes.equals(again.passes)
    assert day.truth.equals(again.truth)
    assert not day.passes.equals(sim.day(2).passes)


def test_pass_columns(sim: TrafficSim) -> None:
    passes = sim.day(0).passes
    assert passes["record_id"].n_unique() == passes.height > 1_000
    assert passes["record_id"].str.len_chars().max() == 48
    codes = {s.code for s in sim.sites}
    assert set(passes["tollgate_code"].unique()) <= codes
    assert str(passes["passed_at"].dtype.time_zone) == "UTC"
    assert passes["passed_at"].is_sorted()
    assert set(passes["plate_colour"].unique()) <= {"1", "2", "5", "6", "9", "99"}


def test_honest_vehicles_never_travel_impossibly(sim: TrafficSim) -> None:
    """Consecutive passes of one vehicle are at least as far apart as the free-flow drive."""
    travel = sim.travel.frame()
    for index in range(2):
        day = sim.day(index)
        legs = (
            day.passes.join(day.truth, on="record_id")
            .sort("vehicle_id", "passed_at")
            .with_columns(
                prev_code=pl.col("tollgate_code").shift().over("vehicle_id"),
                prev_at=pl.col("passed_at").shift().over("vehicle_id"),
            )
            .filter(
                pl.col("prev_code").is_not_null() & (pl.col("prev_code") != pl.col("tollgate_code"))
            )
            .join(travel, left_on=["prev_code", "tollgate_code"], right_on=["from_code", "to_code"])
        )
        assert legs.height > 100
        gap = (legs["passed_at"] - legs["prev_at"]).dt.total_seconds()
        assert (gap >= legs["free_flow_s"]).all()


def test_planted_clones_drive_with_the_registered_plate(sim: TrafficSim) -> None:
    clones = sim.clones
    assert clones.height == round(sim.registry.height * RICH.clone_share)
    registered = set(sim.registry["plate_no"])
    assert set(clones["plate"]) <= registered
    truth = pl.concat([sim.day(i).truth for i in range(3)])
    by_clone = truth.filter("clone")
    assert set(by_clone["true_plate"]) <= set(clones["plate"])
    assert set(by_clone["vehicle_id"]) <= set(clones["clone_vehicle_id"])
    differ = clones.filter("features_differ")
    assert (
        (differ["clone_vehicle_color"] != differ["vehicle_color"])
        | (differ["clone_brand"] != differ["brand"])
    ).all()


def test_clones_show_impossible_travel_and_honest_plates_do_not(sim: TrafficSim) -> None:
    days = [sim.day(i) for i in range(3)]
    passes = pl.concat([d.passes for d in days])
    truth = pl.concat([d.truth for d in days])
    pairs = impossible_pairs(passes, truth, sim.travel.frame())
    assert pairs.height > 0
    assert set(pairs["true_plate"]) <= set(sim.clones["plate"])


def test_noise_is_what_the_truth_says(sim: TrafficSim) -> None:
    day = sim.day(0)
    frame = day.passes.join(day.truth, on="record_id")
    clean = frame.filter(pl.col("noise").is_in(["", "feature"]))
    assert (clean["plate_raw"] == clean["true_plate"]).all()
    misread = frame.filter(pl.col("noise").is_in(["char", "province"]))
    assert misread.height > 0
    changed = misread.filter(pl.col("plate_raw") != pl.col("true_plate"))
    # A misread differs from the truth in exactly one character.
    for raw, true in changed.select("plate_raw", "true_plate").iter_rows():
        assert len(raw) == len(true)
        assert sum(a != b for a, b in zip(raw, true, strict=True)) == 1
    unread = frame.filter(pl.col("noise") == "unreadable")
    assert unread.height > 0
    assert all(normalise_plate(p) == "" for p in unread["plate_raw"])
    rate = misread.height / frame.height
    assert 0.01 < rate < 0.05


def test_restriction_violations_are_trucks_in_the_zone_in_banned_hours(sim: TrafficSim) -> None:
    rule = sim.rule
    central = {s.code for s in sim.sites if s.central}
    frames = [sim.day(i) for i in range(3)]
    frame = pl.concat([d.passes.join(d.truth, on="record_id") for d in frames])
    hour = frame["passed_at"].dt.convert_time_zone("Asia/Shanghai").dt.hour()
    expected = (
        frame["vehicle_class"].str.contains(r"^[HQZ]")
        & frame["tollgate_code"].is_in(list(central))
        & (hour >= rule.start_hour)
        & (hour < rule.end_hour)
    )
    assert (frame["violation"] == expected).all()
    assert frame["violation"].sum() > 0


def test_sequential_starts() -> None:
    vehicle = np.array([0, 0, 0, 1, 1])
    wished = np.array([100.0, 110.0, 500.0, 50.0, 60.0])
    duration = np.array([30.0, 30.0, 30.0, 10.0, 10.0])
    gap = np.array([0.0, 5.0, 5.0, 0.0, 1.0])
    starts = _sequential_starts(vehicle, wished, duration, gap)
    assert starts.tolist() == [100.0, 135.0, 500.0, 50.0, 61.0]


def test_batch_writes_passes_and_truth(city: City, tmp_path: Path) -> None:
    out = BatchOutput(tmp_path)
    CheckpointBatch(seed=2).run(city, 2, out, no_progress)
    parts = sorted((tmp_path / "checkpoint" / "passes").glob("part-*.parquet"))
    assert len(parts) == 2
    passes = pl.read_parquet(parts)
    assert out.tables["checkpoint/passes"] == passes.height
    facts = json.loads((tmp_path / "truth" / "checkpoint.json").read_text())
    assert facts["passes"] == passes.height
    assert (
        facts["clone_plates"]
        == pl.read_parquet(tmp_path / "truth" / "checkpoint_clones.parquet").height
    )
    assert (tmp_path / "truth" / "checkpoint_wanted.parquet").exists()
    assert (tmp_path / "truth" / "checkpoint_violations.parquet").exists()
