"""Portal spiders: one small declarative class per portal on top of ``base.PortalSpider``.

Scrapy's spider loader finds them (``SPIDER_MODULES``); :mod:`crawler.portals` derives the
portal list and the parser table from them.
"""
