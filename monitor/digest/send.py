"""Send an email over SMTP (smtplib): STARTTLS or implicit TLS, login, retries with backoff.

A server that cannot be reached, or that answers 4xx, is tried again a few times with backoff
and then reported as :class:`NotifyError` (the caller tries again later). A 5xx answer or a
refused login is a :class:`PermanentNotifyError`. Recipients the server refuses are returned
with its answer; the others still get the message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from monitor.backoff import doubling
from monitor.errors import NotifyError, PermanentNotifyError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the mail server."""

    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


@dataclass(frozen=True)
class SendResult:
    """Who the server accepted the message for, and who it refused (with its answer)."""

    accepted: tuple[str, ...]
    refused: dict[str, str]


class SmtpSender:
    """Delivers messages to one SMTP server."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        attempts: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._sleep = sleep
        self._tls = tls_context or ssl.create_default_context()

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> SendResult:
        """Send ``message`` to ``recipients``, retrying while the server is unreachable."""
        for attempt in range(1, self.attempts + 1):
            try:
                return self._send_once(message, recipients)
            except PermanentNotifyError:
                raise
            except NotifyError as err:
                if attempt == self.attempts:
                    raise
                first = timedelta(seconds=self.backoff)
                delay = doubling(first, attempt, first * 2**self.attempts).total_seconds()
                log.warning("mail server: %s; trying again in %.0fs", err, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(self, message: EmailMessage, recipients: Sequence[str]) -> SendResult:
        sender = parseaddr(str(message["From"]))[1]
        try:
            with self._connect() as smtp:
                self._login(smtp)
                refused = smtp.send_message(message, from_addr=sender, to_addrs=list(recipients))
        except smtplib.SMTPRecipientsRefused as err:  # every recipient refused
            return SendResult((), _answers(err.recipients))
        except smtplib.SMTPAuthenticationError as err:
            raise PermanentNotifyError(f"SMTP login refused: {_answer(err)}") from err
        except smtplib.SMTPResponseException as err:
            text = f"SMTP {err.smtp_code}: {_answer(err)}"
            if 500 <= err.smtp_code < 600:
                raise PermanentNotifyError(text) from err
            raise NotifyError(text) from err
        except (smtplib.SMTPException, OSError) as err:  # refused, reset, timed out, TLS
            where = f"{self.config.host}:{self.config.port}"
            raise NotifyError(f"mail server {where} unreachable: {err}") from err
        answers = _answers(refused)
        accepted = tuple(r for r in recipients if r not in answers)
        return SendResult(accepted, answers)

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.ssl:
            return smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=self._tls
            )
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        if config.starttls:
            try:
                smtp.starttls(context=self._tls)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        if self.config.username:
            smtp.login(self.config.username, self.config.password or "")


def _answer(err: smtplib.SMTPResponseException) -> str:
    text = err.smtp_error
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _answers(refused: dict[str, tuple[int, bytes]]) -> dict[str, str]:
    return {
        address: f"{code} {reply.decode('utf-8', 'replace')}"
        for address, (code, reply) in refused.items()
    }
