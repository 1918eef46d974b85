"""Reviewed Helm values (infra/monitoring/values.py): mirror images, limits, buffers, secrets by name."""

from __future__ import annotations

import re

import pytest

from infra.monitoring import rules, values

REGISTRY = "registry.imaging.nhs.uk"
ENDPOINTS = {k: f"https://{k}.hub.imaging.nhs.uk:443" for k in ("events", "logs", "alerts")}
ENDPOINTS["metrics"] = "https://metrics.hub.imaging.nhs.uk:443/api/v1/write"
AGENT = values.AgentSettings(
    cluster="dev-london", region="london", registry=REGISTRY, namespace="zone-monitoring",
    trusts={"trust-rj1": "RJ1", "trust-rjz": "RJZ"}, endpoints=ENDPOINTS, node_cidr="10.10.0.0/22",
    same_cluster_consumers=("trust-rjz",),
)


def hub(production: bool) -> values.HubSettings:
    return values.HubSettings(
        cluster="national-management", region="midlands", registry=REGISTRY, namespace="security-hub",
        domain="hub.imaging.nhs.uk", endpoints=ENDPOINTS, audit_retention_days=2557, production=production,
        object_store_endpoint="https://objects.hub.imaging.nhs.uk",
    )


def all_values(production=True):
    h = hub(production)
    return {
        "falco": values.falco_values(AGENT, rules.falco_custom_rules(AGENT.trusts)),
        "fluent-bit": values.fluent_bit_values(AGENT),
        "metrics-agent": values.prometheus_agent_values(AGENT),
        "trivy-operator": values.trivy_operator_values(AGENT),
        "opensearch": values.opensearch_values(h),
        "dashboards": values.dashboards_values(h),
        "alertmanager": values.alertmanager_values(h),
        "grafana": values.grafana_values(h),
        "gateway": values.gateway_values(h),
        "hub-prometheus": values.hub_prometheus_values(h, rules.prometheus_rule_groups([("london", "dev-london")])),
    }


def walk(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (str(k),))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (str(i),))
    else:
        yield path, node


def test_charts_pinned_exactly():
    for chart in values.CHARTS.values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", chart.version), chart
        assert chart.repository.startswith("https://"), chart


def test_images_pinned_and_from_the_mirror():
    for name, image in values.IMAGES.items():
        assert image.tag and image.tag != "latest", name
        assert image.ref(REGISTRY).startswith(f"{REGISTRY}/mirror/")
    for ref in values.FALCO_ARTIFACTS.values():
        assert re.search(r":\d+\.\d+\.\d+$", ref), ref


@pytest.mark.parametrize("release,chart_values", sorted(all_values().items()))
def test_every_image_setting_points_at_the_mirror(release, chart_values):
    """Any registry/repository/image value in the values is the mirror's."""
    for path, value in walk(chart_values):
        if not isinstance(value, str):
            continue
        key = path[-1]
        if key in ("registry", "imageRegistry", "dbRegistry", "javaDbRegistry"):
            assert value == f"{REGISTRY}/mirror", (release, path)
        if key == "repository" and "/" in value and "." in value.split("/")[0]:
            assert value.startswith(f"{REGISTRY}/mirror/"), (release, path)
        if key in ("image", "pluginRef") or (key.isdigit() and len(path) > 1 and path[-2] == "refs"):
            assert value.startswith(f"{REGISTRY}/mirror/"), (release, path, value)


@pytest.mark.parametrize("release,chart_values", sorted(all_values().items()))
def test_resources_have_limits(release, chart_values):
    found = 0
    for path, value in walk(chart_values):
        if "resources" in path and path[-2] in ("limits", "requests"):
            found += 1
    assert found, f"{release} sets no resources"
    for path, _ in walk(chart_values):
        if path and path[-1] in ("cpu", "memory") and "requests" in path:
            limits = path[:-2] + ("limits", path[-1])
            assert any(p == limits for p, _ in walk(chart_values)), (release, path)


@pytest.mark.parametrize("release,chart_values", sorted(all_values().items()))
def test_no_key_material_in_values(release, chart_values):
    for path, value in walk(chart_values):
        if isinstance(value, str):
            assert "BEGIN " not in value and "PRIVATE KEY" not in value, (release, path)
        assert path[-1].lower() not in ("password", "secretaccesskey", "apikey", "token", "routingkey"), (release, path)


def test_log_shipper_buffers_on_disk_with_limits():
    config = values.fluent_bit_config(AGENT)
    for section in config["inputs"].split("[INPUT]")[1:]:
        assert "storage.type      filesystem" in section
    outputs = config["outputs"].split("[OUTPUT]")[1:]
    assert len(outputs) == 4
    for section in outputs:
        assert "storage.total_limit_size" in section and "Retry_Limit              no_limits" in section
        assert "tls.verify               On" in section and "tls.crt_file" in section
    assert values.AUDIT_LOG_PATH in config["inputs"]
    assert "K8S-Logging.Exclude Off" in config["filters"], "tenants must not opt out of shipping"


def test_log_shipper_runs_on_control_plane_and_mounts_client_cert_by_name():
    v = values.fluent_bit_values(AGENT)
    assert v["kind"] == "DaemonSet"
    assert values.CONTROL_PLANE_TOLERATIONS[0] in v["tolerations"]
    secrets = [vol["secret"]["secretName"] for vol in v["extraVolumes"] if "secret" in vol]
    assert values.SECRETS["agent-client-tls"] in secrets


def test_falco_modern_ebpf_offline_and_labelled():
    v = values.falco_values(AGENT, {})
    assert v["driver"]["kind"] == "modern_ebpf"
    assert v["falcoctl"]["artifact"]["follow"]["enabled"] is False
    assert v["falcoctl"]["config"]["indexes"] == []
    sidekick = v["falcosidekick"]["config"]
    assert sidekick["customfields"] == "region:london,cluster:dev-london"
    assert sidekick["webhook"]["address"].startswith("http://fluent-bit.zone-monitoring.svc:")
    assert sidekick["alertmanager"]["hostport"] == "https://alerts.hub.imaging.nhs.uk:443"
    assert sidekick["alertmanager"]["mutualtls"] is True


def test_prometheus_agent_remote_writes_with_labels_and_wal():
    spec = values.prometheus_agent_values(AGENT)
    assert spec["prometheus"]["agentMode"] is True
    ps = spec["prometheus"]["prometheusSpec"]
    assert ps["externalLabels"] == {"cluster": "dev-london", "region": "london"}
    assert ps["remoteWrite"][0]["url"] == ENDPOINTS["metrics"]
    assert ps["remoteWrite"][0]["tlsConfig"]["keySecret"]["name"] == values.SECRETS["agent-client-tls"]
    assert ps["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"]
    relabel = ps["additionalScrapeConfigs"][0]["relabel_configs"]
    assert {"source_labels": ["__meta_kubernetes_namespace"], "regex": "trust-rj1", "target_label": "trust",
            "replacement": "RJ1"} in relabel


def test_endpoint_must_be_https():
    with pytest.raises(ValueError):
        values.fluent_bit_config(values.AgentSettings(**{**AGENT.__dict__, "endpoints": {**ENDPOINTS,
                                                                                          "logs": "http://x:80"}}))


@pytest.mark.parametrize("production,replicas", [(True, 3), (False, 1)])
def test_hub_sizing(production, replicas):
    v = all_values(production)
    assert v["opensearch"]["replicas"] == replicas
    assert v["opensearch"]["singleNode"] is (not production)
    assert v["alertmanager"]["replicaCount"] == replicas
    assert v["gateway"]["replicaCount"] == replicas
    if production:
        assert v["opensearch"]["antiAffinity"] == "hard"
        for release in ("alertmanager", "gateway", "grafana", "dashboards"):
            assert v[release]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert v["hub-prometheus"]["prometheus"]["prometheusSpec"]["replicas"] >= 2
        assert v["grafana"]["replicas"] >= 2 and v["dashboards"]["replicaCount"] >= 2


def test_gateway_fans_metrics_out_to_every_prometheus_replica():
    outputs = values.gateway_config(hub(True))["outputs"]
    for i in range(3):
        assert f"prometheus-{values.RELEASES['hub-prometheus']}-prometheus-{i}.prometheus-operated" in outputs


def test_audit_and_events_archived_with_object_lock_md5():
    outputs = values.gateway_config(hub(True))["outputs"]
    for stream in ("audit", "events"):
        section = next(s for s in outputs.split("[OUTPUT]") if f"archive-{stream}" in s)
        assert "send_content_md5         On" in section and "bucket                   security-audit-archive" in section


def test_alertmanager_routes_by_severity():
    config = values.alertmanager_config(hub(True))
    def route_of(labels):
        """Receivers an alert with ``labels`` reaches (Alertmanager: first match, unless continue)."""
        reached = []
        for route in config["route"]["routes"]:
            name, _, value = route["matchers"][0].partition("=")
            if labels.get(name) == value.strip('"'):
                reached.append(route["receiver"])
                if not route.get("continue"):
                    break
        return reached or [config["route"]["receiver"]]

    assert route_of({"severity": "critical"}) == ["on-call-pager", "soc-queue"]
    assert route_of({"severity": "high"}) == ["soc-queue"]
    assert route_of({"severity": "low"}) == ["siem-only"]
    assert route_of({"severity": "high", "category": "agent-health"}) == ["service-desk"]
    assert route_of({}) == ["soc-queue"]
    receivers = {r["name"]: r for r in config["receivers"]}
    for name in ("on-call-pager", "soc-queue", "service-desk"):
        hook = receivers[name]["webhook_configs"][0]
        assert "url" not in hook and hook["url_file"].startswith("/etc/alertmanager/receivers/")
    mounted = {m["secretName"] for m in values.alertmanager_values(hub(True))["extraSecretMounts"]}
    for name in ("on-call-pager", "soc-queue", "service-desk"):
        secret = receivers[name]["webhook_configs"][0]["url_file"].split("/")[4]
        assert secret in mounted


def test_grafana_dashboard_is_valid_json():
    import json

    dashboards = values.grafana_values(hub(False))["dashboards"]["security"]
    board = json.loads(dashboards["security-overview"]["json"])
    assert board["uid"] and all("expr" in p["targets"][0] for p in board["panels"])


def test_prometheus_health_rules_structure():
    groups = rules.prometheus_rule_groups([("london", "dev-london"), ("wales", "wales-1")])
    alerts = [r for g in groups for r in g["rules"]]
    assert len([a for a in alerts if a["alert"] == "ImagingClusterNotReporting"]) == 2
    for alert in alerts:
        assert {"alert", "expr", "labels", "annotations"} <= set(alert)
        assert alert["labels"]["severity"] in values.SEVERITY_ROUTES
        assert alert["labels"]["category"] == "agent-health"
        assert alert["expr"].count("(") == alert["expr"].count(")")
