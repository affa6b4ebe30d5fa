"""The planners' coverage page (``/coverage``): who is within walking distance of a service point, what-if, suggested sites, exports."""
