/* global hexo */
'use strict';
// Hexo reads `date: Thu, 25 Aug 2022 08:09:00 GMT` as the right instant, then shifts every
// front-matter date by (zone of this process - `timezone` of _config.yml), as if it had been a
// local time without a zone (hexojs/hexo#4548). Running Hexo in the configured zone makes that
// shift zero, so zoned dates (RFC 822, the archive's form) stay right and bare ones
// (`2021-05-10 10:00:00`) are read as times in that zone. Scripts load before the sources.
if (hexo.config.timezone) {
  process.env.TZ = hexo.config.timezone;
}
