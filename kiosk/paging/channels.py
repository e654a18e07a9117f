"""The two ways a message leaves the kiosk: SMTP (e-mail, and pagers and phones through their carriers'
e-mail gateways) and a webhook (a signed JSON POST to a secure-messaging platform).

Each send ends in one of four ways, and the outbox acts on which:

- it was taken (the SMTP server's 250 after the message, a 2xx from the platform): a receipt;
- `Unreachable`: nothing was handed over (no connection; or the other side said "not now" before
  taking the message: an SMTP 4xx, HTTP 429/502/503/504): safe to send again later;
- `Refused`: the other side said no for good (an SMTP 5xx, HTTP 4xx): not sent again;
- `Interrupted`: the message went out but its answer was lost (the connection dropped after the SMTP
  DATA, no HTTP answer, an HTTP 500): it may have arrived, so it is never sent again by itself.

Nothing here logs or quotes the message: pages carry a room and initials.
"""

from __future__ import annotations

import json
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import httpx

from kiosk.web.signed import signed_headers

from .settings import PagingConfig

IDEMPOTENCY_HEADER = "Idempotency-Key"


class ChannelError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unreachable(ChannelError):
    """Nothing was handed over: sending again later is safe."""


class Refused(ChannelError):
    """The other side refused the message for good."""


class Interrupted(ChannelError):
    """The message went out and its answer was lost: it may have arrived."""


@dataclass(frozen=True)
class Outgoing:
    """One message as a channel needs it."""

    key: str  # '<page public id>-<n>': the message's id everywhere (Message-ID, webhook id, idempotency)
    channel: str
    address: str
    telecom_system: str
    subject: str
    body: str
    urgency: str
    page_id: str
    recipient_ref: str
    recipient_name: str
    callback: str
    ack_url: str


def deliver(message: Outgoing, config: PagingConfig) -> str:
    """Send one message; returns a receipt for the record, or raises a ChannelError."""
    if message.channel == "smtp":
        return send_smtp(message, config)
    if message.channel == "webhook":
        return send_webhook(message, config)
    raise Refused(f"There is no channel called {message.channel!r}.")


# ---------------------------------------------------------------- SMTP


def email_of(message: Outgoing, from_address: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = from_address
    mail["To"] = message.address
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    domain = from_address.rpartition("@")[2] or "kiosk.invalid"
    mail["Message-ID"] = make_msgid(idstring=message.key, domain=domain)
    mail["X-Kiosk-Message"] = message.key
    charset = "us-ascii" if message.body.isascii() else "utf-8"
    mail.set_content(message.body, charset=charset)
    return mail


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _smtp_code(code: int, reply: bytes, step: str) -> None:
    text = reply.decode("utf-8", "replace")[:200]
    if 200 <= code < 400:
        return
    if 400 <= code < 500:
        raise Unreachable(f"The SMTP server said not now at {step} ({code} {text}); the message was not taken.")
    raise Refused(f"The SMTP server refused the message at {step} ({code} {text}).")


def send_smtp(message: Outgoing, config: PagingConfig) -> str:
    smtp_settings = config.settings.smtp
    where = f"{smtp_settings.host}:{smtp_settings.port}"
    mail = email_of(message, smtp_settings.from_address)
    try:
        smtp = smtplib.SMTP(smtp_settings.host, smtp_settings.port, timeout=smtp_settings.timeout_seconds)
    except (OSError, smtplib.SMTPException) as e:
        raise Unreachable(f"The SMTP server at {where} cannot be reached ({type(e).__name__}).") from None
    try:
        try:
            code, reply = smtp.ehlo()
            _smtp_code(code, reply, "EHLO")
            if smtp_settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if smtp_settings.username:
                smtp.login(smtp_settings.username, config.secrets.smtp_password)
            code, reply = smtp.mail(smtp_settings.from_address)
            _smtp_code(code, reply, "MAIL FROM")
            code, reply = smtp.rcpt(message.address)
            _smtp_code(code, reply, "RCPT TO")
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            _smtp_code(code, reply, "DATA")
        except smtplib.SMTPAuthenticationError as e:
            raise Refused(f"The SMTP server at {where} refused the kiosk's sign-in ({e.smtp_code}).") from None
        except (OSError, smtplib.SMTPException) as e:
            # Before the message itself was sent: the server has nothing to deliver.
            raise Unreachable(f"The SMTP server at {where} broke off before the message was sent "
                              f"({type(e).__name__}).") from None
        data = _LEADING_DOT.sub(b"..", mail.as_bytes(policy=mail.policy.clone(linesep="\r\n")))
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            smtp.send(data + b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as e:
            raise Interrupted(f"The connection to the SMTP server at {where} was lost after the message was "
                              f"sent ({type(e).__name__}); it may or may not have been delivered.") from None
        _smtp_code(code, reply, "the end of the message")
        return f"{mail['Message-ID']} {code} {reply.decode('utf-8', 'replace')[:120]}"
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


# ---------------------------------------------------------------- webhook


def webhook_body(message: Outgoing) -> bytes:
    return json.dumps({
        "id": message.key,
        "page": message.page_id,
        "urgency": message.urgency,
        "to": {"system": message.telecom_system, "value": message.address},
        "recipient": {"reference": message.recipient_ref, "display": message.recipient_name},
        "subject": message.subject,
        "text": message.body,
        "callback": message.callback,
        "ackUrl": message.ack_url,
    }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


#: HTTP answers that say the platform did not take the message and would take it later.
NOT_NOW = frozenset({408, 425, 429, 502, 503, 504})


def send_webhook(message: Outgoing, config: PagingConfig) -> str:
    hook = config.settings.webhook
    if not hook.url:
        raise Refused("No messaging platform is set up (webhook.url in config/paging.toml).")
    body = webhook_body(message)
    headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: message.key,
               **signed_headers(config.secrets.webhook_secret, body)}
    host = httpx.URL(hook.url).host
    timeout = httpx.Timeout(hook.timeout_seconds, connect=min(3.0, hook.timeout_seconds))
    try:
        response = httpx.post(hook.url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
        raise Unreachable(f"The messaging platform at {host} cannot be reached ({type(e).__name__}).") from None
    except (TimeoutError, httpx.TransportError) as e:
        raise Interrupted(f"The messaging platform at {host} did not answer ({type(e).__name__}); the message "
                          "may or may not have been delivered.") from None
    status = response.status_code
    if 200 <= status < 300:
        try:
            receipt = response.json().get("id")
        except (ValueError, AttributeError):
            receipt = None
        return f"HTTP {status}" + (f" {str(receipt)[:100]}" if receipt else "")
    if status in NOT_NOW:
        raise Unreachable(f"The messaging platform at {host} said not now (HTTP {status}); the message was not "
                          "taken.")
    if status >= 500:
        raise Interrupted(f"The messaging platform at {host} failed while taking the message (HTTP {status}); it "
                          "may or may not have been delivered.")
    raise Refused(f"The messaging platform at {host} refused the message (HTTP {status}).")
