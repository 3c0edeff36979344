"""Simulation: the synthetic city 示范市, batch data with ground truth, and the live simulation."""
