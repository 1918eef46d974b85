"""values.schema.json: strict, documented, and closed to insecure values."""

from __future__ import annotations

import copy
import json
import re

import helm_python
import pytest

import vna_archive_harness as h

SCHEMA = json.loads((h.CHART / "values.schema.json").read_text(encoding="utf-8"))
SCENARIOS = sorted(p.name for p in h.CI_VALUES.glob("*-values.yaml"))


@pytest.fixture(scope="module")
def chart():
    with helm_python.Chart.load(h.CHART) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def full() -> dict:
    return h.load_values("full-values.yaml")


def _set(values: dict, path: str, value) -> dict:
    """A copy of values with `path` (dots; [n] for list items) set to value."""
    out = copy.deepcopy(values)
    node = out
    parts = path.replace("[", ".[").split(".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        key = int(part[1:-1]) if part.startswith("[") else part
        if last:
            node[key] = value
        else:
            node = node[key] if isinstance(key, int) else node.setdefault(key, {})
    return out


def _walk(node: dict, where: str = "$"):
    yield where, node
    for name, child in node.get("properties", {}).items():
        yield from _walk(child, f"{where}.{name}")
    if isinstance(node.get("items"), dict):
        yield from _walk(node["items"], f"{where}[]")


def test_it_should_be_a_draft_07_schema():
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_it_should_close_every_object_and_describe_every_field():
    for where, node in _walk(SCHEMA):
        assert node.get("description"), f"{where} has no description"
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, f"{where} accepts unknown keys"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_it_should_accept_every_ci_scenario(chart, scenario):
    chart.validate_schema(h.load_values(scenario))


def test_it_should_accept_the_chart_defaults(chart):
    chart.validate_schema({})


@pytest.mark.parametrize(
    "path",
    [
        "service", "ingress", "extraEnv", "image.pullSecrets", "securityContext.privileged", "orthanc.registeredUsers",
        "orthanc.dicom.alwaysAllowStore", "orthanc.tls.dicom.enabled", "orthanc.modalities[0].allowAll",
        "orthanc.peers[0].password", "orthanc.peers[0].modality.useDicomTls", "postgresql.password",
        "objectStorage.secretKey", "objectStorage.encryption.enabled", "networkPolicy.enabled",
        "networkPolicy.egress.extra",
    ],
)
def test_it_should_reject_unknown_keys_at_every_level(chart, full, path):
    with pytest.raises(helm_python.HelmValuesError, match="additional properties"):
        chart.validate_schema(_set(full, path, True))


INSECURE = [
    ("image.tag", "latest", "a floating tag"),
    ("image.digest", "", "an image not pinned by digest"),
    ("image.digest", "sha256:abc", "a malformed digest"),
    ("image.registry", "docker.io", "a registry outside the approved national mirrors"),
    ("image.registry", "registry.imaging.nhs.uk.evil.example", "a look-alike registry host"),
    ("securityContext.runAsUser", 0, "root"),
    ("securityContext.runAsGroup", 0, "the root group"),
    ("securityContext.fsGroup", 0, "root-owned secret files"),
    ("orthanc.limits.findResults", 0, "unlimited C-FIND/QIDO answers"),
    ("orthanc.limits.findInstances", 0, "unlimited instance-level answers"),
    ("orthanc.dicom.port", 104, "a privileged port (needs root or a capability)"),
    ("orthanc.http.port", 443, "a privileged port (needs root or a capability)"),
    ("orthanc.modalities[0].host", "0.0.0.0", "a wildcard modality address"),
    ("orthanc.modalities[0].host", "*", "a wildcard modality address"),
    ("orthanc.modalities[0].aet", "WAY_TOO_LONG_AE_TITLE", "an AE title over 16 characters"),
    ("orthanc.peers[0].url", "http://rx1-archive.trust-rx1.svc.cluster.local:8042/", "a peer over plain HTTP"),
    ("orthanc.peers[1].egress.cidr", "0.0.0.0/0", "egress to the whole internet"),
    ("objectStorage.endpoint", "http://s3.imaging-storage.svc.cluster.local", "object storage over plain HTTP"),
    ("networkPolicy.ingress.dicomNamespaces", ["Dicom Router"], "a namespace that is not a DNS label"),
    ("networkPolicy.ingress.httpNamespaces", ["viewer", "viewer"], "a duplicated namespace"),
    ("replicaCount", 0, "no archive at all"),
    ("orthanc.auth.usersSecret.name", "Users_Secret", "an invalid Secret name"),
]


@pytest.mark.parametrize(("path", "value", "why"), INSECURE, ids=[f"{p}={v!r}" for p, v, _ in INSECURE])
def test_it_should_reject_insecure_or_invalid_values(chart, full, path, value, why):
    with pytest.raises(helm_python.HelmValuesError):
        chart.validate_schema(_set(full, path, value))


def test_it_should_reject_invalid_values_before_rendering(full):
    with pytest.raises(helm_python.HelmError):
        h.render(_set(full, "securityContext.runAsUser", 0))


#: Length limits the schema states with maxLength/minLength next to an unbounded pattern:
#: (path, the longest value accepted, one character more). Helm compiles the schema's
#: regular expressions on every render, and a counted repetition such as {0,61} compiles
#: into that many copies (docs/performance.md), so the limits live in the length keywords.
LENGTH_LIMITS = [
    ("image.digest", "sha256:" + "a" * 64, "sha256:" + "a" * 65),
    ("orthanc.dicom.aet", "A" * 16, "A" * 17),
    ("orthanc.modalities[0].name", "m" * 32, "m" * 33),
    ("orthanc.modalities[0].aet", "A" * 16, "A" * 17),
    ("orthanc.peers[0].name", "p" * 32, "p" * 33),
    ("orthanc.peers[0].agreement", "a" * 63, "a" * 64),
    ("orthanc.peers[0].modality.aet", "A" * 16, "A" * 17),
    ("orthanc.peers[0].egress.namespace", "n" * 63, "n" * 64),
    ("postgresql.database", "d" * 63, "d" * 64),
    ("postgresql.user", "u" * 63, "u" * 64),
    ("objectStorage.bucket", "b" * 63, "b" * 64),
    ("objectStorage.region", "r" * 32, "r" * 33),
    ("networkPolicy.ingress.dicomNamespaces", ["n" * 63], ["n" * 64]),
    ("networkPolicy.ingress.httpNamespaces", ["n" * 63], ["n" * 64]),
    ("networkPolicy.egress.dns.namespace", "n" * 63, "n" * 64),
    ("networkPolicy.egress.postgresql.namespace", "n" * 63, "n" * 64),
    ("networkPolicy.egress.objectStorage.namespace", "n" * 63, "n" * 64),
]


@pytest.mark.parametrize(("path", "longest", "too_long"), LENGTH_LIMITS, ids=[p for p, _, _ in LENGTH_LIMITS])
def test_it_should_hold_each_length_limit_exactly(chart, full, path, longest, too_long):
    chart.validate_schema(_set(full, path, longest))
    with pytest.raises(helm_python.HelmValuesError):
        chart.validate_schema(_set(full, path, too_long))


@pytest.mark.parametrize(
    ("path", "value"),
    [("image.digest", "sha256:" + "A" * 64), ("objectStorage.bucket", "ab"), ("objectStorage.bucket", "-ab"),
     ("orthanc.dicom.aet", ""), ("postgresql.database", "1db"), ("orthanc.peers[0].agreement", "a-")],
)
def test_it_should_still_refuse_the_wrong_shape_within_the_length_limit(chart, full, path, value):
    with pytest.raises(helm_python.HelmValuesError):
        chart.validate_schema(_set(full, path, value))


def test_it_should_state_long_length_limits_outside_its_patterns():
    """Counted repetitions left in patterns are short ({1,3} octets, {1,5} ports, {3,5} ODS
    codes) or per DNS label inside a host name, where no length keyword can say it."""
    for where, node in _walk(SCHEMA):
        for low, high in re.findall(r"\{(\d+)(?:,(\d+))?\}", node.get("pattern", "")):
            if int(high or low) > 5:
                assert "[A-Za-z0-9-]{0,61}" in node["pattern"], f"{where}: {node['pattern']}"


# The renderer (infra.helm.LoadedChart) checks a program's releases against this schema in
# one call of Helm's validator and renders them from the chart packaged without it. The
# check must refuse exactly what Helm's own render refuses, and the templates must render
# exactly as the whole chart does.
AGREEMENT = (
    [(f"ci/{s}", lambda full, s=s: h.load_values(s)) for s in SCENARIOS]
    + [(f"{p}={v!r}", lambda full, p=p, v=v: _set(full, p, v)) for p, v, _ in INSECURE]
    + [(f"{p} at its limit", lambda full, p=p, v=v: _set(full, p, v)) for p, v, _ in LENGTH_LIMITS]
    + [(f"{p} over its limit", lambda full, p=p, v=v: _set(full, p, v)) for p, _, v in LENGTH_LIMITS]
    # A null deletes the chart's default before Helm validates: accepted, unless required.
    + [(f"{p}=None", lambda full, p=p: _set(full, p, None)) for p in ("replicaCount", "orthanc.dicom.aet", "image.tag")]
)


@pytest.fixture(scope="module")
def loaded():
    from infra.helm import loaded_chart

    return loaded_chart("vna-archive")


def _refused_by_helms_render(values: dict) -> bool:
    try:
        h.render(values, name="vna-archive", namespace=h.NAMESPACE)
        return False
    except helm_python.HelmValuesError:
        return True


@pytest.mark.parametrize("case", [c for _, c in AGREEMENT], ids=[i for i, _ in AGREEMENT])
def test_the_renderers_check_should_refuse_exactly_what_helms_render_refuses(loaded, full, case):
    from infra.helm import ChartRenderError, ChartRequest

    values = case(full)
    [result] = loaded.check([ChartRequest(values, "vna-archive", h.NAMESPACE)])
    assert isinstance(result, ChartRenderError) == _refused_by_helms_render(values)


def test_the_renderers_check_of_a_batch_should_judge_each_release_alone(loaded, full):
    from infra.helm import ChartRenderError, ChartRequest

    cases = [case(full) for _, case in AGREEMENT]
    batch = loaded.check([ChartRequest(values, "vna-archive", f"trust-{i}") for i, values in enumerate(cases)])
    alone = [loaded.check([ChartRequest(values, "vna-archive", f"trust-{i}")])[0] for i, values in enumerate(cases)]
    assert [isinstance(r, ChartRenderError) for r in batch] == [isinstance(r, ChartRenderError) for r in alone]
    assert [str(r) for r in batch if isinstance(r, ChartRenderError)] == [
        str(r) for r in alone if isinstance(r, ChartRenderError)]
    assert any(isinstance(r, ChartRenderError) for r in batch) and not all(isinstance(r, ChartRenderError) for r in batch)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_renderers_templates_should_render_as_the_whole_chart(chart, loaded, scenario):
    from infra.helm import ChartRequest

    values = h.load_values(scenario)
    [checked] = loaded.check([ChartRequest(values, "vna-archive", h.NAMESPACE)])
    assert loaded.render(checked) == chart.render(values, name="vna-archive", namespace=h.NAMESPACE, is_install=True)


def test_the_renderer_should_render_only_checked_values(loaded, full):
    from infra.helm import ChartRequest

    with pytest.raises(TypeError):
        loaded.render(ChartRequest(_set(full, "securityContext.runAsUser", 0), "vna-archive", h.NAMESPACE))


def test_a_refused_release_should_name_its_namespace_and_field_and_leave_the_others_rendering(full):
    from infra import helm

    requests = [helm.ChartRequest(v, "vna-archive", ns) for v, ns in (
        (full, "trust-a"), (_set(full, "securityContext.runAsUser", 0), "trust-b"), (full, "trust-c"))]
    helm.start_rendering("vna-archive", requests)
    for request in (requests[0], requests[2]):
        objects = helm.render_chart("vna-archive", request.values, request.release, request.namespace)
        assert objects == h.render(full, name="vna-archive", namespace=request.namespace)
    with pytest.raises(helm.ChartRenderError) as refused:
        helm.render_chart("vna-archive", requests[1].values, "vna-archive", "trust-b")
    message = str(refused.value)
    assert message.startswith("charts/vna-archive, release vna-archive in namespace trust-b:")
    assert "/securityContext/runAsUser" in message and "trust-a" not in message and "trust-c" not in message


def test_a_chart_that_cannot_load_should_stop_rendering_with_its_path():
    from infra import helm

    with pytest.raises(helm.ChartRenderError, match=r"^charts/no-such-chart: "):
        helm.render_chart("no-such-chart", {}, "vna-archive", h.NAMESPACE)
