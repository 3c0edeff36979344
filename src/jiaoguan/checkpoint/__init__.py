"""Checkpoint surveillance and interception (缉查布控): checkpoints, passes, VIID, watchlists, alerts."""
