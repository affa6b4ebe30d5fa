"""Map layers: scoped PostGIS queries and the Plotly traces drawn from them.

Every query takes an open connection and the caller's :class:`~layers.scope.Scope`, so access
control can later be enforced in one place; SQL is parameterised, never formatted.
"""
