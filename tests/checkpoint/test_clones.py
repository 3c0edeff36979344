"""Cloned-plate detection: impossible travel, feature mismatch, OCR misreads told apart, scoring."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np

from jiaoguan.checkpoint.clones import (
    CloneConfig,
    CloneDetector,
    Registered,
    detect_clones,
    load_registry,
    neighbours,
    score_detections,
)
from jiaoguan.checkpoint.ingest import PassRecord, make_pass
from jiaoguan.checkpoint.travel import CheckpointSites
from jiaoguan.platform.bootstrap import ensure_root_unit
from jiaoguan.platform.db import Database
from jiaoguan.registry.models import PlateColor, Vehicle, VehicleStatus, VehicleUse

T0 = dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)
HOP_S = 300.0  # free-flow time between neighbouring checkpoints on the test line


def line_sites(n: int = 8) -> CheckpointSites:
    """n checkpoints on a straight road, HOP_S apart at the speed limit."""
    idx = np.arange(n)
    seconds = np.abs(idx[:, None] - idx[None, :]).astype(np.float64) * HOP_S
    return CheckpointSites(
        ids=np.arange(1, n + 1, dtype=np.int64),
        names=[f"卡口{i + 1}" for i in range(n)],
        codes=[f"{i + 1:020d}" for i in range(n)],
        lon=(115.0 + idx * 0.05).astype(np.float64),
        lat=np.full(n, 38.9),
        unit_ids=[1] * n,
        unit_paths=["/1/"] * n,
        seconds=seconds,
    )


_serial = iter(range(10**9))


def seen(
    plate: str,
    checkpoint: int,
    seconds: float,
    *,
    brand: str | None = "大众",
    vclass: str = "K33",
    colour: str | None = None,
) -> PassRecord:
    return make_pass(
        record_id=f"p{next(_serial)}",
        checkpoint_id=checkpoint,
        tollgate_code=f"{checkpoint:020d}",
        passed_at=T0 + dt.timedelta(seconds=seconds),
        plate_raw=plate,
        plate_colour="5",
        vehicle_class=vclass,
        vehicle_colour=colour,
        brand=brand,
    )


def run(
    passes: list[PassRecord],
    registry: dict[str, Registered] | None = None,
    config: CloneConfig | None = None,
) -> set[str]:
    passes.sort(key=lambda p: p.passed_at)
    batches = [passes[i : i + 50] for i in range(0, len(passes), 50)]
    found, _stats = detect_clones(line_sites(), batches, config=config, registry=registry)
    return {f.plate for f in found}


STRICT = CloneConfig(min_contradictions=2)


def test_normal_driving_raises_nothing() -> None:
    passes = [seen("冀F12345", c, (c - 1) * HOP_S * 1.1) for c in range(1, 9)]
    assert run(passes) == set()


def test_repeated_impossible_travel_is_a_clone() -> None:
    # Two cars with the same plate drive the line's two ends at the same time, twice.
    passes = [
        seen("冀F12345", 1, 0),
        seen("冀F12345", 8, 60),
        seen("冀F12345", 1, 7200),
        seen("冀F12345", 8, 7260),
    ]
    assert run(passes) == {"冀F12345"}
    assert run(passes, config=STRICT) == {"冀F12345"}


def test_one_unexplained_contradiction_reports_unless_repetition_is_required() -> None:
    passes = [seen("冀F12345", 1, 0), seen("冀F12345", 8, 60)]
    assert run(list(passes)) == {"冀F12345"}
    assert run(list(passes), config=STRICT) == set()


def test_one_contradiction_with_different_brands_is_a_clone_even_when_strict() -> None:
    passes = [seen("冀F12345", 1, 0, brand="大众"), seen("冀F12345", 8, 60, brand="丰田")]
    assert run(passes, config=STRICT) == {"冀F12345"}


def test_adjacent_checkpoints_allow_fast_but_possible_travel() -> None:
    # 300 s at the limit; 1.2× the limit is 250 s, less the slack 20 s: 230 s is still possible.
    passes = [seen("冀F12345", 1, 0), seen("冀F12345", 2, 231)]
    passes += [seen("冀F12345", 1, 3600), seen("冀F12345", 2, 3831)]
    assert run(passes) == set()
    assert run([seen("冀F12345", 1, 0), seen("冀F12345", 2, 229)]) == {"冀F12345"}


def test_an_ocr_misread_is_explained_by_the_neighbour_seen_there() -> None:
    # 冀F12B45 drives the line; at checkpoint 5 it is read as 冀F12845, a real car that is far away.
    passes = [seen("冀F12B45", c, (c - 1) * HOP_S, brand="丰田") for c in range(1, 9)]
    passes[4] = seen("冀F12845", 5, 4 * HOP_S, brand="丰田")
    passes += [
        seen("冀F12845", 1, 4 * HOP_S + 30, brand="大众"),
        seen("冀F12845", 1, 9000, brand="大众"),
    ]
    assert run(passes) == set()


def test_a_misread_is_explained_by_the_registry_when_the_neighbour_is_never_seen_again() -> None:
    registry = {"冀F12845": Registered("K33", "大众"), "冀F12B45": Registered("H11", "解放")}
    passes = [
        seen("冀F12845", 1, 0, brand="大众"),
        seen("冀F12845", 8, 60, brand="解放", vclass="H11"),
    ]
    assert run(passes, registry) == set()
    # Without the neighbour in the registry the same pair is a clone (class and brand differ).
    assert run(passes, {"冀F12845": Registered("K33", "大众")}) == {"冀F12845"}


def test_neighbours_are_one_character_away() -> None:
    near = set(neighbours("冀F12345"))
    assert "冀F1B3B5" not in near  # two characters away
    assert "冀F1Z345" in near and "鄂F12345" in near and "冀F12345" not in near
    assert all(sum(a != b for a, b in zip(n, "冀F12345", strict=True)) == 1 for n in near)


def test_scoring() -> None:
    score = score_detections({"A", "B", "C"}, {"A", "B", "D", "E"})
    assert (score.true_positives, score.false_positives, score.false_negatives) == (2, 1, 2)
    assert score.precision == 2 / 3 and score.recall == 0.5
    assert score.false_positive_plates == ("C",) and score.missed_plates == ("D", "E")
    assert score_detections([], []).precision == 1.0


def test_sites_can_change_under_a_running_detector() -> None:
    detector = CloneDetector(line_sites(8))
    detector.observe([seen("冀F12345", 8, 0)])
    detector.set_sites(line_sites(4))  # checkpoint 8 is gone: its sighting is dropped
    assert "冀F12345" not in detector.history
    detector.observe([seen("冀F12345", 1, 10)])
    assert detector.history["冀F12345"][0][0] == 0


def simulate(
    seed: int, vehicles: int = 400, clones: int = 12, ocr_rate: float = 0.03
) -> tuple[list[PassRecord], set[str]]:
    """Cars drive up and down the line at 1.0–1.4× the free-flow time per hop; `clones` plates
    are also driven by a second car elsewhere; a share of reads has one confusable character."""
    rng = random.Random(seed)
    letters = "0123456789"
    plates = sorted(
        {"冀F" + "".join(rng.choice(letters) for _ in range(5)) for _ in range(vehicles)}
    )
    brands = {p: rng.choice(["大众", "丰田", "本田", "别克", "吉利"]) for p in plates}
    confusable = {"0": "D", "8": "B", "1": "I", "2": "Z", "5": "S", "6": "G"}
    passes: list[PassRecord] = []

    def trip(plate: str, brand: str, start: float) -> None:
        here = rng.randrange(1, 9)
        t = start
        for _ in range(rng.randrange(3, 8)):
            read = plate
            if rng.random() < ocr_rate:
                i = rng.randrange(2, 7)
                if read[i] in confusable:
                    read = read[:i] + confusable[read[i]] + read[i + 1 :]
            passes.append(seen(read, here, t, brand=brand))
            step = rng.choice([-1, 1]) if 1 < here < 8 else (1 if here == 1 else -1)
            here += step
            t += HOP_S * rng.uniform(1.0, 1.4)

    starts = {p: [day * 86400 + rng.uniform(0, 36000) for day in range(3)] for p in plates}
    for plate in plates:
        for start in starts[plate]:
            trip(plate, brands[plate], start)
    cloned = set(rng.sample(plates, clones))
    for plate in sorted(cloned):
        # The cloned car is out at the same time of day as the real one (same routine, same town).
        other = rng.choice(
            [b for b in ["大众", "丰田", "本田", "别克", "吉利"] if b != brands[plate]]
        )
        for start in starts[plate]:
            trip(plate, other, start + rng.uniform(-900, 900))
    return passes, cloned


def test_precision_and_recall_on_noisy_simulated_passes() -> None:
    passes, truth = simulate(20261124)
    score = score_detections(run(passes), truth)
    assert score.precision >= 0.95, score
    assert score.recall >= 0.9, score


def test_the_same_unregistered_look_three_times_is_a_clone_without_impossible_travel() -> None:
    registry = {"冀F12345": Registered("K33", "大众"), "冀F55555": Registered("K33", "丰田")}
    # The second car only ever drives where the first could have been: no contradiction.
    three = [seen("冀F12345", 1, day * 86400, brand="丰田") for day in range(3)]
    assert run(list(three), registry) == {"冀F12345"}
    assert run(three[:2], registry) == set()
    # Recognition errors: three passes, each with another wrong brand.
    noisy = [
        seen("冀F12345", 1, d * 86400, brand=b) for d, b in enumerate(["丰田", "本田", "别克"])
    ]
    assert run(noisy, registry) == set()


def test_a_repeated_misread_that_fits_a_neighbours_registration_is_not_a_clone() -> None:
    # 冀F1234B (a registered 丰田) is read as 冀F12348 every time it passes one dirty camera.
    registry = {"冀F12348": Registered("K33", "大众"), "冀F1234B": Registered("K33", "丰田")}
    passes = [seen("冀F12348", 3, day * 86400, brand="丰田") for day in range(4)]
    assert run(passes, registry) == set()


def test_a_clone_finding_lists_its_evidence_passes() -> None:
    registry = {"冀F12345": Registered("K33", "大众")}
    passes = [seen("冀F12345", 1, day * 86400, brand="丰田") for day in range(3)]
    passes.sort(key=lambda p: p.passed_at)
    found, stats = detect_clones(line_sites(), [passes], registry=registry)
    assert len(found) == 1 and stats.feature_mismatches == 3
    assert "品牌：丰田，登记为 大众" in found[0].reason
    assert [s.record_id for s in found[0].sightings] == [p.record_id for p in passes]


def test_registered_body_colours_become_colour_type_codes() -> None:
    assert Registered.of("K33", "大众", "白").body_colour == "2"
    assert Registered.of("K33", "大众", "银色").body_colour == "3"  # cameras report silver as grey
    assert Registered.of("K33", "大众", "4").body_colour == "4"
    assert Registered.of("K33", "大众", "其他").body_colour is None
    assert Registered.of("K33", "大众", None).body_colour is None


def test_a_plate_seen_again_and_again_in_another_colour_is_a_clone() -> None:
    registry = {"冀F12345": Registered.of("K33", "大众", "白")}
    cfg = CloneConfig()
    # A black car with the white car's plate, seen on different days at two checkpoints (never
    # where the white car could not have been): only the colour gives it away.
    black = [
        seen("冀F12345", 1 + day % 2, day * 86400, colour="1")
        for day in range(cfg.min_colour_mismatches)
    ]
    white = [seen("冀F12345", 3, day * 86400 + 3600, colour="2") for day in range(6)]
    found, _stats = detect_clones(
        line_sites(), [sorted(black + white, key=lambda p: p.passed_at)], registry=registry
    )
    assert [f.plate for f in found] == ["冀F12345"]
    assert "车身颜色：黑，登记为 白" in found[0].reason
    assert len(found[0].mismatched) == cfg.min_colour_mismatches
    # One pass fewer is not enough; grey for silver is no mismatch; 其他 is not compared.
    assert run(black[:-1] + white, registry) == set()
    silver = {"冀F12345": Registered.of("K33", "大众", "银")}
    assert (
        run([seen("冀F12345", 1 + d % 2, d * 86400, colour="3") for d in range(8)], silver) == set()
    )
    assert (
        run([seen("冀F12345", 1 + d % 2, d * 86400, colour="99") for d in range(8)], registry)
        == set()
    )


def test_odd_colour_reads_are_not_a_clone() -> None:
    registry = {"冀F12345": Registered.of("K33", "大众", "白")}
    # A single odd read among many right ones, and odd reads that each give another colour.
    one_odd = [seen("冀F12345", 1 + d % 2, d * 3600, colour="2") for d in range(20)]
    one_odd[7] = seen("冀F12345", 2, 7 * 3600, colour="1")
    assert run(one_odd, registry) == set()
    scattered = [
        seen("冀F12345", 1 + d % 2, d * 86400, colour=c)
        for d, c in enumerate(["1", "3", "4", "5", "6", "8", "9", "1"])
    ]
    assert run(scattered, registry) == set()
    # One camera whose lighting turns the white car grey every time is not a second car.
    one_camera = [seen("冀F12345", 4, d * 86400, colour="3") for d in range(10)]
    assert run(one_camera, registry) == set()


def test_a_misread_is_explained_by_the_neighbours_registered_colour() -> None:
    # Same class and brand: only the colour tells 冀F12B45 (black) from 冀F12845 (white).
    registry = {
        "冀F12845": Registered.of("K33", "大众", "白"),
        "冀F12B45": Registered.of("K33", "大众", "黑"),
    }
    passes = [seen("冀F12845", 1, 0, colour="2"), seen("冀F12845", 8, 60, colour="1")]
    assert run(list(passes), registry) == set()
    assert run(list(passes), {"冀F12845": Registered.of("K33", "大众", "白")}) == {"冀F12845"}


def test_the_live_registry_carries_the_body_colour(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with database.transaction() as db:
        root = ensure_root_unit(db)
        for plate, colour, status in (
            ("冀F12345", "银色", VehicleStatus.normal),
            ("冀F54321", None, VehicleStatus.normal),
            ("冀F00001", "白", VehicleStatus.scrapped),
        ):
            db.add(
                Vehicle(
                    plate_no=plate,
                    plate_class="02",
                    plate_color=PlateColor.BLUE,
                    vehicle_class="K33",
                    brand="大众",
                    body_color=colour,
                    owner_name="张三",
                    owner_id_number="130602199001011234",
                    use=VehicleUse.private,
                    status=status,
                    unit_id=root.id,
                )
            )
    with database.sessions() as db:
        registry = load_registry(db)
    database.dispose()
    # (The template database holds a few seeded vehicles besides these.)
    assert registry["冀F12345"] == Registered("K33", "大众", "3")
    assert registry["冀F54321"] == Registered("K33", "大众", None)
    assert "冀F00001" not in registry
