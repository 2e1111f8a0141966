"""Built environment (ODD 7.6; kernel ``qsim/kernels/environment.py``).

Buildings decay and are maintained by chance; places likewise (without the
maintenance lever); sitting tenants' rents rise once a year towards the
market rent, by at most the cap (Kappungsgrenze).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import levers as L
from .common import clip01

if TYPE_CHECKING:
    from .model import ReferenceModel
    from .space import Area


def market_rent(p, area: "Area", rent_pressure: float, quality: float) -> float:
    """Market rent of a dwelling of building quality ``quality`` in ``area``, EUR/month."""
    return (area.rent_level * rent_pressure * (0.75 + p.rent_quality_weight * quality)
            * max(0.2, 1.0 + p.rent_reputation_weight * (area.reputation - 0.5)))


def place_quality(model: "ReferenceModel") -> None:
    """Mean quality of each area's places (0 without places)."""
    for area in model.areas:
        area.place_quality = (sum(pl.quality for pl in area.places) / len(area.places)) if area.places else 0.0


def environment_step(model: "ReferenceModel", rent_pressure: float) -> None:
    p = model.params.environment
    random = model.random
    for building in model.buildings:
        q = building.quality - p.building_decay
        if random.random() < p.maintenance_rate + building.block.area.levers[L.MAINTENANCE]:
            q += p.maintenance_gain
        building.quality = clip01(q)
    for place in model.places:
        q = place.quality - p.place_decay
        if random.random() < p.maintenance_rate:
            q += p.maintenance_gain
        place.quality = clip01(q)
    place_quality(model)
    cap = 1.0 + p.rent_increase_cap
    for household in model.agents:
        if household.tenure == 0 or household.tenure % 12 != 0:
            continue
        dwelling = household.dwelling
        target = market_rent(p, dwelling.area, rent_pressure, dwelling.building.quality)
        if target > dwelling.rent:
            dwelling.rent = min(target, dwelling.rent * cap)
