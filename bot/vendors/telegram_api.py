"""Sending to Telegram's Bot API with python-telegram-bot, behind the outbox's Sender interface.

Payloads are what the Telegram output channel stores in the outbox:
  {"method": "sendMessage", "text": ..., "buttons": [{"title", "payload"}]?}
  {"method": "answerCallbackQuery", "callback_query_id": ...}
PTB's errors are translated here: RetryAfter -> retry after its delay;
TimedOut / NetworkError (5xx, connection) -> retry with backoff; the rest
(BadRequest, InvalidToken) -> permanent; Forbidden ("bot was blocked by the user")
-> RecipientBlockedError, which OptOutAware records as the chat's opt-out.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.errors import VendorError
from bot.vendors.text import split_text  # Telegram's limit is its default

DEFAULT_API_BASE = "https://api.telegram.org"
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for inline-button data


def make_bot(token: str, api_base: str | None = None) -> Bot:
    """A PTB Bot for `token`; `api_base` (TELEGRAM_API_BASE) points it at another server. No network call."""
    base = (api_base or DEFAULT_API_BASE).rstrip("/")
    request = HTTPXRequest(connection_pool_size=32, connect_timeout=5, read_timeout=10, write_timeout=10)
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot", request=request)


def register_webhook(token: str, api_base: str | None, url: str | None, secret: str) -> bool:
    """setWebhook (`url` with the secret Telegram sends back) or, with `url` None, deleteWebhook.
    True when Telegram accepted; raises VendorError with Telegram's reason when it refused."""
    import asyncio

    bot = make_bot(token, api_base)

    async def call() -> bool:
        if url is not None:
            return await bot.set_webhook(url=url, secret_token=secret,
                                         allowed_updates=["message", "edited_message", "callback_query"])
        return await bot.delete_webhook()

    try:
        return asyncio.run(call())
    except TelegramError as error:
        raise VendorError(str(error)) from None


def telegram_payloads(text: str, buttons: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """Outbox payloads for `text` (split within Telegram's 4,096 characters); `buttons` ({title, callback_data})
    go with the last part, which is a space when there is no text."""
    parts = split_text(text)
    if buttons is None:
        return [{"method": "sendMessage", "text": part} for part in parts]
    payloads: list[dict[str, Any]] = [{"method": "sendMessage", "text": part} for part in parts[:-1]]
    payloads.append({"method": "sendMessage", "text": parts[-1] if parts else " ", "buttons": buttons})
    return payloads


class TelegramSender:
    """Outbox sender for the `telegram` channel."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, recipient: str, payload: dict[str, Any]) -> str | None:
        from bot.messaging import PermanentSendError, RecipientBlockedError, RetryableSendError

        try:
            if payload.get("method") == "answerCallbackQuery":
                await self.bot.answer_callback_query(payload["callback_query_id"])
                return None
            markup = None
            if payload.get("buttons"):
                markup = InlineKeyboardMarkup(
                    [[InlineKeyboardButton(b["title"], callback_data=b["callback_data"])] for b in payload["buttons"]]
                )
            message = await self.bot.send_message(chat_id=int(recipient), text=payload["text"], reply_markup=markup)
            return str(message.message_id)
        except RetryAfter as error:
            retry = error.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            raise RetryableSendError(f"Telegram asked to retry after {seconds:g} s", retry_after=seconds) from None
        except NetworkError as error:  # includes TimedOut and 5xx
            raise RetryableSendError(f"Telegram network error: {error}") from None
        except Forbidden as error:  # a private chat (positive id) blocked the bot; a group's 403 is the team's to fix
            kind = RecipientBlockedError if not recipient.startswith("-") else PermanentSendError
            raise kind(f"Telegram refused the message: {error}") from None
        except TelegramError as error:
            raise PermanentSendError(f"Telegram refused the message: {error}") from None
