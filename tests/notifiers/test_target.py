import logging

import pytest
from pydantic import ValidationError

from integrations.notifiers import TargetConfig, TargetConfigError, mask_url, redact
from integrations.notifiers.masking import secret_fragments

from .conftest import (
    ALL_KINDS,
    DISCORD_URL,
    SLACK_URL,
    TEAMS_URL,
    WEBHOOK_SECRET,
    ZOOM_TOKEN,
    ZOOM_URL,
    make_target,
)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_valid_targets(kind):
    target = make_target(kind, timezone="Europe/Paris")
    assert target.kind.value == kind and target.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    "url",
    [
        "https://prod-00.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x",
        "https://default0a1b.ab.environment.api.powerplatform.com/powerautomate/automations/x",
        "https://api.powerautomate.com/x/y",
        "http://127.0.0.1:9902/teams/hosts",
        "http://localhost:9902/teams/hosts",
        "http://[::1]:9902/teams/hosts",
    ],
)
def test_teams_accepts_workflows_and_loopback_urls(url):
    assert TargetConfig(id="t", kind="teams", url=url).kind == "teams"


GUID = "5f1c2a9e-8d3b-4c6a-9e2f-0b7d1a3c5e8f"


@pytest.mark.parametrize(
    "url",
    [
        f"https://contoso.webhook.office.com/webhookb2/{GUID}@{GUID}/IncomingWebhook/SeCrEt99/{GUID}",
        f"https://outlook.office.com/webhook/{GUID}@{GUID}/IncomingWebhook/SeCrEt99/{GUID}",
    ],
)
def test_teams_refuses_retired_connector_urls_with_how_to(url):
    with pytest.raises(ValidationError) as info:
        TargetConfig(id="teams-hosts", kind="teams", url=url)
    message = str(info.value)
    assert "retired Office 365 connector" in message
    assert "Workflows" in message
    assert "Post to a channel when a webhook request is received" in message
    assert "copy the URL" in message
    assert "SeCrEt99" not in message and GUID not in message
    assert "target 'teams-hosts'" in message


def test_teams_refuses_other_hosts():
    with pytest.raises(ValidationError, match="not a Teams Workflows URL"):
        TargetConfig(id="t", kind="teams", url="https://example.com/hook")


@pytest.mark.parametrize(
    ("kind", "url", "needle"),
    [
        ("slack", "https://example.com/services/T/B/X", "Slack incoming-webhook"),
        ("slack", "https://hooks.slack.com/triggers/T0/123/abc", "Workflow Builder"),
        ("discord", "https://discord.com/channels/1/2", "Discord webhook"),
        ("zoom_chat", "https://example.com/inc", "Zoom Incoming Webhook"),
        ("slack", "http://hooks.slack.com/services/T/B/X", "https"),
        ("webhook", "ftp://example.com/x", "http(s)"),
        ("webhook", "https://user:pw@example.com/x", "credentials"),
        ("webhook", "not a url", "http(s)"),
    ],
)
def test_url_rules_per_kind(kind, url, needle):
    extra = {"token": ZOOM_TOKEN} if kind == "zoom_chat" else {}
    if kind == "webhook":
        extra = {"secret": WEBHOOK_SECRET}
    with pytest.raises(ValidationError, match=needle):
        TargetConfig(id="x", kind=kind, url=url, **extra)


def test_credentials_are_required_and_only_where_they_belong():
    with pytest.raises(ValidationError, match="verification token"):
        TargetConfig(id="z", kind="zoom_chat", url=ZOOM_URL)
    with pytest.raises(ValidationError, match="signing secret"):
        TargetConfig(id="w", kind="webhook", url="https://example.com/h")
    with pytest.raises(ValidationError, match="whsec_"):
        TargetConfig(id="w", kind="webhook", url="https://example.com/h", secret="whsec_!!notb64")
    with pytest.raises(ValidationError, match="16 random bytes"):
        TargetConfig(id="w", kind="webhook", url="https://example.com/h", secret="whsec_c2hvcnQ=")
    with pytest.raises(ValidationError, match="takes no token"):
        TargetConfig(id="s", kind="slack", url=SLACK_URL, token="abc")
    with pytest.raises(ValidationError, match="takes no signing secret"):
        TargetConfig(id="s", kind="slack", url=SLACK_URL, secret=WEBHOOK_SECRET)
    with pytest.raises(ValidationError, match="IANA"):
        TargetConfig(id="s", kind="slack", url=SLACK_URL, timezone="Mars/Base")


def test_whitespace_around_pasted_values_is_ignored():
    target = TargetConfig(id="s", kind="slack", url=f"  {SLACK_URL}\n")
    assert target.url.get_secret_value() == SLACK_URL


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (SLACK_URL, "https://hooks.slack.com/services/T000ABC/…"),
        (DISCORD_URL, "https://discord.com/api/webhooks/…"),
        (TEAMS_URL, "https://prod-12.westeurope.logic.azure.com:443/workflows/0a1b2c3d/…"),
        (ZOOM_URL, "https://integrations.zoom.us/chat/webhooks/…"),
        ("https://u:p@example.com/a?token=abc", "https://example.com/a/…"),
        ("https://example.com/0123456789abcdef0123/x", "https://example.com/…"),
        ("https://example.com", "https://example.com"),
        ("garbage", "…"),
    ],
)
def test_mask_url(url, shown):
    assert mask_url(url) == shown


SECRET_PARTS = [
    "XyZsEcReTtOkEn1234567890",
    "TeAmSsIgSeCrEt987654",
    "DiScOrDtOkEnSeCrEt_abcdef",
    "ZoOmWeBhOoKiD42",
    ZOOM_TOKEN,
    WEBHOOK_SECRET,
    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_secrets_never_in_repr_str_dump_or_logs(kind, caplog):
    target = make_target(kind)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("target %s / %r", target, target)
    shown = [repr(target), str(target), f"{target}", str(target.model_dump()), target.model_dump_json(), caplog.text]
    for text in shown:
        for secret in SECRET_PARTS:
            assert secret not in text, (secret, text)
    assert target.masked_url.endswith("…")


def test_validation_errors_never_echo_secret_input():
    url = "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/TopSecret77/x"
    with pytest.raises(ValidationError) as info:
        TargetConfig(id="t", kind="teams", url=url, token="TokenSecret55")
    text = str(info.value) + repr(info.value) + str(info.value.errors(include_input=False))
    assert "TopSecret77" not in text and "TokenSecret55" not in text


def test_build_raises_a_typed_error_that_is_safe_to_log():
    url = "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/TopSecret77/x"
    with pytest.raises(TargetConfigError) as info:
        TargetConfig.build(id="teams-hosts", kind="teams", url=url)
    assert "TopSecret77" not in str(info.value) and "Workflows" in str(info.value)
    assert info.value.target_id == "teams-hosts"
    assert str(info.value).count("target 'teams-hosts'") == 1
    with pytest.raises(TargetConfigError, match="kind"):
        TargetConfig.build(id="x", kind="carrier-pigeon", url=SLACK_URL)
    assert TargetConfig.build(id="ok", kind="slack", url=SLACK_URL).id == "ok"


def test_redact_removes_every_secret_fragment():
    target = make_target("teams")
    echoed = f"bad request to {TEAMS_URL} with sig=TeAmSsIgSeCrEt987654 for 0a1b2c3d"
    cleaned = redact(echoed, target.secrets())
    assert "TeAmSsIgSeCrEt987654" not in cleaned and TEAMS_URL not in cleaned
    assert "***" in cleaned
    assert secret_fragments(None) == []


def test_url_key_is_stable_and_not_the_url():
    a, b = make_target("slack"), make_target("slack", id="other")
    assert a.url_key == b.url_key and len(a.url_key) == 16
    assert a.url_key not in SLACK_URL


def test_zoom_format_comes_from_the_endpoint_query():
    assert make_target("zoom_chat").zoom_format == "full"
    plain = make_target("zoom_chat", url=ZOOM_URL.split("?")[0])
    assert plain.zoom_format == "message"
