"""Smart command (智慧指挥): incidents, officers and their positions, dispatch, statistics."""
