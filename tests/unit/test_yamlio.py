"""infra.yamlio's direct paths must give exactly what PyYAML's safe loader and dumper give."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from infra import yamlio

REPO = Path(__file__).resolve().parents[2]
REFERENCE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
REFERENCE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

TRICKY_DOCUMENT = """\
plain: text
quoted: "123"
number: 123
octal: 0o17
hex: 0x1F
negative: -5
float: 1.5
exponent: 6.02e+23
infinity: .inf
yes_word: yes
on_word: on
bool: true
tilde: ~
empty:
date: 2026-11-27
timestamp: 2026-11-27T10:00:00Z
binary: !!binary aGVsbG8=
colon: "a: b"
hash: "a # b"
star: "*not-an-alias"
unicode: "Ysbyty Gwynedd – café"
long: "%s"
block: |
  line one
  line two
folded: >
  folded
  text
base: &base {cpu: 100m, memory: 64Mi}
merged:
  <<: *base
  memory: 128Mi
alias: *base
list: [1, "2", three, null, false, 4.0]
nested: [{a: [b, {c: d}]}, []]
""" % ("x" * 150)


def reference_load(text: str):
    return yaml.load(text, Loader=REFERENCE_LOADER)


def repository_yaml() -> list[Path]:
    roots = [REPO / "stacks", REPO / "charts", REPO / "policies", REPO / "infra"]
    return sorted(p for root in roots for p in root.rglob("*.y*ml") if "templates" not in p.parts)


def test_the_corpus_is_not_empty():
    assert len(repository_yaml()) >= 20


@pytest.mark.parametrize("path", repository_yaml(), ids=lambda p: str(p.relative_to(REPO)))
def test_loads_every_yaml_file_of_the_repository_as_pyyaml_does(path: Path):
    text = path.read_text(encoding="utf-8")
    assert list(yamlio.load_all(text)) == list(yaml.load_all(text, Loader=REFERENCE_LOADER))


def test_loads_every_scalar_type_merge_keys_and_aliases_as_pyyaml_does():
    ours, theirs = yamlio.load(TRICKY_DOCUMENT), reference_load(TRICKY_DOCUMENT)
    assert ours == theirs
    assert type(ours["number"]) is int and ours["quoted"] == "123" and ours["yes_word"] is True
    assert ours["merged"] == {"cpu": "100m", "memory": "128Mi"}
    assert ours["date"] == dt.date(2026, 11, 27) and ours["binary"] == b"hello"


def test_an_unhashable_key_is_refused_as_pyyaml_refuses_it():
    text = "a: 1\n? [complex, key]\n: value\n"
    with pytest.raises(yaml.constructor.ConstructorError) as theirs:
        reference_load(text)
    with pytest.raises(yaml.constructor.ConstructorError) as ours:
        yamlio.load(text)
    assert str(ours.value) == str(theirs.value)


def test_a_remembered_answer_is_never_reused_for_a_different_flag():
    # The same text is a string when quoted and an integer when plain.
    assert yamlio.load("a: '7'\nb: 7\nc: '7'\nd: 7") == {"a": "7", "b": 7, "c": "7", "d": 7}


def test_load_errors_are_pyyaml_errors_with_the_position():
    with pytest.raises(yaml.YAMLError, match="line 2"):
        yamlio.load("a: 1\nb: [unclosed\n")


@pytest.mark.parametrize("options", [{}, {"sort_keys": False, "width": 120}, {"default_flow_style": None},
                                     {"sort_keys": True, "allow_unicode": True}])
def test_dumps_exactly_what_pyyaml_dumps(options):
    data = reference_load(TRICKY_DOCUMENT)
    data["mixed_keys"] = {2: "two", "1": "one", True: "yes"}  # keys that do not sort together
    data["merged"] = dict(data["merged"])  # the loader shares merged values: no anchors below
    data["alias"] = dict(data["alias"])
    ours = yamlio.dump(data, **options)
    assert ours == yaml.dump(data, Dumper=REFERENCE_DUMPER, **options)
    assert yamlio.load(ours) == data


def test_an_object_used_twice_is_written_out_twice_without_anchors():
    shared = {"cpu": "100m"}
    text = yamlio.dump({"a": shared, "b": shared})
    assert "&id" not in text and "*id" not in text
    assert yamlio.load(text) == {"a": shared, "b": shared}


def test_dumping_a_kubernetes_object_round_trips_and_quotes_what_must_be_quoted():
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "x", "labels": {"version": "1.0", "enabled": "true", "empty": ""}},
           "data": {"port": "4242", "config.json": '{"a": 1}\n', "null_word": "null", "n": None}}
    text = yamlio.dump(obj, sort_keys=False)
    assert text == yaml.dump(obj, Dumper=REFERENCE_DUMPER, sort_keys=False)
    assert "version: '1.0'" in text and "port: '4242'" in text and "null_word: 'null'" in text
    assert yamlio.load(text) == obj


def test_types_the_safe_dumper_refuses_are_still_refused():
    with pytest.raises(yaml.representer.RepresenterError):
        yamlio.dump({"path": Path("/tmp")})
