"""gridgov: a GIS grid-governance dashboard for a Chinese urban district."""
