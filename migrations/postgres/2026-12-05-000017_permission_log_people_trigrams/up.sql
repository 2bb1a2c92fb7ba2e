-- The log's name filter looks a text up among the org's people ("contains", any case):
-- a trigram index answers `search_text LIKE '%text%'` for texts of 3 or more characters
-- without testing every person's text. pg_trgm ships with Postgres and is a trusted
-- extension (a database owner may create it without being a superuser).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX permission_log_people_trigrams ON permission_log_people USING gin (search_text gin_trgm_ops);
