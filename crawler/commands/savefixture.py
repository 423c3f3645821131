"""``scrapy savefixture <portal> <url> [--name NAME]``: capture a parser fixture."""

from __future__ import annotations

import argparse
import re
import urllib.request
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.http import HtmlResponse
from scrapy.spiderloader import SpiderLoader

from crawler.encoding import fix_encoding
from crawler.fixtures import save_fixture
from crawler.portals import parsers


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "<portal> <url> [--name NAME]"

    def short_desc(self) -> str:
        return "Store a page as a parser fixture (html.gz + meta.json + expected.json)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--name", help="fixture name (default: from the URL)")

    def run(self, args: list[str], opts: Any) -> None:
        known = parsers()
        if len(args) != 2 or args[0] not in known:
            raise UsageError(f"expected <portal> <url>; portals: {', '.join(known)}")
        portal, url = args
        assert self.settings is not None
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"not an http(s) URL: {url}")
        headers = {"User-Agent": self.settings["USER_AGENT"]}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s), above
        # urllib raises HTTPError on a 4xx/5xx answer (no fixture is written then)
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - as above
            content = answer.read()
            content_type = answer.headers.get("Content-Type", "")
        page = HtmlResponse(url, body=content, headers={"Content-Type": content_type})
        spider = SpiderLoader.from_settings(self.settings).load(portal)
        encoding = fix_encoding(page, getattr(spider, "page_encoding", None)).encoding
        name = opts.name or re.sub(r"[^\w.-]+", "_", url.rstrip("/").rsplit("/", 1)[-1])
        folder = save_fixture(portal, url, content, encoding, name.removesuffix(".html"))
        print(f"saved {folder}/{name}.*")  # noqa: T201 - command output
