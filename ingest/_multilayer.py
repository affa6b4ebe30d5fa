"""Files holding several tables: GeoPackages with several layers, zipped shapefiles with several
``.shp``, workbooks with several sheets. ``--layer NAME`` picks one; without it, a file with more
than one is refused with the list, so a street layer is never loaded as communities by accident."""

from __future__ import annotations

from dataclasses import dataclass

from geo.errors import InputError


@dataclass(frozen=True)
class LayerInfo:
    name: str
    features: int | None  # None when counting would mean reading the whole table
    columns: tuple[str, ...]

    def describe(self) -> str:
        count = "" if self.features is None else f", {self.features} features"
        shown = ", ".join(self.columns[:8]) + (" …" if len(self.columns) > 8 else "")
        return f"{self.name!r}{count}: {shown}"


def vector_layers(target: str) -> list[LayerInfo]:
    """The layers GDAL sees in ``target`` (a path or /vsizip/ path), with counts and columns."""
    import pyogrio

    out = []
    for name, _geometry in pyogrio.list_layers(target):
        info = pyogrio.read_info(target, layer=name)
        out.append(LayerInfo(str(name), int(info["features"]), tuple(map(str, info["fields"]))))
    return out


def choose(layers: list[LayerInfo], wanted: str | None, *, file_name: str, what: str = "layer") -> str | None:
    """The layer to read: ``wanted`` if the file has it; the only one; else an InputError listing them.
    Returns None when the file has a single unnamed table and nothing was asked for."""
    names = [layer.name for layer in layers]
    if wanted is not None:
        if wanted not in names:
            raise InputError(
                f"{file_name} has no {what} {wanted!r}; it has: {'; '.join(x.describe() for x in layers)}"
            )
        return wanted
    if len(layers) > 1:
        raise InputError(
            f"{file_name} holds {len(layers)} {what}s; say which with --layer NAME: "
            + "; ".join(x.describe() for x in layers)
        )
    return names[0] if names else None
