"""How a telecom is reached: the channels in config/paging.toml, the first telecom by rank they reach."""

from __future__ import annotations

import dataclasses

from kiosk.paging.recipients import Recipient, Telecom, best_route, route, unreachable_reason
from kiosk.paging.settings import ChannelSettings, PagingSettings, SmtpSettings, WebhookSettings

SETTINGS = PagingSettings(smtp=SmtpSettings(pager_domain="pager.example", sms_domain="sms.example"),
                          webhook=WebhookSettings(url="https://platform.example/pages"))


def test_pagers_and_phones_go_through_their_gateways_and_the_platform() -> None:
    assert route(Telecom("pager", "555-0101"), SETTINGS).address == "5550101@pager.example"
    assert route(Telecom("sms", "+1 555 010 20"), SETTINGS).address == "155501020@sms.example"
    assert route(Telecom("email", "dr.a@riverside.example"), SETTINGS).channel == "smtp"
    assert route(Telecom("email", "not an address"), SETTINGS) is None
    assert route(Telecom("other", "securechat:lena"), SETTINGS).channel == "webhook"
    assert route(Telecom("phone", "555-0199"), SETTINGS) is None  # a voice line cannot take a page
    no_webhook = dataclasses.replace(SETTINGS, webhook=WebhookSettings(url=""))
    assert route(Telecom("other", "securechat:lena"), no_webhook) is None
    no_pager = dataclasses.replace(SETTINGS, channels=ChannelSettings(pager=""))
    assert route(Telecom("pager", "555-0101"), no_pager) is None


def test_the_first_reachable_telecom_by_rank_is_used() -> None:
    nurse = Recipient("PractitionerRole/n1", "Lena Ortiz", "Nurse",
                      telecoms=(Telecom("sms", "+1 555 020 11", 2), Telecom("other", "securechat:lena", 1)))
    assert best_route(nurse, SETTINGS).channel == "webhook"
    assert best_route(nurse, dataclasses.replace(SETTINGS, webhook=WebhookSettings(url=""))).system == "sms"
    nobody = Recipient("PractitionerRole/x", "X", "Nurse", telecoms=(Telecom("phone", "555"),))
    assert best_route(nobody, SETTINGS) is None
    assert "phone" in unreachable_reason(nobody) and "config/paging.toml [channels]" in unreachable_reason(nobody)
