import logging

import pytest

from integrations.notifiers import TemplateError, compile_template
from integrations.notifiers.templates import MAX_OUTPUT_CHARS, TEMPLATE_VARIABLES

from .conftest import make_notification


def test_template_sees_every_documented_variable():
    source = " | ".join(f"{{{{ {name} }}}}" for name in sorted(TEMPLATE_VARIABLES))
    out = compile_template(source).render(make_notification())
    assert "Session 1 starts now" in out and "14:15 (GMT+7)" in out and "Tue 14 Jan" in out


def test_loops_filters_and_local_time():
    template = compile_template(
        "{{ title | upper }}\n{% for label, value in fields %}- {{ label }}: {{ value }}\n{% endfor %}"
        "{{ at | local('America/New_York') }}"
    )
    out = template.render(make_notification())
    assert out.startswith("SESSION 1 STARTS NOW\n- Speakers: Dr. Ana Lim")
    assert "- Ends at: 15:00 (GMT+7)" in out and out.endswith("02:15 (GMT-5)")


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("{{ title ", "template error"),
        ("{% if title %}no end", "template error"),
        ("{{ speaker }}", r"unknown template variable\(s\) speaker; use: at, cue_id"),
        ("{{ title | nosuchfilter }}", "No filter named 'nosuchfilter'"),
        ("{{ title.__class__.__mro__ }}", "'__(class|mro)__' is not allowed"),
        ("{% include 'secrets.txt' %}", "cannot extend, include or import"),
        ("x" * 9000, "too long"),
    ],
)
def test_bad_templates_fail_at_compile_time(source, needle):
    with pytest.raises(TemplateError, match=needle):
        compile_template(source)


def test_errors_carry_the_line_number():
    with pytest.raises(TemplateError) as info:
        compile_template("ok\n{{ title }}\n{% endfor %}")
    assert info.value.line == 3 and "(line 3)" in str(info.value)


def test_runtime_failure_falls_back_to_the_default_text(caplog):
    n = make_notification()
    with caplog.at_level(logging.WARNING):
        assert compile_template("{{ field['Missing'] }}").render(n) == n.text
        assert compile_template("{{ 1 / 0 }}").render(n) == n.text
    assert "template failed for seg1.start" in caplog.text


def test_sandbox_blocks_unsafe_calls_at_render_time():
    n = make_notification()
    out = compile_template("{{ range(10**9) | list | length }}").render(n)
    assert out == n.text


def test_output_is_capped():
    out = compile_template("{% for i in range(5000) %}{{ title }}{% endfor %}").render(make_notification())
    assert len(out) == MAX_OUTPUT_CHARS
