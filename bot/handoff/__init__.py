"""Handing a conversation to a person: records, context summary, business hours, the desk service."""
