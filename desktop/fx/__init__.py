"""Exchange rates for quotes: the rate value, its providers and the central-parity publication calendar.

Qt-free and network-free: fetching lives in sync.fx_fetch; this package only parses, validates and
reasons about dates.
"""
