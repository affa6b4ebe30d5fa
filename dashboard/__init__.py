"""The gridgov web dashboard (Dash): page layout, callbacks and the production server."""
