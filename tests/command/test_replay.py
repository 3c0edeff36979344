"""The offline replay on the small test city: deterministic, every incident handled by every
policy within the roster, and the relay's extra steps visible in the dispatch times."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from jiaoguan.command.replay import POLICIES, Replay, ReplayParams, run_replay
from jiaoguan.sim.city import CitySize

PARAMS = ReplayParams(size=CitySize.test, days=1, incidents_per_day=120)


@pytest.fixture(scope="module")
def replay() -> Replay:
    return Replay(PARAMS)


def test_stream_follows_the_rate_and_the_day_profile(replay: Replay) -> None:
    count = len(replay.incidents)
    assert 80 < count < 160  # Poisson around 120
    hours = np.array([replay.local_hour(i.at) for i in replay.incidents])
    night = np.count_nonzero((hours >= 1) & (hours < 5))
    rush = np.count_nonzero((hours >= 7) & (hours < 9)) + np.count_nonzero(
        (hours >= 17) & (hours < 19)
    )
    assert rush > 2 * night
    assert all(a.at <= b.at for a, b in zip(replay.incidents, replay.incidents[1:], strict=False))


def test_every_policy_handles_every_incident_with_officers_on_shift(replay: Replay) -> None:
    outcomes = Replay(PARAMS).run()
    for name in POLICIES:
        outcome = outcomes[name]
        assert len(outcome.arrive_s) == len(replay.incidents)
        arrive, handle = np.array(outcome.arrive_s), np.array(outcome.handle_s)
        dispatch, travel = np.array(outcome.dispatch_s), np.array(outcome.travel_s)
        assert np.all(dispatch > 0) and np.all(travel >= 0)
        assert np.all(arrive > dispatch) and np.all(handle > arrive)
    # The relay adds the brigade hand-over and the radio call to every incident.
    assert np.mean(outcomes["relay"].dispatch_s) > np.mean(outcomes["nearest"].dispatch_s) + 120


def test_picks_respect_the_roster(replay: Replay) -> None:
    run = Replay(PARAMS)
    outcomes = run.run()
    by_id = {o.id: o for o in run.officers}
    for name in POLICIES:
        for incident, officer_id, dispatch in zip(
            run.incidents, outcomes[name].picks, outcomes[name].dispatch_s, strict=True
        ):
            officer = by_id[officer_id]
            assert run.on_shift(officer, incident.at + dispatch - 300) or run.on_shift(
                officer, incident.at + dispatch
            )
            if name == "relay":
                assert officer.brigade == incident.brigade


def test_replay_is_deterministic_and_reports_the_issue_keys() -> None:
    small = dataclasses.replace(PARAMS, incidents_per_day=40)
    first, second = run_replay(small), run_replay(small)
    assert first == second
    for key in (
        "replay_arrive_mean_min_relay",
        "replay_arrive_mean_min_nearest",
        "replay_handling_mean_min_relay",
        "replay_handling_mean_min_nearest",
        "replay_handling_reduction",
        "replay_eta_gain_over_straight_line",
        "replay_arrive_p90_min_relay",
        "replay_arrive_p90_min_nearest",
    ):
        assert isinstance(first[key], float)
    assert first["replay_arrive_mean_min_nearest"] < first["replay_arrive_mean_min_relay"]
