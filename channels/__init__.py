"""Rasa input/output channels: thin translators between a wire format and the assistant.

Each connector verifies, parses into our own value, hands the message to
Rasa, translates the reply and answers, in that order. Channels import
`bot`; `bot` never imports them.
"""
