"""Customers' data: masking secrets on the way in (masking), and the data's lifecycle: what is held about a customer
(holdings), erasure on request (erasure), subject access exports (export), retention and the daily purge (retention),
and `frontdesk privacy` (commands). What is stored where is in docs/customer-data.md.
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "Eraser": "bot.privacy.erasure",
    "Lease": "bot.privacy.retention",
    "PrivacyConfig": "bot.privacy.retention",
    "Receipt": "bot.privacy.erasure",
    "RetentionWorker": "bot.privacy.retention",
    "Subject": "bot.privacy.subjects",
    "export_document": "bot.privacy.export",
    "open_eraser": "bot.privacy.erasure",
    "purge": "bot.privacy.retention",
    "subject_for": "bot.privacy.subjects",
    "subject_of_conversation": "bot.privacy.subjects",
    "BANK_MASK": "bot.privacy.masking",
    "CARD_MASK": "bot.privacy.masking",
    "CODE_MASK": "bot.privacy.masking",
    "Masked": "bot.privacy.masking",
    "PASSWORD_MASK": "bot.privacy.masking",
    "iban_valid": "bot.privacy.masking",
    "luhn_valid": "bot.privacy.masking",
    "mask_secrets": "bot.privacy.masking",
    "warning": "bot.privacy.masking",
}
# public modules: commands
_MODULES = ("commands",)

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
