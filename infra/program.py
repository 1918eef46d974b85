"""The Pulumi program: read the stack settings and estate, build the stack's layer.

The real engine runs it through ``infra/__main__.py``; the offline renderer runs the
same function under Pulumi's mock runtime. Invalid input stops it before any resource
is registered, with the file and field named and no traceback (``pulumi.RunError``).
"""

from __future__ import annotations

import pulumi

from infra.components.archive import CHART as ARCHIVE_CHART
from infra.helm import ChartRenderError, start_loading
from infra.model.loader import EstateLoadError, load_estate
from infra.settings import StackSettingsError, from_pulumi_config
from infra.stacks import dev, national, region

LAYERS = {"national": national.build, "region": region.build, "dev": dev.build}
#: The charts each layer renders (infra.helm): loaded in the background while the estate loads.
CHARTS = {"national": (), "region": (ARCHIVE_CHART,), "dev": (ARCHIVE_CHART,)}


def main() -> None:
    try:
        settings = from_pulumi_config()
        for chart in CHARTS[settings.role]:
            start_loading(chart)
        estate = load_estate(settings.estate_dir)
        if settings.region is not None:
            estate.region(settings.region)
    except (StackSettingsError, EstateLoadError) as failure:
        raise pulumi.RunError(f"invalid configuration, nothing was deployed:\n{failure}") from None
    except KeyError as unknown:
        raise pulumi.RunError(
            f"stacks/Pulumi.{pulumi.get_stack()}.yaml: config.imaging-cloud:region: unknown region {unknown}"
        ) from None
    try:
        LAYERS[settings.role](estate, settings)
    except ChartRenderError as failure:
        raise pulumi.RunError(f"invalid chart values, nothing was deployed:\n{failure}") from None
