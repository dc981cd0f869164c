"""The Zotero adapter: the only home of pyzotero and the keyring.

``client`` speaks the Web API v3 (and the desktop's local API), ``mirror`` keeps a local copy
that a pull brings up to date with few requests, ``snapshot`` reads a Zotero JSON export
offline, ``journal`` records writes before they are sent, ``apikey`` keeps the API key.
"""
