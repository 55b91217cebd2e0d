"""The Akeneo App protocol, independent of any web framework.

Functions here build `httpx.Request`s and read `httpx.Response`s; the web layer sends them.
"""
