"""The Scrapy project: settings, items, portal spiders and versioned page parsers."""
