"""Portal Archive, the application: the ``portal-archive`` CLI, the crawl runner, WARC replay
and re-export orchestration, on top of the ``archive`` library and the Scrapy project
(``crawler``, ``pipelines``)."""
