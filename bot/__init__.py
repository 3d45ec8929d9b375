"""Frontdesk core: settings, CLI and the services that actions and channels call.

`bot` imports neither `actions` nor `channels`; they import it.
"""
