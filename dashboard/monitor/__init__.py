"""The governance centre's wall screen (``/monitor``)."""
