"""The street leader's planning page (``/inspections``): risk register, routed plans, exports,
round coverage and recording visits."""
