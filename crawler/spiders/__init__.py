"""Portal spiders: one small declarative class per portal on top of ``base.PortalSpider``."""
