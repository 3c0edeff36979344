"""Geography: road network, routing and ETA, areas and their spatial index, coordinate systems."""
