"""Jobs that load data into gridgov's database."""
